"""Reads of entities with what they embed: a page of them, or one, in a single query."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from billtrack.domain.model.views import EmployeeView, InvoiceView, WorkdayView
from billtrack.ports.queries import EmployeeQuery, InvoiceQuery, Page, WorkdayQuery


class Views(Protocol):
    """Active employees, workdays and invoices, each with its employee, department and project
    (those even when soft-deleted, as the entity still refers to them). The pages match the
    repositories' `list` row for row."""

    def employees(self, query: EmployeeQuery, /) -> Page[EmployeeView]: ...

    def workdays(self, query: WorkdayQuery, /) -> Page[WorkdayView]: ...

    def invoices(self, query: InvoiceQuery, /) -> Page[InvoiceView]: ...

    def employee(self, employee_id: UUID, /) -> EmployeeView | None: ...

    def workday(self, workday_id: UUID, /) -> WorkdayView | None: ...

    def invoice(self, invoice_id: UUID, /) -> InvoiceView | None: ...
