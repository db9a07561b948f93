"""`uow.months.lock`: the months asked for, in the order asked, each with its active workdays
and the active invoice that closes it (what every workday and invoice change is checked against)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from tests.unit.usecases.fixtures import World

from billtrack.domain.model.period import YearMonth

SEPTEMBER, OCTOBER, AUGUST = YearMonth(2024, 9), YearMonth(2024, 10), YearMonth(2024, 8)


def test_lock_answers_the_months_in_the_order_asked_with_their_workdays_and_invoice() -> None:
    world = World()
    ada = world.employee().employee.id
    grace = world.employee().employee.id
    oct_2 = world.workday(ada, date(2024, 10, 2))
    oct_1 = world.workday(ada, date(2024, 10, 1), "4")
    sep_30 = world.workday(ada, date(2024, 9, 30))
    graces_oct_1 = world.workday(grace, date(2024, 10, 1))
    september_invoice = world.invoice(ada, 2024, 9)

    with world.uow:
        months = world.uow.months.lock(
            (ada, OCTOBER), (grace, OCTOBER), (ada, SEPTEMBER), (ada, AUGUST)
        )

    assert [(m.employee_id, m.period) for m in months] == [
        (ada, OCTOBER),
        (grace, OCTOBER),
        (ada, SEPTEMBER),
        (ada, AUGUST),
    ]
    ada_october, grace_october, ada_september, ada_august = months
    assert [w.id for w in ada_october.workdays] == [oct_1.workday.id, oct_2.workday.id]
    assert [str(w.hours.value) for w in ada_october.workdays] == ["4.00", "8.00"]
    assert ada_october.invoice is None
    assert not ada_october.is_closed
    assert [w.id for w in grace_october.workdays] == [graces_oct_1.workday.id]
    assert grace_october.invoice is None
    assert [w.id for w in ada_september.workdays] == [sep_30.workday.id]
    assert ada_september.invoice is not None
    assert ada_september.invoice.id == september_invoice.invoice.id
    assert ada_september.is_closed
    assert ada_august.workdays == ()
    assert ada_august.invoice is None


def test_the_same_month_twice_answers_it_twice_and_nothing_asked_answers_nothing() -> None:
    world = World()
    ada = world.employee().employee.id
    world.workday(ada, date(2024, 10, 1))

    with world.uow:
        first, second = world.uow.months.lock((ada, OCTOBER), (ada, OCTOBER))
        assert world.uow.months.lock() == ()

    assert first == second
    assert len(first.workdays) == 1


def test_deleted_workdays_and_invoices_are_not_in_the_month() -> None:
    world = World()
    ada = world.employee().employee.id
    kept = world.workday(ada, date(2024, 9, 2))
    gone = world.workday(ada, date(2024, 9, 3))
    world.app.delete_workday(gone.workday.id)
    invoice = world.invoice(ada, 2024, 9)
    world.app.delete_invoice(invoice.invoice.id)

    with world.uow:
        (september,) = world.uow.months.lock((ada, SEPTEMBER))

    assert [w.id for w in september.workdays] == [kept.workday.id]
    assert september.invoice is None


def test_an_unknown_employee_has_an_empty_open_month() -> None:
    world = World()
    nobody = uuid4()

    with world.uow:
        (month,) = world.uow.months.lock((nobody, OCTOBER))

    assert (month.employee_id, month.period, tuple(month.workdays), month.invoice) == (
        nobody,
        OCTOBER,
        (),
        None,
    )


def test_lock_sees_what_the_transaction_wrote_before_it() -> None:
    """The months are read from the working copy: a workday added earlier in the same unit of
    work is in the month, one rolled back is not."""
    world = World()
    ada = world.employee().employee.id
    logged = world.workday(ada, date(2024, 10, 1))

    with world.uow:
        world.uow.workdays.update(logged.workday.deleted(world.clock.now()))
        (during,) = world.uow.months.lock((ada, OCTOBER))
        world.uow.rollback()
        (after_rollback,) = world.uow.months.lock((ada, OCTOBER))

    assert during.workdays == ()
    assert [w.id for w in after_rollback.workdays] == [logged.workday.id]
