"""A calendar month, the period an invoice covers."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from billtrack.domain.model.values import InvalidValue

HOURS_PER_WORKDAY = 8


@dataclass(frozen=True, slots=True, order=True)
class YearMonth:
    year: int
    month: int

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int):
            raise TypeError("year must be an int")
        if isinstance(self.month, bool) or not isinstance(self.month, int):
            raise TypeError("month must be an int")
        if not 1 <= self.month <= 12:
            raise InvalidValue("must be from 1 to 12")
        if not 1 <= self.year <= 9999:
            raise InvalidValue("must be from 1 to 9999")

    @classmethod
    def of(cls, day: date) -> YearMonth:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def contains(self, day: date) -> bool:
        return (day.year, day.month) == (self.year, self.month)

    def previous(self) -> YearMonth:
        return YearMonth.of(self.first_day - timedelta(days=1))

    def next(self) -> YearMonth:
        return YearMonth.of(self.last_day + timedelta(days=1))

    def weekdays(self) -> int:
        """How many Monday-to-Friday dates the month has (no holiday calendar)."""
        first_weekday, length = calendar.monthrange(self.year, self.month)
        full_weeks, rest = divmod(length, 7)
        extra = sum(1 for offset in range(rest) if (first_weekday + offset) % 7 < 5)
        return full_weeks * 5 + extra

    def working_hours(self) -> int:
        return self.weekdays() * HOURS_PER_WORKDAY

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
