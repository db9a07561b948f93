"""Invoices: issue (one or a whole month), read, list, revise, delete, and the download link."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from billtrack.domain.model.batch import BatchProgress, MonthBatch
from billtrack.domain.model.employee import Employee
from billtrack.domain.model.errors import DuplicateInvoice, NotReady, ValidationFailed
from billtrack.domain.model.invoice import Invoice, invoice_period
from billtrack.domain.model.numbering import InvoiceNumber
from billtrack.domain.model.organisation import Department, Project
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import FieldErrors
from billtrack.domain.model.views import EmployeeView, InvoiceView
from billtrack.domain.model.workday import Workday
from billtrack.domain.usecases.lookups import locked, referenced, require_active, require_view
from billtrack.domain.usecases.pipeline import Handoff, dispatch_render, document_of
from billtrack.domain.usecases.views import employee_view
from billtrack.ports.clock import Clock
from billtrack.ports.jobs import RenderJob
from billtrack.ports.queries import InvoiceQuery, Page
from billtrack.ports.queues import RenderQueue
from billtrack.ports.rendering import Issuer
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
    issued = _issue(details, uow=uow, clock=clock)
    assert issued is not None, "only a run that asks for hours gets no invoice"
    dispatch_render(issued.job, uow=uow, queue=queue, clock=clock)
    return issued.view


@dataclass(frozen=True, slots=True)
class _Issued:
    view: InvoiceView
    job: RenderJob
    """The render it owes."""
    workdays: Sequence[Workday]
    """The month's workdays its totals were computed from."""


def _issue(
    details: InvoiceDetails,
    *,
    uow: UnitOfWork,
    clock: Clock,
    batch_id: UUID | None = None,
    with_hours_only: bool = False,
    employee_view_of: Callable[[UnitOfWork, Employee], EmployeeView] = employee_view,
    published: bool = False,
) -> _Issued | None:
    """The invoice and its owed render, committed; None when `with_hours_only` and the month
    has no hours. With `published`, the render is recorded as published now, for a caller that
    publishes it right after (`dispatch_render(..., recorded=True)`)."""
    with uow:
        period, employee = _check(uow, clock, details)
        (month,) = uow.months.lock((employee.id, period))
        month.ensure_can_invoice()
        if with_hours_only and not month.workdays:
            return None
        today = clock.today()
        invoice = Invoice.issue(
            id=uuid4(),
            employee_id=employee.id,
            period=period,
            number=InvoiceNumber(today.year, uow.invoice_numbers.next(today.year)),
            totals=month.totals(employee.salary),
            today=today,
            now=clock.now(),
            batch_id=batch_id,
        )
        uow.invoices.add(invoice)
        job = RenderJob(invoice.id, invoice.revision)
        if published:
            uow.outbox.put(job, published_at=invoice.created_at)
        else:
            uow.outbox.put(job)
        view = InvoiceView(invoice, employee_view_of(uow, employee))
        uow.commit()
    return _Issued(view, job, month.workdays)


class _RunViews:
    """The views of a month run's employees, each department and project looked up once in the
    run rather than once per invoice (the views only show the run's answer)."""

    def __init__(self) -> None:
        self._departments: dict[UUID, Department] = {}
        self._projects: dict[UUID, Project] = {}

    def __call__(self, uow: UnitOfWork, employee: Employee) -> EmployeeView:
        if employee.department_id not in self._departments:
            self._departments.update(uow.departments.get_many({employee.department_id}))
        if employee.project_id not in self._projects:
            self._projects.update(uow.projects.get_many({employee.project_id}))
        return EmployeeView(
            employee,
            self._departments[employee.department_id],
            self._projects[employee.project_id],
        )


@dataclass(frozen=True, slots=True)
class MonthRun:
    batch: MonthBatch
    created: tuple[InvoiceView, ...]
    """What this call issued (a resumed run issues only what was still owed)."""
    already_invoiced: int


def start_month_run(*, year: int, month: int, uow: UnitOfWork, clock: Clock) -> MonthBatch:
    """A month-end run, recorded before it starts, so its progress can be followed."""
    period = invoice_period(year, month, clock.today())
    with uow:
        total = len(uow.employees.active_ids())
        batch = MonthBatch(id=uuid4(), created_at=clock.now(), period=period, total=total)
        uow.batches.add(batch)
        uow.commit()
    return batch


