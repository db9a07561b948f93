"""The worker: takes jobs from the render and mail queues, whatever queue adapter they are, and
hands each to the application's table of job handlers.

A job that succeeds is acknowledged. One that fails is released: the queue delivers it again,
and at its last attempt gives it up (a dead-letter queue), when the worker records why (for a
render, the invoice shows `failed` with the reason). Attempt counts are the queue's own, so they
end with the job.

Running (`run`), each queue has a consumer thread, so renders and mails go on side by side; each
consumer keeps as many jobs in hand as the renderer prints at once, and one more, taking the
next job the moment one is done rather than batch by batch (see `default_parallelism`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.pipeline import RenderOutcome
from billtrack.ports.errors import PermanentFailure
from billtrack.ports.queues import Delivery, JobQueue

log = logging.getLogger(__name__)
SWEEP_EVERY = timedelta(minutes=1)
OWED_AFTER = timedelta(minutes=5)
BATCH_SIZE = 10
AnyQueue = JobQueue[Any]


@dataclass
class WorkerReport:
    rendered: int = 0
    skipped: int = 0
    mailed: int = 0
    given_up: list[str] = field(default_factory=list)

    def count(self, outcome: object) -> None:
        if outcome is RenderOutcome.RENDERED:
            self.rendered += 1
        elif isinstance(outcome, RenderOutcome):
            self.skipped += 1
        elif outcome is True:
            self.mailed += 1


def default_parallelism(app: Application) -> int:
    """How many jobs of each queue a worker has in hand: one more than the renderer prints at
    once. While a job stores its PDF (a write the disk must confirm), records it or hands a mail
    over, the next one is printing already, so no page waits for the pipeline; the renderer's
    pool keeps the prints themselves to its size. The builtin renderer prints one at a time
    (it holds the interpreter), but two jobs in hand still let one print while the other waits
    on the disk or the mail server."""
    return app.render_parallelism + 1


class Worker:
    def __init__(self, app: Application, *, parallelism: int | None = None) -> None:
        """`parallelism` jobs of each queue are handled at once (see `default_parallelism`)."""
        self.app = app
        self.report = WorkerReport()
        self._parallelism = parallelism if parallelism is not None else default_parallelism(app)
        self._report_lock = threading.Lock()

    @property
    def queues(self) -> tuple[AnyQueue, AnyQueue]:
        return (self.app.render_queue, self.app.mail_queue)

    def work_once(self, queue: AnyQueue, wait_seconds: float = 0) -> int:
        """Handle one batch from `queue` (waiting up to `wait_seconds` for one); answers its size."""
        deliveries = queue.receive(BATCH_SIZE, wait_seconds)
        if self._parallelism > 1 and len(deliveries) > 1:
            with ThreadPoolExecutor(min(self._parallelism, len(deliveries))) as pool:
                list(pool.map(lambda d: self._handle(queue, d), deliveries))
        else:
            for delivery in deliveries:
                self._handle(queue, delivery)
        return len(deliveries)

    def drain(self) -> WorkerReport:
        """Work until both queues are empty."""
        while sum(self.work_once(queue) for queue in self.queues):
            pass
        return self.report

    def run(
        self,
        stop: threading.Event,
        *,
        wait_seconds: float = 0.5,
        sweep_every: timedelta = SWEEP_EVERY,
        owed_after: timedelta = OWED_AFTER,
        first_sweep_after: timedelta = timedelta(0),
    ) -> None:
        """Work until `stop` is set, then finish the batches in hand and return. Each queue has a
        thread of its own, so a long poll of one never delays the other. At start, and then every
        `sweep_every`, renders the outbox owes are published again: all of them at start (an
        in-process queue starts empty; a durable queue such as SQS still holds them, so its workers
        pass `first_sweep_after`), later those published more than `owed_after` ago; and
        month-end runs a crash stopped more than `owed_after` ago are finished."""
        consumers = [
            threading.Thread(
                target=self._consume,
                args=(queue, stop, wait_seconds),
                name=f"billtrack-{queue.name}",
                daemon=True,
            )
            for queue in self.queues
        ]
        started = self.app.clock.now()
        for consumer in consumers:
            consumer.start()
        older_than = first_sweep_after
        first = True
        while True:
            # The first sweep is for what an earlier process left owed: what was asked for since
            # this worker started (a month-end run started beside it) is in its queues already.
            since_start = self.app.clock.now() - started if first else timedelta(0)
            first = False
            try:
                self.app.republish_owed(older_than=older_than + since_start)
                self.app.republish_owed_mails(older_than=older_than + since_start)
                self.app.continue_stopped_month_runs(older_than=owed_after)
            except Exception:
                log.exception("sweeping the outbox failed; trying again later")
            older_than = owed_after
            if stop.wait(sweep_every.total_seconds()):
                break
        for consumer in consumers:
            consumer.join()

    def _consume(self, queue: AnyQueue, stop: threading.Event, wait_seconds: float) -> None:
        if self._parallelism <= 1:
            while not stop.is_set():
                try:
                    self.work_once(queue, wait_seconds)
                except Exception:
                    self._queue_failed(queue, stop, wait_seconds)
            return
        self._consume_in_parallel(queue, stop, wait_seconds)

    def _consume_in_parallel(
        self, queue: AnyQueue, stop: threading.Event, wait_seconds: float
    ) -> None:
        """Keep `parallelism` of the queue's jobs in hand: each slot that frees takes the next
        job at once, so the renderer's pages never wait for the slowest job of a batch. Jobs
        are received only for free slots (a queue with a visibility timeout does not see them
        wait here). On `stop`, the jobs in hand are finished first."""
        slots = threading.BoundedSemaphore(self._parallelism)
        poll = max(wait_seconds, 0.05)
        with ThreadPoolExecutor(
            self._parallelism, thread_name_prefix=f"billtrack-{queue.name}"
        ) as pool:
            while not stop.is_set():
                if not slots.acquire(timeout=poll):
                    continue
                free = 1
                while free < BATCH_SIZE and slots.acquire(blocking=False):
                    free += 1
                try:
                    deliveries = queue.receive(free, wait_seconds)
                except Exception:
                    deliveries = []
                    self._queue_failed(queue, stop, wait_seconds)
                for _ in range(free - len(deliveries)):
                    slots.release()
                for delivery in deliveries:
                    pool.submit(self._handle_in_slot, queue, delivery, slots)

    def _handle_in_slot(
        self, queue: AnyQueue, delivery: Delivery[Any], slots: threading.BoundedSemaphore
    ) -> None:
        try:
            self._handle(queue, delivery)
        except Exception:
            # Acknowledging or releasing failed (the queue is down): the queue delivers it again.
            log.exception("settling %s with the %s failed", delivery.job, queue.name)
        finally:
            slots.release()

    def _queue_failed(self, queue: AnyQueue, stop: threading.Event, wait_seconds: float) -> None:
        # The queue itself failed (it is down, say): wait a little rather than spin.
        log.exception("receiving from the %s failed; trying again", queue.name)
        stop.wait(max(wait_seconds, 1.0))

    def _handle(self, queue: AnyQueue, delivery: Delivery[Any]) -> None:
        try:
            outcome = self.app.handle(delivery.job)
        except PermanentFailure as error:
            log.error("%s cannot be done: %s", delivery.job, error)
            self._give_up(delivery, error)
            queue.acknowledge(delivery)
            return
        except Exception as error:
            last = delivery.attempt >= queue.max_attempts
            log.exception(
                "%s failed (attempt %d of %d)", delivery.job, delivery.attempt, queue.max_attempts
            )
            if last:
                self._give_up(delivery, error)
            queue.release(delivery)
            return
        queue.acknowledge(delivery)
        with self._report_lock:
            self.report.count(outcome)

    def _give_up(self, delivery: Delivery[Any], error: Exception) -> None:
        reason = f"{type(error).__name__}: {error}"
        try:
            self.app.give_up(delivery.job, reason)
        except Exception:
            log.exception("recording that %s was given up failed", delivery.job)
        with self._report_lock:
            self.report.given_up.append(f"{delivery.job}: {error}")


def drain(app: Application) -> WorkerReport:
    """Work until both queues are empty; answers what was done."""
    return Worker(app).drain()


def start_in_background(app: Application, **run_options: object) -> Callable[[], None]:
    """Run a worker on a daemon thread; answers the function that stops it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=Worker(app).run,
        args=(stop,),
        kwargs=run_options,
        name="billtrack-worker",
        daemon=True,
    )
    thread.start()

    def stop_worker() -> None:
        stop.set()
        thread.join(timeout=10)

    return stop_worker
