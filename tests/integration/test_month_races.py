"""Races over an employee's month on PostgreSQL: every invoice operation against every workday
operation, and the months lock (`uow.months.lock`) that serializes them.

The invariant: an active invoice's totals are always what its month's active workdays give, a
workday never changes inside a month while an active invoice covers it, and the only failure a
race may produce is the domain's refusal (`MonthClosed`), never a deadlock or a serialization
error. Invoice numbers stay free of gaps.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest
from sqlalchemy import Engine

from billtrack.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from billtrack.domain.model.calculation import InvoiceTotals
from billtrack.domain.model.errors import MonthClosed
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.views import InvoiceView, WorkdayView
from billtrack.domain.model.workday import Workday
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.ports.queries import InvoiceQuery, PageRequest, WorkdayQuery
from tests.contract import builders as make
from tests.integration.test_postgres_concurrency import application, hire, run_together

ROUNDS = 20
AUGUST, SEPTEMBER, OCTOBER = YearMonth(2024, 8), YearMonth(2024, 9), YearMonth(2024, 10)
BLOCKED_FOR = 0.25
"""How long an operation must stay blocked on a held lock for the test to believe it waits."""
WorkdayKey = tuple[UUID, date, Decimal]


def invoice_details(employee_id: UUID, period: YearMonth) -> InvoiceDetails:
    return InvoiceDetails(year=period.year, month=period.month, employee_id=employee_id)


def workday_details(employee_id: UUID, day: date, hours: str) -> WorkdayDetails:
    return WorkdayDetails(day=day, hours=Decimal(hours), employee_id=employee_id)


def key(workday: Workday) -> WorkdayKey:
    return (workday.employee_id, workday.day, workday.hours.value)


@dataclass
class Round:
    """One race: `me` is the employee whose October both operations touch; `other` is where an
    operation may move an invoice or a workday from. `variant` picks how a change moves."""

    app: Application
    me: UUID
    other: UUID
    variant: int
    issued: list[UUID] = field(default_factory=list)
    """Every invoice this round issued, deleted ones too (for the numbering check)."""

    def issue(self, employee_id: UUID, period: YearMonth) -> UUID:
        invoice_id = self.app.create_invoice(invoice_details(employee_id, period)).invoice.id
        self.issued.append(invoice_id)
        return invoice_id

    def log(self, employee_id: UUID, day: date, hours: str = "8") -> UUID:
        return self.app.log_workday(workday_details(employee_id, day, hours)).workday.id


# -- the invoice side: each stages its operation and answers it, ready to run -------------------


def create_invoice(race: Round) -> Callable[[], object]:
    return lambda: race.app.create_invoice(invoice_details(race.me, OCTOBER))


def change_invoice(race: Round) -> Callable[[], object]:
    """Moves an invoice into my October: from my August (one employee locked), or from the other
    employee's October (two employees locked, the month it leaves reopens)."""
    source = (race.me, AUGUST) if race.variant % 2 == 0 else (race.other, OCTOBER)
    invoice_id = race.issue(*source)
    return lambda: race.app.change_invoice(invoice_id, invoice_details(race.me, OCTOBER))


def delete_invoice(race: Round) -> Callable[[], object]:
    invoice_id = race.issue(race.me, OCTOBER)
    return lambda: race.app.delete_invoice(invoice_id)


INVOICE_OPERATIONS: dict[str, Callable[[Round], Callable[[], object]]] = {
    "create_invoice": create_invoice,
    "change_invoice": change_invoice,
    "delete_invoice": delete_invoice,
}
CLOSES_OCTOBER = {"create_invoice": True, "change_invoice": True, "delete_invoice": False}


# -- the workday side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Staged:
    run: Callable[[], object]
    changes: UUID | None = None
    """The workday the operation changes or deletes; None when it logs a new one."""


def log_workday(race: Round) -> Staged:
    return Staged(
        lambda: race.app.log_workday(workday_details(race.me, date(2024, 10, 10), "6.25"))
    )


CHANGES = ("into_from_september", "within_october", "hours", "from_other_employee")


