"""The messages the pipeline passes between the API and the workers."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class RenderJob:
    """Render revision `revision` of an invoice's PDF and store it; `None` is the invoice's
    current revision (a message of the original service, which had no revisions)."""

    invoice_id: UUID
    revision: int | None


@dataclass(frozen=True, slots=True)
class MailJob:
    """Mail the stored PDF of revision `revision` of an invoice to its employee: its `send`-th
    mail (1 after rendering; each "send again" asks for the next).

    `recipient`, `employee_name` and `file_name` are what the original emailer's messages carried;
    the mail step takes the invoice's own data and uses these only to say what a message was for.
    """

    invoice_id: UUID
    revision: int
    send: int = 1
    _: KW_ONLY
    recipient: str = ""
    employee_name: str = ""
    file_name: str = ""
