"""The unit of work and its repositories: the same tests for every adapter."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from billtrack.domain.model.employee_month import EmployeeMonth
from billtrack.domain.model.errors import (
    DuplicateEmail,
    DuplicateInvoice,
    DuplicateUser,
    DuplicateWorkday,
)
from billtrack.domain.model.invoice import InvoiceStatus
from billtrack.domain.model.organisation import Department, Project
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import Email, Money, Name
from billtrack.ports.jobs import RenderJob
from billtrack.ports.queries import (
    EmployeeQuery,
    InvoiceQuery,
    NameQuery,
    PageRequest,
    SortDirection,
    WorkdayQuery,
)
from tests.contract import builders as make
from tests.contract.conftest import UowFactory

NOW = datetime(2024, 11, 15, 12, tzinfo=UTC)


def test_commit_keeps_and_leaving_without_commit_rolls_back(new_uow: UowFactory) -> None:
    kept, dropped = make.department("Kept"), make.department("Dropped")
    with new_uow() as uow:
        uow.departments.add(kept)
        uow.commit()
    with new_uow() as uow:
        uow.departments.add(dropped)
    with new_uow() as uow:
        assert uow.departments.get(kept.id) == kept
        assert uow.departments.get(dropped.id) is None


def test_an_error_inside_rolls_back(new_uow: UowFactory) -> None:
    unit = make.department()
    uow = new_uow()

    def fail_halfway() -> None:
        with uow:
            uow.departments.add(unit)
            raise RuntimeError("halfway")

    with pytest.raises(RuntimeError):
        fail_halfway()
    with new_uow() as fresh:
        assert fresh.departments.get(unit.id) is None


def test_rollback_discards_and_the_block_goes_on(new_uow: UowFactory) -> None:
    first, second = make.department("First"), make.department("Second")
    with new_uow() as uow:
        uow.departments.add(first)
        uow.rollback()
        uow.departments.add(second)
        uow.commit()
    with new_uow() as uow:
        assert uow.departments.get(first.id) is None
        assert uow.departments.get(second.id) == second


def test_a_unit_of_work_can_be_entered_again(new_uow: UowFactory) -> None:
    uow = new_uow()
    unit = make.department()
    with uow:
        uow.departments.add(unit)
        uow.commit()
    with uow:
        assert uow.departments.get(unit.id) == unit


def _company(new_uow: UowFactory) -> tuple[Department, Project]:
    department, project = make.department(), make.project()
    with new_uow() as uow:
        uow.departments.add(department)
        uow.projects.add(project)
        uow.commit()
    return department, project


def test_entities_round_trip_exactly(new_uow: UowFactory) -> None:
    department, project = _company(new_uow)
    employee = make.employee(
        department.id, project.id, salary="4000.10", first="Zoë", last="Ø'Brien"
    )
    workday = make.workday(employee.id, date(2024, 10, 14), hours="7.25")
    invoice = make.invoice(employee.id, YearMonth(2024, 10))
    user = make.user()
    with new_uow() as uow:
        uow.employees.add(employee)
        uow.workdays.add(workday)
        uow.invoices.add(invoice)
        uow.users.add(user)
        uow.commit()
    with new_uow() as uow:
        assert uow.employees.get(employee.id) == employee
        assert uow.workdays.get(workday.id) == workday
        assert uow.invoices.get(invoice.id) == invoice
        assert uow.users.get(user.id) == user
        stored = uow.invoices.get(invoice.id)
        assert stored is not None
        assert str(stored.totals.hourly_rate) == "21.7391"
        assert stored.created_at.tzinfo is not None
        assert uow.employees.get_many({employee.id, uuid4()}) == {employee.id: employee}


def test_updates_are_kept(new_uow: UowFactory) -> None:
    department, project = _company(new_uow)
    employee = make.employee(department.id, project.id)
    invoice = make.invoice(employee.id, YearMonth(2024, 10))
    with new_uow() as uow:
        uow.employees.add(employee)
        uow.invoices.add(invoice)
        uow.commit()
    changed = replace(employee, salary=Money(Decimal("0.30")), lastname=Name("Byron"))
    generated = invoice.generated(revision=1, pdf_key="invoices/x.pdf", at=NOW).mailed(1)
    with new_uow() as uow:
        uow.employees.update(changed)
        uow.invoices.update(generated)
        uow.commit()
    with new_uow() as uow:
        assert uow.employees.get(employee.id) == changed
        assert uow.invoices.get(invoice.id) == generated
        stored = uow.invoices.get(invoice.id)
        assert stored is not None
        assert stored.status is InvoiceStatus.GENERATED


def test_soft_deleted_rows_are_got_but_not_listed(new_uow: UowFactory) -> None:
    kept, gone = make.department("Kept"), make.department("Gone")
    with new_uow() as uow:
        uow.departments.add(kept)
        uow.departments.add(gone.deleted(NOW))
        uow.commit()
    with new_uow() as uow:
        assert uow.departments.get(gone.id) == gone.deleted(NOW)
        page = uow.departments.list(NameQuery())
        assert [d.id for d in page.items] == [kept.id]
        assert page.total_count == 1


NAMES = ["100% done", "100 done", "a_b", "axb", "back\\slash", "backslash", "Zoë", "ZOË", "zoe"]


@pytest.mark.parametrize(
    ("needle", "expected"),
    [
        ("%", ["100% done"]),
        ("100%", ["100% done"]),
        ("_", ["a_b"]),
        ("a_b", ["a_b"]),
        ("\\", ["back\\slash"]),
        ("k\\s", ["back\\slash"]),
        ("zoë", ["Zoë", "ZOË"]),
        ("ZO", ["Zoë", "ZOË", "zoe"]),
        ("DONE", ["100% done", "100 done"]),
        ("nothing", []),
    ],
)
def test_name_filters_match_literally_ignoring_case(
    new_uow: UowFactory, needle: str, expected: list[str]
) -> None:
    with new_uow() as uow:
        for name in NAMES:
            uow.projects.add(make.project(name))
        uow.commit()
    with new_uow() as uow:
        page = uow.projects.list(NameQuery(PageRequest(1, 100), name=needle))
        assert [p.name.value for p in page.items] == expected


def test_sorting_by_name_keeps_creation_order_on_ties(new_uow: UowFactory) -> None:
    names = ["beta", "Alpha", "alpha", "Gamma", "beta"]
    units = [make.department(n) for n in names]
    with new_uow() as uow:
        for unit in units:
            uow.departments.add(unit)
        uow.commit()
    with new_uow() as uow:
        ascending = uow.departments.list(
            NameQuery(PageRequest(1, 10), sort_by_name=SortDirection.ASC)
        )
        descending = uow.departments.list(
            NameQuery(PageRequest(1, 10), sort_by_name=SortDirection.DESC)
        )
        unsorted = uow.departments.list(NameQuery(PageRequest(1, 10)))
    by_creation = [u.id for u in units]
    assert [u.id for u in unsorted.items] == by_creation
    assert [u.id for u in ascending.items] == [by_creation[i] for i in (1, 2, 0, 4, 3)]
    assert [u.id for u in descending.items] == [by_creation[i] for i in (3, 0, 4, 1, 2)]


@pytest.mark.parametrize("size", [7, 100])
def test_paging_returns_every_row_exactly_once(new_uow: UowFactory, size: int) -> None:
    department, project = _company(new_uow)
    employees = [make.employee(department.id, project.id, last=f"L{i % 13}") for i in range(250)]
    with new_uow() as uow:
        for employee in employees:
            uow.employees.add(employee)
        uow.commit()
    for direction in (None, SortDirection.ASC, SortDirection.DESC):
        seen = []
        number = 1
        while True:
            with new_uow() as uow:
                page = uow.employees.list(
                    EmployeeQuery(PageRequest(number, size), sort_by_name=direction)
                )
            assert page.total_count == 250
            assert page.size == size
            if not page.items:
                break
            seen += [e.id for e in page.items]
            number += 1
        assert sorted(seen) == sorted(e.id for e in employees)
        assert len(seen) == len(set(seen))


def test_a_page_size_above_1000_is_served_as_1000(new_uow: UowFactory) -> None:
    with new_uow() as uow:
        page = uow.departments.list(NameQuery(PageRequest(1, 5000)))
    assert page.size == 1000


def test_employee_filters_and_sort(new_uow: UowFactory) -> None:
    finance, apollo = _company(new_uow)
    other_department, other_project = make.department("Sales"), make.project("Zephyr")
    ada = make.employee(finance.id, apollo.id, first="Ada", last="Lovelace")
    alan = make.employee(other_department.id, apollo.id, first="Alan", last="Turing")
    grace = make.employee(finance.id, other_project.id, first="Grace", last="hopper")
    gone = make.employee(finance.id, apollo.id, first="Ada", last="Gone").deleted(NOW)
    with new_uow() as uow:
        uow.departments.add(other_department)
        uow.projects.add(other_project)
        for e in (ada, alan, grace, gone):
            uow.employees.add(e)
        uow.commit()

    def ids(query: EmployeeQuery) -> list[object]:
        with new_uow() as uow:
            return [e.id for e in uow.employees.list(query).items]

    assert ids(EmployeeQuery(name="ada lovelace")) == [ada.id]
    assert ids(EmployeeQuery(name="A")) == [ada.id, alan.id, grace.id]
    assert ids(EmployeeQuery(name="HOP")) == [grace.id]
    assert ids(EmployeeQuery(department_id=finance.id)) == [ada.id, grace.id]
    assert ids(EmployeeQuery(project_id=apollo.id)) == [ada.id, alan.id]
    assert ids(EmployeeQuery(sort_by_name=SortDirection.ASC)) == [grace.id, ada.id, alan.id]
    assert ids(EmployeeQuery(sort_by_name=SortDirection.DESC)) == [alan.id, ada.id, grace.id]
    with new_uow() as uow:
        assert uow.employees.any_active_in_department(other_department.id)
        assert not uow.employees.any_active_in_project(uuid4())
        assert list(uow.employees.active_ids()) == [ada.id, alan.id, grace.id]


def test_unique_active_email_ignoring_case(new_uow: UowFactory) -> None:
    department, project = _company(new_uow)
    first = make.employee(department.id, project.id, email="Ada@Example.com")
    with new_uow() as uow:
        uow.employees.add(first)
        uow.commit()
    with pytest.raises(DuplicateEmail), new_uow() as uow:
        uow.employees.add(make.employee(department.id, project.id, email="ada@example.COM"))
    with new_uow() as uow:
        assert uow.employees.active_with_email("ada@example.com") == first
        uow.employees.update(first.deleted(NOW))
        uow.employees.add(make.employee(department.id, project.id, email="ADA@example.com"))
        uow.commit()
    with new_uow() as uow:
        holder = uow.employees.active_with_email("ada@example.com")
        assert holder is not None
        assert holder.email == Email("ADA@example.com")


def test_one_active_workday_per_employee_and_date(new_uow: UowFactory) -> None:
    department, project = _company(new_uow)
    employee = make.employee(department.id, project.id)
    day = date(2024, 10, 14)
    first = make.workday(employee.id, day)
    with new_uow() as uow:
        uow.employees.add(employee)
        uow.workdays.add(first)
        uow.commit()
    with pytest.raises(DuplicateWorkday), new_uow() as uow:
        uow.workdays.add(make.workday(employee.id, day, hours="1"))
    with new_uow() as uow:
        uow.workdays.update(first.deleted(NOW))
        again = make.workday(employee.id, day, hours="2")
        uow.workdays.add(again)
        uow.commit()
    with new_uow() as uow:
        assert list(uow.workdays.active_in_month(employee.id, YearMonth(2024, 10))) == [again]


def test_workday_queries(new_uow: UowFactory) -> None:
    department, project = _company(new_uow)
    ada, alan = make.employee(department.id, project.id), make.employee(department.id, project.id)
    days = [date(2024, 10, d) for d in (15, 3, 31)] + [date(2024, 11, 1), date(2024, 9, 30)]
    rows = [make.workday(ada.id, d) for d in days] + [make.workday(alan.id, date(2024, 10, 3))]
    with new_uow() as uow:
        uow.employees.add(ada)
        uow.employees.add(alan)
        for row in rows:
            uow.workdays.add(row)
        uow.commit()
    with new_uow() as uow:
        october = uow.workdays.active_in_month(ada.id, YearMonth(2024, 10))
        assert [w.day.day for w in october] == [3, 15, 31]
        by_date = uow.workdays.list(WorkdayQuery(day=date(2024, 10, 3)))
        assert {w.employee_id for w in by_date.items} == {ada.id, alan.id}
        mine = uow.workdays.list(WorkdayQuery(employee_id=alan.id))
        assert [w.id for w in mine.items] == [rows[-1].id]
        newest_first = uow.workdays.list(
            WorkdayQuery(employee_id=ada.id, sort_by_date=SortDirection.DESC)
        )
        assert [w.day for w in newest_first.items] == sorted(days, reverse=True)


def test_one_active_invoice_per_employee_and_month(new_uow: UowFactory) -> None:
    department, project = _company(new_uow)
    employee = make.employee(department.id, project.id)
    october = YearMonth(2024, 10)
    first = make.invoice(employee.id, october, 1)
    with new_uow() as uow:
        uow.employees.add(employee)
        uow.invoices.add(first)
        uow.commit()
    with pytest.raises(DuplicateInvoice), new_uow() as uow:
        uow.invoices.add(make.invoice(employee.id, october, 2))
    with new_uow() as uow:
        assert uow.invoices.active_for(employee.id, october) == first
        assert uow.invoices.active_for(employee.id, YearMonth(2024, 9)) is None
        uow.invoices.update(first.deleted(NOW))
        second = make.invoice(employee.id, october, 2)
        uow.invoices.add(second)
        uow.commit()
    with new_uow() as uow:
        assert uow.invoices.active_for(employee.id, october) == second


def test_invoice_queries(new_uow: UowFactory) -> None:
    department, project = _company(new_uow)
    ada, alan = make.employee(department.id, project.id), make.employee(department.id, project.id)
    periods = [YearMonth(2024, 3), YearMonth(2023, 11), YearMonth(2024, 1)]
    invoices = [make.invoice(ada.id, p, i + 1) for i, p in enumerate(periods)]
    invoices.append(make.invoice(alan.id, YearMonth(2024, 3), 4))
    with new_uow() as uow:
        uow.employees.add(ada)
        uow.employees.add(alan)
        for invoice in invoices:
            uow.invoices.add(invoice)
        uow.commit()
    with new_uow() as uow:
        march = uow.invoices.list(InvoiceQuery(month=3, year=2024))
        assert [i.id for i in march.items] == [invoices[0].id, invoices[3].id]
        ada_sorted = uow.invoices.list(
            InvoiceQuery(employee_id=ada.id, sort_by_date=SortDirection.ASC)
        )
        assert [i.period for i in ada_sorted.items] == sorted(periods)
        in_2024 = uow.invoices.list(InvoiceQuery(year=2024, sort_by_date=SortDirection.DESC))
        assert [i.period for i in in_2024.items] == [YearMonth(2024, 3)] * 2 + [YearMonth(2024, 1)]


def test_users_by_email_unique_ignoring_case(new_uow: UowFactory) -> None:
    admin = make.user("Admin@Example.com")
    with new_uow() as uow:
        uow.users.add(admin)
        uow.commit()
    with pytest.raises(DuplicateUser), new_uow() as uow:
        uow.users.add(make.user("admin@example.com"))
    with new_uow() as uow:
        assert uow.users.with_email("admin@example.com") == admin
        assert list(uow.users.all()) == [admin]
        rehashed = admin.with_password_hash("new")
        uow.users.update(rehashed)
        uow.commit()
    with new_uow() as uow:
        assert uow.users.get(admin.id) == rehashed


def test_invoice_numbers_count_per_year_and_roll_back(new_uow: UowFactory) -> None:
    with new_uow() as uow:
        assert [uow.invoice_numbers.next(2024) for _ in range(3)] == [1, 2, 3]
        assert uow.invoice_numbers.next(2025) == 1
        uow.commit()
    with new_uow() as uow:
        assert uow.invoice_numbers.next(2024) == 4
        # not committed: the number is given back
    with new_uow() as uow:
        assert uow.invoice_numbers.next(2024) == 4
        assert uow.invoice_numbers.next(2025) == 2
        uow.commit()


def test_the_outbox_owes_each_render_until_it_is_settled(new_uow: UowFactory) -> None:
    department, project = _company(new_uow)
    employee = make.employee(department.id, project.id)
    one, two = (make.invoice(employee.id, YearMonth(2024, m), m) for m in (9, 10))
    with new_uow() as uow:
        uow.employees.add(employee)
        uow.invoices.add(one)
        uow.invoices.add(two)
        uow.outbox.put(RenderJob(one.id, 1))
        uow.outbox.put(RenderJob(two.id, 1))
        uow.commit()
    with new_uow() as uow:
        assert set(uow.outbox.due(NOW, 10)) == {RenderJob(one.id, 1), RenderJob(two.id, 1)}
        uow.outbox.mark_published(one.id, 1, NOW)
        uow.commit()
    with new_uow() as uow:
        # published at NOW: not due again until later
        assert list(uow.outbox.due(NOW, 10)) == [RenderJob(two.id, 1)]
        assert set(uow.outbox.due(NOW + timedelta(seconds=1), 10)) == {
            RenderJob(one.id, 1),
            RenderJob(two.id, 1),
        }
        assert len(uow.outbox.due(NOW + timedelta(seconds=1), 1)) == 1
        # a revision replaces what was owed; settling the old revision settles nothing
        uow.outbox.put(RenderJob(one.id, 2))
        uow.outbox.settle(one.id, 1)
        uow.outbox.settle(two.id, 1)
        uow.commit()
    with new_uow() as uow:
        assert list(uow.outbox.due(NOW, 10)) == [RenderJob(one.id, 2)]
        uow.outbox.settle(one.id, 2)
        uow.commit()
    with new_uow() as uow:
        assert list(uow.outbox.due(NOW + timedelta(days=1), 10)) == []


def test_months_are_locked_with_their_active_workdays_and_invoice(new_uow: UowFactory) -> None:
    department, project = _company(new_uow)
    ada, alan = make.employee(department.id, project.id), make.employee(department.id, project.id)
    september, october = YearMonth(2024, 9), YearMonth(2024, 10)
    late = make.workday(ada.id, date(2024, 10, 31), hours="6")
    early = make.workday(ada.id, date(2024, 10, 1), hours="7.5")
    gone = make.workday(ada.id, date(2024, 10, 2)).deleted(NOW)
    in_september = make.workday(ada.id, date(2024, 9, 30))
    in_november = make.workday(ada.id, date(2024, 11, 1))
    alans = make.workday(alan.id, date(2024, 10, 1))
    invoice = make.invoice(ada.id, september, 1)
    deleted_invoice = make.invoice(ada.id, october, 2).deleted(NOW)
    with new_uow() as uow:
        uow.employees.add(ada)
        uow.employees.add(alan)
        for workday in (late, early, gone, in_september, in_november, alans):
            uow.workdays.add(workday)
        uow.invoices.add(invoice)
        uow.invoices.add(deleted_invoice)
        uow.commit()
    with new_uow() as uow:
        months = uow.months.lock((ada.id, october), (ada.id, september), (alan.id, october))
        uow.commit()
    assert months == (
        EmployeeMonth(ada.id, october, (early, late), None),
        EmployeeMonth(ada.id, september, (in_september,), invoice),
        EmployeeMonth(alan.id, october, (alans,), None),
    )
    assert [m.is_closed for m in months] == [False, True, False]
    assert months[0].totals(ada.salary).total_hours == Decimal("13.50")


def test_locking_no_month_answers_none(new_uow: UowFactory) -> None:
    with new_uow() as uow:
        assert uow.months.lock() == ()


def test_the_same_month_may_be_asked_twice(new_uow: UowFactory) -> None:
    department, project = _company(new_uow)
    ada = make.employee(department.id, project.id)
    workday = make.workday(ada.id, date(2024, 10, 14))
    with new_uow() as uow:
        uow.employees.add(ada)
        uow.workdays.add(workday)
        uow.commit()
    october = YearMonth(2024, 10)
    with new_uow() as uow:
        first, second = uow.months.lock((ada.id, october), (ada.id, october))
        assert first == second == EmployeeMonth(ada.id, october, (workday,), None)


def test_a_locked_month_sees_the_transactions_own_writes(new_uow: UowFactory) -> None:
    department, project = _company(new_uow)
    ada = make.employee(department.id, project.id)
    october = YearMonth(2024, 10)
    with new_uow() as uow:
        uow.employees.add(ada)
        workday = make.workday(ada.id, date(2024, 10, 14))
        uow.workdays.add(workday)
        invoice = make.invoice(ada.id, october)
        uow.invoices.add(invoice)
        (month,) = uow.months.lock((ada.id, october))
        assert month == EmployeeMonth(ada.id, october, (workday,), invoice)
        # Locked again after more writes, in the same transaction: the month is read again.
        uow.workdays.update(workday.deleted(NOW))
        uow.invoices.update(invoice.deleted(NOW))
        assert uow.months.lock((ada.id, october)) == (EmployeeMonth(ada.id, october, (), None),)
        uow.rollback()
        assert uow.months.lock((ada.id, october)) == (EmployeeMonth(ada.id, october, (), None),)


def test_a_second_transaction_locking_the_month_waits_for_the_first(new_uow: UowFactory) -> None:
    """The port's promise: a month is held until the transaction that locked it ends, and one
    who waited for it reads what the first committed. (Memory runs transactions one at a time,
    SQLite takes its write lock at BEGIN IMMEDIATE, PostgreSQL locks the employee's row.)"""
    department, project = _company(new_uow)
    ada = make.employee(department.id, project.id)
    october = YearMonth(2024, 10)
    with new_uow() as uow:
        uow.employees.add(ada)
        uow.commit()
    workday = make.workday(ada.id, date(2024, 10, 14))
    locked = threading.Event()

    def second() -> EmployeeMonth:
        with new_uow() as uow:
            # November: another month of the same employee is held too (the lock is per employee).
            uow.months.lock((ada.id, YearMonth(2024, 11)))
            locked.set()
            (month,) = uow.months.lock((ada.id, october))
            return month

    with ThreadPoolExecutor(1) as pool:
        with new_uow() as first:
            first.months.lock((ada.id, october))
            waiting = pool.submit(second)
            assert not locked.wait(0.3), "a second transaction locked a month the first holds"
            first.workdays.add(workday)
            first.commit()
        month = waiting.result(timeout=10)
    assert locked.is_set()
    assert month == EmployeeMonth(ada.id, october, (workday,), None)


def test_workdays_list_within_a_range_of_days_both_ends_included(new_uow: UowFactory) -> None:
    """The web pages read one employee's month through this range."""
    department, project = _company(new_uow)
    ada = make.employee(department.id, project.id)
    days = [date(2024, 9, 30), date(2024, 10, 1), date(2024, 10, 15), date(2024, 10, 31)]
    days.append(date(2024, 11, 1))
    with new_uow() as uow:
        uow.employees.add(ada)
        for day in days:
            uow.workdays.add(make.workday(ada.id, day))
        uow.commit()
    with new_uow() as uow:
        page = uow.workdays.list(
            WorkdayQuery(
                PageRequest(1, 100),
                employee_id=ada.id,
                from_day=date(2024, 10, 1),
                to_day=date(2024, 10, 31),
                sort_by_date=SortDirection.ASC,
            )
        )
    assert [w.day for w in page.items] == days[1:4]
    assert page.total_count == 3


def test_holding_a_month_makes_a_second_transaction_wait_and_says_whether_to_read_again(
    new_uow: UowFactory,
) -> None:
    """`hold` takes what `lock` takes without loading the month, first thing in a transaction
    too. Where it answers False, what the transaction read before it is current (no other
    writer got in between); where it answers True, that is read again after it."""
    department, project = _company(new_uow)
    ada = make.employee(department.id, project.id)
    october = YearMonth(2024, 10)
    invoice = make.invoice(ada.id, october)
    with new_uow() as uow:
        uow.employees.add(ada)
        uow.invoices.add(invoice)
        uow.commit()
    held = threading.Event()

    def second() -> tuple[bool, object]:
        with new_uow() as uow:
            before = uow.invoices.get(invoice.id)
            must_read_again = uow.months.hold((ada.id, october))
            held.set()
            after = uow.invoices.get(invoice.id) if must_read_again else before
            return must_read_again, after

    with ThreadPoolExecutor(1) as pool:
        with new_uow() as first:
            assert first.months.hold((ada.id, october)) in (True, False)
            waiting = pool.submit(second)
            assert not held.wait(0.3), "a second transaction held a month the first holds"
            first.invoices.update(invoice.deleted(NOW))
            first.commit()
        _, seen = waiting.result(timeout=10)
    assert seen == invoice.deleted(NOW)
    with new_uow() as uow:
        assert uow.months.hold() is False


def test_a_render_owed_may_be_recorded_published_with_it_and_unpublished_again(
    new_uow: UowFactory,
) -> None:
    department, project = _company(new_uow)
    employee = make.employee(department.id, project.id)
    invoice = make.invoice(employee.id, YearMonth(2024, 10))
    job = RenderJob(invoice.id, 1)
    with new_uow() as uow:
        uow.employees.add(employee)
        uow.invoices.add(invoice)
        uow.outbox.put(job, published_at=NOW)
        uow.commit()
    with new_uow() as uow:
        assert list(uow.outbox.due(NOW, 10)) == []
        assert list(uow.outbox.due(NOW + timedelta(seconds=1), 10)) == [job]
        uow.outbox.mark_published(invoice.id, 1, None)
        uow.commit()
    with new_uow() as uow:
        # Not published after all: due at once, whatever the age limit.
        assert list(uow.outbox.due(NOW - timedelta(days=1), 10)) == [job]
        uow.outbox.mark_published(invoice.id, 2, NOW)  # another revision: nothing changes
        uow.commit()
    with new_uow() as uow:
        assert list(uow.outbox.due(NOW - timedelta(days=1), 10)) == [job]
