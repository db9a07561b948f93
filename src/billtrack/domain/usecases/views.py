"""Views built from the repositories, for what a single joined read does not cover."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID

from billtrack.domain.model.employee import Employee
from billtrack.domain.model.views import EmployeeView
from billtrack.ports.unit_of_work import UnitOfWork


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
