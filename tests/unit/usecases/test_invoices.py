"""Invoices: issue one or a month's batch, read, list, revise, delete, and the download link."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from threading import Thread
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from billtrack.domain.model.errors import (
    Conflict,
    DuplicateInvoice,
    NotFound,
    NotReady,
    ValidationFailed,
)
from billtrack.domain.model.invoice import InvoiceStatus
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.views import EmployeeView, InvoiceView
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.ports.jobs import RenderJob
from billtrack.ports.queries import InvoiceQuery, PageRequest, SortDirection
from tests.fakes.clock import ManualClock
from tests.unit.usecases.fixtures import World


def create(world: World, employee_id: UUID, year: int = 2024, month: int = 10) -> InvoiceView:
    return world.app.create_invoice(InvoiceDetails(year=year, month=month, employee_id=employee_id))


def change(
    world: World, invoice_id: UUID, employee_id: UUID, year: int = 2024, month: int = 10
) -> InvoiceView:
    return world.app.change_invoice(
        invoice_id, InvoiceDetails(year=year, month=month, employee_id=employee_id)
    )


def refused_fields(world: World, details: InvoiceDetails) -> set[str]:
    with pytest.raises(ValidationFailed) as failure:
        world.app.create_invoice(details)
    return set(failure.value.errors)


def all_invoices(world: World) -> list[InvoiceView]:
    return list(world.app.list_invoices(InvoiceQuery(page=PageRequest(1, 1000))).items)


def with_october_hours(world: World, salary: str = "4000.00") -> EmployeeView:
    """The contract's example: two workdays of 8 hours in October 2024."""
    employee = world.employee(salary=salary)
    world.workday(employee.employee.id, date(2024, 10, 1), "8")
    world.workday(employee.employee.id, date(2024, 10, 2), "8")
    return employee


# -- create ------------------------------------------------------------------------------------


def test_the_contract_example() -> None:
    world = World()
    employee = with_october_hours(world)

    view = create(world, employee.employee.id, 2024, 10)

    invoice = view.invoice
    assert invoice.period == YearMonth(2024, 10)
    assert invoice.totals.weekdays == 23
    assert invoice.totals.total_hours == Decimal("16.00")
    assert str(invoice.totals.total_hours) == "16.00"
    assert invoice.totals.hourly_rate == Decimal("21.7391")
    assert invoice.totals.amount.amount == Decimal("347.83")
    assert str(invoice.number) == "2024-000001"
    assert invoice.status is InvoiceStatus.PENDING
    assert invoice.error is None
    assert not invoice.is_url_ready
    assert invoice.pdf_key is None
    assert invoice.generated_at is None
    assert invoice.created_at == world.clock.now()
    assert invoice.issued_on == date(2024, 11, 15)
    assert view.employee == employee
    assert world.app.get_invoice(invoice.id) == view


def test_the_amount_is_rounded_exactly_half_away_from_zero() -> None:
    """The contract's half-cent case: salary 1005.00, 21 weekdays, 119 hours give 711.88."""
    world = World()
    employee = world.employee(salary="1005.00")
    assert YearMonth(2024, 2).weekdays() == 21
    for day in range(1, 16):
        world.workday(employee.employee.id, date(2024, 2, day), "7" if day == 1 else "8")

    invoice = create(world, employee.employee.id, 2024, 2).invoice

    assert invoice.totals.total_hours == Decimal("119.00")
    assert invoice.totals.amount.amount == Decimal("711.88")


def test_weekend_workdays_count_and_other_months_and_employees_do_not() -> None:
    world = World()
    employee = world.employee()
    other = world.employee()
    world.workday(employee.employee.id, date(2024, 10, 5), "3.5")  # a Saturday
    world.workday(employee.employee.id, date(2024, 10, 31), "1.25")
    world.workday(employee.employee.id, date(2024, 9, 30), "8")
    world.workday(employee.employee.id, date(2024, 11, 1), "8")
    world.workday(other.employee.id, date(2024, 10, 7), "8")

    invoice = create(world, employee.employee.id, 2024, 10).invoice

    assert invoice.totals.total_hours == Decimal("4.75")


def test_a_month_without_workdays_gives_zero_totals() -> None:
    world = World()
    employee = world.employee()

    invoice = create(world, employee.employee.id, 2024, 10).invoice

    assert invoice.totals.total_hours == Decimal("0.00")
    assert invoice.totals.amount.amount == Decimal("0.00")
    assert invoice.totals.hourly_rate == Decimal("21.7391")
    assert str(invoice.number) == "2024-000001"


