"""The invoice pipeline after the invoice is committed: publish, render and store, mail.

Every step is safe to repeat: a job may be delivered twice or out of order, and a worker may die
between any two lines. What is owed stays in the outbox until it is done, so nothing is lost.
"""

from __future__ import annotations

import enum
import logging
from datetime import timedelta

from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.presentation import month_label
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


def dispatch_render(job: RenderJob, *, uow: UnitOfWork, queue: RenderQueue, clock: Clock) -> bool:
    """Publish a render the outbox owes. A queue that is down loses nothing: the job stays owed
    and `republish_owed` sends it later. Answers whether it was published."""
    try:
        queue.publish(job)
    except DependencyUnavailable:
        log.warning("invoice queue unavailable; %s stays in the outbox", job)
        return False
    except Exception:
        # Published after the invoice committed: whatever went wrong, the outbox still owes the
        # render and the sweeper tries again, so the operation that issued it has succeeded.
        log.exception("publishing %s failed; it stays in the outbox", job)
        return False
    if job.revision is not None:
        with uow:
            uow.outbox.mark_published(job.invoice_id, job.revision, clock.now())
            uow.commit()
    return True


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


class RenderOutcome(enum.Enum):
    RENDERED = "rendered"
    ALREADY_DONE = "already_done"
    STALE = "stale"


def render_invoice(
    job: RenderJob,
    *,
    uow: UnitOfWork,
    renderer: PdfRenderer,
    storage: ObjectStorage,
    clock: Clock,
    mail_queue: MailQueue,
    issuer: Issuer,
) -> RenderOutcome:
    """The worker's step: render the PDF of one invoice revision, store it, mark the invoice
    generated, and ask for the mail. A failure raises, so the queue delivers the job again.
    A job without a revision (the original service's message) renders the current one."""
    with uow:
        invoice = uow.invoices.get(job.invoice_id)
        revision = job.revision if job.revision is not None or invoice is None else invoice.revision
        if invoice is None or revision is None or not invoice.is_renderable(revision):
            if revision is not None:
                uow.outbox.settle(job.invoice_id, revision)
                uow.commit()
            document = None
        else:
            document = invoice_document(invoice, uow=uow, issuer=issuer)
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
    mail_queue.publish(mail_job(generated, revision, generated.mail_requested, document=document))
    return RenderOutcome.RENDERED


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


def invoice_document(invoice: Invoice, *, uow: UnitOfWork, issuer: Issuer) -> InvoiceDocument:
    """What the PDF shows. The month's workdays are those the totals were computed from: an
    invoice closes its month, so they cannot have changed since."""
    view = employee_views_by_id(uow, [invoice.employee_id])[invoice.employee_id]
    workdays = sorted(
        uow.workdays.active_in_month(invoice.employee_id, invoice.period), key=lambda w: w.day
    )
    totals = invoice.totals
    return InvoiceDocument(
        number=str(invoice.number),
        issue_date=invoice.issued_on,
        period_label=month_label(invoice.period),
        employee_name=view.employee.full_name,
        employee_email=view.employee.email.value,
        department=view.department.name.value,
        project=view.project.name.value,
        salary=totals.salary.amount,
        weekdays=totals.weekdays,
        total_hours=totals.total_hours,
        hourly_rate=totals.hourly_rate,
        amount=totals.amount.amount,
        workdays=tuple((w.day, w.hours.value) for w in workdays),
        issuer=issuer,
    )
