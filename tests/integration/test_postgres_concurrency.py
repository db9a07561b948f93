"""Concurrent writers on PostgreSQL: gapless numbers, one winner per race, no torn snapshot."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from sqlalchemy import Engine

from billtrack.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from billtrack.domain.model.errors import Conflict, DuplicateInvoice, DuplicateWorkday, MonthClosed
from billtrack.domain.model.period import YearMonth
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.ports.queries import InvoiceQuery, PageRequest
from billtrack.ports.queues import MailQueue, RenderQueue
from billtrack.ports.rendering import PdfRenderer
from billtrack.ports.storage import ObjectStorage
from billtrack.ports.unit_of_work import UnitOfWork
from tests.contract import builders as make
from tests.fakes.application import in_memory_application
from tests.fakes.clock import ManualClock

CLOCK = ManualClock(datetime(2024, 11, 15, 12, tzinfo=UTC))


class RolledBackOnPurpose(Exception):
    pass


class FlakyUnitOfWork(SqlAlchemyUnitOfWork):
    """Fails its next commit when told to, as a crash between the writes and the commit would."""

    fail_next_commit = False

    def commit(self) -> None:
        if self.fail_next_commit:
            self.fail_next_commit = False
            raise RolledBackOnPurpose
        super().commit()


def application(
    engine: Engine,
    *,
    new_uow: Callable[[], UnitOfWork] | None = None,
    render_queue: RenderQueue | None = None,
    mail_queue: MailQueue | None = None,
    storage: ObjectStorage | None = None,
    renderer: PdfRenderer | None = None,
) -> Application:
    """The application over `engine`, with in-memory stand-ins for every port a test does not
    look at. Each operation opens its own unit of work, so threads may share it."""
    return in_memory_application(
        (lambda: SqlAlchemyUnitOfWork(engine)) if new_uow is None else new_uow,
        CLOCK,
        render_queue=render_queue,
        mail_queue=mail_queue,
        storage=storage,
        renderer=renderer,
    )


def hire(engine: Engine, count: int) -> list[UUID]:
    app = application(engine)
    department = app.departments.create("Finance")
    project = app.projects.create("Audit")
    return [
        app.create_employee(
            EmployeeDetails(
                email=f"e{i}@example.com",
                firstname="Ada",
                lastname=f"L{i}",
                salary=Decimal("4000.00"),
                department_id=department.id,
                project_id=project.id,
            )
        ).employee.id
        for i in range(count)
    ]


def run_together(workers: list[Callable[[], object]]) -> list[object]:
    """Run the workers on threads at once; answers each one's result or exception."""
    start = threading.Barrier(len(workers))

    def run(work: Callable[[], object]) -> object:
        start.wait()
        try:
            return work()
        except Exception as error:
            return error

    with ThreadPoolExecutor(len(workers)) as pool:
        return list(pool.map(run, workers))


def test_eight_threads_numbering_400_invoices_leave_no_gap(clean_postgres: Engine) -> None:
    employees = hire(clean_postgres, 40)
    months = range(1, 11)
    pairs = [(e, m) for e in employees for m in months]
    random.Random(7).shuffle(pairs)
    slices = [pairs[i * 50 : (i + 1) * 50] for i in range(8)]

    def thread(work: list[tuple[UUID, int]], seed: int) -> Callable[[], tuple[int, int]]:
        def create_all() -> tuple[int, int]:
            chance = random.Random(seed)
            uow = FlakyUnitOfWork(clean_postgres)
            app = application(clean_postgres, new_uow=lambda: uow)
            committed = rolled_back = 0
            for employee_id, month in work:
                uow.fail_next_commit = chance.random() < 0.2
                try:
                    app.create_invoice(
                        InvoiceDetails(year=2024, month=month, employee_id=employee_id)
                    )
                    committed += 1
                except RolledBackOnPurpose:
                    rolled_back += 1
            return committed, rolled_back

        return create_all

    results = run_together([thread(s, seed) for seed, s in enumerate(slices)])
    assert not [r for r in results if isinstance(r, Exception)], results
    committed = sum(r[0] for r in results)  # type: ignore[index]
    assert 0 < sum(r[1] for r in results) < 400  # type: ignore[index]
    with SqlAlchemyUnitOfWork(clean_postgres) as uow:
        page = uow.invoices.list(InvoiceQuery(PageRequest(1, 1000), year=None))
        numbers = sorted(i.number.sequence for i in page.items)
        owed = uow.outbox.due(datetime(2100, 1, 1, tzinfo=UTC), 1000)
    assert numbers == list(range(1, committed + 1))
    assert {i.number.year for i in page.items} == {2024}
    assert len(owed) == committed