@pytest.mark.parametrize(
    ("month", "year", "fields"),
    [
        (13, 2024, {"month"}),
        (0, 2024, {"month"}),
        (-1, 2024, {"month"}),
        (10, 1999, {"year"}),
        (0, 1999, {"month", "year"}),
    ],
)
def test_bad_month_or_year_is_refused(month: int, year: int, fields: set[str]) -> None:
    world = World()
    employee = world.employee()

    assert (
        refused_fields(
            world, InvoiceDetails(year=year, month=month, employee_id=employee.employee.id)
        )
        == fields
    )
    assert all_invoices(world) == []


def test_every_bad_field_is_reported_at_once() -> None:
    world = World()

    assert refused_fields(world, InvoiceDetails(year=1999, month=13, employee_id=uuid4())) == {
        "month",
        "year",
        "employee_id",
    }


@pytest.mark.parametrize(("year", "month"), [(2024, 12), (2025, 1), (2025, 11)])
def test_a_month_after_the_current_one_is_refused_under_month(year: int, month: int) -> None:
    world = World()
    employee = world.employee()

    assert refused_fields(
        world, InvoiceDetails(year=year, month=month, employee_id=employee.employee.id)
    ) == {"month"}


def test_the_current_month_may_be_invoiced() -> None:
    world = World()
    employee = world.employee()

    assert create(world, employee.employee.id, 2024, 11).invoice.period == YearMonth(2024, 11)


def test_the_current_month_is_taken_in_the_business_time_zone() -> None:
    # 12:00 UTC on 30 November is 02:00 on 1 December at UTC+14.
    clock = ManualClock(datetime(2024, 11, 30, 12, tzinfo=UTC), ZoneInfo("Pacific/Kiritimati"))
    world = World(clock=clock)
    employee = world.employee()

    invoice = create(world, employee.employee.id, 2024, 12).invoice

    assert invoice.period == YearMonth(2024, 12)
    assert invoice.issued_on == date(2024, 12, 1)


def test_an_unknown_or_deleted_employee_is_refused_under_employee_id() -> None:
    world = World()
    gone = world.employee()
    world.app.delete_employee(gone.employee.id)

    for employee_id in (uuid4(), gone.employee.id):
        assert refused_fields(
            world, InvoiceDetails(year=2024, month=10, employee_id=employee_id)
        ) == {"employee_id"}


def test_a_second_active_invoice_for_the_month_is_a_conflict() -> None:
    world = World()
    employee = world.employee()
    first = create(world, employee.employee.id)
    commits = world.uow.commits

    with pytest.raises(DuplicateInvoice) as refused:
        create(world, employee.employee.id)

    assert isinstance(refused.value, Conflict)
    assert world.uow.commits == commits
    assert [i.invoice.id for i in all_invoices(world)] == [first.invoice.id]
    assert world.render_queue.pending() == [RenderJob(first.invoice.id, 1)]


def test_another_month_or_employee_is_no_duplicate() -> None:
    world = World()
    ada = world.employee()
    grace = world.employee()

    create(world, ada.employee.id, 2024, 10)
    create(world, ada.employee.id, 2024, 9)
    create(world, grace.employee.id, 2024, 10)

    assert len(all_invoices(world)) == 3


# -- numbers ----------------------------------------------------------------------------------


def test_numbers_are_sequential() -> None:
    world = World()
    numbers = [str(create(world, world.employee().employee.id).invoice.number) for _ in range(3)]

    assert numbers == ["2024-000001", "2024-000002", "2024-000003"]


def test_a_creation_that_fails_does_not_use_up_a_number() -> None:
    world = World()
    ada = world.employee()
    create(world, ada.employee.id)
    with pytest.raises(DuplicateInvoice):
        create(world, ada.employee.id)
    with pytest.raises(ValidationFailed):
        create(world, ada.employee.id, 2024, 12)
    with pytest.raises(ValidationFailed):
        create(world, uuid4())

    second = create(world, world.employee().employee.id)

    assert str(second.invoice.number) == "2024-000002"


