"""An in-process queue, for the embedded default's worker and for tests.

A received job stays in flight, hidden from other receivers, until it is acknowledged or released.
A released job comes again until its `max_attempts`-th delivery fails; then it is moved to
`dead_letters`, as SQS moves it to a dead-letter queue. A job that dies with the process is not
lost: the outbox still owes it, and the worker's sweep publishes it again on the next start.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Sequence
from typing import Generic

from billtrack.ports.errors import DependencyUnavailable
from billtrack.ports.queues import Delivery, JobT

DEFAULT_MAX_ATTEMPTS = 3


class InMemoryQueue(Generic[JobT]):
    def __init__(self, name: str = "queue", *, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._name = name
        self._max_attempts = max_attempts
        self.available = True
        """Set to False to act as a queue that is down: publishing and receiving raise."""
        self.dead_letters: list[JobT] = []
        self._ready: deque[tuple[JobT, int]] = deque()
        """Jobs waiting, each with the number of times it was delivered before."""
        self._in_flight: dict[str, Delivery[JobT]] = {}
        self._receipts = itertools.count(1)
        self._condition = threading.Condition()

    @property
    def name(self) -> str:
        return self._name

    @property
    def max_attempts(self) -> int:
        return self._max_attempts

    def _ensure_available(self) -> None:
        if not self.available:
            raise DependencyUnavailable(self._name)

    def publish(self, job: JobT, /) -> None:
        self._ensure_available()
        with self._condition:
            self._ready.append((job, 0))
            self._condition.notify()

    def receive(self, max_jobs: int = 10, wait_seconds: float = 0) -> Sequence[Delivery[JobT]]:
        self._ensure_available()
        with self._condition:
            if not self._ready and wait_seconds > 0:
                self._condition.wait_for(lambda: bool(self._ready), wait_seconds)
            deliveries: list[Delivery[JobT]] = []
            while self._ready and len(deliveries) < max_jobs:
                job, delivered = self._ready.popleft()
                delivery = Delivery(job, f"{self._name}-{next(self._receipts)}", delivered + 1)
                self._in_flight[delivery.receipt] = delivery
                deliveries.append(delivery)
            return deliveries

    def acknowledge(self, delivery: Delivery[JobT], /) -> None:
        with self._condition:
            self._in_flight.pop(delivery.receipt, None)

    def release(self, delivery: Delivery[JobT], /) -> None:
        with self._condition:
            if self._in_flight.pop(delivery.receipt, None) is None:
                return
            if delivery.attempt >= self._max_attempts:
                self.dead_letters.append(delivery.job)
            else:
                self._ready.append((delivery.job, delivery.attempt))
                self._condition.notify()

    def pending(self) -> list[JobT]:
        """The jobs waiting to be received, in order."""
        with self._condition:
            return [job for job, _ in self._ready]

    def __len__(self) -> int:
        """Jobs waiting or in flight."""
        with self._condition:
            return len(self._ready) + len(self._in_flight)
