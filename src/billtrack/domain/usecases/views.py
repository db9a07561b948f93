"""What the use cases answer: entities with the entities they embed, looked up in one go."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from uuid import UUID

from billtrack.domain.model.employee import Employee
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.organisation import Department, Project
from billtrack.domain.model.workday import Workday
from billtrack.ports.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class EmployeeView:
    employee: Employee
    department: Department
    project: Project


@dataclass(frozen=True, slots=True)
class WorkdayView:
    workday: Workday
    employee: EmployeeView


@dataclass(frozen=True, slots=True)
class InvoiceView:
    invoice: Invoice
    employee: EmployeeView


def employee_views(uow: UnitOfWork, employees: Iterable[Employee]) -> dict[UUID, EmployeeView]:
    """Views of `employees`, with their departments and projects (even soft-deleted ones)."""
    employees = list(employees)
    departments = uow.departments.get_many({e.department_id for e in employees})
    projects = uow.projects.get_many({e.project_id for e in employees})
    return {
        e.id: EmployeeView(e, departments[e.department_id], projects[e.project_id])
        for e in employees
    }


def employee_views_by_id(
    uow: UnitOfWork, employee_ids: Iterable[UUID]
) -> Mapping[UUID, EmployeeView]:
    return employee_views(uow, uow.employees.get_many(set(employee_ids)).values())


def employee_view(uow: UnitOfWork, employee: Employee) -> EmployeeView:
    return employee_views(uow, [employee])[employee.id]