def test_a_deleted_invoice_keeps_its_number() -> None:
    world = World()
    employee = world.employee()
    first = create(world, employee.employee.id)
    world.app.delete_invoice(first.invoice.id)

    again = create(world, employee.employee.id)

    assert str(again.invoice.number) == "2024-000002"


def test_the_number_year_is_the_year_of_creation_not_of_the_month() -> None:
    world = World()
    employee = world.employee()
    create(world, employee.employee.id, 2024, 11)
    world.clock.set(datetime(2025, 1, 10, 9, tzinfo=UTC))

    december = create(world, employee.employee.id, 2024, 12)
    next_one = create(world, world.employee().employee.id, 2024, 12)

    assert str(december.invoice.number) == "2025-000001"
    assert december.invoice.issued_on == date(2025, 1, 10)
    assert str(next_one.invoice.number) == "2025-000002"


def test_the_number_year_is_taken_in_the_business_time_zone() -> None:
    # 23:00 UTC on 31 December 2024 is already 1 January 2025 at UTC+14.
    clock = ManualClock(datetime(2024, 12, 31, 23, tzinfo=UTC), ZoneInfo("Pacific/Kiritimati"))
    world = World(clock=clock)
    employee = world.employee()

    invoice = create(world, employee.employee.id, 2024, 12).invoice

    assert str(invoice.number) == "2025-000001"


