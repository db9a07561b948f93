"""Loading what an operation needs, with the contract's answers for what is missing."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from billtrack.domain.model.errors import NotFound
from billtrack.domain.model.lifecycle import Entity
from billtrack.domain.model.values import FieldErrors

E = TypeVar("E", bound=Entity)


def require_active(entity: E | None, kind: str, entity_id: UUID) -> E:
    """The entity a path names: unknown or soft-deleted is a 404."""
    if entity is None or not entity.is_active:
        raise NotFound(kind, entity_id)
    return entity


def referenced(entity: E | None, errors: FieldErrors, field: str, kind: str) -> E | None:
    """An entity a body refers to: unknown or soft-deleted is a 400 on that field."""
    if entity is None or not entity.is_active:
        errors.add(field, f"must name an active {kind}")
        return None
    return entity
