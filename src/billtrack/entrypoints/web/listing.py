"""Reading whole collections through the application's paged lists (dashboards and pickers
need every row of a month, not a page of them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar
from uuid import UUID

from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.organisation import Department, Project
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.views import EmployeeView, InvoiceView, WorkdayView
from billtrack.domain.usecases.application import Application
from billtrack.ports.queries import (
    MAX_PAGE_SIZE,
    EmployeeQuery,
    InvoiceQuery,
    NameQuery,
    Page,
    PageRequest,
    SortDirection,
    WorkdayQuery,
)

T = TypeVar("T")


def every(fetch: Callable[[PageRequest], Page[T]]) -> list[T]:
    """Every item of a paged list, a thousand at a time."""
    items: list[T] = []
    number = 1
    while True:
        page = fetch(PageRequest(number, MAX_PAGE_SIZE))
        items.extend(page.items)
        if not page.items or len(items) >= page.total_count:
            return items
        number += 1


def all_employees(app: Application) -> list[EmployeeView]:
    return every(lambda p: app.list_employees(EmployeeQuery(p, sort_by_name=SortDirection.ASC)))


def all_departments(app: Application) -> list[Department]:
    return every(lambda p: app.departments.list(NameQuery(p, sort_by_name=SortDirection.ASC)))


def all_projects(app: Application) -> list[Project]:
    return every(lambda p: app.projects.list(NameQuery(p, sort_by_name=SortDirection.ASC)))


def workdays_between(
    app: Application, first: date, last: date, *, employee_id: UUID | None = None
) -> list[WorkdayView]:
    """The active workdays dated from `first` to `last`, newest first."""
    found: list[WorkdayView] = []
    number = 1
    while True:
        page = app.list_workdays(
            WorkdayQuery(
                PageRequest(number, MAX_PAGE_SIZE),
                employee_id=employee_id,
                sort_by_date=SortDirection.DESC,
                from_day=first,
                to_day=last,
            )
        )
        found.extend(page.items)
        if not page.items or number * MAX_PAGE_SIZE >= page.total_count:
            return found
        number += 1


def month_workdays(app: Application, employee_id: UUID, period: YearMonth) -> list[WorkdayView]:
    return workdays_between(app, period.first_day, period.last_day, employee_id=employee_id)


def month_invoice(app: Application, employee_id: UUID, period: YearMonth) -> InvoiceView | None:
    """The employee's invoice for the month, which closes it, if there is one."""
    page = app.list_invoices(
        InvoiceQuery(
            PageRequest(1, 1), employee_id=employee_id, year=period.year, month=period.month
        )
    )
    return page.items[0] if page.items else None


def invoices_of_years(app: Application, years: set[int]) -> list[InvoiceView]:
    def of_year(year: int) -> list[InvoiceView]:
        return every(lambda page: app.list_invoices(InvoiceQuery(page, year=year)))

    return [view for year in sorted(years) for view in of_year(year)]


def invoices_in(views: list[InvoiceView], period: YearMonth) -> list[Invoice]:
    return [v.invoice for v in views if v.invoice.period == period]