def test_concurrent_creations_get_numbers_without_gaps_or_repeats() -> None:
    world = World()
    employee_ids = [world.employee().employee.id for _ in range(12)]
    numbers: list[str] = []
    conflicts: list[Exception] = []
    # Each request has its own unit of work over the shared store, as each API request does.
    app = world.concurrent_app()

    def issue(employee_id: UUID) -> None:
        try:
            view = app.create_invoice(InvoiceDetails(year=2024, month=10, employee_id=employee_id))
            numbers.append(str(view.invoice.number))
        except DuplicateInvoice as exc:
            conflicts.append(exc)

    # Every employee twice: one of each pair wins, the other is a duplicate.
    threads = [Thread(target=issue, args=(e,)) for e in employee_ids * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(numbers) == [f"2024-{n:06d}" for n in range(1, 13)]
    assert len(conflicts) == 12
    assert len(all_invoices(world)) == 12


# -- the render job: queue and outbox ------------------------------------------------------------


def test_creating_queues_a_render_job_and_owes_it_in_the_outbox() -> None:
    world = World()
    employee = world.employee()

    view = create(world, employee.employee.id)

    job = RenderJob(view.invoice.id, 1)
    assert world.render_queue.pending() == [job]
    assert world.owed_renders() == [job]
    # Published just now: the sweeper does not send it again yet.
    assert world.owed_renders(world.clock.now() - timedelta(minutes=5)) == []
    assert world.app.republish_owed() == 0
    assert world.render_queue.pending() == [job]


def test_with_the_queue_down_creation_succeeds_and_the_sweeper_publishes_later() -> None:
    world = World()
    employee = world.employee()
    world.render_queue.available = False

    view = create(world, employee.employee.id)

    job = RenderJob(view.invoice.id, 1)
    assert world.app.get_invoice(view.invoice.id).invoice.status is InvoiceStatus.PENDING
    assert world.render_queue.pending() == []
    # Never published: owed at once, whatever the age limit.
    assert world.owed_renders(world.clock.now() - timedelta(days=1)) == [job]
    assert world.app.republish_owed() == 0
    assert world.owed_renders(world.clock.now() - timedelta(days=1)) == [job]

    world.render_queue.available = True
    assert world.app.republish_owed() == 1

    assert world.render_queue.pending() == [job]
    assert world.app.republish_owed() == 0
    assert world.render_queue.pending() == [job]


def test_the_sweeper_publishes_again_what_waited_too_long() -> None:
    world = World()
    view = create(world, world.employee().employee.id)
    world.clock.advance(timedelta(minutes=6))

    assert world.app.republish_owed() == 1

    job = RenderJob(view.invoice.id, 1)
    assert world.render_queue.pending() == [job, job]


def test_a_rendered_invoice_is_no_longer_owed() -> None:
    world = World()
    create(world, world.employee().employee.id)

    world.run_render_worker()
    world.clock.advance(timedelta(hours=1))

    assert world.owed_renders() == []
    assert world.app.republish_owed() == 0


# -- change -----------------------------------------------------------------------------------


def test_change_to_another_month_keeps_the_number_and_renders_again() -> None:
    world = World()
    employee = with_october_hours(world)
    world.workday(employee.employee.id, date(2024, 9, 2), "4")
    view = create(world, employee.employee.id, 2024, 10)
    world.run_render_worker()
    assert world.app.get_invoice(view.invoice.id).invoice.is_url_ready

    changed = change(world, view.invoice.id, employee.employee.id, 2024, 9)

    invoice = changed.invoice
    assert invoice.number == view.invoice.number
    assert invoice.period == YearMonth(2024, 9)
    assert invoice.totals.total_hours == Decimal("4.00")
    assert invoice.totals.weekdays == 21
    assert invoice.totals.amount.amount == Decimal("95.24")  # 4000 * 4 / 168
    assert invoice.revision == 2
    assert invoice.status is InvoiceStatus.PENDING
    assert not invoice.is_url_ready
    assert invoice.created_at == view.invoice.created_at
    assert world.app.get_invoice(view.invoice.id) == changed
    assert world.render_queue.pending() == [RenderJob(view.invoice.id, 2)]
    assert world.owed_renders() == [RenderJob(view.invoice.id, 2)]
    with pytest.raises(NotReady):
        world.app.download_link(view.invoice.id)


def test_change_to_another_month_moves_the_closed_month() -> None:
    world = World()
    employee = world.employee()
    employee_id = employee.employee.id
    view = create(world, employee_id, 2024, 10)

    change(world, view.invoice.id, employee_id, 2024, 9)

    # October is open again, September is closed.
    world.workday(employee_id, date(2024, 10, 1))
    with pytest.raises(Conflict):
        world.workday(employee_id, date(2024, 9, 2))
    assert str(create(world, employee_id, 2024, 10).invoice.number) == "2024-000002"


def test_change_to_another_employee_recomputes_with_their_salary_and_hours() -> None:
    world = World()
    ada = with_october_hours(world, salary="4000.00")
    grace = world.employee(salary="2300.00")
    world.workday(grace.employee.id, date(2024, 10, 3), "10")
    view = create(world, ada.employee.id, 2024, 10)

    changed = change(world, view.invoice.id, grace.employee.id, 2024, 10)

    assert changed.employee == grace
    assert changed.invoice.employee_id == grace.employee.id
    assert changed.invoice.totals.total_hours == Decimal("10.00")
    assert changed.invoice.totals.amount.amount == Decimal("125.00")  # 2300 * 10 / 184
    assert changed.invoice.revision == 2
    # Ada's October is open again.
    assert create(world, ada.employee.id, 2024, 10).invoice.employee_id == ada.employee.id


def test_change_with_the_same_month_and_employee_changes_nothing() -> None:
    world = World()
    employee = with_october_hours(world)
    view = create(world, employee.employee.id, 2024, 10)
    world.run_render_worker()
    rendered = world.app.get_invoice(view.invoice.id)

    same = change(world, view.invoice.id, employee.employee.id, 2024, 10)

    assert same.invoice == rendered.invoice
    assert same.invoice.revision == 1
    assert same.invoice.is_url_ready
    assert world.app.get_invoice(view.invoice.id) == rendered
    assert world.render_queue.pending() == []
    assert world.owed_renders() == []


def test_totals_are_a_snapshot_until_the_invoice_is_changed() -> None:
    world = World()
    employee = with_october_hours(world)
    view = create(world, employee.employee.id, 2024, 10)
    world.app.change_employee(
        employee.employee.id,
        EmployeeDetails(
            email=employee.employee.email.value,
            firstname="Ada",
            lastname="Lovelace",
            salary=Decimal("8000.00"),
            department_id=employee.department.id,
            project_id=employee.project.id,
        ),
    )

    kept = world.app.get_invoice(view.invoice.id)
    assert kept.invoice.totals.amount.amount == Decimal("347.83")
    assert kept.invoice.totals.salary.amount == Decimal("4000.00")
    assert kept.employee.employee.salary.amount == Decimal("8000.00")

    moved = change(world, view.invoice.id, employee.employee.id, 2024, 9)
    assert moved.invoice.totals.salary.amount == Decimal("8000.00")


def test_change_into_a_month_with_another_invoice_is_a_conflict() -> None:
    world = World()
    employee = world.employee()
    october = create(world, employee.employee.id, 2024, 10)
    september = create(world, employee.employee.id, 2024, 9)
    queued = world.render_queue.pending()

    with pytest.raises(DuplicateInvoice):
        change(world, september.invoice.id, employee.employee.id, 2024, 10)

    assert world.app.get_invoice(september.invoice.id) == september
    assert world.app.get_invoice(october.invoice.id) == october
    assert world.render_queue.pending() == queued


def test_change_checks_its_fields() -> None:
    world = World()
    employee = world.employee()
    view = create(world, employee.employee.id, 2024, 10)

    with pytest.raises(ValidationFailed) as failure:
        change(world, view.invoice.id, uuid4(), 1999, 13)
    with pytest.raises(ValidationFailed) as future:
        change(world, view.invoice.id, employee.employee.id, 2024, 12)

    assert set(failure.value.errors) == {"month", "year", "employee_id"}
    assert set(future.value.errors) == {"month"}
    assert world.app.get_invoice(view.invoice.id) == view


def test_change_of_an_unknown_or_deleted_invoice_is_not_found() -> None:
    world = World()
    employee = world.employee()
    view = create(world, employee.employee.id, 2024, 10)
    world.app.delete_invoice(view.invoice.id)

    for invoice_id in (uuid4(), view.invoice.id):
        with pytest.raises(NotFound):
            change(world, invoice_id, employee.employee.id, 2024, 9)
    assert all_invoices(world) == []


# -- delete ------------------------------------------------------------------------------------


def test_delete_hides_the_invoice_reopens_the_month_and_settles_the_outbox() -> None:
    world = World()
    employee = world.employee()
    employee_id = employee.employee.id
    kept = create(world, employee_id, 2024, 9)
    view = create(world, employee_id, 2024, 10)

    world.app.delete_invoice(view.invoice.id)

    with pytest.raises(NotFound):
        world.app.get_invoice(view.invoice.id)
    with pytest.raises(NotFound):
        world.app.delete_invoice(view.invoice.id)
    with pytest.raises(NotFound):
        world.app.download_link(view.invoice.id)
    assert [i.invoice.id for i in all_invoices(world)] == [kept.invoice.id]
    assert world.owed_renders() == [RenderJob(kept.invoice.id, 1)]
    world.app.log_workday(
        WorkdayDetails(day=date(2024, 10, 1), hours=Decimal(8), employee_id=employee_id)
    )
    assert world.stored_invoice(view.invoice.id).deleted_at == world.clock.now()


def test_get_of_an_unknown_invoice_is_not_found() -> None:
    world = World()

    with pytest.raises(NotFound):
        world.app.get_invoice(uuid4())
    with pytest.raises(NotFound):
        world.app.delete_invoice(uuid4())


# -- list --------------------------------------------------------------------------------------


def test_list_filters_by_employee_month_and_year() -> None:
    world = World()
    ada = world.employee()
    grace = world.employee()
    a_oct = create(world, ada.employee.id, 2024, 10)
    a_sep = create(world, ada.employee.id, 2024, 9)
    a_old = create(world, ada.employee.id, 2023, 10)
    g_oct = create(world, grace.employee.id, 2024, 10)

    def ids(query: InvoiceQuery) -> set[UUID]:
        page = world.app.list_invoices(query)
        assert page.total_count == len(page.items)
        return {i.invoice.id for i in page.items}

    assert ids(InvoiceQuery(employee_id=ada.employee.id)) == {
        a_oct.invoice.id,
        a_sep.invoice.id,
        a_old.invoice.id,
    }
    assert ids(InvoiceQuery(month=10)) == {a_oct.invoice.id, a_old.invoice.id, g_oct.invoice.id}
    assert ids(InvoiceQuery(year=2024)) == {a_oct.invoice.id, a_sep.invoice.id, g_oct.invoice.id}
    assert ids(InvoiceQuery(employee_id=ada.employee.id, month=10, year=2024)) == {a_oct.invoice.id}
    assert ids(InvoiceQuery(employee_id=uuid4())) == set()


def test_list_sorts_by_year_then_month_in_both_directions() -> None:
    world = World()
    employee = world.employee()
    periods = [(2024, 2), (2023, 11), (2024, 10), (2023, 12), (2024, 1)]
    for year, month in periods:
        create(world, employee.employee.id, year, month)
        world.tick()

    def listed(direction: SortDirection | None) -> list[tuple[int, int]]:
        page = world.app.list_invoices(InvoiceQuery(sort_by_date=direction))
        return [(i.invoice.period.year, i.invoice.period.month) for i in page.items]

    assert listed(None) == periods
    assert listed(SortDirection.ASC) == sorted(periods)
    assert listed(SortDirection.DESC) == sorted(periods, reverse=True)


def test_list_pages_and_embeds_the_employee() -> None:
    world = World()
    employee = world.employee()
    for month in range(1, 8):
        create(world, employee.employee.id, 2024, month)
        world.tick()

    page = world.app.list_invoices(
        InvoiceQuery(page=PageRequest(2, 3), sort_by_date=SortDirection.ASC)
    )

    assert [i.invoice.period.month for i in page.items] == [4, 5, 6]
    assert (page.number, page.size, page.total_count) == (2, 3, 7)
    assert all(i.employee == employee for i in page.items)


# -- the month-end batch -------------------------------------------------------------------------


def test_the_batch_invoices_every_active_employee_once() -> None:
    world = World()
    ada = with_october_hours(world)
    grace = world.employee()
    gone = world.employee()
    world.app.delete_employee(gone.employee.id)

    run = world.app.run_month(year=2024, month=10)

    assert {v.invoice.employee_id for v in run.created} == {ada.employee.id, grace.employee.id}
    assert run.already_invoiced == 0
    assert sorted(str(v.invoice.number) for v in run.created) == ["2024-000001", "2024-000002"]
    by_employee = {v.invoice.employee_id: v.invoice for v in run.created}
    assert by_employee[ada.employee.id].totals.amount.amount == Decimal("347.83")
    assert by_employee[grace.employee.id].totals.amount.amount == Decimal("0.00")
    assert {j.invoice_id for j in world.render_queue.pending()} == {
        i.id for i in by_employee.values()
    }

    again = world.app.run_month(year=2024, month=10)

    assert again.created == ()
    assert again.already_invoiced == 2
    assert len(all_invoices(world)) == 2
    assert len(world.render_queue.pending()) == 2


def test_the_batch_skips_who_was_invoiced_by_hand() -> None:
    world = World()
    ada = world.employee()
    grace = world.employee()
    create(world, ada.employee.id, 2024, 10)

    run = world.app.run_month(year=2024, month=10)

    assert [v.invoice.employee_id for v in run.created] == [grace.employee.id]
    assert run.already_invoiced == 1


def test_the_batch_refuses_a_month_after_the_current_one() -> None:
    world = World()
    world.employee()

    with pytest.raises(ValidationFailed) as failure:
        world.app.run_month(year=2024, month=12)

    assert set(failure.value.errors) == {"month"}
    assert all_invoices(world) == []


# -- the download link ------------------------------------------------------------------------------


def test_the_download_link_is_not_ready_while_pending() -> None:
    world = World()
    view = create(world, world.employee().employee.id)

    with pytest.raises(NotReady) as refused:
        world.app.download_link(view.invoice.id)

    assert isinstance(refused.value, Conflict)
    assert "pending" in refused.value.detail


def test_the_download_link_is_not_ready_when_rendering_failed() -> None:
    world = World()
    view = create(world, world.employee().employee.id)
    world.app.record_render_failure(RenderJob(view.invoice.id, 1), "browser crashed")

    with pytest.raises(NotReady) as refused:
        world.app.download_link(view.invoice.id)

    assert "failed" in refused.value.detail


def test_the_download_link_opens_the_stored_pdf_for_15_minutes() -> None:
    world = World()
    view = create(world, world.employee().employee.id)
    world.run_render_worker()
    stored = world.stored_invoice(view.invoice.id)
    assert stored.pdf_key is not None

    url = world.app.download_link(view.invoice.id)

    assert url.startswith("memory://")
    pdf = world.storage.open_url(url)
    assert pdf == world.storage.objects[stored.pdf_key][0]
    assert pdf.startswith(b"%PDF-")
    assert world.app.get_invoice(view.invoice.id).invoice.is_url_ready
    world.clock.advance(timedelta(minutes=14))
    assert world.storage.open_url(url) == pdf
    world.clock.advance(timedelta(minutes=2))
    with pytest.raises(PermissionError):
        world.storage.open_url(url)
    # A new link works again.
    assert world.storage.open_url(world.app.download_link(view.invoice.id)) == pdf
