"""The messages the pipeline passes between the API and the workers."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class RenderJob:
    """Render revision `revision` of an invoice's PDF and store it."""

    invoice_id: UUID
    revision: int


@dataclass(frozen=True, slots=True)
class MailJob:
    """Mail the stored PDF of revision `revision` of an invoice to its employee."""

    invoice_id: UUID
    revision: int
