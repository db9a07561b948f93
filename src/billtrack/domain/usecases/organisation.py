"""Departments and projects: the same five operations over two collections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID, uuid4

from billtrack.domain.model.errors import StillReferenced, ValidationFailed
from billtrack.domain.model.organisation import Department, OrganisationUnit, Project
from billtrack.domain.model.values import InvalidValue, Name
from billtrack.domain.usecases.lookups import require_active
from billtrack.ports.clock import Clock
from billtrack.ports.queries import NameQuery, Page
from billtrack.ports.repositories import OrganisationUnitRepository
from billtrack.ports.unit_of_work import UnitOfWork

UnitT = TypeVar("UnitT", bound=OrganisationUnit)


def _name(raw: str) -> Name:
    try:
        return Name(raw)
    except InvalidValue as exc:
        raise ValidationFailed.single("name", str(exc)) from exc


@dataclass(frozen=True)
class OrganisationUnits(Generic[UnitT]):
    kind: str
    unit_type: type[UnitT]
    repository: Callable[[UnitOfWork], OrganisationUnitRepository[UnitT]]
    in_use: Callable[[UnitOfWork, UUID], bool]
    """Whether active employees still belong to the unit."""

    def create(self, name: str, *, uow: UnitOfWork, clock: Clock) -> UnitT:
        unit = self.unit_type.create(id=uuid4(), name=_name(name), now=clock.now())
        with uow:
            self.repository(uow).add(unit)
            uow.commit()
        return unit

    def get(self, unit_id: UUID, *, uow: UnitOfWork) -> UnitT:
        with uow:
            return require_active(self.repository(uow).get(unit_id), self.kind, unit_id)

    def list(self, query: NameQuery, *, uow: UnitOfWork) -> Page[UnitT]:
        with uow:
            return self.repository(uow).list(query)

    def rename(self, unit_id: UUID, name: str, *, uow: UnitOfWork) -> UnitT:
        new_name = _name(name)
        with uow:
            repository = self.repository(uow)
            unit = require_active(repository.get(unit_id), self.kind, unit_id).renamed(new_name)
            repository.update(unit)
            uow.commit()
        return unit

    def delete(self, unit_id: UUID, *, uow: UnitOfWork, clock: Clock) -> None:
        with uow:
            repository = self.repository(uow)
            unit = require_active(repository.get(unit_id), self.kind, unit_id)
            if self.in_use(uow, unit_id):
                raise StillReferenced(self.kind, unit_id, "employees")
            repository.update(unit.deleted(clock.now()))
            uow.commit()


departments: OrganisationUnits[Department] = OrganisationUnits(
    "department",
    Department,
    lambda uow: uow.departments,
    lambda uow, unit_id: uow.employees.any_active_in_department(unit_id),
)
projects: OrganisationUnits[Project] = OrganisationUnits(
    "project",
    Project,
    lambda uow: uow.projects,
    lambda uow, unit_id: uow.employees.any_active_in_project(unit_id),
)
