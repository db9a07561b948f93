"""The system clock, with "today" taken in the business time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo


class SystemClock:
    def __init__(self, business_zone: tzinfo = UTC) -> None:
        self._zone = business_zone

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        # Evaluated at each call: "today" moves at midnight in the business zone, not at start-up.
        return datetime.now(self._zone).date()
