"""A clock that stands still until a test moves it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo


class ManualClock:
    def __init__(self, now: datetime, business_zone: tzinfo = UTC) -> None:
        if now.tzinfo is None:
            raise ValueError("a clock's time must be timezone-aware")
        self._now = now.astimezone(UTC)
        self._zone = business_zone

    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return self._now.astimezone(self._zone).date()

    def set(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("a clock's time must be timezone-aware")
        self._now = now.astimezone(UTC)

    def advance(self, by: timedelta) -> None:
        self._now += by
