"""In-memory views: the repositories' pages, each row joined with what it embeds."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from uuid import UUID

from billtrack.adapters.memory.repositories import (
    InMemoryEmployeeRepository,
    InMemoryInvoiceRepository,
    InMemoryOrganisationUnitRepository,
    InMemoryWorkdayRepository,
)
from billtrack.domain.model.organisation import Department, Project
from billtrack.domain.model.views import EmployeeView, InvoiceView, WorkdayView
from billtrack.ports.queries import EmployeeQuery, InvoiceQuery, Page, WorkdayQuery


class InMemoryViews:
    def __init__(
        self,
        *,
        departments: InMemoryOrganisationUnitRepository[Department],
        projects: InMemoryOrganisationUnitRepository[Project],
        employees: InMemoryEmployeeRepository,
        workdays: InMemoryWorkdayRepository,
        invoices: InMemoryInvoiceRepository,
    ) -> None:
        self._departments = departments
        self._projects = projects
        self._employees = employees
        self._workdays = workdays
        self._invoices = invoices

    def _employee_views(self, employee_ids: Collection[UUID]) -> Mapping[UUID, EmployeeView]:
        employees = self._employees.get_many(employee_ids).values()
        departments = self._departments.get_many({e.department_id for e in employees})
        projects = self._projects.get_many({e.project_id for e in employees})
        return {
            e.id: EmployeeView(e, departments[e.department_id], projects[e.project_id])
            for e in employees
        }

    def employees(self, query: EmployeeQuery, /) -> Page[EmployeeView]:
        page = self._employees.list(query)
        views = self._employee_views({e.id for e in page.items})
        return Page(
            tuple(views[e.id] for e in page.items), page.number, page.size, page.total_count
        )

    def workdays(self, query: WorkdayQuery, /) -> Page[WorkdayView]:
        page = self._workdays.list(query)
        views = self._employee_views({w.employee_id for w in page.items})
        items = tuple(WorkdayView(w, views[w.employee_id]) for w in page.items)
        return Page(items, page.number, page.size, page.total_count)

    def invoices(self, query: InvoiceQuery, /) -> Page[InvoiceView]:
        page = self._invoices.list(query)
        views = self._employee_views({i.employee_id for i in page.items})
        items = tuple(InvoiceView(i, views[i.employee_id]) for i in page.items)
        return Page(items, page.number, page.size, page.total_count)

    def employee(self, employee_id: UUID, /) -> EmployeeView | None:
        employee = self._employees.get(employee_id)
        if employee is None or not employee.is_active:
            return None
        return self._employee_views({employee_id})[employee_id]

    def workday(self, workday_id: UUID, /) -> WorkdayView | None:
        workday = self._workdays.get(workday_id)
        if workday is None or not workday.is_active:
            return None
        return WorkdayView(
            workday, self._employee_views({workday.employee_id})[workday.employee_id]
        )

    def invoice(self, invoice_id: UUID, /) -> InvoiceView | None:
        invoice = self._invoices.get(invoice_id)
        if invoice is None or not invoice.is_active:
            return None
        return InvoiceView(
            invoice, self._employee_views({invoice.employee_id})[invoice.employee_id]
        )
