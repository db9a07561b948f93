"""The mail step's claim / send / record protocol, in memory: each send of an invoice revision
reaches its employee once, and the invoice says how it went (`mail_status`, `mail_error`).

The SMTP adapter and the whole pipeline against a real server are in tests/integration/mail.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from billtrack.adapters.jinja2.invoice_mail import JinjaInvoiceMailComposer
from billtrack.adapters.memory.mailer import InMemoryMailer
from billtrack.domain.model.errors import NotFound, NotReady
from billtrack.domain.model.invoice import (
    MAX_ERROR_LENGTH,
    Invoice,
    InvoiceStatus,
    MailStatus,
)
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.views import InvoiceView
from billtrack.domain.usecases import mailing
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.mailing import (
    CLAIM_LEASE,
    UNKNOWN_OUTCOME,
    MailOutcome,
    SendInProgress,
    message_id,
)
from billtrack.domain.usecases.pipeline import RenderOutcome
from billtrack.entrypoints.worker.runner import Worker
from billtrack.ports.errors import DependencyUnavailable, MailRejected
from billtrack.ports.jobs import MailJob
from billtrack.ports.mail import MailMessage
from tests.unit.usecases.fixtures import World

REFUSAL = "ada@example.com: 550 5.1.1 <ada@example.com>: no such user"


class ScriptedMailer(InMemoryMailer):
    """The in-memory mailer, with the answers a mail server may give, one per send, in order:
    None (taken), or an exception to raise; after them, every message is taken."""

    def __init__(self, *answers: Exception | None) -> None:
        super().__init__()
        self.answers = list(answers)
        self.tried = 0

    def send(self, message: MailMessage, /) -> None:
        self.tried += 1
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer
        super().send(message)


def rendered(world: World) -> tuple[InvoiceView, MailJob]:
    """Ada's October 2024 invoice, rendered; and the mail job the render asked for (taken off
    the queue, so the test delivers it itself)."""
    employee = world.employee(firstname="Ada", lastname="Lovelace", email="ada@example.com")
    world.workday(employee.employee.id, date(2024, 10, 1), "8")
    view = world.invoice(employee.employee.id, 2024, 10)
    assert world.run_render_worker() == [RenderOutcome.RENDERED]
    (delivery,) = world.mail_queue.receive()
    world.mail_queue.acknowledge(delivery)
    assert (delivery.job.invoice_id, delivery.job.revision, delivery.job.send) == (
        view.invoice.id,
        1,
        1,
    )
    return view, delivery.job


def mail(world: World, job: MailJob) -> MailOutcome:
    """The mail step with this world's ports, answering its outcome (the application's `mail`
    answers only whether the mail went out)."""
    return mailing.mail_invoice(
        job,
        uow=world.uow,
        storage=world.storage,
        mailer=world.mailer,
        composer=JinjaInvoiceMailComposer(),
        clock=world.clock,
        issuer=world.issuer,
    )


def claim(
    world: World, invoice_id: UUID, *, ago: timedelta, revision: int = 1, send: int = 1
) -> None:
    """Leave behind the claim of a worker that began sending `ago` and has not finished."""
    invoice = world.stored_invoice(invoice_id)
    claimed = invoice.mail_claimed(revision, send, world.clock.now() - ago)
    assert claimed is not invoice
    with world.uow:
        world.uow.invoices.update(claimed)
        world.uow.commit()


def move_to_september(world: World, view: InvoiceView) -> None:
    details = InvoiceDetails(year=2024, month=9, employee_id=view.invoice.employee_id)
    world.app.change_invoice(view.invoice.id, details)


# -- the claim --------------------------------------------------------------------------------------


def test_a_send_is_claimed_while_it_is_handed_to_the_server_and_recorded_after() -> None:
    world = World()
    view, job = rendered(world)
    seen: list[Invoice] = []

    class Watching:
        def send(self, message: MailMessage, /) -> None:
            seen.append(world.stored_invoice(view.invoice.id))
            world.mailer.send(message)

    world.clock.advance(timedelta(seconds=5))
    outcome = mailing.mail_invoice(
        job,
        uow=world.uow,
        storage=world.storage,
        mailer=Watching(),
        composer=JinjaInvoiceMailComposer(),
        clock=world.clock,
        issuer=world.issuer,
    )

    assert outcome is MailOutcome.SENT
    (during,) = seen
    assert during.mail_claimed_at == world.clock.now()
    assert during.mail_status is MailStatus.PENDING
    after = world.stored_invoice(view.invoice.id)
    assert after.mail_claimed_at is None
    assert (after.mail_requested, after.mail_sent, after.mailed_revision) == (1, 1, 1)
    assert after.mailed_at == world.clock.now()
    assert after.mail_status is MailStatus.SENT
    (message,) = world.mailer.sent
    assert message.message_id == message_id(view.invoice.id, 1, 1)
    assert message.message_id == f"<invoice-{view.invoice.id}-r1-s1@billtrack>"


def test_a_fresh_claim_means_another_worker_is_sending_so_nothing_is_sent() -> None:
    world = World()
    view, job = rendered(world)
    claim(world, view.invoice.id, ago=CLAIM_LEASE - timedelta(microseconds=1))
    before = world.stored_invoice(view.invoice.id)

    with pytest.raises(SendInProgress):
        mail(world, job)

    assert world.mailer.sent == []
    assert world.stored_invoice(view.invoice.id) == before
    assert before.mail_status is MailStatus.PENDING


def test_a_second_worker_arriving_while_the_first_is_sending_sends_nothing() -> None:
    world = World()
    view, job = rendered(world)
    second: list[object] = []

    class FirstWorkersServer:
        def send(self, message: MailMessage, /) -> None:
            try:
                second.append(world.concurrent_app().mail(job))
            except SendInProgress as in_progress:
                second.append(in_progress)
            world.mailer.send(message)

    first = replace(world.app, mailer=FirstWorkersServer()).mail(job)

    assert first is True
    (outcome,) = second
    assert isinstance(outcome, SendInProgress)
    assert len(world.mailer.sent) == 1
    assert world.app.mail(job) is False
    assert world.stored_invoice(view.invoice.id).mail_status is MailStatus.SENT


def test_a_claim_older_than_the_lease_is_reported_unknown_and_not_sent_again() -> None:
    world = World()
    view, job = rendered(world)
    claim(world, view.invoice.id, ago=CLAIM_LEASE)

    assert mail(world, job) is MailOutcome.UNKNOWN

    assert world.mailer.sent == []
    invoice = world.stored_invoice(view.invoice.id)
    assert invoice.mail_status is MailStatus.FAILED
    assert invoice.mail_error == UNKNOWN_OUTCOME
    assert "unknown" in UNKNOWN_OUTCOME
    assert "send it again" in UNKNOWN_OUTCOME
    assert invoice.mail_claimed_at is None
    assert not invoice.needs_mail(1, 1)
    # Acknowledged, not retried: the application answers "not sent" without raising.
    assert world.app.mail(job) is False
    assert mail(world, job) is MailOutcome.NOT_OWED
    assert world.mailer.sent == []


def test_a_worker_that_never_finishes_is_reported_after_the_lease_by_the_worker_pool() -> None:
    world = World()
    view, job = rendered(world)
    world.mail_queue.publish(job)
    claim(world, view.invoice.id, ago=timedelta(0))
    worker = Worker(world.app)

    assert worker.work_once(world.mail_queue) == 1  # the delivery fails: offered again later
    assert world.mail_queue.pending() == [job]
    world.clock.advance(CLAIM_LEASE)
    assert worker.work_once(world.mail_queue) == 1  # now acknowledged, as reported

    assert len(world.mail_queue) == 0
    assert world.mail_queue.dead_letters == []
    assert (worker.report.mailed, worker.report.given_up) == (0, [])
    assert world.mailer.sent == []
    assert world.stored_invoice(view.invoice.id).mail_error == UNKNOWN_OUTCOME


def test_a_duplicate_given_up_while_the_first_worker_sends_does_not_fail_the_sent_mail() -> None:
    world = World()
    view, job = rendered(world)
    duplicate = Worker(world.concurrent_app())

    class SlowServer:
        """While the first worker talks to the server, a second one drains a copy of its job
        (a render delivered again asked for the mail again, say), attempt after attempt."""

        def send(self, message: MailMessage, /) -> None:
            world.mail_queue.publish(job)
            duplicate.drain()
            world.mailer.send(message)

    assert replace(world.app, mailer=SlowServer()).mail(job) is True

    assert len(world.mailer.sent) == 1
    assert duplicate.report.mailed == 0
    invoice = world.stored_invoice(view.invoice.id)
    assert invoice.mail_error is None
    assert invoice.mail_status is MailStatus.SENT


# -- the server's answers ---------------------------------------------------------------------------


def test_a_refusal_fails_the_send_for_good_with_the_servers_words() -> None:
    world = World()
    view, job = rendered(world)
    refusing = ScriptedMailer(MailRejected(REFUSAL))
    world.mailer = refusing

    assert mail(world, job) is MailOutcome.REJECTED

    invoice = world.stored_invoice(view.invoice.id)
    assert invoice.mail_status is MailStatus.FAILED
    assert invoice.mail_error == REFUSAL
    assert invoice.mail_claimed_at is None
    assert invoice.mailed_at is None
    assert not invoice.needs_mail(1, 1)
    assert world.app.get_invoice(view.invoice.id).invoice.mail_error == REFUSAL
    # Not owed any more: a redelivery neither sends nor asks the server again.
    assert mail(world, job) is MailOutcome.NOT_OWED
    assert world.app.mail(job) is False
    assert refusing.tried == 1
    assert refusing.sent == []


def test_a_very_long_refusal_is_kept_to_the_error_length() -> None:
    world = World()
    view, job = rendered(world)
    world.mailer = ScriptedMailer(MailRejected("550 " + "x" * 5000))

    assert mail(world, job) is MailOutcome.REJECTED

    error = world.stored_invoice(view.invoice.id).mail_error
    assert error is not None
    assert len(error) == MAX_ERROR_LENGTH
    assert error.startswith("550 x")


def test_an_unreachable_server_releases_the_claim_and_the_send_stays_owed() -> None:
    world = World()
    view, job = rendered(world)
    world.mailer.available = False

    with pytest.raises(DependencyUnavailable):
        mail(world, job)

    invoice = world.stored_invoice(view.invoice.id)
    assert invoice.mail_claimed_at is None
    assert invoice.mail_error is None
    assert invoice.needs_mail(1, 1)
    assert invoice.mail_status is MailStatus.PENDING
    # The next delivery, even at once (no lease to wait for), sends it.
    world.mailer.available = True
    assert mail(world, job) is MailOutcome.SENT
    assert mail(world, job) is MailOutcome.NOT_OWED
    assert len(world.mailer.sent) == 1


@pytest.mark.parametrize(
    "failure",
    [
        DependencyUnavailable("mail server", "451 4.3.0 try again later"),
        RuntimeError("a template that cannot be rendered"),
    ],
)
def test_any_failure_before_the_server_took_the_mail_leaves_it_owed(failure: Exception) -> None:
    world = World()
    view, job = rendered(world)
    world.mailer = ScriptedMailer(failure, failure)

    for _ in range(2):
        with pytest.raises(type(failure)):
            mail(world, job)
        assert world.stored_invoice(view.invoice.id).needs_mail(1, 1)
    assert mail(world, job) is MailOutcome.SENT
    assert world.stored_invoice(view.invoice.id).mail_status is MailStatus.SENT


def test_a_mail_given_up_shows_failed_with_the_reason() -> None:
    world = World()
    view, job = rendered(world)

    world.app.give_up(job, "DependencyUnavailable: mail server is unavailable: refused")

    invoice = world.stored_invoice(view.invoice.id)
    assert invoice.mail_status is MailStatus.FAILED
    assert invoice.mail_error == "DependencyUnavailable: mail server is unavailable: refused"
    assert mail(world, job) is MailOutcome.NOT_OWED


def test_giving_up_a_stale_or_done_send_changes_nothing() -> None:
    world = World()
    view, job = rendered(world)
    assert mail(world, job) is MailOutcome.SENT
    sent = world.stored_invoice(view.invoice.id)

    world.app.record_mail_failure(job, "too late")
    world.app.record_mail_failure(replace(job, revision=7), "stale")
    world.app.record_mail_failure(MailJob(uuid4(), 1), "unknown invoice")

    assert world.stored_invoice(view.invoice.id) == sent


# -- revisions ------------------------------------------------------------------------------------


def test_a_new_revision_owes_its_own_mail_and_the_old_ones_job_sends_nothing() -> None:
    world = World()
    view, job = rendered(world)
    assert mail(world, job) is MailOutcome.SENT

    move_to_september(world, view)
    assert world.stored_invoice(view.invoice.id).mail_status is MailStatus.PENDING
    assert mail(world, job) is MailOutcome.NOT_OWED
    world.run_render_worker()
    (new_job,) = world.mail_queue.pending()

    assert (new_job.revision, new_job.send) == (2, 1)
    assert mail(world, job) is MailOutcome.NOT_OWED
    assert mail(world, new_job) is MailOutcome.SENT
    assert [m.message_id for m in world.mailer.sent] == [
        message_id(view.invoice.id, 1, 1),
        message_id(view.invoice.id, 2, 1),
    ]
    assert "September 2024" in world.mailer.sent[1].subject
    invoice = world.stored_invoice(view.invoice.id)
    assert (invoice.mailed_revision, invoice.mail_status) == (2, MailStatus.SENT)


def test_a_revision_made_while_its_mail_was_being_sent_owes_the_new_one() -> None:
    world = World()
    view, job = rendered(world)

    class ChangedMeanwhile:
        def send(self, message: MailMessage, /) -> None:
            world.mailer.send(message)
            move_to_september(world, view)

    outcome = mailing.mail_invoice(
        job,
        uow=world.uow,
        storage=world.storage,
        mailer=ChangedMeanwhile(),
        composer=JinjaInvoiceMailComposer(),
        clock=world.clock,
        issuer=world.issuer,
    )

    assert outcome is MailOutcome.SENT
    invoice = world.stored_invoice(view.invoice.id)
    assert invoice.revision == 2
    assert invoice.status is InvoiceStatus.PENDING
    assert invoice.mail_status is MailStatus.PENDING
    assert (invoice.mail_requested, invoice.mail_sent, invoice.mail_claimed_at) == (0, 0, None)
    world.run_render_worker()
    assert world.run_mail_worker() == [True]
    assert len(world.mailer.sent) == 2


# -- sending again ----------------------------------------------------------------------------------


def test_send_again_asks_for_the_next_send_which_goes_out_once() -> None:
    world = World()
    view, job = rendered(world)
    mail(world, job)

    asked = world.app.send_again(view.invoice.id)

    assert asked.invoice.mail_status is MailStatus.PENDING
    assert (asked.invoice.mail_requested, asked.invoice.mail_sent) == (2, 1)
    (again,) = world.mail_queue.pending()
    assert (again.invoice_id, again.revision, again.send) == (view.invoice.id, 1, 2)
    assert world.run_mail_worker() == [True]
    assert mail(world, again) is MailOutcome.NOT_OWED
    assert mail(world, job) is MailOutcome.NOT_OWED
    assert [m.message_id for m in world.mailer.sent] == [
        message_id(view.invoice.id, 1, 1),
        message_id(view.invoice.id, 1, 2),
    ]
    assert world.stored_invoice(view.invoice.id).mail_status is MailStatus.SENT


def test_send_again_after_a_failure_clears_the_error_and_sends() -> None:
    world = World()
    view, job = rendered(world)
    world.mailer = ScriptedMailer(MailRejected(REFUSAL))
    assert mail(world, job) is MailOutcome.REJECTED

    asked = world.app.send_again(view.invoice.id)

    assert asked.invoice.mail_error is None
    assert asked.invoice.mail_status is MailStatus.PENDING
    assert world.run_mail_worker() == [True]
    invoice = world.stored_invoice(view.invoice.id)
    assert (invoice.mail_status, invoice.mail_sent, invoice.mail_requested) == (
        MailStatus.SENT,
        2,
        2,
    )


def test_two_quick_send_agains_send_one_more_mail() -> None:
    world = World()
    view, job = rendered(world)
    mail(world, job)

    world.app.send_again(view.invoice.id)
    world.app.send_again(view.invoice.id)

    assert world.run_mail_worker() == [False, True]
    assert [m.message_id for m in world.mailer.sent] == [
        message_id(view.invoice.id, 1, 1),
        message_id(view.invoice.id, 1, 3),
    ]
    assert world.stored_invoice(view.invoice.id).mail_status is MailStatus.SENT


def test_send_again_withdraws_its_request_when_the_mail_queue_is_down() -> None:
    world = World()
    view, job = rendered(world)
    mail(world, job)
    sent = world.stored_invoice(view.invoice.id)
    world.mail_queue.available = False

    with pytest.raises(DependencyUnavailable):
        world.app.send_again(view.invoice.id)

    invoice = world.stored_invoice(view.invoice.id)
    assert (invoice.mail_requested, invoice.mail_sent) == (1, 1)
    assert invoice.mail_status is MailStatus.SENT
    assert invoice == sent
    world.mail_queue.available = True
    assert world.mail_queue.pending() == []
    # Asked again once the queue is back, it goes out.
    world.app.send_again(view.invoice.id)
    assert world.run_mail_worker() == [True]
    assert len(world.mailer.sent) == 2


def test_send_again_of_a_failed_mail_keeps_its_failure_when_the_mail_queue_is_down() -> None:
    world = World()
    view, job = rendered(world)
    world.mailer = ScriptedMailer(MailRejected(REFUSAL))
    assert mail(world, job) is MailOutcome.REJECTED
    failed = world.stored_invoice(view.invoice.id)
    world.mail_queue.available = False

    with pytest.raises(DependencyUnavailable):
        world.app.send_again(view.invoice.id)

    invoice = world.stored_invoice(view.invoice.id)
    assert invoice.mail_status is MailStatus.FAILED
    assert invoice.mail_error == REFUSAL
    assert invoice == failed


def test_send_again_is_not_ready_until_the_pdf_is_stored_and_not_found_when_gone() -> None:
    world = World()
    employee = world.employee()
    world.workday(employee.employee.id, date(2024, 10, 1))
    view = world.invoice(employee.employee.id)

    with pytest.raises(NotReady):
        world.app.send_again(view.invoice.id)
    with pytest.raises(NotFound):
        world.app.send_again(uuid4())
    world.app.delete_invoice(view.invoice.id)
    with pytest.raises(NotFound):
        world.app.send_again(view.invoice.id)
    assert world.mail_queue.pending() == []
    assert world.stored_invoice(view.invoice.id).mail_requested == 0


# -- threads --------------------------------------------------------------------------------------


def test_workers_on_threads_racing_for_one_send_send_it_once() -> None:
    world = World()
    view, job = rendered(world)
    app = world.concurrent_app()
    barrier = threading.Barrier(8)
    outcomes: list[object] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait(timeout=10)
        try:
            outcome: object = app.mail(job)
        except SendInProgress as in_progress:
            outcome = in_progress
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(outcomes) == 8
    assert outcomes.count(True) == 1
    assert all(o is False or isinstance(o, SendInProgress) for o in outcomes if o is not True)
    assert len(world.mailer.sent) == 1
    assert world.stored_invoice(view.invoice.id).mail_status is MailStatus.SENT


# -- the invoice's mail state ---------------------------------------------------------------------


def test_the_mail_state_of_an_invoice_from_issue_to_sent_and_again() -> None:
    world = World()
    employee = world.employee()
    world.workday(employee.employee.id, date(2024, 10, 1))
    view = world.invoice(employee.employee.id)
    now = world.clock.now()
    issued = world.stored_invoice(view.invoice.id)

    assert (issued.mail_requested, issued.mail_sent, issued.mail_claimed_at) == (0, 0, None)
    assert issued.mail_status is MailStatus.PENDING
    assert not issued.needs_mail(1, 1)
    with pytest.raises(NotReady):
        issued.mail_again(datetime(2024, 11, 15, 12, tzinfo=UTC))
    assert issued.mail_claimed(1, 1, now) is issued
    assert issued.mailed(1, 1, at=now) is issued

    generated = issued.generated(revision=1, pdf_key=issued.pdf_key_for(1), at=now)
    assert generated.mail_requested == 1
    assert generated.mail_status is MailStatus.PENDING
    assert generated.needs_mail(1, 1)
    assert generated.needs_mail(1)
    assert not generated.needs_mail(1, 2)
    assert not generated.needs_mail(2, 1)

    claimed = generated.mail_claimed(1, 1, now)
    assert claimed.mail_claimed_at == now
    assert claimed.needs_mail(1, 1)
    assert claimed.mail_status is MailStatus.PENDING
    assert claimed.mail_withdrawn(1, error=None) is claimed  # a claimed send is never withdrawn
    assert claimed.mail_released(1, 1) == generated
    assert claimed.mail_claimed(2, 1, now) is claimed
    assert claimed.mail_released(1, 2) is claimed

    mailed = claimed.mailed(1, 1, at=now)
    assert (mailed.mail_sent, mailed.mailed_revision, mailed.mailed_at) == (1, 1, now)
    assert mailed.mail_claimed_at is None
    assert mailed.mail_status is MailStatus.SENT
    assert not mailed.needs_mail(1, 1)
    assert mailed.mailed(1, 1, at=now) is mailed
    assert mailed.mail_failed(1, 1, reason="late") is mailed
    assert mailed.mail_claimed(1, 1, now) is mailed
    assert mailed.mail_withdrawn(1, error=None) is mailed  # a send that went out is never withdrawn

    again = mailed.mail_again(datetime(2024, 11, 15, 12, tzinfo=UTC))
    assert (again.mail_requested, again.mail_sent) == (2, 1)
    assert again.mail_status is MailStatus.PENDING
    assert again.needs_mail(1, 2)
    assert not again.needs_mail(1, 1)
    assert again.mail_withdrawn(2, error=None) == mailed
    assert again.mail_withdrawn(3, error=None) is again
    assert again.mailed(1, 2, at=now).mail_status is MailStatus.SENT


def test_the_mail_state_of_a_failed_send_and_of_a_new_revision() -> None:
    world = World()
    view, _ = rendered(world)
    generated = world.stored_invoice(view.invoice.id)

    failed = generated.mail_claimed(1, 1, world.clock.now()).mail_failed(1, 1, reason=REFUSAL)
    assert failed.mail_status is MailStatus.FAILED
    assert (failed.mail_error, failed.mail_claimed_at) == (REFUSAL, None)
    assert not failed.needs_mail(1, 1)
    assert failed.mailed(1, 1) is failed
    assert failed.mail_failed(1, 1, reason="again") is failed

    retry = failed.mail_again(datetime(2024, 11, 15, 12, tzinfo=UTC))
    assert retry.mail_error is None
    assert retry.mail_requested == 2
    assert retry.needs_mail(1, 2)

    mailed = generated.mailed(1, 1, at=world.clock.now())
    revised = mailed.revised(
        employee_id=mailed.employee_id, period=YearMonth(2024, 9), totals=mailed.totals
    )
    assert revised.revision == 2
    assert (revised.mail_requested, revised.mail_sent, revised.mailed_at) == (0, 0, None)
    assert revised.mail_error is None
    assert revised.mail_claimed_at is None
    assert revised.mailed_revision == 1  # the PDF the employee last received
    assert revised.mail_status is MailStatus.PENDING
    assert not revised.needs_mail(1, 1)
    assert not revised.needs_mail(2, 1)
    regenerated = revised.generated(
        revision=2, pdf_key=revised.pdf_key_for(2), at=world.clock.now()
    )
    assert regenerated.needs_mail(2, 1)
    assert not regenerated.needs_mail(1, 1)

    render_failed = revised.failed(revision=2, reason="no browser").retried()
    assert (render_failed.revision, render_failed.mail_requested) == (3, 0)
    assert render_failed.mail_status is MailStatus.PENDING
