"""One employee's month: the consistency boundary of workdays and the invoice that closes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from billtrack.domain.model.calculation import InvoiceTotals
from billtrack.domain.model.errors import DuplicateInvoice, DuplicateWorkday, MonthClosed
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import Money
from billtrack.domain.model.workday import Workday


@dataclass(frozen=True, slots=True)
class EmployeeMonth:
    employee_id: UUID
    period: YearMonth
    workdays: Sequence[Workday]
    """The employee's active workdays dated inside the period."""
    invoice: Invoice | None
    """The employee's active invoice for the period: while there is one, the month is closed."""

    @property
    def is_closed(self) -> bool:
        return self.invoice is not None

    def ensure_open(self, *, ignoring_invoice: UUID | None = None) -> None:
        """Refuse a change to the month's workdays while an invoice (other than `ignoring_invoice`)
        covers it: an issued invoice is an accounting record."""
        if self.invoice is not None and self.invoice.id != ignoring_invoice:
            raise MonthClosed(self.employee_id, self.period)

    def ensure_day_free(self, day: date, *, ignoring_workday: UUID | None = None) -> None:
        if any(w.day == day and w.id != ignoring_workday for w in self.workdays):
            raise DuplicateWorkday(self.employee_id, day)

    def ensure_can_invoice(self, *, ignoring_invoice: UUID | None = None) -> None:
        if self.invoice is not None and self.invoice.id != ignoring_invoice:
            raise DuplicateInvoice(self.employee_id, self.period)

    def totals(self, salary: Money) -> InvoiceTotals:
        return InvoiceTotals.compute(salary, self.period, (w.hours for w in self.workdays))
