"""What every stored entity has: an id, a creation time, and a soft delete."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Self
from uuid import UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class Entity:
    id: UUID
    created_at: datetime
    deleted_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    def deleted(self, at: datetime) -> Self:
        """This entity, soft-deleted: it stays readable where something embeds it."""
        return self if self.deleted_at is not None else replace(self, deleted_at=at)
