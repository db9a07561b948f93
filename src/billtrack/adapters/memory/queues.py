"""An in-process queue, for the embedded default's worker and for tests.

A received job stays in flight until it is acknowledged. A job that dies with the process is not
lost: the outbox still owes it, and the worker's sweep publishes it again on the next start.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

from billtrack.ports.errors import DependencyUnavailable

JobT = TypeVar("JobT")


class InMemoryQueue(Generic[JobT]):
    def __init__(self, name: str = "queue") -> None:
        self.name = name
        self.available = True
        """Set to False to act as a queue that is down: publishing raises."""
        self._ready: deque[JobT] = deque()
        self._in_flight: list[JobT] = []
        self._condition = threading.Condition()

    def publish(self, job: JobT, /) -> None:
        if not self.available:
            raise DependencyUnavailable(self.name)
        with self._condition:
            self._ready.append(job)
            self._condition.notify()

    def receive(self, timeout: float | None = 0) -> JobT | None:
        """The next job, or None when none comes within `timeout` seconds."""
        with self._condition:
            if not self._ready and timeout != 0:
                self._condition.wait_for(lambda: bool(self._ready), timeout)
            if not self._ready:
                return None
            job = self._ready.popleft()
            self._in_flight.append(job)
            return job

    def acknowledge(self, job: JobT) -> None:
        with self._condition:
            self._in_flight.remove(job)

    def pending(self) -> list[JobT]:
        with self._condition:
            return list(self._ready)

    def __len__(self) -> int:
        with self._condition:
            return len(self._ready) + len(self._in_flight)
