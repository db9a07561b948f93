"""Invoices: issue (one or a whole month), read, list, revise, delete, and the download link."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

from billtrack.domain.model.employee import Employee
from billtrack.domain.model.errors import DuplicateInvoice, NotReady, ValidationFailed
from billtrack.domain.model.invoice import Invoice, invoice_period
from billtrack.domain.model.numbering import InvoiceNumber
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import FieldErrors
from billtrack.domain.usecases.lookups import locked, referenced, require_active
from billtrack.domain.usecases.pipeline import dispatch_render
from billtrack.domain.usecases.views import InvoiceView, employee_view, employee_views_by_id
from billtrack.ports.clock import Clock
from billtrack.ports.jobs import RenderJob
from billtrack.ports.queries import InvoiceQuery, Page
from billtrack.ports.queues import RenderQueue
from billtrack.ports.storage import ObjectStorage
from billtrack.ports.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
DOWNLOAD_LINK_LIFETIME = timedelta(minutes=15)


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceDetails:
    year: int
    month: int
    employee_id: UUID


def _check(uow: UnitOfWork, clock: Clock, details: InvoiceDetails) -> tuple[YearMonth, Employee]:
    errors = FieldErrors()
    period = None
    try:
        period = invoice_period(details.year, details.month, clock.today())
    except ValidationFailed as failure:
        errors.absorb(failure)
    employee = referenced(uow.employees.get(details.employee_id), errors, "employee_id", "employee")
    errors.raise_if_any()
    assert period is not None and employee is not None  # noqa: PT018 - narrowed by raise_if_any
    return period, employee


def create_invoice(
    details: InvoiceDetails, *, uow: UnitOfWork, clock: Clock, queue: RenderQueue
) -> InvoiceView:
    """Issue the invoice of an employee's month: totals snapshot, next number, render owed."""
    with uow:
        period, employee = _check(uow, clock, details)
        (month,) = uow.months.lock((employee.id, period))
        month.ensure_can_invoice()
        today = clock.today()
        invoice = Invoice.issue(
            id=uuid4(),
            employee_id=employee.id,
            period=period,
            number=InvoiceNumber(today.year, uow.invoice_numbers.next(today.year)),
            totals=month.totals(employee.salary),
            today=today,
            now=clock.now(),
        )
        uow.invoices.add(invoice)
        job = RenderJob(invoice.id, invoice.revision)
        uow.outbox.put(job)
        view = InvoiceView(invoice, employee_view(uow, employee))
        uow.commit()
    dispatch_render(job, uow=uow, queue=queue, clock=clock)
    return view


@dataclass(frozen=True, slots=True)
class MonthRun:
    created: tuple[InvoiceView, ...]
    already_invoiced: int


def invoice_month(
    *, year: int, month: int, uow: UnitOfWork, clock: Clock, queue: RenderQueue
) -> MonthRun:
    """The month-end batch: an invoice for every active employee who has none for the month yet.

    Each invoice is its own transaction, so a batch stopped halfway is resumed by running it again.
    """
    invoice_period(year, month, clock.today())
    with uow:
        employee_ids = list(uow.employees.active_ids())
    created: list[InvoiceView] = []
    already_invoiced = 0
    for employee_id in employee_ids:
        try:
            details = InvoiceDetails(year=year, month=month, employee_id=employee_id)
            created.append(create_invoice(details, uow=uow, clock=clock, queue=queue))
        except DuplicateInvoice:
            already_invoiced += 1
        except ValidationFailed:
            # The period was checked above, so only the employee can be wrong: they left (were
            # deleted) after the batch listed them, and get no invoice.
            continue
    return MonthRun(tuple(created), already_invoiced)


def get_invoice(invoice_id: UUID, *, uow: UnitOfWork) -> InvoiceView:
    with uow:
        invoice = require_active(uow.invoices.get(invoice_id), "invoice", invoice_id)
        return InvoiceView(
            invoice, employee_views_by_id(uow, [invoice.employee_id])[invoice.employee_id]
        )


def list_invoices(query: InvoiceQuery, *, uow: UnitOfWork) -> Page[InvoiceView]:
    with uow:
        page = uow.invoices.list(query)
        employees = employee_views_by_id(uow, {i.employee_id for i in page.items})
        items = tuple(InvoiceView(i, employees[i.employee_id]) for i in page.items)
        return Page(items, page.number, page.size, page.total_count)


def change_invoice(
    invoice_id: UUID,
    details: InvoiceDetails,
    *,
    uow: UnitOfWork,
    clock: Clock,
    queue: RenderQueue,
) -> InvoiceView:
    """Move an invoice to another month or employee: same number, totals computed again, and a
    new PDF owed (until it is stored the invoice is pending, so no stale PDF is handed out).
    The same month and employee again changes nothing, except that a failed PDF is retried."""
    with uow:

        def find() -> Invoice:
            return require_active(uow.invoices.get(invoice_id), "invoice", invoice_id)

        find()  # an unknown invoice is a 404 before the body's mistakes are a 400
        period, employee = _check(uow, clock, details)
        # The month the invoice leaves is locked too: it reopens when this commits.
        invoice, (_, month) = locked(
            uow,
            find,
            _month_of,
            (employee.id, period),
        )
        month.ensure_can_invoice(ignoring_invoice=invoice.id)
        revised = invoice.revised(
            employee_id=employee.id, period=period, totals=month.totals(employee.salary)
        )
        if revised is invoice:
            # The same month and employee: nothing to compute again, but a failed PDF is retried.
            revised = invoice.retried()
        job = None
        if revised is not invoice:
            uow.invoices.update(revised)
            job = RenderJob(revised.id, revised.revision)
            uow.outbox.put(job)
        view = InvoiceView(revised, employee_view(uow, employee))
        uow.commit()
    if job is not None:
        dispatch_render(job, uow=uow, queue=queue, clock=clock)
    return view


def delete_invoice(invoice_id: UUID, *, uow: UnitOfWork, clock: Clock) -> None:
    """A soft delete, which reopens the month for workday changes."""
    with uow:
        invoice, _ = locked(
            uow,
            lambda: require_active(uow.invoices.get(invoice_id), "invoice", invoice_id),
            _month_of,
        )
        uow.invoices.update(invoice.deleted(clock.now()))
        uow.outbox.settle(invoice.id, invoice.revision)
        uow.commit()


def download_link(
    invoice_id: UUID,
    *,
    uow: UnitOfWork,
    storage: ObjectStorage,
    lifetime: timedelta = DOWNLOAD_LINK_LIFETIME,
) -> str:
    """A short-lived URL of the invoice's PDF; a conflict until the PDF is stored."""
    return storage.download_url(_stored_pdf_key(invoice_id, uow), lifetime)


def invoice_pdf(invoice_id: UUID, *, uow: UnitOfWork, storage: ObjectStorage) -> bytes:
    """The stored PDF of the invoice; a conflict until it is stored."""
    return storage.get(_stored_pdf_key(invoice_id, uow))


def _stored_pdf_key(invoice_id: UUID, uow: UnitOfWork) -> str:
    with uow:
        invoice = require_active(uow.invoices.get(invoice_id), "invoice", invoice_id)
    if not invoice.is_url_ready or invoice.pdf_key is None:
        raise NotReady(f"the PDF of invoice {invoice.number} is not ready: {invoice.status.value}")
    return invoice.pdf_key


def _month_of(invoice: Invoice) -> tuple[UUID, YearMonth]:
    return invoice.employee_id, invoice.period
