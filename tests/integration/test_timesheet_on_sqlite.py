"""A timesheet is saved in one transaction of the real database: a failure half-way through the
month's writes leaves none of them behind."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import TracebackType
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine

from billtrack.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.workday import Workday
from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.ports.queries import PageRequest, WorkdayQuery
from tests.integration.test_postgres_concurrency import application, hire

OCTOBER = YearMonth(2024, 10)
FAILING_DAY = date(2024, 10, 17)


class DiskFull(Exception):
    """What the database might say half-way through."""


class WorkdaysFailingOn:
    """The workday repository, but writing `day` fails, after the days before it were written."""

    def __init__(self, inner: Any, day: date) -> None:
        self._inner, self._day = inner, day

    def add(self, workday: Workday) -> None:
        if workday.day == self._day:
            raise DiskFull(f"no room for {workday.day}")
        self._inner.add(workday)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class FailingOn:
    """A SQLite unit of work whose write of one day's workday fails."""

    def __init__(self, engine: Engine, day: date) -> None:
        self._inner = SqlAlchemyUnitOfWork(engine)
        self._day = day

    @property
    def workdays(self) -> WorkdaysFailingOn:
        return WorkdaysFailingOn(self._inner.workdays, self._day)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> FailingOn:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, traceback)


def stored_hours(engine: Engine, employee_id: UUID) -> dict[date, Decimal]:
    query = WorkdayQuery(page=PageRequest(1, 1000), employee_id=employee_id)
    found = application(engine).list_workdays(query)
    return {w.workday.day: w.workday.hours.value for w in found.items}


def test_a_failure_half_way_through_a_month_leaves_nothing_written(sqlite_engine: Engine) -> None:
    (employee,) = hire(sqlite_engine, 1)
    app = application(sqlite_engine)
    for day in (1, 2, 3):
        app.log_workday(
            WorkdayDetails(day=date(2024, 10, day), hours=Decimal("8"), employee_id=employee)
        )
    before = stored_hours(sqlite_engine, employee)
    # Days 1 to 16 change, are removed or are logged; day 17 is new, and its write fails.
    typed: dict[date, Decimal | None] = {date(2024, 10, 1): None, date(2024, 10, 2): Decimal("4")}
    typed |= {date(2024, 10, day): Decimal("7.5") for day in range(4, 18)}
    failing = application(sqlite_engine, new_uow=lambda: FailingOn(sqlite_engine, FAILING_DAY))

    with pytest.raises(DiskFull):
        failing.save_timesheet(employee, OCTOBER, typed)

    assert stored_hours(sqlite_engine, employee) == before
    # And without the failure, the same save writes every day at once.
    saved = app.save_timesheet(employee, OCTOBER, typed)
    assert (saved.logged, saved.changed, saved.removed) == (14, 1, 1)
    assert stored_hours(sqlite_engine, employee) == {
        date(2024, 10, 2): Decimal("4.00"),
        date(2024, 10, 3): Decimal("8.00"),
        **{date(2024, 10, day): Decimal("7.50") for day in range(4, 18)},
    }
