"""The local worker: consumes the in-process queues, as the Lambda workers consume SQS.

A job that fails goes back to the queue and is tried again, up to `max_attempts` times; then it is
given up (for a render, the invoice shows `failed` with the reason), as a dead-letter queue does.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.domain.usecases.pipeline import (
    RenderOutcome,
    mail_invoice,
    record_render_failure,
    render_invoice,
)
from billtrack.entrypoints.bootstrap import Services
from billtrack.ports.jobs import MailJob, RenderJob

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
JobT = TypeVar("JobT", RenderJob, MailJob)
ResultT = TypeVar("ResultT")


@dataclass
class WorkerReport:
    rendered: int = 0
    skipped: int = 0
    mailed: int = 0
    given_up: list[str] = field(default_factory=list)


@dataclass
class _Attempts:
    max_attempts: int
    counts: Counter[RenderJob | MailJob] = field(default_factory=Counter)

    def run(
        self,
        queue: InMemoryQueue[JobT],
        job: JobT,
        work: Callable[[], ResultT],
        give_up: Callable[[Exception], None],
    ) -> ResultT | None:
        """`work()`, acknowledging the job; on failure the job goes back, or is given up."""
        try:
            result = work()
        except Exception as exc:
            self.counts[job] += 1
            log.exception("%s failed (attempt %d of %d)", job, self.counts[job], self.max_attempts)
            queue.acknowledge(job)
            if self.counts[job] < self.max_attempts:
                queue.publish(job)
            else:
                give_up(exc)
            return None
        queue.acknowledge(job)
        return result


def drain(services: Services, max_attempts: int = MAX_ATTEMPTS) -> WorkerReport:
    """Work until both queues are empty; answers what was done."""
    report = WorkerReport()
    attempts = _Attempts(max_attempts)

    def render(job: RenderJob) -> RenderOutcome:
        return render_invoice(
            job,
            uow=services.uow(),
            renderer=services.renderer,
            storage=services.storage,
            clock=services.clock,
            mail_queue=services.mail_queue,
        )

    def give_up_render(job: RenderJob, exc: Exception) -> None:
        record_render_failure(job, f"{type(exc).__name__}: {exc}", uow=services.uow())
        report.given_up.append(f"render of invoice {job.invoice_id}: {exc}")

    def mail(job: MailJob) -> bool:
        return mail_invoice(
            job, uow=services.uow(), storage=services.storage, mailer=services.mailer
        )

    while True:
        if (render_job := services.render_queue.receive()) is not None:
            outcome = attempts.run(
                services.render_queue,
                render_job,
                lambda: render(render_job),
                lambda exc: give_up_render(render_job, exc),
            )
            if outcome is RenderOutcome.RENDERED:
                report.rendered += 1
            elif outcome is not None:
                report.skipped += 1
        elif (mail_job := services.mail_queue.receive()) is not None:
            sent = attempts.run(
                services.mail_queue,
                mail_job,
                lambda: mail(mail_job),
                lambda exc: report.given_up.append(f"mail of invoice {mail_job.invoice_id}: {exc}"),
            )
            report.mailed += bool(sent)
        else:
            return report
