"""Queues that carry jobs to the workers. Delivery is at least once: a job may come twice, late,
or out of order, and every handler is written to be repeated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from billtrack.ports.jobs import MailJob, RenderJob

JobT = TypeVar("JobT", RenderJob, MailJob)


@dataclass(frozen=True, slots=True)
class Delivery(Generic[JobT]):
    """One delivery of a job: what to do, how to acknowledge it, and how often it has come."""

    job: JobT
    receipt: str
    """The queue's handle of this delivery (an SQS receipt handle), for `acknowledge`."""
    attempt: int
    """1 for the first delivery; the queue's receive count after that."""


class JobQueue(Protocol[JobT]):
    @property
    def name(self) -> str: ...

    @property
    def max_attempts(self) -> int:
        """After this many failed deliveries the queue gives the job up (a dead-letter queue)."""
        ...

    def publish(self, job: JobT, /) -> None:
        """Hand the job to the queue; raises `DependencyUnavailable` when the queue is down."""
        ...

    def receive(self, max_jobs: int = 10, wait_seconds: float = 0) -> Sequence[Delivery[JobT]]:
        """Up to `max_jobs` deliveries, waiting up to `wait_seconds` for the first. A received
        job is hidden from other receivers until it is acknowledged or released."""
        ...

    def acknowledge(self, delivery: Delivery[JobT], /) -> None:
        """The job is done: it is not delivered again."""
        ...

    def release(self, delivery: Delivery[JobT], /) -> None:
        """The job failed: deliver it again, or, at its last attempt, give it up."""
        ...


RenderQueue = JobQueue[RenderJob]
MailQueue = JobQueue[MailJob]
