"""Workdays: log, get, list, change and delete, never inside a closed month."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from billtrack.domain.model.errors import (
    Conflict,
    DuplicateWorkday,
    MonthClosed,
    NotFound,
    ValidationFailed,
)
from billtrack.domain.model.views import WorkdayView
from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.ports.queries import PageRequest, SortDirection, WorkdayQuery
from tests.fakes.clock import ManualClock
from tests.unit.usecases.fixtures import World

OCT_1 = date(2024, 10, 1)
SEP_30 = date(2024, 9, 30)


def log(world: World, employee_id: UUID, day: date, hours: str = "8") -> WorkdayView:
    return world.app.log_workday(
        WorkdayDetails(day=day, hours=Decimal(hours), employee_id=employee_id)
    )


def refused_fields(world: World, details: WorkdayDetails) -> set[str]:
    with pytest.raises(ValidationFailed) as failure:
        world.app.log_workday(details)
    return set(failure.value.errors)


def all_workdays(world: World) -> list[WorkdayView]:
    return list(world.app.list_workdays(WorkdayQuery(page=PageRequest(1, 1000))).items)


# -- log -------------------------------------------------------------------------------------------


def test_log_answers_the_workday_with_its_employee_and_get_answers_the_same() -> None:
    world = World()
    employee = world.employee()

    view = log(world, employee.employee.id, OCT_1, "7.5")

    assert view.workday.day == OCT_1
    assert view.workday.hours.value == Decimal("7.50")
    assert view.employee == employee
    assert world.app.get_workday(view.workday.id) == view


def test_today_is_fine_and_tomorrow_is_refused_under_date() -> None:
    world = World()
    employee = world.employee()
    today = world.clock.today()

    assert log(world, employee.employee.id, today).workday.day == today
    fields = refused_fields(
        world,
        WorkdayDetails(
            day=today + timedelta(days=1), hours=Decimal(8), employee_id=employee.employee.id
        ),
    )

    assert fields == {"date"}
    assert len(all_workdays(world)) == 1


@pytest.mark.parametrize(
    "hours",
    [Decimal("0"), Decimal("0.00"), Decimal("-1"), Decimal("24.01"), Decimal("7.555"),
     Decimal("Infinity"), Decimal("1E+30")],
    ids=str,
)  # fmt: skip
def test_bad_hours_are_refused_under_hours(hours: Decimal) -> None:
    world = World()
    employee = world.employee()

    assert refused_fields(
        world, WorkdayDetails(day=OCT_1, hours=hours, employee_id=employee.employee.id)
    ) == {"hours"}
    assert all_workdays(world) == []


@pytest.mark.parametrize(
    ("hours", "stored"), [("24", "24.00"), ("0.01", "0.01"), ("7.50", "7.50"), ("8.000", "8.00")]
)
def test_good_hours_are_kept_with_two_places(hours: str, stored: str) -> None:
    world = World()
    employee = world.employee()

    view = log(world, employee.employee.id, OCT_1, hours)

    assert str(world.app.get_workday(view.workday.id).workday.hours.value) == stored


def test_an_unknown_or_deleted_employee_is_refused_under_employee_id() -> None:
    world = World()
    gone = world.employee()
    world.app.delete_employee(gone.employee.id)

    for employee_id in (uuid4(), gone.employee.id):
        fields = refused_fields(
            world, WorkdayDetails(day=OCT_1, hours=Decimal(8), employee_id=employee_id)
        )
        assert fields == {"employee_id"}
    assert all_workdays(world) == []


def test_every_bad_field_is_reported_at_once() -> None:
    world = World()
    tomorrow = world.clock.today() + timedelta(days=1)

    assert refused_fields(
        world, WorkdayDetails(day=tomorrow, hours=Decimal(0), employee_id=uuid4())
    ) == {
        "date",
        "hours",
        "employee_id",
    }


def test_a_second_workday_on_the_same_date_is_a_conflict() -> None:
    world = World()
    employee = world.employee()
    first = log(world, employee.employee.id, OCT_1)
    commits = world.uow.commits

    with pytest.raises(DuplicateWorkday) as refused:
        log(world, employee.employee.id, OCT_1, "2")

    assert isinstance(refused.value, Conflict)
    assert world.uow.commits == commits
    assert [w.workday.id for w in all_workdays(world)] == [first.workday.id]


def test_two_employees_may_log_the_same_date() -> None:
    world = World()
    ada = world.employee()
    grace = world.employee()

    log(world, ada.employee.id, OCT_1)
    log(world, grace.employee.id, OCT_1)

    assert len(all_workdays(world)) == 2


def test_after_a_workday_is_deleted_its_date_is_free_again() -> None:
    world = World()
    employee = world.employee()
    first = log(world, employee.employee.id, OCT_1)
    world.app.delete_workday(first.workday.id)

    second = log(world, employee.employee.id, OCT_1, "4")

    assert [w.workday.id for w in all_workdays(world)] == [second.workday.id]


def test_business_time_zone_decides_what_today_is() -> None:
    # 12:00 UTC on 15 November is 02:00 on 16 November at UTC+14.
    clock = ManualClock(datetime(2024, 11, 15, 12, 0, tzinfo=UTC), ZoneInfo("Pacific/Kiritimati"))
    world = World(clock=clock)
    employee = world.employee()
    tomorrow_in_utc = date(2024, 11, 16)

    view = log(world, employee.employee.id, tomorrow_in_utc)

    assert view.workday.day == tomorrow_in_utc
    fields = refused_fields(
        world,
        WorkdayDetails(
            day=date(2024, 11, 17), hours=Decimal(8), employee_id=view.employee.employee.id
        ),
    )
    assert fields == {"date"}


def test_in_utc_the_same_date_is_still_tomorrow() -> None:
    world = World()
    employee = world.employee()

    fields = refused_fields(
        world,
        WorkdayDetails(day=date(2024, 11, 16), hours=Decimal(8), employee_id=employee.employee.id),
    )

    assert fields == {"date"}


def test_business_time_zone_behind_utc_refuses_utc_today() -> None:
    # 02:00 UTC on 15 November is still 14 November in New York.
    clock = ManualClock(datetime(2024, 11, 15, 2, 0, tzinfo=UTC), ZoneInfo("America/New_York"))
    world = World(clock=clock)
    employee = world.employee()

    fields = refused_fields(
        world,
        WorkdayDetails(day=date(2024, 11, 15), hours=Decimal(8), employee_id=employee.employee.id),
    )

    assert fields == {"date"}
    assert log(world, employee.employee.id, date(2024, 11, 14)).workday.day == date(2024, 11, 14)


# -- get, change, delete of what is not there ---------------------------------------------------


def test_get_change_delete_of_an_unknown_or_deleted_workday_are_not_found() -> None:
    world = World()
    employee = world.employee()
    gone = log(world, employee.employee.id, OCT_1)
    world.app.delete_workday(gone.workday.id)
    details = WorkdayDetails(day=OCT_1, hours=Decimal(8), employee_id=employee.employee.id)

    for workday_id in (uuid4(), gone.workday.id):
        with pytest.raises(NotFound):
            world.app.get_workday(workday_id)
        with pytest.raises(NotFound):
            world.app.change_workday(workday_id, details)
        with pytest.raises(NotFound):
            world.app.delete_workday(workday_id)
    assert all_workdays(world) == []


# -- change -------------------------------------------------------------------------------------


def test_change_to_the_same_date_is_fine() -> None:
    world = World()
    employee = world.employee()
    view = log(world, employee.employee.id, OCT_1, "8")

    changed = world.app.change_workday(
        view.workday.id,
        WorkdayDetails(day=OCT_1, hours=Decimal("6.25"), employee_id=employee.employee.id),
    )

    assert changed.workday.hours.value == Decimal("6.25")
    again = world.app.get_workday(view.workday.id)
    assert again.workday.hours.value == Decimal("6.25")
    assert again.workday.created_at == view.workday.created_at


def test_change_moves_the_workday_to_another_date_and_employee() -> None:
    world = World()
    ada = world.employee()
    grace = world.employee()
    view = log(world, ada.employee.id, OCT_1)

    changed = world.app.change_workday(
        view.workday.id, WorkdayDetails(day=SEP_30, hours=Decimal(4), employee_id=grace.employee.id)
    )

    assert changed.employee == grace
    again = world.app.get_workday(view.workday.id)
    assert (again.workday.day, again.workday.employee_id) == (SEP_30, grace.employee.id)


def test_change_onto_another_workdays_date_is_a_conflict() -> None:
    world = World()
    employee = world.employee()
    log(world, employee.employee.id, OCT_1)
    other = log(world, employee.employee.id, SEP_30)

    with pytest.raises(DuplicateWorkday):
        world.app.change_workday(
            other.workday.id,
            WorkdayDetails(day=OCT_1, hours=Decimal(8), employee_id=employee.employee.id),
        )

    assert world.app.get_workday(other.workday.id).workday.day == SEP_30


def test_change_checks_its_fields() -> None:
    world = World()
    employee = world.employee()
    view = log(world, employee.employee.id, OCT_1)
    tomorrow = world.clock.today() + timedelta(days=1)

    with pytest.raises(ValidationFailed) as failure:
        world.app.change_workday(
            view.workday.id,
            WorkdayDetails(day=tomorrow, hours=Decimal("24.5"), employee_id=uuid4()),
        )

    assert set(failure.value.errors) == {"date", "hours", "employee_id"}
    assert world.app.get_workday(view.workday.id) == view


# -- closed months ----------------------------------------------------------------------------------


def closed_month(world: World) -> tuple[UUID, WorkdayView, WorkdayView, UUID]:
    """An employee with a workday in September 2024 (invoiced, so closed) and one in October
    (open). Answers the employee id, the two workdays and the invoice id."""
    employee = world.employee()
    employee_id = employee.employee.id
    september = log(world, employee_id, SEP_30)
    october = log(world, employee_id, OCT_1)
    invoice = world.invoice(employee_id, 2024, 9)
    return employee_id, september, october, invoice.invoice.id


def test_a_closed_month_refuses_every_change_and_nothing_changes() -> None:
    world = World()
    employee_id, september, october, _ = closed_month(world)
    before = all_workdays(world)
    commits = world.uow.commits

    attempts: list[Callable[[], object]] = [
        lambda: log(world, employee_id, date(2024, 9, 2)),  # create inside
        lambda: world.app.change_workday(  # change hours inside
            september.workday.id,
            WorkdayDetails(day=SEP_30, hours=Decimal(2), employee_id=employee_id),
        ),
        lambda: world.app.change_workday(  # move out of it
            september.workday.id,
            WorkdayDetails(
                day=OCT_1 + timedelta(days=1), hours=Decimal(8), employee_id=employee_id
            ),
        ),
        lambda: world.app.change_workday(  # move into it
            october.workday.id,
            WorkdayDetails(day=date(2024, 9, 3), hours=Decimal(8), employee_id=employee_id),
        ),
        lambda: world.app.delete_workday(september.workday.id),  # delete inside
    ]
    for attempt in attempts:
        with pytest.raises(MonthClosed) as refused:
            attempt()
        assert isinstance(refused.value, Conflict)

    assert world.uow.commits == commits
    assert all_workdays(world) == before


def test_a_closed_month_of_one_employee_is_open_for_another() -> None:
    world = World()
    closed_month(world)
    other = world.employee()

    view = log(world, other.employee.id, date(2024, 9, 2))

    assert view.workday.day == date(2024, 9, 2)


def test_moving_a_workday_to_another_employee_into_their_closed_month_is_refused() -> None:
    world = World()
    closed_employee_id, *_ = closed_month(world)
    other = world.employee()
    movable = log(world, other.employee.id, date(2024, 9, 5))

    with pytest.raises(MonthClosed):
        world.app.change_workday(
            movable.workday.id,
            WorkdayDetails(day=date(2024, 9, 5), hours=Decimal(8), employee_id=closed_employee_id),
        )

    assert world.app.get_workday(movable.workday.id).workday.employee_id == other.employee.id


def test_deleting_the_invoice_reopens_the_month() -> None:
    world = World()
    employee_id, september, _, invoice_id = closed_month(world)

    world.app.delete_invoice(invoice_id)

    added = log(world, employee_id, date(2024, 9, 2))
    changed = world.app.change_workday(
        september.workday.id, WorkdayDetails(day=SEP_30, hours=Decimal(3), employee_id=employee_id)
    )
    world.app.delete_workday(added.workday.id)
    assert changed.workday.hours.value == Decimal("3.00")
    assert [w.workday.id for w in all_workdays(world) if w.workday.day.month == 9] == [
        september.workday.id
    ]


# -- list -------------------------------------------------------------------------------------------


def test_list_filters_by_date_and_employee() -> None:
    world = World()
    ada = world.employee()
    grace = world.employee()
    a1 = log(world, ada.employee.id, OCT_1)
    log(world, ada.employee.id, SEP_30)
    g1 = log(world, grace.employee.id, OCT_1)

    by_date = world.app.list_workdays(WorkdayQuery(day=OCT_1))
    by_employee = world.app.list_workdays(WorkdayQuery(employee_id=grace.employee.id))
    both = world.app.list_workdays(WorkdayQuery(day=OCT_1, employee_id=ada.employee.id))

    assert {w.workday.id for w in by_date.items} == {a1.workday.id, g1.workday.id}
    assert by_date.total_count == 2
    assert [w.workday.id for w in by_employee.items] == [g1.workday.id]
    assert [w.workday.id for w in both.items] == [a1.workday.id]
    assert world.app.list_workdays(WorkdayQuery(day=date(2024, 1, 1))).total_count == 0


def test_list_sorts_by_date_in_both_directions_and_pages() -> None:
    world = World()
    employee = world.employee()
    days = [date(2024, 10, 3), date(2024, 10, 1), date(2024, 10, 2), date(2024, 9, 30)]
    for day in days:
        log(world, employee.employee.id, day)
        world.tick()

    def listed(query: WorkdayQuery) -> list[date]:
        return [w.workday.day for w in world.app.list_workdays(query).items]

    assert listed(WorkdayQuery()) == days
    assert listed(WorkdayQuery(sort_by_date=SortDirection.ASC)) == sorted(days)
    assert listed(WorkdayQuery(sort_by_date=SortDirection.DESC)) == sorted(days, reverse=True)
    second_page = world.app.list_workdays(
        WorkdayQuery(page=PageRequest(2, 3), sort_by_date=SortDirection.ASC)
    )
    assert [w.workday.day for w in second_page.items] == [date(2024, 10, 3)]
    assert (second_page.number, second_page.size, second_page.total_count) == (2, 3, 4)


def test_workdays_of_the_same_date_keep_creation_order_when_sorted() -> None:
    world = World()
    views = []
    for _ in range(3):
        views.append(log(world, world.employee().employee.id, OCT_1))
        world.tick()
    expected = [v.workday.id for v in views]

    for direction in (SortDirection.ASC, SortDirection.DESC):
        page = world.app.list_workdays(WorkdayQuery(sort_by_date=direction))
        assert [w.workday.id for w in page.items] == expected
