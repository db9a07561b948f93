"""The mail step: each send of an invoice revision reaches its employee once.

A send is the pair (revision, send number): send 1 follows the render, each "send again" asks for
the next. Mail has no transaction to join with the database's, so a send goes in three steps:

1. **Claim** it in a transaction: the invoice records that a worker began sending it. A second
   worker (a duplicate delivery, a race) that finds the claim fresh does not send; it fails its
   delivery, so the queue offers the job again later, when the first worker has finished.
2. **Send** it. A server that cannot be reached, a 4xx answer or a time-out (`DependencyUnavailable`)
   means the server did not take it: the claim is released and the delivery fails, to be retried
   with the queue's backoff. A 5xx answer or a bad address (`MailRejected`) is final: the invoice
   shows `mailStatus: failed` with the server's words, and nothing is retried.
3. **Record** it as sent in a transaction, which also clears the claim.

A redelivered job, a second render after a `PUT` (a new revision owes its own send) and two
workers racing all find the send recorded or claimed, and send nothing.

What remains is the moment between the server's acceptance of the message and step 3. A worker
that dies there leaves its claim behind; the next delivery of the job finds it older than
`CLAIM_LEASE` and, unable to know whether the mail went out, records the send as failed ("the
worker stopped while sending") instead of sending again, so a person can look and send again on
purpose. The same holds for a worker that dies between steps 1 and 2, when the mail did not go out:
reported, not duplicated. And a connection that breaks after the server accepted the message but
before its answer arrived looks like an unreachable server and is retried: that, and only that, can
deliver a mail twice. No protocol closes these windows: the server's acceptance and our record
are two systems with no shared commit. They are as small as one network round trip, and a
duplicate carries the same `Message-ID` (fixed per revision and send), so a mail program sees it
for what it is.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

from billtrack.domain.model.invoice import Invoice
from billtrack.domain.usecases.lookups import locked_invoice, require_active
from billtrack.domain.usecases.pipeline import Handoff, invoice_document, mail_job
from billtrack.ports.clock import Clock
from billtrack.ports.errors import DependencyUnavailable, MailRejected
from billtrack.ports.jobs import MailJob
from billtrack.ports.mail import InvoiceMailComposer, Mailer
from billtrack.ports.queues import MailQueue
from billtrack.ports.rendering import Issuer
from billtrack.ports.storage import ObjectStorage
from billtrack.ports.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
CLAIM_LEASE = timedelta(minutes=10)
"""How long a claim is taken to mean "a worker is sending": longer than any SMTP conversation."""
UNKNOWN_OUTCOME = (
    "the worker stopped while sending this mail, so whether it went out is unknown; "
    "send it again if the employee did not receive it"
)


class MailOutcome(enum.Enum):
    SENT = "sent"
    NOT_OWED = "not_owed"
    """Sent before, superseded by a newer revision or send, or the invoice is gone."""
    REJECTED = "rejected"
    UNKNOWN = "unknown"


class SendInProgress(Exception):
    """Another worker is sending this mail now; try again later."""


def message_id(invoice_id: UUID, revision: int, send: int) -> str:
    return f"<invoice-{invoice_id}-r{revision}-s{send}@billtrack>"


def mail_invoice(
    job: MailJob,
    *,
    uow: UnitOfWork,
    storage: ObjectStorage,
    mailer: Mailer,
    composer: InvoiceMailComposer,
    clock: Clock,
    issuer: Issuer,
    handoff: Handoff | None = None,
) -> MailOutcome:
    """Mail send `job.send` of revision `job.revision` of the invoice's PDF to its employee.

    The document and the PDF are those the render of this process left in `handoff`, if it left
    them (and the PDF is still stored: a mail carries what storage holds); else the document is
    loaded in the claim's transaction and the PDF read from storage."""
    revision, send = job.revision, job.send
    with uow:
        # Claimed under the month's lock, read again once held: two workers never both claim.
        invoice = locked_invoice(uow, job.invoice_id)
        if invoice is None or not invoice.needs_mail(revision, send) or invoice.pdf_key is None:
            return MailOutcome.NOT_OWED
        now = clock.now()
        if invoice.mail_claimed_at is not None:
            if now - invoice.mail_claimed_at < CLAIM_LEASE:
                raise SendInProgress(f"send {send} of invoice {invoice.number} is under way")
            uow.invoices.update(invoice.mail_failed(revision, send, reason=UNKNOWN_OUTCOME))
            uow.commit()
            log.error("invoice %s: %s", invoice.number, UNKNOWN_OUTCOME)
            return MailOutcome.UNKNOWN
        uow.invoices.update(invoice.mail_claimed(revision, send, now))
        rendered = handoff.take_pdf(invoice.id, revision) if handoff is not None else None
        if rendered is not None and rendered.pdf_key != invoice.pdf_key:
            rendered = None
        if rendered is None:
            document = invoice_document(invoice, uow=uow, issuer=issuer)
        else:
            document = rendered.document
        uow.commit()
    pdf_key = invoice.pdf_key
    try:
        # What the render left is the stored object's content, if the object is still there.
        if rendered is not None and storage.exists(pdf_key):
            pdf = rendered.pdf
        else:
            pdf = storage.get(pdf_key)
        message = composer.compose(document, pdf, message_id=message_id(invoice.id, revision, send))
        mailer.send(message)
    except MailRejected as rejected:
        reason = rejected.reason
        _settle(job, uow, lambda current: current.mail_failed(revision, send, reason=reason))
        log.warning("invoice %s: the mail server refused it: %s", invoice.number, reason)
        return MailOutcome.REJECTED
    except Exception:
        # Not handed over (storage or server unreachable, a template error): owed again. A
        # worker stopped outright (SystemExit, a signal) leaves its claim, as a killed one does.
        _settle(job, uow, lambda current: current.mail_released(revision, send))
        raise
    _settle(job, uow, lambda current: current.mailed(revision, send, at=clock.now()))
    return MailOutcome.SENT


