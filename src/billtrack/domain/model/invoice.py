"""An invoice: one employee's month, its totals snapshot, its number and its PDF's life."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from billtrack.domain.model.calculation import InvoiceTotals
from billtrack.domain.model.errors import ValidationFailed
from billtrack.domain.model.lifecycle import Entity
from billtrack.domain.model.numbering import InvoiceNumber
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import FieldErrors

FIRST_INVOICE_YEAR = 2000
MAX_ERROR_LENGTH = 2000


class InvoiceStatus(enum.Enum):
    PENDING = "pending"
    GENERATED = "generated"
    FAILED = "failed"


def invoice_period(year: int, month: int, today: date) -> YearMonth:
    """The month an invoice may cover: from 2000 on, and not after the current month."""
    errors = FieldErrors()
    if not 1 <= month <= 12:
        errors.add("month", "must be from 1 to 12")
    if year < FIRST_INVOICE_YEAR:
        errors.add("year", f"must be {FIRST_INVOICE_YEAR} or later")
    errors.raise_if_any()
    if (year, month) > (today.year, today.month):
        raise ValidationFailed.single(
            "month", f"must not be after the current month ({today:%Y-%m})"
        )
    return YearMonth(year, month)


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoice(Entity):
    employee_id: UUID
    period: YearMonth
    number: InvoiceNumber
    totals: InvoiceTotals
    issued_on: date
    """The issue date in the business time zone; its year is the number's."""
    status: InvoiceStatus = InvoiceStatus.PENDING
    error: str | None = None
    # Each change of what the PDF shows is a new revision; a render of an older one is stale.
    revision: int = 1
    pdf_key: str | None = None
    generated_at: datetime | None = None
    mailed_revision: int | None = None
    """The revision whose PDF was last mailed to the employee."""

    @classmethod
    def issue(
        cls,
        *,
        id: UUID,
        employee_id: UUID,
        period: YearMonth,
        number: InvoiceNumber,
        totals: InvoiceTotals,
        today: date,
        now: datetime,
    ) -> Invoice:
        if number.year != today.year:
            raise ValueError("an invoice is numbered in the year it is issued")
        return cls(
            id=id,
            employee_id=employee_id,
            period=period,
            number=number,
            totals=totals,
            issued_on=today,
            created_at=now,
        )

    @property
    def is_url_ready(self) -> bool:
        return self.status is InvoiceStatus.GENERATED and self.pdf_key is not None

    def pdf_key_for(self, revision: int) -> str:
        """Where a revision's PDF is stored: a redelivered render overwrites the same object."""
        return f"invoices/{self.number.year}/{self.number}/{self.id}-r{revision}.pdf"

    def revised(self, *, employee_id: UUID, period: YearMonth, totals: InvoiceTotals) -> Invoice:
        """The same invoice (same number) for another month or employee, to be rendered again."""
        if (employee_id, period) == (self.employee_id, self.period):
            return self
        return replace(
            self,
            employee_id=employee_id,
            period=period,
            totals=totals,
            status=InvoiceStatus.PENDING,
            error=None,
            revision=self.revision + 1,
            pdf_key=None,
            generated_at=None,
        )

    def retried(self) -> Invoice:
        """A failed invoice, to be rendered again (same totals, next revision)."""
        if self.status is not InvoiceStatus.FAILED:
            return self
        return replace(self, status=InvoiceStatus.PENDING, error=None, revision=self.revision + 1)

    def is_renderable(self, revision: int) -> bool:
        """Whether a render of `revision` still has work to do."""
        return self.is_active and revision == self.revision and self.status is InvoiceStatus.PENDING

    def generated(self, *, revision: int, pdf_key: str, at: datetime) -> Invoice:
        """The invoice with its PDF stored; a stale or repeated report changes nothing."""
        if not self.is_renderable(revision):
            return self
        return replace(
            self, status=InvoiceStatus.GENERATED, pdf_key=pdf_key, generated_at=at, error=None
        )

    def needs_mail(self, revision: int) -> bool:
        return (
            self.is_active
            and revision == self.revision
            and self.is_url_ready
            and self.mailed_revision != revision
        )

    def mailed(self, revision: int) -> Invoice:
        return replace(self, mailed_revision=revision) if self.needs_mail(revision) else self

    def failed(self, *, revision: int, reason: str) -> Invoice:
        if not self.is_renderable(revision):
            return self
        return replace(self, status=InvoiceStatus.FAILED, error=reason[:MAX_ERROR_LENGTH])
