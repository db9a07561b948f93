"""Employees: create, read, list, change and soft-delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID, uuid4

from billtrack.domain.model.employee import Employee
from billtrack.domain.model.employee import salary as monthly_salary
from billtrack.domain.model.errors import DuplicateEmail
from billtrack.domain.model.values import Email, FieldErrors, Name, parse_field
from billtrack.domain.model.views import EmployeeView
from billtrack.domain.usecases.lookups import referenced, require_active, require_view
from billtrack.domain.usecases.views import employee_view
from billtrack.ports.clock import Clock
from billtrack.ports.queries import EmployeeQuery, Page
from billtrack.ports.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True, kw_only=True)
class EmployeeDetails:
    """What a client sends to create or change an employee."""

    email: str
    firstname: str
    lastname: str
    salary: Decimal
    department_id: UUID
    project_id: UUID


def _valid_employee(
    uow: UnitOfWork, details: EmployeeDetails, employee_id: UUID, created_at: datetime
) -> Employee:
    """The employee `details` describe: every field rule at once (400), then uniqueness (409).

    A salary change never touches existing invoices: they keep their own totals snapshot."""
    errors = FieldErrors()
    email = parse_field(errors, "email", Email, details.email)
    firstname = parse_field(errors, "firstname", Name, details.firstname)
    lastname = parse_field(errors, "lastname", Name, details.lastname)
    salary = parse_field(errors, "salary", monthly_salary, details.salary)
    referenced(uow.departments.get(details.department_id), errors, "department_id", "department")
    referenced(uow.projects.get(details.project_id), errors, "project_id", "project")
    errors.raise_if_any()
    assert email and firstname and lastname and salary  # noqa: PT018 - narrowed by raise_if_any
    holder = uow.employees.active_with_email(email.key)
    if holder is not None and holder.id != employee_id:
        raise DuplicateEmail(email.value)
    return Employee(
        id=employee_id,
        created_at=created_at,
        email=email,
        firstname=firstname,
        lastname=lastname,
        salary=salary,
        department_id=details.department_id,
        project_id=details.project_id,
    )


def create_employee(details: EmployeeDetails, *, uow: UnitOfWork, clock: Clock) -> EmployeeView:
    with uow:
        employee = _valid_employee(uow, details, uuid4(), clock.now())
        uow.employees.add(employee)
        view = employee_view(uow, employee)
        uow.commit()
    return view


def get_employee(employee_id: UUID, *, uow: UnitOfWork) -> EmployeeView:
    with uow:
        return require_view(uow.views.employee(employee_id), "employee", employee_id)


def list_employees(query: EmployeeQuery, *, uow: UnitOfWork) -> Page[EmployeeView]:
    with uow:
        return uow.views.employees(query)


def change_employee(
    employee_id: UUID, details: EmployeeDetails, *, uow: UnitOfWork
) -> EmployeeView:
    with uow:
        current = require_active(uow.employees.get(employee_id), "employee", employee_id)
        employee = _valid_employee(uow, details, current.id, current.created_at)
        uow.employees.update(employee)
        view = employee_view(uow, employee)
        uow.commit()
    return view


def delete_employee(employee_id: UUID, *, uow: UnitOfWork, clock: Clock) -> None:
    """A soft delete: the employee's workdays and invoices stay readable."""
    with uow:
        employee = require_active(uow.employees.get(employee_id), "employee", employee_id)
        uow.employees.update(employee.deleted(clock.now()))
        uow.commit()
