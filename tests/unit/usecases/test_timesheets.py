"""A timesheet: one employee's month of typed hours, saved in one unit of work, all or nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from billtrack.domain.model.errors import MonthClosed, NotFound, ValidationFailed
from billtrack.domain.model.period import YearMonth
from billtrack.ports.queries import PageRequest, WorkdayQuery
from tests.unit.usecases.fixtures import World

OCTOBER = YearMonth(2024, 10)
NOVEMBER = YearMonth(2024, 11)


def october(day: int) -> date:
    return date(2024, 10, day)


def hours_by_day(world: World, employee_id: UUID) -> dict[date, Decimal]:
    """The employee's active workdays, as the month's grid shows them."""
    query = WorkdayQuery(page=PageRequest(1, 1000), employee_id=employee_id)
    return {w.workday.day: w.workday.hours.value for w in world.app.list_workdays(query).items}


def test_one_save_logs_changes_and_removes_and_says_what_it_did() -> None:
    world = World()
    employee = world.employee().employee.id
    world.workday(employee, october(1), "8")
    world.workday(employee, october(2), "8")
    world.workday(employee, october(3), "6")
    commits = world.uow.commits

    saved = world.app.save_timesheet(
        employee,
        OCTOBER,
        {
            october(1): None,  # emptied: removed
            october(2): Decimal("7.5"),  # changed
            october(3): Decimal("6.00"),  # as it was: untouched
            october(4): Decimal("4"),  # logged
            october(5): None,  # emptied, and never logged: nothing to do
        },
    )

    assert (saved.logged, saved.changed, saved.removed) == (1, 1, 1)
    assert saved.total_hours == Decimal("17.50")
    assert hours_by_day(world, employee) == {
        october(2): Decimal("7.50"),
        october(3): Decimal("6.00"),
        october(4): Decimal("4.00"),
    }
    assert world.uow.commits == commits + 1  # one unit of work for the whole month


def test_the_days_not_given_are_left_as_they_are() -> None:
    world = World()
    employee = world.employee().employee.id
    world.workday(employee, october(7), "8")

    saved = world.app.save_timesheet(employee, OCTOBER, {october(8): Decimal("5")})

    assert hours_by_day(world, employee) == {
        october(7): Decimal("8.00"),
        october(8): Decimal("5.00"),
    }
    assert saved.total_hours == Decimal("13.00")


def test_a_bad_day_saves_no_day_and_is_named_by_its_date() -> None:
    world = World()
    employee = world.employee().employee.id
    for day in range(1, 17):
        world.workday(employee, october(day), "8")
    before = hours_by_day(world, employee)
    commits = world.uow.commits
    typed: dict[date, Decimal | None] = {october(day): Decimal("4") for day in range(1, 17)}
    typed[october(17)] = Decimal("25")

    with pytest.raises(ValidationFailed) as refused:
        world.app.save_timesheet(employee, OCTOBER, typed)

    assert refused.value.errors == {"2024-10-17": ("must be more than 0 and at most 24",)}
    assert hours_by_day(world, employee) == before
    assert world.uow.commits == commits


def test_every_bad_day_is_reported_at_once() -> None:
    world = World()
    employee = world.employee().employee.id

    with pytest.raises(ValidationFailed) as refused:
        world.app.save_timesheet(
            employee,
            NOVEMBER,
            {
                date(2024, 11, 4): Decimal("7.555"),
                date(2024, 11, 5): Decimal("0"),
                date(2024, 11, 15): Decimal("8"),  # today: fine
                date(2024, 11, 16): Decimal("8"),  # tomorrow
                date(2024, 12, 2): Decimal("8"),  # another month
            },
        )

    assert refused.value.errors == {
        "2024-11-04": ("must have at most 2 decimal places",),
        "2024-11-05": ("must be more than 0 and at most 24",),
        "2024-11-16": ("must not be after today (2024-11-15)",),
        "2024-12-02": ("is not in 2024-11",),
    }
    assert hours_by_day(world, employee) == {}


def test_a_closed_month_is_refused_and_nothing_changes() -> None:
    world = World()
    employee = world.employee().employee.id
    world.workday(employee, october(1), "8")
    world.invoice(employee, 2024, 10)
    before = hours_by_day(world, employee)

    with pytest.raises(MonthClosed):
        world.app.save_timesheet(employee, OCTOBER, {october(1): None, october(2): Decimal("8")})

    assert hours_by_day(world, employee) == before


def test_the_month_reopens_when_its_invoice_is_deleted() -> None:
    world = World()
    employee = world.employee().employee.id
    invoice = world.invoice(employee, 2024, 10)
    world.app.delete_invoice(invoice.invoice.id)

    saved = world.app.save_timesheet(employee, OCTOBER, {october(1): Decimal("8")})

    assert saved.logged == 1


def test_an_unknown_or_deleted_employee_is_not_found() -> None:
    world = World()
    gone = world.employee().employee.id
    world.app.delete_employee(gone)

    for employee in (gone, uuid4()):
        with pytest.raises(NotFound):
            world.app.save_timesheet(employee, OCTOBER, {october(1): Decimal("8")})


def test_another_employees_month_is_not_touched() -> None:
    world = World()
    ada, grace = world.employee().employee.id, world.employee().employee.id
    world.workday(grace, october(1), "8")

    world.app.save_timesheet(ada, OCTOBER, {october(1): None, october(2): Decimal("3")})

    assert hours_by_day(world, grace) == {october(1): Decimal("8.00")}
    assert hours_by_day(world, ada) == {october(2): Decimal("3.00")}
