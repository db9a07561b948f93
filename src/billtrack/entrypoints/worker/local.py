"""The local worker: consumes the in-process queues, as the Lambda workers consume SQS.

A job that fails goes back to the queue and is tried again, up to `max_attempts` times; then it is
given up (for a render, the invoice shows `failed` with the reason), as a dead-letter queue does.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.domain.usecases.pipeline import (
    RenderOutcome,
    mail_invoice,
    record_render_failure,
    render_invoice,
    republish_owed,
)
from billtrack.entrypoints.bootstrap import Services
from billtrack.ports.jobs import MailJob, RenderJob

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
SWEEP_EVERY = timedelta(minutes=1)
OWED_AFTER = timedelta(minutes=5)
JobT = TypeVar("JobT", RenderJob, MailJob)
ResultT = TypeVar("ResultT")


@dataclass
class WorkerReport:
    rendered: int = 0
    skipped: int = 0
    mailed: int = 0
    given_up: list[str] = field(default_factory=list)


class LocalWorker:
    def __init__(self, services: Services, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.services = services
        self.max_attempts = max_attempts
        self.report = WorkerReport()
        self._attempts: Counter[RenderJob | MailJob] = Counter()

    def work_once(self, timeout: float = 0) -> bool:
        """Handle one job (waiting up to `timeout` seconds for one); answers whether there was one."""
        services = self.services
        if (render_job := services.render_queue.receive(timeout)) is not None:
            outcome = self._attempt(
                services.render_queue,
                render_job,
                lambda: render_invoice(
                    render_job,
                    uow=services.uow(),
                    renderer=services.renderer,
                    storage=services.storage,
                    clock=services.clock,
                    mail_queue=services.mail_queue,
                ),
                lambda error: self._give_up_render(render_job, error),
            )
            if outcome is RenderOutcome.RENDERED:
                self.report.rendered += 1
            elif outcome is not None:
                self.report.skipped += 1
            return True
        if (mail_job := services.mail_queue.receive()) is not None:
            sent = self._attempt(
                services.mail_queue,
                mail_job,
                lambda: mail_invoice(
                    mail_job, uow=services.uow(), storage=services.storage, mailer=services.mailer
                ),
                lambda error: self.report.given_up.append(
                    f"mail of {mail_job.invoice_id}: {error}"
                ),
            )
            self.report.mailed += bool(sent)
            return True
        return False

    def drain(self) -> WorkerReport:
        """Work until both queues are empty."""
        while self.work_once():
            pass
        return self.report

    def run(
        self,
        stop: threading.Event,
        poll_seconds: float = 0.5,
        sweep_every: timedelta = SWEEP_EVERY,
        owed_after: timedelta = OWED_AFTER,
    ) -> None:
        """Work until `stop` is set. At start, and then every `sweep_every`, renders the outbox
        owes are fed to the queue: all of them at start (the in-process queue starts empty),
        later those published more than `owed_after` ago and still not done."""
        services, last_sweep = self.services, None
        while not stop.is_set():
            now = services.clock.now()
            if last_sweep is None or now - last_sweep >= sweep_every:
                older_than = timedelta(0) if last_sweep is None else owed_after
                try:
                    republish_owed(
                        services.uow(), services.render_queue, services.clock, older_than=older_than
                    )
                except Exception:
                    log.exception("sweeping the outbox failed; trying again later")
                last_sweep = now
            try:
                self.work_once(timeout=poll_seconds)
            except Exception:
                log.exception("the local worker hit an unexpected error; it carries on")

    def _attempt(
        self,
        queue: InMemoryQueue[JobT],
        job: JobT,
        work: Callable[[], ResultT],
        give_up: Callable[[Exception], None],
    ) -> ResultT | None:
        """`work()`, acknowledging the job; on failure the job goes back, or is given up."""
        try:
            result = work()
        except Exception as error:
            self._attempts[job] += 1
            count = self._attempts[job]
            log.exception("%s failed (attempt %d of %d)", job, count, self.max_attempts)
            queue.acknowledge(job)
            if count < self.max_attempts:
                queue.publish(job)
            else:
                give_up(error)
            return None
        queue.acknowledge(job)
        return result

    def _give_up_render(self, job: RenderJob, error: Exception) -> None:
        record_render_failure(job, f"{type(error).__name__}: {error}", uow=self.services.uow())
        self.report.given_up.append(f"render of invoice {job.invoice_id}: {error}")


def drain(services: Services, max_attempts: int = MAX_ATTEMPTS) -> WorkerReport:
    """Work until both queues are empty; answers what was done."""
    return LocalWorker(services, max_attempts).drain()


def start_in_background(services: Services, **run_options: Any) -> Callable[[], None]:
    """Run a worker on a daemon thread; answers the function that stops it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=LocalWorker(services).run,
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
