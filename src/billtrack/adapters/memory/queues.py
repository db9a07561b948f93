"""An in-process queue, for the embedded default's worker and for tests.

A received job stays in flight, hidden from other receivers, until it is acknowledged or released.
A released job comes again (after `retry_delays`, as an SQS visibility timeout would hold it back)
until its `max_attempts`-th delivery fails; then it is moved to `dead_letters`, as SQS moves it to
a dead-letter queue. A job that dies with the process is not
lost: the outbox still owes it, and the worker's sweep publishes it again on the next start.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from typing import Generic

from billtrack.ports.errors import DependencyUnavailable
from billtrack.ports.queues import Delivery, JobT

DEFAULT_MAX_ATTEMPTS = 3


class InMemoryQueue(Generic[JobT]):
    def __init__(
        self,
        name: str = "queue",
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        retry_delays: Sequence[float] = (),
    ) -> None:
        """`retry_delays[n - 1]` seconds pass before a job released after its n-th delivery
        comes again (the last delay for later ones); none by default."""
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._retry_delays = tuple(retry_delays)
        self._name = name
        self._max_attempts = max_attempts
        self.available = True
        """Set to False to act as a queue that is down: publishing and receiving raise."""
        self.dead_letters: list[JobT] = []
        self._ready: list[tuple[JobT, int, float]] = []
        """Jobs waiting, each with the number of times it was delivered before and the
        monotonic time from which it may be delivered."""
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
            self._ready.append((job, 0, 0.0))
            self._condition.notify()

    def receive(self, max_jobs: int = 10, wait_seconds: float = 0) -> Sequence[Delivery[JobT]]:
        self._ensure_available()
        deadline = time.monotonic() + wait_seconds
        with self._condition:
            while not self._due() and (left := deadline - time.monotonic()) > 0:
                later = [ready_at for _, _, ready_at in self._ready]
                until_due = min(later) - time.monotonic() if later else left
                self._condition.wait(max(0.0, min(left, until_due)))
            deliveries: list[Delivery[JobT]] = []
            for entry in self._due()[:max_jobs]:
                self._ready.remove(entry)
                job, delivered, _ = entry
                delivery = Delivery(job, f"{self._name}-{next(self._receipts)}", delivered + 1)
                self._in_flight[delivery.receipt] = delivery
                deliveries.append(delivery)
            return deliveries

    def _due(self) -> list[tuple[JobT, int, float]]:
        now = time.monotonic()
        return [entry for entry in self._ready if entry[2] <= now]

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
                ready_at = time.monotonic() + self._delay_after(delivery.attempt)
                self._ready.append((delivery.job, delivery.attempt, ready_at))
                self._condition.notify()

    def _delay_after(self, attempt: int) -> float:
        if not self._retry_delays:
            return 0.0
        return self._retry_delays[min(attempt, len(self._retry_delays)) - 1]

    def pending(self) -> list[JobT]:
        """The jobs waiting to be received, in order."""
        with self._condition:
            return [job for job, _, _ in self._ready]

    def __len__(self) -> int:
        """Jobs waiting or in flight."""
        with self._condition:
            return len(self._ready) + len(self._in_flight)
