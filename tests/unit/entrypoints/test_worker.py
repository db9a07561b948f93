"""The worker over in-memory queues: each job to its handler, a failure delivered again, the
last failure given up (a render shows `failed` with the reason), batches in parallel, and a
`run` that stops when told."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest

from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.domain.model.invoice import InvoiceStatus, MailStatus
from billtrack.domain.model.views import InvoiceView
from billtrack.entrypoints.worker.runner import (
    BATCH_SIZE,
    Worker,
    WorkerReport,
    default_parallelism,
    drain,
    start_in_background,
)
from billtrack.ports.errors import PermanentFailure
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.rendering import InvoiceDocument
from tests.fakes.clock import ManualClock
from tests.fakes.rendering import RecordingPdfRenderer
from tests.unit.usecases.fixtures import World


def world_with(*, render_attempts: int = 3, mail_attempts: int = 3) -> World:
    return World(
        render_queue=InMemoryQueue[RenderJob]("render queue", max_attempts=render_attempts),
        mail_queue=InMemoryQueue[MailJob]("mail queue", max_attempts=mail_attempts),
    )


def invoiced(world: World, count: int = 1) -> list[InvoiceView]:
    """`count` October invoices, each of a new employee with a workday; their renders queued."""
    views = []
    for _ in range(count):
        employee = world.employee()
        world.workday(employee.employee.id, date(2024, 10, 1))
        views.append(world.invoice(employee.employee.id))
    return views


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        time.sleep(0.01)


# -- failures: delivered again, then given up -----------------------------------------------------


@pytest.mark.parametrize("attempts", [1, 3])
def test_a_render_that_fails_max_attempts_times_is_given_up_and_shows_failed(
    attempts: int,
) -> None:
    world = world_with(render_attempts=attempts)
    (view,) = invoiced(world)
    world.renderer.failures_left = attempts
    job = RenderJob(view.invoice.id, 1)

    report = Worker(world.app).drain()

    invoice = world.app.get_invoice(view.invoice.id).invoice
    assert invoice.status is InvoiceStatus.FAILED
    assert invoice.error == "RenderFailed: rendering 2024-000001 failed on purpose"
    assert world.renderer.failures_left == 0  # tried exactly `attempts` times
    assert world.render_queue.dead_letters == [job]
    assert len(world.render_queue) == 0
    assert report.given_up == [f"{job}: rendering 2024-000001 failed on purpose"]
    assert (report.rendered, report.skipped, report.mailed) == (0, 0, 0)
    assert world.owed_renders() == []
    assert world.mail_queue.pending() == []
    assert world.storage.puts == 0


def test_a_render_that_fails_once_then_succeeds_is_rendered_and_mailed_once() -> None:
    world = world_with(render_attempts=3)
    (view,) = invoiced(world)
    world.renderer.failures_left = 1

    report = Worker(world.app).drain()

    invoice = world.app.get_invoice(view.invoice.id).invoice
    assert invoice.status is InvoiceStatus.GENERATED
    assert invoice.error is None
    assert len(world.renderer.rendered) == 1
    assert world.storage.puts == 1
    assert len(world.mailer.sent) == 1
    assert (report.rendered, report.skipped, report.mailed, report.given_up) == (1, 0, 1, [])
    assert world.render_queue.dead_letters == []
    assert len(world.render_queue) == len(world.mail_queue) == 0


def test_a_mail_that_fails_max_attempts_times_is_given_up_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = world_with(mail_attempts=2)
    (view,) = invoiced(world)
    world.mailer.available = False

    with caplog.at_level(logging.ERROR):
        report = Worker(world.app).drain()

    (mail_job,) = world.mail_queue.dead_letters
    assert (mail_job.invoice_id, mail_job.revision) == (view.invoice.id, 1)
    assert len(report.given_up) == 1
    assert (report.rendered, report.mailed) == (1, 0)
    assert world.mailer.sent == []
    assert "gave up mailing invoice" in caplog.text
    # The PDF is stored all the same: the invoice stays generated, its mail shows why it failed.
    invoice = world.app.get_invoice(view.invoice.id).invoice
    assert invoice.status is InvoiceStatus.GENERATED
    assert invoice.mail_status is MailStatus.FAILED
    assert invoice.mail_error is not None
    assert "mail server is unavailable" in invoice.mail_error


# -- the handler table --------------------------------------------------------------------------


def test_each_queue_s_jobs_go_to_their_handler() -> None:
    world = World()
    invoiced(world, 2)
    world.render_queue.publish(RenderJob(uuid4(), 1))  # an invoice that is gone: stale
    world.mail_queue.publish(MailJob(uuid4(), 1))  # nothing to mail
    worker = Worker(world.app)

    assert worker.work_once(world.render_queue) == 3
    assert (worker.report.rendered, worker.report.skipped, worker.report.mailed) == (2, 1, 0)
    assert world.mailer.sent == []

    assert worker.work_once(world.mail_queue) == 3
    assert (worker.report.rendered, worker.report.skipped, worker.report.mailed) == (2, 1, 2)
    assert len(world.mailer.sent) == 2
    assert worker.work_once(world.mail_queue) == 0
    assert len(world.render_queue) == len(world.mail_queue) == 0


def test_work_once_handles_one_batch_and_drain_works_until_both_queues_are_empty() -> None:
    world = World()
    invoiced(world, BATCH_SIZE + 2)
    worker = Worker(world.app)

    assert worker.work_once(world.render_queue) == BATCH_SIZE
    assert len(world.mail_queue.pending()) == BATCH_SIZE
    report = worker.drain()

    assert report is worker.report
    assert (report.rendered, report.mailed, report.given_up) == (BATCH_SIZE + 2, BATCH_SIZE + 2, [])
    assert len(world.mailer.sent) == BATCH_SIZE + 2


def test_the_report_counts_outcomes() -> None:
    from billtrack.domain.usecases.pipeline import RenderOutcome

    report = WorkerReport()
    for outcome in [
        RenderOutcome.RENDERED,
        RenderOutcome.STALE,
        RenderOutcome.ALREADY_DONE,
        True,
        False,
        None,
    ]:
        report.count(outcome)

    assert (report.rendered, report.skipped, report.mailed) == (1, 2, 1)


# -- in parallel ----------------------------------------------------------------------------------


class MeetingRenderer(RecordingPdfRenderer):
    """Renders only when another render is under way at the same moment: a worker that renders
    one at a time breaks the barrier."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=5)
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def render(self, document: InvoiceDocument, /) -> bytes:
        with self._lock:
            self.threads.add(threading.current_thread().name)
        self.barrier.wait()
        with self._lock:
            return super().render(document)


