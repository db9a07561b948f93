"""Queues that carry work to the workers. Delivery is at least once: a job may come twice."""

from __future__ import annotations

from typing import Protocol

from billtrack.ports.jobs import MailJob, RenderJob


class InvoiceQueue(Protocol):
    def publish(self, job: RenderJob, /) -> None:
        """Hand the job to the queue; raises `DependencyUnavailable` when the queue is down."""
        ...


class MailQueue(Protocol):
    def publish(self, job: MailJob, /) -> None: ...
