"""A workday: the hours an employee logged on one date."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from billtrack.domain.model.errors import ValidationFailed
from billtrack.domain.model.lifecycle import Entity
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import Hours


def ensure_not_future(day: date, today: date) -> None:
    if day > today:
        raise ValidationFailed.single("date", f"must not be after today ({today.isoformat()})")


@dataclass(frozen=True, slots=True, kw_only=True)
class Workday(Entity):
    employee_id: UUID
    day: date
    hours: Hours

    @classmethod
    def log(
        cls,
        *,
        id: UUID,
        employee_id: UUID,
        day: date,
        hours: Hours,
        today: date,
        now: datetime,
    ) -> Workday:
        ensure_not_future(day, today)
        return cls(id=id, employee_id=employee_id, day=day, hours=hours, created_at=now)

    @property
    def period(self) -> YearMonth:
        return YearMonth.of(self.day)

    def changed(self, *, employee_id: UUID, day: date, hours: Hours, today: date) -> Workday:
        ensure_not_future(day, today)
        return replace(self, employee_id=employee_id, day=day, hours=hours)