def test_parallelism_2_renders_a_batch_two_at_a_time_and_each_invoice_once() -> None:
    renderer = MeetingRenderer(2)
    world = World(renderer=renderer)
    views = invoiced(world, 6)

    report = Worker(world.concurrent_app(), parallelism=2).drain()

    assert (report.rendered, report.mailed, report.given_up) == (6, 6, [])
    assert len(renderer.threads) == 2
    assert sorted(d.number for d in renderer.rendered) == [f"2024-{n:06d}" for n in range(1, 7)]
    for view in views:
        invoice = world.app.get_invoice(view.invoice.id).invoice
        assert invoice.status is InvoiceStatus.GENERATED
        assert invoice.pdf_key == view.invoice.pdf_key_for(1)
    assert sorted(world.storage.objects) == sorted(v.invoice.pdf_key_for(1) for v in views)
    assert sorted(m.to for m in world.mailer.sent) == sorted(
        v.employee.employee.email.value for v in views
    )
    assert world.owed_renders() == []


# -- running until stopped ------------------------------------------------------------------------


def run_in_thread(worker: Worker, stop: threading.Event, **options: object) -> threading.Thread:
    thread = threading.Thread(target=worker.run, args=(stop,), kwargs=options, daemon=True)
    thread.start()
    return thread


def test_run_works_until_the_stop_event_is_set_then_returns() -> None:
    world = World()
    app = world.concurrent_app()
    (view,) = invoiced(world)
    stop = threading.Event()

    thread = run_in_thread(
        Worker(app), stop, wait_seconds=0.05, sweep_every=timedelta(milliseconds=50)
    )
    wait_until(lambda: len(world.mailer.sent) == 1)
    stop.set()
    thread.join(timeout=5)

    assert not thread.is_alive()
    assert app.get_invoice(view.invoice.id).invoice.status is InvoiceStatus.GENERATED
    # Published when created and not owed since: the sweeps published nothing again.
    assert len(world.renderer.rendered) == 1


def test_run_publishes_at_start_what_the_outbox_owes() -> None:
    world = World()
    world.render_queue.available = False
    (view,) = invoiced(world)  # committed, but never published
    world.render_queue.available = True
    stop = threading.Event()

    thread = run_in_thread(Worker(world.concurrent_app()), stop, wait_seconds=0.05)
    wait_until(lambda: len(world.mailer.sent) == 1)
    stop.set()
    thread.join(timeout=5)

    assert not thread.is_alive()
    assert world.app.get_invoice(view.invoice.id).invoice.status is InvoiceStatus.GENERATED


def test_run_with_the_stop_already_set_sweeps_once_and_returns() -> None:
    world = World()
    world.render_queue.available = False
    (view,) = invoiced(world)
    world.render_queue.available = True
    stop = threading.Event()
    stop.set()

    Worker(world.concurrent_app()).run(stop, wait_seconds=0.05)

    assert world.render_queue.pending() == [RenderJob(view.invoice.id, 1)]
    assert world.renderer.rendered == []


def test_run_keeps_going_while_a_queue_is_down_and_still_stops() -> None:
    world = World()
    (view,) = invoiced(world)
    world.render_queue.available = False
    stop = threading.Event()

    thread = run_in_thread(Worker(world.concurrent_app()), stop, wait_seconds=0.05)
    time.sleep(0.1)
    assert thread.is_alive()
    world.render_queue.available = True
    wait_until(lambda: len(world.mailer.sent) == 1)
    stop.set()
    thread.join(timeout=5)

    assert not thread.is_alive()
    assert world.app.get_invoice(view.invoice.id).invoice.status is InvoiceStatus.GENERATED


