"""The invoice pipeline after the invoice is committed: publish, render and store, mail.

Every step is safe to repeat: a job may be delivered twice or out of order, and a worker may die
between any two lines. What is owed stays in the outbox until it is done, so nothing is lost.

Per invoice the steps take as few transactions as that allows, and run outside them otherwise:

- issuing commits the invoice, its owed render and that render's publication time in one
  transaction (`continue_month_run`), so publishing it costs none;
- a render prints and stores the PDF outside any transaction, then records it and settles the
  outbox in one. What it prints it reads first in a transaction that only reads (on SQLite it
  does not wait for the write lock), unless this process issued the invoice a moment ago;
- a mail claims its send in one transaction and records it in another (see `mailing`).

When one process takes several steps of an invoice, each leaves what it loaded for the next in
the application's `Handoff`: the render prints the document the issuing built, and the mail
sends the document and PDF the render had in hand, reading neither again. A step handled by
another process (the Lambdas) finds nothing there and loads what it needs, as it always could;
each step still reads the invoice and decides in its own transaction, so what the handoff holds
saves a load, never a check.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypeVar
from uuid import UUID

from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.presentation import month_label
from billtrack.domain.model.views import EmployeeView
from billtrack.domain.model.workday import Workday
from billtrack.domain.usecases.lookups import locked_invoice
from billtrack.domain.usecases.views import employee_views_by_id
from billtrack.ports.clock import Clock
from billtrack.ports.errors import DependencyUnavailable
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.queues import MailQueue, RenderQueue
from billtrack.ports.rendering import InvoiceDocument, Issuer, PdfRenderer
from billtrack.ports.storage import ObjectStorage
from billtrack.ports.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
PDF_CONTENT_TYPE = "application/pdf"
T = TypeVar("T")


def dispatch_render(
    job: RenderJob,
    *,
    uow: UnitOfWork,
    queue: RenderQueue,
    clock: Clock,
    recorded: bool = False,
) -> bool:
    """Publish a render the outbox owes. A queue that is down loses nothing: the job stays owed
    and `republish_owed` sends it later. Answers whether it was published.

    `recorded` says the outbox already holds the publication time (written with the job, in the
    transaction that issued it), so a publication costs no transaction; one that fails then
    clears it, so the job is owed at once, as one never published is."""
    try:
        queue.publish(job)
    except DependencyUnavailable:
        log.warning("invoice queue unavailable; %s stays in the outbox", job)
        _unpublished(job, uow, recorded=recorded)
        return False
    except Exception:
        # Published after the invoice committed: whatever went wrong, the outbox still owes the
        # render and the sweeper tries again, so the operation that issued it has succeeded.
        log.exception("publishing %s failed; it stays in the outbox", job)
        _unpublished(job, uow, recorded=recorded)
        return False
    if job.revision is not None and not recorded:
        with uow:
            uow.outbox.mark_published(job.invoice_id, job.revision, clock.now())
            uow.commit()
    return True


def _unpublished(job: RenderJob, uow: UnitOfWork, *, recorded: bool) -> None:
    if not recorded or job.revision is None:
        return
    try:
        with uow:
            uow.outbox.mark_published(job.invoice_id, job.revision, None)
            uow.commit()
    except Exception:
        # Still owed, only later: the sweeper publishes it once its recorded time is old enough.
        log.exception("clearing the publication time of %s failed", job)


def republish_owed(
    *,
    uow: UnitOfWork,
    queue: RenderQueue,
    clock: Clock,
    older_than: timedelta = timedelta(minutes=5),
    limit: int = 100,
) -> int:
    """The sweeper: publish again what was never published or has waited longer than `older_than`.
    Answers how many jobs were published."""
    with uow:
        owed = list(uow.outbox.due(clock.now() - older_than, limit))
    return sum(dispatch_render(job, uow=uow, queue=queue, clock=clock) for job in owed)


# -- what one step leaves for the next ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedDocument:
    """An invoice as it was issued, with what its PDF shows."""

    invoice: Invoice
    document: InvoiceDocument


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    """A revision's PDF as it was stored, with the document it shows."""

    document: InvoiceDocument
    pdf_key: str
    pdf: bytes