def test_two_sessions_racing_for_one_invoice_make_one(clean_postgres: Engine) -> None:
    (employee_id,) = hire(clean_postgres, 1)
    app = application(clean_postgres)

    def create() -> object:
        return app.create_invoice(InvoiceDetails(year=2024, month=10, employee_id=employee_id))

    for _ in range(5):
        results = run_together([create, create])
        conflicts = [r for r in results if isinstance(r, DuplicateInvoice)]
        assert len(conflicts) == 1, results
        with SqlAlchemyUnitOfWork(clean_postgres) as uow:
            invoice = uow.invoices.active_for(employee_id, YearMonth(2024, 10))
            assert invoice is not None
            uow.invoices.update(invoice.deleted(CLOCK.now()))
            uow.commit()


@pytest.mark.parametrize("kind", ["invoice", "workday"])
def test_a_duplicate_racing_past_the_checks_is_still_a_conflict(
    clean_postgres: Engine, kind: str
) -> None:
    """Two transactions insert the same employee-month invoice (or employee-date workday) at once,
    with no lock taken: the partial unique index stops the second, as the domain's conflict."""
    (employee_id,) = hire(clean_postgres, 1)

    def insert(sequence: int) -> Callable[[], object]:
        def work() -> object:
            with SqlAlchemyUnitOfWork(clean_postgres) as uow:
                if kind == "invoice":
                    uow.invoices.add(make.invoice(employee_id, YearMonth(2024, 10), sequence))
                else:
                    uow.workdays.add(make.workday(employee_id, date(2024, 10, 14)))
                uow.commit()
            return "committed"

        return work

    results = run_together([insert(1), insert(2)])
    assert sorted(map(type, results), key=str) == sorted(
        [str, DuplicateInvoice if kind == "invoice" else DuplicateWorkday], key=str
    )


def test_a_workday_racing_an_invoice_never_tears_the_snapshot(clean_postgres: Engine) -> None:
    """Logging a workday while its month is being invoiced: either the workday is in the totals,
    or it is refused because the month closed. Never a workday the invoice does not count."""
    employees = hire(clean_postgres, 12)
    app = application(clean_postgres)
    for index, employee_id in enumerate(employees):
        october = YearMonth(2024, 10)

        def invoice() -> object:
            details = InvoiceDetails(year=2024, month=10, employee_id=employee_id)  # noqa: B023 - run before the loop moves on
            return app.create_invoice(details)

        def workday() -> object:
            details = WorkdayDetails(
                day=date(2024, 10, 1 + index),  # noqa: B023
                hours=Decimal("7.5"),
                employee_id=employee_id,  # noqa: B023
            )
            return app.log_workday(details)

        results = run_together([invoice, workday])
        assert not isinstance(results[0], Exception), results
        assert results[1] is not None
        if isinstance(results[1], Exception):
            assert isinstance(results[1], MonthClosed), results
        with SqlAlchemyUnitOfWork(clean_postgres) as uow:
            stored = uow.invoices.active_for(employee_id, october)
            logged = uow.workdays.active_in_month(employee_id, october)
        assert stored is not None
        assert stored.totals.total_hours == sum((w.hours.value for w in logged), Decimal("0.00"))


def test_conflicts_leave_the_connection_usable(clean_postgres: Engine) -> None:
    (employee_id,) = hire(clean_postgres, 1)
    uow = SqlAlchemyUnitOfWork(clean_postgres)
    with uow:
        uow.workdays.add(make.workday(employee_id, date(2024, 10, 14)))
        uow.commit()
    with pytest.raises(Conflict), uow:
        uow.workdays.add(make.workday(employee_id, date(2024, 10, 14)))
    with uow:
        assert len(uow.workdays.active_in_month(employee_id, YearMonth(2024, 10))) == 1
