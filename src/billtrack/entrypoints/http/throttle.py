"""Failed-login throttling: after 10 failures for one e-mail, or 50 from one client address,
within 15 minutes, logins are refused (429) until the window has passed.

The counts live in the process. One API process (the embedded default) sees them all; API Lambdas
each count their own, which still bounds guessing per container.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import datetime, timedelta

from billtrack.domain.model.values import email_key

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 10
PER_ADDRESS = 50


class LoginThrottle:
    def __init__(
        self,
        now: Callable[[], datetime],
        window: timedelta = WINDOW,
        per_account: int = PER_ACCOUNT,
        per_address: int = PER_ADDRESS,
    ) -> None:
        self._now = now
        self._window = window
        self._limits = {"account": per_account, "address": per_address}
        self._failures: defaultdict[tuple[str, str], deque[datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _keys(self, email: str, address: str) -> list[tuple[str, str]]:
        return [("account", email_key(email)), ("address", address)]

    def retry_after(self, email: str, address: str) -> int:
        """Seconds until a login may be tried again; 0 when it may be tried now."""
        now = self._now()
        wait = 0.0
        with self._lock:
            for key in self._keys(email, address):
                failures = self._failures[key]
                while failures and failures[0] <= now - self._window:
                    failures.popleft()
                if len(failures) >= self._limits[key[0]]:
                    reopens = failures[len(failures) - self._limits[key[0]]] + self._window
                    wait = max(wait, (reopens - now).total_seconds())
        return math.ceil(wait)

    def failed(self, email: str, address: str) -> None:
        with self._lock:
            for key in self._keys(email, address):
                self._failures[key].append(self._now())

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(("account", email_key(email)), None)
