"""Workdays: log, read, list, change and delete, never inside a closed month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from billtrack.domain.model.employee import Employee
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import FieldErrors, Hours, parse_field
from billtrack.domain.model.workday import Workday
from billtrack.domain.usecases.lookups import locked, referenced, require_active
from billtrack.domain.usecases.views import WorkdayView, employee_view, employee_views_by_id
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
        workday = require_active(uow.workdays.get(workday_id), "workday", workday_id)
        employee = uow.employees.get(workday.employee_id)
        assert employee is not None, "a workday's employee is never removed"
        return WorkdayView(workday, employee_view(uow, employee))


def list_workdays(query: WorkdayQuery, *, uow: UnitOfWork) -> Page[WorkdayView]:
    with uow:
        page = uow.workdays.list(query)
        employees = employee_views_by_id(uow, {w.employee_id for w in page.items})
        items = tuple(WorkdayView(w, employees[w.employee_id]) for w in page.items)
        return Page(items, page.number, page.size, page.total_count)


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


def _month_of(workday: Workday) -> tuple[UUID, YearMonth]:
    return workday.employee_id, workday.period