def test_the_module_s_drain_and_background_worker() -> None:
    world = World()
    invoiced(world, 2)

    assert drain(world.concurrent_app()).rendered == 2

    invoiced(world, 1)
    stop_worker = start_in_background(world.concurrent_app(), wait_seconds=0.05)
    wait_until(lambda: len(world.mailer.sent) == 3)
    stop_worker()

    assert "billtrack-worker" not in {t.name for t in threading.enumerate()}


class CannotPrint(PermanentFailure):
    pass


class RefusingRenderer(RecordingPdfRenderer):
    """A renderer that can never print: what another attempt cannot change."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0

    def render(self, document: InvoiceDocument, /) -> bytes:
        self.attempts += 1
        raise CannotPrint(f"no font for the name of {document.number}")


def test_a_permanent_failure_is_given_up_at_its_first_attempt() -> None:
    world = world_with(render_attempts=5)
    world.renderer = refusing = RefusingRenderer()
    (view,) = invoiced(world)

    report = Worker(world.app).drain()

    assert refusing.attempts == 1
    assert len(report.given_up) == 1
    invoice = world.app.get_invoice(view.invoice.id).invoice
    assert invoice.status is InvoiceStatus.FAILED
    assert invoice.error is not None
    assert "no font for the name" in invoice.error
    assert len(world.render_queue) == 0


class StuckOnTheFirstRenderer(RecordingPdfRenderer):
    """Holds its first render until `release` is set; renders the others at once."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self._first = True
        self._lock = threading.Lock()

    def render(self, document: InvoiceDocument, /) -> bytes:
        with self._lock:
            first, self._first = self._first, False
        if first:
            assert self.release.wait(5), "never released"
        with self._lock:
            return super().render(document)


def test_running_a_slot_that_frees_takes_the_next_job_while_another_job_is_slow() -> None:
    renderer = StuckOnTheFirstRenderer()
    world = World(renderer=renderer)
    invoiced(world, BATCH_SIZE + 3)
    stop = threading.Event()

    thread = run_in_thread(Worker(world.concurrent_app(), parallelism=2), stop, wait_seconds=0.05)
    # One slot holds the stuck render; the other goes on through all the rest, batch or not.
    wait_until(lambda: len(renderer.rendered) == BATCH_SIZE + 2)
    renderer.release.set()
    wait_until(lambda: len(world.mailer.sent) == BATCH_SIZE + 3)
    stop.set()
    thread.join(timeout=5)

    assert not thread.is_alive()
    assert len(world.render_queue) == len(world.mail_queue) == 0


def test_running_the_jobs_in_hand_are_finished_when_stopped() -> None:
    renderer = StuckOnTheFirstRenderer()
    world = World(renderer=renderer)
    (view,) = invoiced(world, 1)
    stop = threading.Event()

    thread = run_in_thread(Worker(world.concurrent_app(), parallelism=3), stop, wait_seconds=0.05)
    wait_until(lambda: len(world.render_queue.pending()) == 0)
    stop.set()
    renderer.release.set()
    thread.join(timeout=5)

    assert not thread.is_alive()
    assert world.app.get_invoice(view.invoice.id).invoice.status is InvoiceStatus.GENERATED
    assert len(world.render_queue) == 0


@pytest.mark.parametrize(("pages", "jobs"), [(1, 2), (2, 3), (4, 5)])
def test_by_default_a_worker_has_one_job_more_in_hand_than_the_renderer_has_pages(
    pages: int, jobs: int
) -> None:
    assert default_parallelism(replace(World().app, render_parallelism=pages)) == jobs


class JumpingClock(ManualClock):
    """Moves `by` forward once, right after it is first read: the worker starts, then time
    passes before its first sweep."""

    def __init__(self, now: datetime, by: timedelta) -> None:
        super().__init__(now)
        self._jump: timedelta | None = by

    def now(self) -> datetime:
        current = super().now()
        if self._jump is not None:
            self.advance(self._jump)
            self._jump = None
        return current


def test_the_first_sweep_leaves_alone_what_was_asked_for_since_the_worker_started() -> None:
    """A month-end run started beside a worker (`billtrack invoices run`) renders and mails
    while the worker's first sweep looks for what an earlier process left: that sweep must not
    publish the run's own work again."""
    world = World()
    (view,) = invoiced(world)
    started = world.clock.now()
    world.clock.advance(timedelta(seconds=5))  # rendered after the worker started
    Worker(world.app).drain()
    world.mailer.sent.clear()
    invoice = world.stored_invoice(view.invoice.id)
    with world.uow:  # its mail still owed, asked for 5 s after the start
        world.uow.invoices.update(replace(invoice, mail_sent=0, mail_asked_at=world.clock.now()))
        world.uow.commit()
    app = replace(world.app, clock=JumpingClock(started, timedelta(seconds=10)))
    stop = threading.Event()
    stop.set()

    Worker(app).run(stop, wait_seconds=0.05)

    assert world.mail_queue.pending() == []