def record_mail_failure(job: MailJob, reason: str, *, uow: UnitOfWork, clock: Clock) -> None:
    """A mail gave up after its last attempt (the server stayed unreachable): show why. A job
    given up while another worker holds a fresh claim on its send (a duplicate delivery) leaves
    the send to that worker."""
    with uow:
        current = uow.invoices.get(job.invoice_id)
    claimed = current.mail_claimed_at if current is not None else None
    if claimed is not None and clock.now() - claimed < CLAIM_LEASE:
        log.info("%s given up while another worker sends it; that one records it", job)
        return
    log.error(
        "gave up mailing invoice %s revision %s, send %s: %s",
        job.invoice_id,
        job.revision,
        job.send,
        reason,
    )
    _settle(job, uow, lambda current: current.mail_failed(job.revision, job.send, reason=reason))


def republish_owed_mails(
    *,
    uow: UnitOfWork,
    queue: MailQueue,
    clock: Clock,
    older_than: timedelta = timedelta(minutes=5),
    limit: int = 100,
) -> int:
    """The sweeper's half for mail: ask again for every send owed longer than `older_than` (its
    job was lost with a process, or the queue was down when it was asked for), and for every
    send whose claim has outlived its lease, so its delivery records the unknown outcome.
    Answers how many were asked for."""
    now = clock.now()
    with uow:
        owed = list(uow.invoices.owing_mail(now - older_than, now - CLAIM_LEASE, limit))
    asked = 0
    for invoice in owed:
        job = mail_job(invoice, invoice.revision, invoice.mail_requested, document=None)
        try:
            queue.publish(job)
        except DependencyUnavailable:
            log.warning("mail queue unavailable; %s stays owed", job)
            break
        revision, send = job.revision, job.send
        _settle(job, uow, lambda current: current.mail_asked(revision, send, now))  # noqa: B023
        asked += 1
    return asked


def send_again(invoice_id: UUID, *, uow: UnitOfWork, queue: MailQueue, clock: Clock) -> Invoice:
    """Mail the current PDF once more, as a new send; a conflict until the PDF is stored."""
    with uow:
        invoice = require_active(locked_invoice(uow, invoice_id), "invoice", invoice_id)
        again = invoice.mail_again(clock.now())
        uow.invoices.update(again)
        uow.commit()
    job = mail_job(again, again.revision, again.mail_requested, document=None)
    try:
        queue.publish(job)
    except DependencyUnavailable:
        # No outbox keeps mails: undo the request, so the answer (503) tells the whole truth.
        _settle(
            job,
            uow,
            lambda current: current.mail_withdrawn(again.mail_requested, error=invoice.mail_error),
        )
        raise
    return again


def _settle(job: MailJob, uow: UnitOfWork, change: Callable[[Invoice], Invoice]) -> None:
    """Apply `change` to the invoice as it is now, in a transaction of its own."""
    with uow:
        current = locked_invoice(uow, job.invoice_id)
        if current is None:
            return
        changed = change(current)
        if changed is not current:
            uow.invoices.update(changed)
            uow.commit()
