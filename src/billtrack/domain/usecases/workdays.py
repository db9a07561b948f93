"""Workdays: log, read, list, change and delete, never inside a closed month; and a month of
them saved as one timesheet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from billtrack.domain.model.employee import Employee
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import FieldErrors, Hours, parse_field
from billtrack.domain.model.views import WorkdayView
from billtrack.domain.model.workday import Workday
from billtrack.domain.usecases.lookups import locked, referenced, require_active, require_view
from billtrack.domain.usecases.views import employee_view
from billtrack.ports.clock import Clock
from billtrack.ports.queries import Page, WorkdayQuery
from billtrack.ports.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkdayDetails:
    day: date
    hours: Decimal
    employee_id: UUID


def _check(uow: UnitOfWork, clock: Clock, details: WorkdayDetails) -> tuple[Hours, Employee]:
    errors = FieldErrors()
    hours = parse_field(errors, "hours", Hours, details.hours)
    today = clock.today()
    if details.day > today:
        errors.add("date", f"must not be after today ({today.isoformat()})")
    employee = referenced(uow.employees.get(details.employee_id), errors, "employee_id", "employee")
    errors.raise_if_any()
    assert hours is not None and employee is not None  # noqa: PT018 - narrowed by raise_if_any
    return hours, employee


def log_workday(details: WorkdayDetails, *, uow: UnitOfWork, clock: Clock) -> WorkdayView:
    with uow:
        hours, employee = _check(uow, clock, details)
        (month,) = uow.months.lock((employee.id, YearMonth.of(details.day)))
        month.ensure_open()
        month.ensure_day_free(details.day)
        workday = Workday.log(
            id=uuid4(),
            employee_id=employee.id,
            day=details.day,
            hours=hours,
            today=clock.today(),
            now=clock.now(),
        )
        uow.workdays.add(workday)
        view = WorkdayView(workday, employee_view(uow, employee))
        uow.commit()
    return view


def get_workday(workday_id: UUID, *, uow: UnitOfWork) -> WorkdayView:
    with uow:
        return require_view(uow.views.workday(workday_id), "workday", workday_id)


def list_workdays(query: WorkdayQuery, *, uow: UnitOfWork) -> Page[WorkdayView]:
    with uow:
        return uow.views.workdays(query)


def change_workday(
    workday_id: UUID, details: WorkdayDetails, *, uow: UnitOfWork, clock: Clock
) -> WorkdayView:
    """Change a workday; neither the month it leaves nor the one it moves into may be closed."""
    with uow:

        def find() -> Workday:
            return require_active(uow.workdays.get(workday_id), "workday", workday_id)

        find()  # an unknown workday is a 404 before the body's mistakes are a 400
        hours, employee = _check(uow, clock, details)
        workday, (source, target) = locked(
            uow,
            find,
            _month_of,
            (employee.id, YearMonth.of(details.day)),
        )
        source.ensure_open()
        target.ensure_open()
        target.ensure_day_free(details.day, ignoring_workday=workday.id)
        workday = workday.changed(
            employee_id=employee.id, day=details.day, hours=hours, today=clock.today()
        )
        uow.workdays.update(workday)
        view = WorkdayView(workday, employee_view(uow, employee))
        uow.commit()
    return view


def delete_workday(workday_id: UUID, *, uow: UnitOfWork, clock: Clock) -> None:
    with uow:
        workday, (month,) = locked(
            uow,
            lambda: require_active(uow.workdays.get(workday_id), "workday", workday_id),
            _month_of,
        )
        month.ensure_open()
        uow.workdays.update(workday.deleted(clock.now()))
        uow.commit()


@dataclass(frozen=True, slots=True, kw_only=True)
class TimesheetSaved:
    """What saving a timesheet did, and the month's hours after it."""

    logged: int
    changed: int
    removed: int
    total_hours: Decimal


def save_timesheet(
    employee_id: UUID,
    period: YearMonth,
    hours_by_day: Mapping[date, Decimal | None],
    *,
    uow: UnitOfWork,
    clock: Clock,
) -> TimesheetSaved:
    """Save one employee's month as typed: a day's hours log its workday or change it, None
    removes it, and the days not given are left as they are. All of it in one unit of work, so
    either every day is saved or none is.

    Refuses an unknown or deleted employee (`NotFound`), a closed month (`MonthClosed`), and
    hours that break a rule (`ValidationFailed`, each day's messages under its ISO date, such
    as `2024-10-17`, so the caller can show them next to that day)."""
    with uow:
        employee = require_active(uow.employees.get(employee_id), "employee", employee_id)
        hours = _timesheet_hours(period, hours_by_day, clock.today())
        (month,) = uow.months.lock((employee.id, period))
        month.ensure_open()
        saved = {w.day: w for w in month.workdays}
        logged = changed = removed = 0
        for day, typed in sorted(hours.items()):
            workday = saved.get(day)
            if typed is None:
                if workday is not None:
                    uow.workdays.update(workday.deleted(clock.now()))
                    del saved[day]
                    removed += 1
            elif workday is None:
                saved[day] = Workday.log(
                    id=uuid4(),
                    employee_id=employee.id,
                    day=day,
                    hours=typed,
                    today=clock.today(),
                    now=clock.now(),
                )
                uow.workdays.add(saved[day])
                logged += 1
            elif workday.hours != typed:
                saved[day] = workday.changed(
                    employee_id=employee.id, day=day, hours=typed, today=clock.today()
                )
                uow.workdays.update(saved[day])
                changed += 1
        total = sum((w.hours.value for w in saved.values()), Decimal("0.00"))
        uow.commit()
    return TimesheetSaved(logged=logged, changed=changed, removed=removed, total_hours=total)


def _timesheet_hours(
    period: YearMonth, hours_by_day: Mapping[date, Decimal | None], today: date
) -> dict[date, Hours | None]:
    """Every day's hours checked, before anything is written: all the mistakes at once."""
    errors = FieldErrors()
    checked: dict[date, Hours | None] = {}
    for day, typed in hours_by_day.items():
        field = day.isoformat()
        if not period.contains(day):
            errors.add(field, f"is not in {period}")
        elif typed is None:
            checked[day] = None
        elif (hours := parse_field(errors, field, Hours, typed)) is not None:
            if day > today:
                errors.add(field, f"must not be after today ({today.isoformat()})")
            checked[day] = hours
    errors.raise_if_any()
    return checked


def _month_of(workday: Workday) -> tuple[UUID, YearMonth]:
    return workday.employee_id, workday.period