def change_workday(race: Round) -> Staged:
    """Moves a workday into my October, within it, changes only its hours, or moves one of the
    other employee's (two employees locked). The hours always change, so a torn snapshot
    shows in the totals."""
    how = CHANGES[(race.variant // 2) % len(CHANGES)]
    if how == "into_from_september":
        workday_id = race.log(race.me, date(2024, 9, 30))
        target = workday_details(race.me, date(2024, 10, 3), "6")
    elif how == "within_october":
        workday_id = race.log(race.me, date(2024, 10, 3))
        target = workday_details(race.me, date(2024, 10, 4), "5.5")
    elif how == "hours":
        workday_id = race.log(race.me, date(2024, 10, 3))
        target = workday_details(race.me, date(2024, 10, 3), "3.25")
    else:
        workday_id = race.log(race.other, date(2024, 9, 30))
        target = workday_details(race.me, date(2024, 10, 3), "6")
    return Staged(lambda: race.app.change_workday(workday_id, target), changes=workday_id)


def delete_workday(race: Round) -> Staged:
    workday_id = race.log(race.me, date(2024, 10, 3))
    return Staged(lambda: race.app.delete_workday(workday_id), changes=workday_id)


WORKDAY_OPERATIONS: dict[str, Callable[[Round], Staged]] = {
    "log_workday": log_workday,
    "change_workday": change_workday,
    "delete_workday": delete_workday,
}
PAIRS = list(itertools.product(INVOICE_OPERATIONS, WORKDAY_OPERATIONS))


# -- reading what came out ----------------------------------------------------------------------


def workdays_of(uow: SqlAlchemyUnitOfWork, employees: Iterable[UUID]) -> dict[UUID, WorkdayKey]:
    found = {}
    for employee_id in employees:
        page = uow.workdays.list(WorkdayQuery(PageRequest(1, 1000), employee_id=employee_id))
        found.update({w.id: key(w) for w in page.items})
    return found


def invoices_of(uow: SqlAlchemyUnitOfWork, employees: Iterable[UUID]) -> list[Invoice]:
    return [
        invoice
        for employee_id in employees
        for invoice in uow.invoices.list(
            InvoiceQuery(PageRequest(1, 1000), employee_id=employee_id)
        ).items
    ]


def assert_every_invoice_matches_its_month(engine: Engine, employees: Iterable[UUID]) -> None:
    """Each active invoice's totals snapshot is what its month's active workdays give now."""
    with SqlAlchemyUnitOfWork(engine) as uow:
        for invoice in invoices_of(uow, employees):
            employee = uow.employees.get(invoice.employee_id)
            assert employee is not None
            workdays = uow.workdays.active_in_month(invoice.employee_id, invoice.period)
            expected = InvoiceTotals.compute(
                employee.salary, invoice.period, (w.hours for w in workdays)
            )
            assert invoice.totals == expected, (invoice.period, [key(w) for w in workdays])


def assert_numbers_have_no_gap(engine: Engine, invoice_ids: list[UUID]) -> None:
    with SqlAlchemyUnitOfWork(engine) as uow:
        stored = [uow.invoices.get(invoice_id) for invoice_id in invoice_ids]
        listed = uow.invoices.list(InvoiceQuery(PageRequest(1, 1000))).total_count
    numbers = sorted(i.number.sequence for i in stored if i is not None)
    assert numbers == list(range(1, len(invoice_ids) + 1))
    assert {i.number.year for i in stored if i is not None} == {2024}
    assert listed == sum(1 for i in stored if i is not None and i.is_active)


# -- the nine pairs -----------------------------------------------------------------------------


@pytest.mark.parametrize(("invoice_operation", "workday_operation"), PAIRS, ids=lambda n: n)
def test_an_invoice_operation_racing_a_workday_operation_keeps_the_month_consistent(
    clean_postgres: Engine, invoice_operation: str, workday_operation: str
) -> None:
    """Both operations run at once, each in its own transaction: the outcome is one of the two
    orders, never a mix. A workday operation that loses to a closing invoice is refused with
    `MonthClosed`; one that wins is counted in the invoice's totals."""
    employees = hire(clean_postgres, 2 * ROUNDS)
    app = application(clean_postgres)
    issued: list[UUID] = []
    for index in range(ROUNDS):
        race = Round(app, employees[2 * index], employees[2 * index + 1], index)
        race.log(race.me, date(2024, 10, 1))
        race.log(race.me, date(2024, 10, 2), "7.5")
        race.log(race.other, date(2024, 10, 1), "4")
        # Workdays first: the invoice side may close the month they are in.
        workday = WORKDAY_OPERATIONS[workday_operation](race)
        invoice = INVOICE_OPERATIONS[invoice_operation](race)
        with SqlAlchemyUnitOfWork(clean_postgres) as uow:
            before = workdays_of(uow, [race.me, race.other])

        invoice_result, workday_result = run_together([invoice, workday.run])

        assert not isinstance(invoice_result, Exception), (index, invoice_result)
        if isinstance(invoice_result, InvoiceView) and invoice_operation == "create_invoice":
            race.issued.append(invoice_result.invoice.id)
        expected = dict(before)
        if isinstance(workday_result, Exception):
            # The only failure allowed: the month was closed when the workday came to it.
            assert type(workday_result) is MonthClosed, (index, workday_result)
        elif isinstance(workday_result, WorkdayView):
            expected[workday_result.workday.id] = key(workday_result.workday)
        else:
            assert workday_result is None, (index, workday_result)
            assert workday.changes is not None
            del expected[workday.changes]
        with SqlAlchemyUnitOfWork(clean_postgres) as uow:
            # Refused: nothing changed; done: exactly what the operation did, nothing more.
            assert workdays_of(uow, [race.me, race.other]) == expected, index
            closed_by = uow.invoices.active_for(race.me, OCTOBER)
        assert (closed_by is not None) is CLOSES_OCTOBER[invoice_operation], index
        assert_every_invoice_matches_its_month(clean_postgres, [race.me, race.other])
        issued += race.issued
    assert_numbers_have_no_gap(clean_postgres, issued)


# -- the lock itself ----------------------------------------------------------------------------


def test_the_months_lock_blocks_a_second_transaction_until_the_first_commits(
    clean_postgres: Engine,
) -> None:
    ada, alan = hire(clean_postgres, 2)

    def lock(employee_id: UUID, period: YearMonth) -> Callable[[], str]:
        def work() -> str:
            with SqlAlchemyUnitOfWork(clean_postgres) as uow:
                uow.months.lock((employee_id, period))
                uow.commit()
            return "locked"

        return work

    with ThreadPoolExecutor(2) as pool, SqlAlchemyUnitOfWork(clean_postgres) as holder:
        holder.months.lock((ada, OCTOBER))
        # Another employee's month is not held: the lock is per employee, not one for all.
        assert pool.submit(lock(alan, OCTOBER)).result(timeout=5) == "locked"
        # Any month of the same employee is held, this one and another.
        same_month, other_month = pool.submit(lock(ada, OCTOBER)), pool.submit(lock(ada, AUGUST))
        for waiting in (same_month, other_month):
            with pytest.raises(TimeoutError):
                waiting.result(timeout=BLOCKED_FOR)
        holder.commit()
        assert same_month.result(timeout=10) == other_month.result(timeout=10) == "locked"


def test_locking_two_employees_in_opposite_orders_does_not_deadlock(
    clean_postgres: Engine,
) -> None:
    employees = hire(clean_postgres, 2)

    def lock(first: UUID, second: UUID) -> Callable[[], str]:
        def work() -> str:
            with SqlAlchemyUnitOfWork(clean_postgres) as uow:
                uow.months.lock((first, OCTOBER), (second, SEPTEMBER))
                time.sleep(0.01)  # hold it, so the other transaction must wait for it
                uow.commit()
            return "committed"

        return work

    a, b = employees
    for _ in range(ROUNDS):
        assert run_together([lock(a, b), lock(b, a)]) == ["committed", "committed"]


@pytest.mark.parametrize("kind", ["workday", "invoice"])
def test_moves_in_opposite_directions_between_two_employees_do_not_deadlock(
    clean_postgres: Engine, kind: str
) -> None:
    """One operation moves from A to B while another moves from B to A: each locks both
    employees, in the opposite order of the other's arguments."""
    employees = hire(clean_postgres, 2 * ROUNDS)
    app = application(clean_postgres)
    for index in range(ROUNDS):
        a, b = employees[2 * index], employees[2 * index + 1]
        if kind == "workday":
            from_a = app.log_workday(workday_details(a, date(2024, 9, 10), "8")).workday.id
            from_b = app.log_workday(workday_details(b, date(2024, 9, 12), "6")).workday.id
            workers: list[Callable[[], object]] = [
                lambda: app.change_workday(from_a, workday_details(b, date(2024, 9, 11), "8")),  # noqa: B023
                lambda: app.change_workday(from_b, workday_details(a, date(2024, 9, 13), "6")),  # noqa: B023
            ]
        else:
            app.log_workday(workday_details(a, date(2024, 9, 10), "8"))
            app.log_workday(workday_details(b, date(2024, 9, 12), "6"))
            from_a = app.create_invoice(invoice_details(a, AUGUST)).invoice.id
            from_b = app.create_invoice(invoice_details(b, AUGUST)).invoice.id
            workers = [
                lambda: app.change_invoice(from_a, invoice_details(b, SEPTEMBER)),  # noqa: B023
                lambda: app.change_invoice(from_b, invoice_details(a, SEPTEMBER)),  # noqa: B023
            ]
        results = run_together(workers)
        assert not [r for r in results if isinstance(r, Exception)], (index, results)
        assert_every_invoice_matches_its_month(clean_postgres, [a, b])


# -- no use case forgets the lock ---------------------------------------------------------------


@dataclass(frozen=True)
class Blocked:
    run: Callable[[], object]
    locked: UUID
    """The employee whose months the holder locks."""


def staged_operation(name: str, app: Application, me: UUID, other: UUID) -> Blocked:
    """The operation `name`, set up on `me`'s October (moving from `other` where it moves), and
    the employee a holder must lock for it to wait."""
    if name == "log_workday":
        return Blocked(lambda: app.log_workday(workday_details(me, date(2024, 10, 10), "6")), me)
    if name.startswith("change_workday"):
        moved = app.log_workday(workday_details(other, date(2024, 9, 30), "8")).workday.id
        target = workday_details(me, date(2024, 10, 3), "6")
        locked = other if name.endswith("source") else me
        return Blocked(lambda: app.change_workday(moved, target), locked)
    if name == "delete_workday":
        gone = app.log_workday(workday_details(me, date(2024, 10, 3), "8")).workday.id
        return Blocked(lambda: app.delete_workday(gone), me)
    if name == "create_invoice":
        return Blocked(lambda: app.create_invoice(invoice_details(me, OCTOBER)), me)
    if name.startswith("change_invoice"):
        invoice_id = app.create_invoice(invoice_details(other, OCTOBER)).invoice.id
        locked = other if name.endswith("source") else me
        return Blocked(lambda: app.change_invoice(invoice_id, invoice_details(me, OCTOBER)), locked)
    assert name == "delete_invoice"
    invoice_id = app.create_invoice(invoice_details(me, OCTOBER)).invoice.id
    return Blocked(lambda: app.delete_invoice(invoice_id), me)


@pytest.mark.parametrize(
    "operation",
    [
        "log_workday",
        "change_workday_locking_target",
        "change_workday_locking_source",
        "delete_workday",
        "create_invoice",
        "change_invoice_locking_target",
        "change_invoice_locking_source",
        "delete_invoice",
    ],
)
def test_every_operation_on_a_month_waits_for_its_lock(
    clean_postgres: Engine, operation: str
) -> None:
    """While another transaction holds an employee's months, no operation touching one of them
    (the month it changes, or the one it moves something out of) gets past the lock."""
    me, other = hire(clean_postgres, 2)
    app = application(clean_postgres)
    staged = staged_operation(operation, app, me, other)
    with ThreadPoolExecutor(1) as pool:
        with SqlAlchemyUnitOfWork(clean_postgres) as holder:
            holder.months.lock((staged.locked, OCTOBER))
            waiting = pool.submit(staged.run)
            with pytest.raises(TimeoutError):
                waiting.result(timeout=BLOCKED_FOR)
            holder.commit()
        outcome = waiting.result(timeout=10)
    assert not isinstance(outcome, Exception)
    assert_every_invoice_matches_its_month(clean_postgres, [me, other])


@pytest.mark.parametrize("holder_writes", ["invoice", "workday"])
def test_an_operation_that_waited_for_the_lock_reads_what_the_holder_committed(
    clean_postgres: Engine, holder_writes: str
) -> None:
    """The month is read after the lock is taken, not before: a workday logged while another
    transaction closes the month is refused, and an invoice issued while another transaction logs
    a workday counts it."""
    (me,) = hire(clean_postgres, 1)
    app = application(clean_postgres)
    app.log_workday(workday_details(me, date(2024, 10, 1), "8"))
    operations: dict[str, Callable[[], object]] = {
        "invoice": lambda: app.log_workday(workday_details(me, date(2024, 10, 10), "6")),
        "workday": lambda: app.create_invoice(invoice_details(me, OCTOBER)),
    }
    operation = operations[holder_writes]
    with ThreadPoolExecutor(1) as pool:
        with SqlAlchemyUnitOfWork(clean_postgres) as holder:
            holder.months.lock((me, OCTOBER))
            waiting = pool.submit(operation)
            with pytest.raises(TimeoutError):
                waiting.result(timeout=BLOCKED_FOR)
            if holder_writes == "invoice":
                holder.invoices.add(make.invoice(me, OCTOBER, 1))
            else:
                holder.workdays.add(make.workday(me, date(2024, 10, 10), "6"))
            holder.commit()
        if holder_writes == "invoice":
            with pytest.raises(MonthClosed):
                waiting.result(timeout=10)
        else:
            created = waiting.result(timeout=10)
            assert isinstance(created, InvoiceView)
            assert created.invoice.totals.total_hours == Decimal("14.00")
    with SqlAlchemyUnitOfWork(clean_postgres) as uow:
        stored = uow.workdays.active_in_month(me, OCTOBER)
    expected = ["8"] if holder_writes == "invoice" else ["6", "8"]
    assert sorted(w.hours.value for w in stored) == [Decimal(h) for h in expected]
