"""Employees: the list (filter, sort, pages), hiring, changing and deleting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Response

from billtrack.domain.model.employee import salary as monthly_salary
from billtrack.domain.model.errors import DuplicateEmail, ValidationFailed
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import Email, InvalidValue, Name
from billtrack.domain.model.views import EmployeeView
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.entrypoints.web.forms import FieldErrors, add, field_errors, parse_amount
from billtrack.entrypoints.web.listing import all_departments, all_projects
from billtrack.entrypoints.web.pages import (
    Form,
    PageRoute,
    PostedForm,
    SignedIn,
    Visit,
    parse_page,
    parse_uuid,
)
from billtrack.ports.queries import EmployeeQuery, PageRequest, SortDirection

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 20
FIELDS = ("firstname", "lastname", "email", "salary", "department_id", "project_id")
LABELS = {
    "firstname": "First name",
    "lastname": "Last name",
    "email": "E-mail address",
    "salary": "Monthly salary",
    "department_id": "Department",
    "project_id": "Project",
}


@router.get("/employees")
def list_employees(
    visit: SignedIn,
    q: str | None = None,
    department: str | None = None,
    project: str | None = None,
    sort: str | None = None,
    page: str | None = None,
) -> Response:
    direction = SortDirection.DESC if sort == "desc" else SortDirection.ASC
    department_id, project_id = parse_uuid(department), parse_uuid(project)
    found = visit.app.list_employees(
        EmployeeQuery(
            PageRequest(parse_page(page), PAGE_SIZE),
            name=q.strip() if q and q.strip() else None,
            department_id=department_id,
            project_id=project_id,
            sort_by_name=direction,
        )
    )
    return visit.render(
        "employees.html",
        {
            "section": "employees",
            "found": found,
            "q": q or "",
            "department": department_id,
            "project": project_id,
            "departments": all_departments(visit.app),
            "projects": all_projects(visit.app),
            "sort": direction.value,
            "pages": -(-found.total_count // PAGE_SIZE),
            "this_month": YearMonth.of(visit.app.clock.today()),
            "currency": visit.app.issuer.currency,
        },
    )


def _form_page(
    visit: Visit,
    *,
    employee: EmployeeView | None,
    values: dict[str, str],
    errors: FieldErrors | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    departments, projects = all_departments(visit.app), all_projects(visit.app)
    return visit.render(
        "employee_form.html",
        {
            "section": "employees",
            "department_options": [(str(d.id), str(d.name)) for d in departments],
            "project_options": [(str(p.id), str(p.name)) for p in projects],
            "employee": employee,
            "values": values,
            "errors": errors or {},
            "labels": LABELS,
            "problem": problem,
            "departments": departments,
            "projects": projects,
            "currency": visit.app.issuer.currency,
            "this_month": YearMonth.of(visit.app.clock.today()),
        },
        status=status,
    )


def _values_of(view: EmployeeView) -> dict[str, str]:
    e = view.employee
    return {
        "firstname": str(e.firstname),
        "lastname": str(e.lastname),
        "email": str(e.email),
        "salary": f"{e.salary.amount}",
        "department_id": str(e.department_id),
        "project_id": str(e.project_id),
    }


def _details(form: Form, errors: FieldErrors) -> EmployeeDetails | None:
    """What the form says, or None with the reasons in `errors` (the rest the domain checks)."""
    salary = parse_amount(form.text("salary"))
    if salary is None:
        add(errors, "salary", "must be an amount such as 4200.00")
    department_id = parse_uuid(form.get("department_id"))
    if department_id is None:
        add(errors, "department_id", "must be chosen")
    project_id = parse_uuid(form.get("project_id"))
    if project_id is None:
        add(errors, "project_id", "must be chosen")
    if salary is None or department_id is None or project_id is None:
        return None
    return EmployeeDetails(
        email=form.get("email"),
        firstname=form.get("firstname"),
        lastname=form.get("lastname"),
        salary=salary,
        department_id=department_id,
        project_id=project_id,
    )


def _save(
    visit: Visit, form: Form, employee: EmployeeView | None
) -> tuple[EmployeeView | None, FieldErrors]:
    errors: FieldErrors = {}
    details = _details(form, errors)
    if details is None:
        _value_rules(form, errors)  # so every mistake is shown at once
        return None, _in_form_order(errors)
    try:
        if employee is None:
            return visit.app.create_employee(details), errors
        return visit.app.change_employee(employee.employee.id, details), errors
    except ValidationFailed as invalid:
        return None, _in_form_order(field_errors(invalid))
    except DuplicateEmail:
        add(
            errors,
            "email",
            f"Another active employee has the e-mail address {details.email.strip()}",
        )
        return None, errors


def _in_form_order(errors: FieldErrors) -> FieldErrors:
    """The errors as the fields come in the form, so the summary reads top to bottom."""
    rank = {name: index for index, name in enumerate(FIELDS)}
    return dict(sorted(errors.items(), key=lambda item: rank.get(item[0], len(rank))))


def _value_rules(form: Form, errors: FieldErrors) -> None:
    """The rules of the typed values, from the domain's value objects, for a form that cannot
    be sent to the application yet (a field the domain needs is missing)."""
    checks: tuple[tuple[str, Callable[[Any], object], object], ...] = (
        ("firstname", Name, form.get("firstname")),
        ("lastname", Name, form.get("lastname")),
        ("email", Email, form.get("email")),
        ("salary", monthly_salary, parse_amount(form.text("salary"))),
    )
    for field, parse, raw in checks:
        if field in errors or raw is None:
            continue
        try:
            parse(raw)
        except InvalidValue as invalid:
            add(errors, field, str(invalid))


@router.get("/employees/new")
def new_employee(visit: SignedIn) -> Response:
    return _form_page(visit, employee=None, values={})


@router.post("/employees")
def create_employee(visit: SignedIn, form: PostedForm) -> Response:
    values = {name: form.get(name) for name in FIELDS}
    created, errors = _save(visit, form, None)
    if created is None:
        return _form_page(visit, employee=None, values=values, errors=errors, status=400)
    return visit.redirect(
        "/employees?" + urlencode({"q": str(created.employee.lastname)}),
        flash=f"{created.employee.full_name} was added.",
    )


@router.get("/employees/{employee_id}")
def edit_employee(visit: SignedIn, employee_id: UUID) -> Response:
    employee = visit.app.get_employee(employee_id)
    return _form_page(visit, employee=employee, values=_values_of(employee))


@router.post("/employees/{employee_id}")
def change_employee(visit: SignedIn, form: PostedForm, employee_id: UUID) -> Response:
    employee = visit.app.get_employee(employee_id)
    values = {name: form.get(name) for name in FIELDS}
    changed, errors = _save(visit, form, employee)
    if changed is None:
        return _form_page(visit, employee=employee, values=values, errors=errors, status=400)
    return visit.redirect("/employees", flash=f"{changed.employee.full_name} was saved.")


@router.post("/employees/{employee_id}/delete")
def delete_employee(visit: SignedIn, form: PostedForm, employee_id: UUID) -> Response:
    del form  # read for its CSRF token
    employee = visit.app.get_employee(employee_id)
    visit.app.delete_employee(employee_id)
    return visit.redirect(
        "/employees",
        flash=f"{employee.employee.full_name} was deleted; their invoices are kept.",
    )
