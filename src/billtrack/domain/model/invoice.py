"""An invoice: one employee's month, its totals snapshot, its number and its PDF's life."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from billtrack.domain.model.calculation import InvoiceTotals
from billtrack.domain.model.errors import NotReady, ValidationFailed
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


class MailStatus(enum.Enum):
    PENDING = "pending"
    """A mail is owed (or the PDF it carries is not rendered yet)."""
    SENT = "sent"
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
    # Sends of the current revision are numbered: 1 is the mail after rendering, each "send
    # again" asks for the next. A send is claimed before the mail server is called and recorded
    # after, so a second worker never sends the same one (see the pipeline's mail step).
    mail_requested: int = 0
    """The send the current revision is owed up to (0 until its PDF is stored)."""
    mail_sent: int = 0
    """The last send of the current revision that went out."""
    mail_claimed_at: datetime | None = None
    """When a worker began sending `mail_requested`; None when no send is under way."""
    mail_asked_at: datetime | None = None
    """When the owed send was last handed to the mail queue: the sweeper asks again for one
    that has waited too long, so a lost mail job loses no mail."""
    mailed_at: datetime | None = None
    mail_error: str | None = None
    """Why the owed send failed for good (the mail server's words)."""
    batch_id: UUID | None = None
    """The month-end run that issued it, if one did."""

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
        batch_id: UUID | None = None,
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
            batch_id=batch_id,
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
        )._mail_reset()

    def retried(self) -> Invoice:
        """A failed invoice, to be rendered again (same totals, next revision)."""
        if self.status is not InvoiceStatus.FAILED:
            return self
        return replace(
            self,
            status=InvoiceStatus.PENDING,
            error=None,
            revision=self.revision + 1,
        )._mail_reset()

    def is_renderable(self, revision: int) -> bool:
        """Whether a render of `revision` still has work to do."""
        return self.is_active and revision == self.revision and self.status is InvoiceStatus.PENDING

    def generated(self, *, revision: int, pdf_key: str, at: datetime) -> Invoice:
        """The invoice with its PDF stored; a stale or repeated report changes nothing."""
        if not self.is_renderable(revision):
            return self
        return replace(
            self,
            status=InvoiceStatus.GENERATED,
            pdf_key=pdf_key,
            generated_at=at,
            error=None,
        )._mail_reset(requested=1, asked_at=at)

    def _mail_reset(self, *, requested: int = 0, asked_at: datetime | None = None) -> Invoice:
        """A new revision's mail state: nothing owed until its PDF is stored."""
        return replace(
            self,
            mail_requested=requested,
            mail_sent=0,
            mail_claimed_at=None,
            mail_asked_at=asked_at,
            mailed_at=None,
            mail_error=None,
        )

    def mail_asked(self, revision: int, send: int, at: datetime) -> Invoice:
        """The owed send was handed to the mail queue (again) at `at`."""
        if not self.needs_mail(revision, send):
            return self
        return replace(self, mail_asked_at=at)

    @property
    def mail_status(self) -> MailStatus:
        if self.mail_error is not None:
            return MailStatus.FAILED
        if self.mail_requested > 0 and self.mail_sent >= self.mail_requested:
            return MailStatus.SENT
        return MailStatus.PENDING

    def needs_mail(self, revision: int, send: int = 1) -> bool:
        """Whether send `send` of `revision` is owed and has not gone out nor failed."""
        return (
            self.is_active
            and revision == self.revision
            and self.is_url_ready
            and send == self.mail_requested
            and self.mail_sent < send
            and self.mail_error is None
        )

    def mail_claimed(self, revision: int, send: int, at: datetime) -> Invoice:
        """The send taken on by a worker from `at`."""
        if not self.needs_mail(revision, send):
            return self
        return replace(self, mail_claimed_at=at)

    def mail_released(self, revision: int, send: int) -> Invoice:
        """The send is known not to have gone out (the server was unreachable): it is owed again."""
        if not self.needs_mail(revision, send):
            return self
        return replace(self, mail_claimed_at=None)

    def mailed(self, revision: int, send: int = 1, *, at: datetime | None = None) -> Invoice:
        """The send went out."""
        if not self.needs_mail(revision, send):
            return self
        return replace(
            self,
            mailed_revision=revision,
            mail_sent=send,
            mailed_at=at,
            mail_claimed_at=None,
        )

    def mail_failed(self, revision: int, send: int, *, reason: str) -> Invoice:
        """The send failed for good; a person may ask for it again."""
        if not self.needs_mail(revision, send):
            return self
        return replace(self, mail_error=reason[:MAX_ERROR_LENGTH], mail_claimed_at=None)

    def mail_withdrawn(self, send: int, *, error: str | None) -> Invoice:
        """Send `send`, asked for but never handed to a queue, is owed no more: the mail state
        is what it was before, `error` (the earlier failure) included."""
        if self.mail_requested != send or self.mail_sent >= send or self.mail_claimed_at:
            return self
        return replace(self, mail_requested=send - 1, mail_error=error)

    def mail_again(self, at: datetime) -> Invoice:
        """One more send of the current PDF, asked for by a person."""
        if not self.is_url_ready:
            raise NotReady(
                f"the PDF of invoice {self.number} is not ready to be mailed: {self.status.value}"
            )
        return replace(
            self,
            mail_requested=self.mail_requested + 1,
            mail_error=None,
            mail_claimed_at=None,
            mail_asked_at=at,
        )

    def failed(self, *, revision: int, reason: str) -> Invoice:
        if not self.is_renderable(revision):
            return self
        return replace(self, status=InvoiceStatus.FAILED, error=reason[:MAX_ERROR_LENGTH])