class _Shelf(Generic[T]):
    """At most `capacity` items by key, the oldest dropped first; each is taken once."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[tuple[UUID, int], T] = OrderedDict()
        self._lock = threading.Lock()

    def leave(self, key: tuple[UUID, int], item: T) -> None:
        if self._capacity < 1:
            return
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def take(self, key: tuple[UUID, int]) -> T | None:
        with self._lock:
            return self._items.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class Handoff:
    """What a step of the pipeline leaves in memory for the next step of the same invoice, when
    this process takes that one too: the document an issued invoice's PDF shows, for its render;
    the document and the stored PDF, for its mail. Keyed by invoice and revision, each taken
    once; bounded (the oldest are dropped), so a step that another process takes, or that never
    comes, costs only the memory of a few documents.

    Only ever a shortcut: a step that finds nothing here loads what it needs, and every step
    still reads the invoice and decides in its own transaction, so what it was left can make it
    skip a load, never a check. What it was left is what the previous step loaded a moment
    before: an employee renamed in between is shown under the old name, as if renamed a moment
    later."""

    def __init__(self, *, documents: int = 1024, pdfs: int = 128) -> None:
        self._documents = _Shelf[IssuedDocument](documents)
        self._pdfs = _Shelf[RenderedPdf](pdfs)

    def leave_issued(self, invoice: Invoice, document: InvoiceDocument) -> None:
        self._documents.leave((invoice.id, invoice.revision), IssuedDocument(invoice, document))

    def take_issued(self, invoice_id: UUID, revision: int | None) -> IssuedDocument | None:
        return None if revision is None else self._documents.take((invoice_id, revision))

    def leave_pdf(self, invoice_id: UUID, revision: int, rendered: RenderedPdf) -> None:
        self._pdfs.leave((invoice_id, revision), rendered)

    def take_pdf(self, invoice_id: UUID, revision: int) -> RenderedPdf | None:
        return self._pdfs.take((invoice_id, revision))

    @property
    def held(self) -> tuple[int, int]:
        """How many documents and PDFs are waiting to be taken."""
        return len(self._documents), len(self._pdfs)


# -- render ------------------------------------------------------------------------------------


class RenderOutcome(enum.Enum):
    RENDERED = "rendered"
    ALREADY_DONE = "already_done"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class _Reading:
    """What a render job found: the invoice (None when there is none), the revision asked for,
    and what its PDF shows when its render is owed (else None)."""

    invoice: Invoice | None
    revision: int | None
    document: InvoiceDocument | None


def render_invoice(
    job: RenderJob,
    *,
    uow: UnitOfWork,
    renderer: PdfRenderer,
    storage: ObjectStorage,
    clock: Clock,
    mail_queue: MailQueue,
    issuer: Issuer,
    reader: UnitOfWork | None = None,
    handoff: Handoff | None = None,
) -> RenderOutcome:
    """The worker's step: render the PDF of one invoice revision, store it, mark the invoice
    generated, and ask for the mail. A failure raises, so the queue delivers the job again.
    A job without a revision (the original service's message) renders the current one.

    What to print is read with `reader` (a unit of work that only reads; by default `uow`), or
    taken from `handoff` where the invoice was issued in this process; the render runs outside
    any transaction, and one transaction of `uow` records it."""
    issued = handoff.take_issued(job.invoice_id, job.revision) if handoff is not None else None
    if issued is not None:
        # Issued by this process a moment ago: printed without reading it first, as the
        # transaction that records the PDF decides whether it is still owed.
        reading = _Reading(issued.invoice, issued.invoice.revision, issued.document)
    else:
        first = reader if reader is not None else uow
        reading = _read(job, first, issuer, settle=first is uow)
        if reading.document is None and first is not uow:
            # Nothing to print as far as the reader saw: look again in a transaction that
            # writes, which settles the outbox (or finds the render owed after all, in a race).
            reading = _read(job, uow, issuer, settle=True)
    invoice, revision, document = reading.invoice, reading.revision, reading.document
    if invoice is None or revision is None or document is None:
        if (
            invoice is not None
            and revision is not None
            and invoice.needs_mail(revision, invoice.mail_requested)
        ):
            # Rendered before, but the mail request may have died with the worker that did it.
            mail_queue.publish(mail_job(invoice, revision, invoice.mail_requested, document=None))
            return RenderOutcome.ALREADY_DONE
        return RenderOutcome.STALE
    pdf = renderer.render(document)
    key = invoice.pdf_key_for(revision)
    # The key is fixed by the revision, so a second delivery overwrites the same object.
    storage.put(key, pdf, PDF_CONTENT_TYPE)
    with uow:
        current = locked_invoice(uow, job.invoice_id)
        if current is None:
            return RenderOutcome.STALE
        generated = current.generated(revision=revision, pdf_key=key, at=clock.now())
        uow.outbox.settle(job.invoice_id, revision)
        if generated is current:
            uow.commit()
            return RenderOutcome.STALE
        uow.invoices.update(generated)
        uow.commit()
    if handoff is not None:
        handoff.leave_pdf(invoice.id, revision, RenderedPdf(document, key, pdf))
    mail_queue.publish(mail_job(generated, revision, generated.mail_requested, document=document))
    return RenderOutcome.RENDERED


def _read(job: RenderJob, uow: UnitOfWork, issuer: Issuer, *, settle: bool) -> _Reading:
    """The invoice `job` is for, the revision it asks for, and what the PDF shows if that render
    is owed. With `settle`, a render not owed is settled."""
    with uow:
        view = uow.views.invoice(job.invoice_id)
        invoice = view.invoice if view is not None else uow.invoices.get(job.invoice_id)
        revision = job.revision if job.revision is not None or invoice is None else invoice.revision
        if invoice is None or revision is None or not invoice.is_renderable(revision):
            if settle and revision is not None:
                uow.outbox.settle(job.invoice_id, revision)
                uow.commit()
            return _Reading(invoice, revision, None)
        workdays = uow.workdays.active_in_month(invoice.employee_id, invoice.period)
        employee = view.employee if view is not None else _employee_view(uow, invoice)
        return _Reading(invoice, revision, document_of(invoice, employee, workdays, issuer))


def mail_job(
    invoice: Invoice, revision: int, send: int, *, document: InvoiceDocument | None
) -> MailJob:
    """The request of send `send` of a rendered revision, with what the original emailer's
    messages carried when the document is at hand."""
    if document is None:
        return MailJob(invoice.id, revision, send)
    return MailJob(
        invoice.id,
        revision,
        send,
        recipient=document.employee_email,
        employee_name=document.employee_name,
        file_name=attachment_name(document.number),
    )


def attachment_name(number: str) -> str:
    return f"invoice-{number}.pdf"


def record_render_failure(job: RenderJob, reason: str, *, uow: UnitOfWork) -> None:
    """A render gave up (the queue moved it to its dead-letter queue): show `failed` and why."""
    with uow:
        invoice = locked_invoice(uow, job.invoice_id)
        revision = job.revision if job.revision is not None or invoice is None else invoice.revision
        if invoice is not None and revision is not None:
            failed = invoice.failed(revision=revision, reason=reason)
            if failed is not invoice:
                uow.invoices.update(failed)
            uow.outbox.settle(job.invoice_id, revision)
        uow.commit()


# -- what the PDF shows ---------------------------------------------------------------------------


def invoice_document(invoice: Invoice, *, uow: UnitOfWork, issuer: Issuer) -> InvoiceDocument:
    """What the PDF shows, loaded in `uow`."""
    workdays = uow.workdays.active_in_month(invoice.employee_id, invoice.period)
    return document_of(invoice, _employee_view(uow, invoice), workdays, issuer)


def _employee_view(uow: UnitOfWork, invoice: Invoice) -> EmployeeView:
    view = uow.views.invoice(invoice.id) if invoice.is_active else None
    if view is not None:
        return view.employee
    return employee_views_by_id(uow, [invoice.employee_id])[invoice.employee_id]


def document_of(
    invoice: Invoice, employee: EmployeeView, workdays: Sequence[Workday], issuer: Issuer
) -> InvoiceDocument:
    """What the PDF of `invoice` shows, from what was loaded. The month's workdays are those the
    totals were computed from: an invoice closes its month, so they cannot have changed since."""
    totals = invoice.totals
    return InvoiceDocument(
        number=str(invoice.number),
        issue_date=invoice.issued_on,
        period_label=month_label(invoice.period),
        employee_name=employee.employee.full_name,
        employee_email=employee.employee.email.value,
        department=employee.department.name.value,
        project=employee.project.name.value,
        salary=totals.salary.amount,
        weekdays=totals.weekdays,
        total_hours=totals.total_hours,
        hourly_rate=totals.hourly_rate,
        amount=totals.amount.amount,
        workdays=tuple((w.day, w.hours.value) for w in sorted(workdays, key=lambda w: w.day)),
        issuer=issuer,
    )