def continue_month_run(
    batch_id: UUID,
    *,
    uow: UnitOfWork,
    clock: Clock,
    queue: RenderQueue,
    with_hours_only: bool = True,
    issuer: Issuer | None = None,
    handoff: Handoff | None = None,
) -> MonthRun:
    """Invoice every active employee who has no invoice for the run's month yet (with
    `with_hours_only`, only those who logged hours in it; the others count as skipped).

    Each invoice is its own transaction, so a run stopped halfway (a crash) is finished by
    continuing it, without a duplicate: whoever has an invoice already is skipped. That one
    transaction also records its render as published, so publishing costs none; and with a
    `handoff` (and the `issuer` the PDFs show) each invoice's document is left for its render.
    """
    with uow:
        batch = require_active(uow.batches.get(batch_id), "month-end run", batch_id)
        employee_ids = list(uow.employees.active_ids())
    created: list[InvoiceView] = []
    already_invoiced = 0
    views = _RunViews()
    for employee_id in employee_ids:
        details = InvoiceDetails(
            year=batch.period.year, month=batch.period.month, employee_id=employee_id
        )
        try:
            issued = _issue(
                details,
                uow=uow,
                clock=clock,
                batch_id=batch.id,
                with_hours_only=with_hours_only,
                employee_view_of=views,
                published=True,
            )
        except DuplicateInvoice:
            already_invoiced += 1
            continue
        except ValidationFailed:
            # The period was checked when the run started, so only the employee can be wrong:
            # they left (were deleted) after the run listed them, and get no invoice.
            continue
        if issued is not None:
            invoice = issued.view.invoice
            if handoff is not None and issuer is not None:
                document = document_of(invoice, issued.view.employee, issued.workdays, issuer)
                handoff.leave_issued(invoice, document)
            dispatch_render(issued.job, uow=uow, queue=queue, clock=clock, recorded=True)
            created.append(issued.view)
    with uow:
        issued_by_run = sum(i.is_active for i in uow.invoices.of_batch(batch.id))
        batch = batch.invoiced(
            total=len(employee_ids), skipped=len(employee_ids) - issued_by_run, at=clock.now()
        )
        uow.batches.update(batch)
        uow.commit()
    log.info(
        "month-end run %s for %s: %d invoiced now, %d skipped in all",
        batch.id,
        batch.period,
        len(created),
        batch.skipped,
        extra={"batch_id": str(batch.id)},
    )
    return MonthRun(batch, tuple(created), already_invoiced)


def invoice_month(
    *,
    year: int,
    month: int,
    uow: UnitOfWork,
    clock: Clock,
    queue: RenderQueue,
    issuer: Issuer | None = None,
    handoff: Handoff | None = None,
) -> MonthRun:
    """The month-end batch of the library and the demo: an invoice for every active employee
    who has none for the month yet, hours or not."""
    batch = start_month_run(year=year, month=month, uow=uow, clock=clock)
    return continue_month_run(
        batch.id,
        uow=uow,
        clock=clock,
        queue=queue,
        with_hours_only=False,
        issuer=issuer,
        handoff=handoff,
    )


def month_run_progress(batch_id: UUID, *, uow: UnitOfWork) -> BatchProgress:
    with uow:
        batch = require_active(uow.batches.get(batch_id), "month-end run", batch_id)
        return BatchProgress.of(batch, uow.invoices.of_batch(batch_id))


def unfinished_month_runs(*, uow: UnitOfWork, started_before: datetime) -> list[UUID]:
    """Runs started before `started_before` that never considered every employee: a crash
    stopped them, and continuing them finishes the work."""
    with uow:
        return [b.id for b in uow.batches.unfinished() if b.created_at < started_before]


def get_invoice(invoice_id: UUID, *, uow: UnitOfWork) -> InvoiceView:
    with uow:
        return require_view(uow.views.invoice(invoice_id), "invoice", invoice_id)


def list_invoices(query: InvoiceQuery, *, uow: UnitOfWork) -> Page[InvoiceView]:
    with uow:
        return uow.views.invoices(query)


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
