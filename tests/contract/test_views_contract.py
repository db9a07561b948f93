"""Views, the same tests for every adapter: each row of a repository's page with what it embeds,
and a view of one active entity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from billtrack.domain.model.employee import Employee
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.organisation import Department, Project
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.views import EmployeeView
from billtrack.domain.model.workday import Workday
from billtrack.ports.queries import (
    EmployeeQuery,
    InvoiceQuery,
    PageRequest,
    SortDirection,
    WorkdayQuery,
)
from tests.contract import builders as make
from tests.contract.conftest import UowFactory

LATER = datetime(2024, 12, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Company:
    departments: tuple[Department, Department]
    projects: tuple[Project, Project]
    employees: tuple[Employee, ...]
    workdays: tuple[Workday, ...]
    invoices: tuple[Invoice, ...]
    gone: Employee
    """Soft-deleted, with a workday and an invoice soft-deleted too."""


@pytest.fixture
def company(new_uow: UowFactory) -> Company:
    """Three active employees over two departments and projects (one department soft-deleted
    after its employee joined it: the view still embeds it), and soft-deleted rows besides."""
    finance, closed = make.department("Finance"), make.department("Closed")
    apollo, gemini = make.project("Apollo"), make.project("Gemini")
    names = [("Zofia", "Łukasiewicz"), ("Дмитро", "Шевченко"), ("Γιώργος", "Παπαδόπουλος")]
    employees = tuple(
        make.employee(dep.id, proj.id, first=first, last=last)
        for (first, last), dep, proj in zip(
            names, [finance, closed, finance], [apollo, gemini, gemini], strict=True
        )
    )
    gone = make.employee(finance.id, apollo.id, first="Gone", last="Away")
    workdays = tuple(make.workday(e.id, date(2024, 10, d)) for e in employees for d in (1, 17, 31))
    invoices = tuple(
        make.invoice(e.id, YearMonth(2024, m), n)
        for n, (e, m) in enumerate([(e, m) for e in employees for m in (9, 10)], start=1)
    )
    with new_uow() as uow:
        for department in (finance, closed):
            uow.departments.add(department)
        for project in (apollo, gemini):
            uow.projects.add(project)
        for employee in (*employees, gone):
            uow.employees.add(employee)
        for workday in workdays:
            uow.workdays.add(workday)
        uow.workdays.add(make.workday(gone.id, date(2024, 10, 2)).deleted(LATER))
        for invoice in invoices:
            uow.invoices.add(invoice)
        uow.invoices.add(make.invoice(gone.id, YearMonth(2024, 10), 99).deleted(LATER))
        uow.employees.update(gone.deleted(LATER))
        closed = closed.deleted(LATER)
        uow.departments.update(closed)
        uow.commit()
    return Company((finance, closed), (apollo, gemini), employees, workdays, invoices, gone)


def _expected_view(company: Company, employee: Employee) -> EmployeeView:
    departments = {d.id: d for d in company.departments}
    projects = {p.id: p for p in company.projects}
    return EmployeeView(
        employee, departments[employee.department_id], projects[employee.project_id]
    )


EMPLOYEE_QUERIES = [
    EmployeeQuery(),
    EmployeeQuery(name="шевч"),
    EmployeeQuery(sort_by_name=SortDirection.DESC, page=PageRequest(1, 2)),
    EmployeeQuery(sort_by_name=SortDirection.ASC, page=PageRequest(2, 2)),
]


@pytest.mark.parametrize("query", EMPLOYEE_QUERIES, ids=repr)
def test_employee_pages_are_the_repositorys_with_units(
    new_uow: UowFactory, company: Company, query: EmployeeQuery
) -> None:
    with new_uow() as uow:
        rows, views = uow.employees.list(query), uow.views.employees(query)
    assert [v.employee for v in views.items] == list(rows.items)
    assert views.total_count == rows.total_count
    assert (views.number, views.size) == (rows.number, rows.size)
    assert list(views.items) == [_expected_view(company, e) for e in rows.items]


def test_employee_views_filter_by_department_and_project(
    new_uow: UowFactory, company: Company
) -> None:
    finance, gemini = company.departments[0], company.projects[1]
    query = EmployeeQuery(department_id=finance.id, project_id=gemini.id)
    with new_uow() as uow:
        page = uow.views.employees(query)
    assert [v.employee.lastname.value for v in page.items] == ["Παπαδόπουλος"]
    assert page.total_count == 1


WORKDAY_QUERIES = [
    WorkdayQuery(),
    WorkdayQuery(day=date(2024, 10, 17)),
    WorkdayQuery(sort_by_date=SortDirection.DESC, page=PageRequest(2, 4)),
    WorkdayQuery(from_day=date(2024, 10, 2), to_day=date(2024, 10, 31)),
]


@pytest.mark.parametrize("query", WORKDAY_QUERIES, ids=repr)
def test_workday_pages_are_the_repositorys_with_employees(
    new_uow: UowFactory, company: Company, query: WorkdayQuery
) -> None:
    with new_uow() as uow:
        rows, views = uow.workdays.list(query), uow.views.workdays(query)
        employees = uow.employees.get_many({w.employee_id for w in rows.items})
    assert [v.workday for v in views.items] == list(rows.items)
    assert views.total_count == rows.total_count
    expected = [_expected_view(company, employees[w.employee_id]) for w in rows.items]
    assert [v.employee for v in views.items] == expected


INVOICE_QUERIES = [
    InvoiceQuery(),
    InvoiceQuery(month=10, year=2024),
    InvoiceQuery(sort_by_date=SortDirection.DESC, page=PageRequest(2, 4)),
]


@pytest.mark.parametrize("query", INVOICE_QUERIES, ids=repr)
def test_invoice_pages_are_the_repositorys_with_employees(
    new_uow: UowFactory, company: Company, query: InvoiceQuery
) -> None:
    with new_uow() as uow:
        rows, views = uow.invoices.list(query), uow.views.invoices(query)
        employees = uow.employees.get_many({i.employee_id for i in rows.items})
    assert [v.invoice for v in views.items] == list(rows.items)
    assert views.total_count == rows.total_count
    expected = [_expected_view(company, employees[i.employee_id]) for i in rows.items]
    assert [v.employee for v in views.items] == expected


def test_one_view_of_each_active_entity(new_uow: UowFactory, company: Company) -> None:
    employee, workday, invoice = company.employees[1], company.workdays[4], company.invoices[3]
    with new_uow() as uow:
        assert uow.views.employee(employee.id) == _expected_view(company, employee)
        found_workday = uow.views.workday(workday.id)
        found_invoice = uow.views.invoice(invoice.id)
    assert found_workday is not None
    assert found_workday.workday == workday
    assert found_invoice is not None
    assert found_invoice.invoice == invoice
    owner = next(e for e in company.employees if e.id == invoice.employee_id)
    assert found_invoice.employee == _expected_view(company, owner)


def test_soft_deleted_or_unknown_entities_have_no_view(
    new_uow: UowFactory, company: Company
) -> None:
    with new_uow() as uow:
        deleted_workday = uow.workdays.list(WorkdayQuery(employee_id=company.gone.id))
        assert deleted_workday.total_count == 0
        assert uow.views.employee(company.gone.id) is None
        assert uow.views.employee(make.department().id) is None
        assert uow.views.workday(make.department().id) is None
        assert uow.views.invoice(make.department().id) is None
        assert uow.views.invoices(InvoiceQuery(employee_id=company.gone.id)).total_count == 0
