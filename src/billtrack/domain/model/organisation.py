"""Departments and projects: the named groups an employee belongs to."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Self
from uuid import UUID

from billtrack.domain.model.lifecycle import Entity
from billtrack.domain.model.values import Name


@dataclass(frozen=True, slots=True, kw_only=True)
class OrganisationUnit(Entity):
    name: Name

    @classmethod
    def create(cls, *, id: UUID, name: Name, now: datetime) -> Self:
        return cls(id=id, name=name, created_at=now)

    def renamed(self, name: Name) -> Self:
        return replace(self, name=name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Department(OrganisationUnit):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Project(OrganisationUnit):
    pass
