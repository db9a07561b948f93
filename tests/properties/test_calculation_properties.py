"""Properties of the invoice calculation (contract, "Invoice calculation").

Every expected value comes from the independent oracle in `tests.properties.strategies`: exact
`Fraction`s for the formula, weekdays counted date by date, and `Decimal` division at a precision
proven sufficient, rounded with `ROUND_HALF_UP` (ties away from zero).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from uuid import UUID

from hypothesis import example, given, settings
from hypothesis import strategies as st

from billtrack.adapters.memory.unit_of_work import InMemoryUnitOfWork
from billtrack.domain.model.calculation import (
    InvoiceTotals,
    amount_for,
    round_half_away_from_zero,
)
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import Hours, Money
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.workdays import WorkdayDetails
from tests.fakes.application import in_memory_application
from tests.fakes.clock import ManualClock
from tests.properties.strategies import (
    brute_force_weekdays,
    cents,
    expected_amount,
    expected_rate,
    months,
    oracle_round,
    salaries,
    workday_hours,
)

hour_lists = st.lists(workday_hours, max_size=31)


def places_of(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return -exponent


# --- the formula ------------------------------------------------------------------------------


@given(salary=salaries, period=months, hours=hour_lists)
@example(salary=Decimal("4000.00"), period=YearMonth(2024, 10), hours=[Decimal("16.00")])
@example(  # the contract's half cent: .NET's decimal gave 711.87
    salary=Decimal("1005.00"),
    period=YearMonth(2024, 2),
    hours=[Decimal("24.00")] * 4 + [Decimal("23.00")],
)
@example(salary=Decimal("0.00"), period=YearMonth(2000, 1), hours=[])
@example(salary=Decimal("10000000.00"), period=YearMonth(2100, 12), hours=[Decimal("24")] * 31)
def test_totals_are_the_exact_formula(
    salary: Decimal, period: YearMonth, hours: list[Decimal]
) -> None:
    totals = InvoiceTotals.compute(Money(salary), period, [Hours(h) for h in hours])

    exact_sum = sum((Fraction(h) for h in hours), Fraction(0))
    assert Fraction(totals.total_hours) == exact_sum
    assert places_of(totals.total_hours) == 2
    assert totals.weekdays == brute_force_weekdays(period)
    assert totals.salary == Money(salary)
    assert totals.amount.amount == expected_amount(salary, period, sum(hours, Decimal(0)))
    assert places_of(totals.amount.amount) == 2
    assert totals.hourly_rate == expected_rate(salary, period)
    assert places_of(totals.hourly_rate) == 4


def test_the_contract_examples() -> None:
    october = InvoiceTotals.compute(
        Money(Decimal("4000.00")), YearMonth(2024, 10), [Hours(Decimal("16.00"))]
    )
    assert october.weekdays == 23
    assert october.hourly_rate == Decimal("21.7391")
    assert october.amount == Money(Decimal("347.83"))
    assert str(october.amount) == "347.83"
    # 1005 * 119 / 168 = 711.875 exactly: the half cent goes up.
    assert YearMonth(2024, 2).weekdays() == 21
    assert amount_for(Decimal("1005.00"), YearMonth(2024, 2), Decimal("119")) == Decimal("711.88")


@given(salary=salaries, period=months, total=cents(0, 31 * 2400))
@example(salary=Decimal("1005.00"), period=YearMonth(2024, 2), total=Decimal("119.00"))
def test_amount_for_is_the_exact_formula(
    salary: Decimal, period: YearMonth, total: Decimal
) -> None:
    assert amount_for(salary, period, total) == expected_amount(salary, period, total)


@given(salary=salaries, period=months, low=cents(0, 31 * 2400), extra=cents(0, 31 * 2400))
def test_amount_never_decreases_when_hours_grow(
    salary: Decimal, period: YearMonth, low: Decimal, extra: Decimal
) -> None:
    assert amount_for(salary, period, low) <= amount_for(salary, period, low + extra)


@given(period=months, hours=hour_lists, extra=workday_hours, salary=salaries)
def test_one_more_workday_never_lowers_the_totals(
    period: YearMonth, hours: list[Decimal], extra: Decimal, salary: Decimal
) -> None:
    before = InvoiceTotals.compute(Money(salary), period, [Hours(h) for h in hours])
    after = InvoiceTotals.compute(Money(salary), period, [Hours(h) for h in [*hours, extra]])
    assert after.total_hours == before.total_hours + extra
    assert after.amount >= before.amount
    assert after.hourly_rate == before.hourly_rate


@given(period=st.builds(YearMonth, st.integers(1, 9999), st.integers(1, 12)))
@example(period=YearMonth(2024, 2))  # leap February starting on a Thursday: 21
@example(period=YearMonth(2021, 2))  # February starting on a Monday: 20
@example(period=YearMonth(2024, 10))  # 23
def test_weekdays_are_the_monday_to_friday_dates(period: YearMonth) -> None:
    weekdays = period.weekdays()
    assert weekdays == brute_force_weekdays(period)
    assert 20 <= weekdays <= 23
    assert period.working_hours() == weekdays * 8


def test_weekdays_of_every_month_from_2000_to_2100() -> None:
    for year in range(2000, 2101):
        for month in range(1, 13):
            weekdays = YearMonth(year, month).weekdays()
            assert weekdays == brute_force_weekdays(YearMonth(year, month)), (year, month)
            assert 20 <= weekdays <= 23


# --- rounding on its own ----------------------------------------------------------------------

# What the calculation can feed it: salary * hours / (weekdays * 8) for salaries within 10 million.
calculation_fractions = st.builds(
    lambda salary, hours, weekdays: Fraction(salary) * Fraction(hours) / (weekdays * 8),
    salaries,
    cents(0, 31 * 2400),
    st.integers(20, 23),
)


@given(value=calculation_fractions, places=st.sampled_from([2, 4]))
@example(value=Fraction(711875, 1000), places=2)
@example(value=Fraction(5, 1000), places=2)
@example(value=Fraction(4999, 1000000), places=2)
def test_rounding_of_calculation_values_is_exact(value: Fraction, places: int) -> None:
    assert round_half_away_from_zero(value, places) == oracle_round(value, places)
    assert places_of(round_half_away_from_zero(value, places)) == places


@given(
    numerator=st.integers(-(10**60), 10**60),
    denominator=st.integers(1, 10**12),
    places=st.integers(0, 6),
)
@example(numerator=-5, denominator=1000, places=2)  # -0.005: away from zero is -0.01
@example(numerator=25, denominator=10, places=0)  # 2.5 -> 3, not banker's 2
@example(numerator=123456789012345678901234567891, denominator=100, places=2)
def test_rounding_is_exact_for_any_fraction(numerator: int, denominator: int, places: int) -> None:
    """The docstring promises "exactly" for any Fraction, also past the 28 digits of the default
    decimal context (where `Decimal(units).scaleb(-places)` once rounded the result)."""
    value = Fraction(numerator, denominator)
    assert round_half_away_from_zero(value, places) == oracle_round(value, places)


# --- the snapshot: a salary change never rewrites an invoice ----------------------------------

NOW = datetime(2024, 11, 15, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    app: Application
    department_id: UUID
    project_id: UUID


def new_world() -> World:
    uow = InMemoryUnitOfWork()
    app = in_memory_application(lambda: uow, ManualClock(NOW))
    department = app.departments.create("Engineering")
    project = app.projects.create("Billing")
    return World(app, department.id, project.id)


def employee_details(world: World, salary: Decimal) -> EmployeeDetails:
    return EmployeeDetails(
        email="ada@example.com",
        firstname="Ada",
        lastname="Lovelace",
        salary=salary,
        department_id=world.department_id,
        project_id=world.project_id,
    )


@st.composite
def month_with_workdays(draw: st.DrawFn) -> tuple[YearMonth, dict[date, Decimal]]:
    period = draw(st.builds(YearMonth, st.just(2024), st.integers(1, 10)))
    days = draw(
        st.dictionaries(
            st.integers(1, calendar.monthrange(period.year, period.month)[1]).map(
                lambda d: date(period.year, period.month, d)
            ),
            workday_hours,
            max_size=12,
        )
    )
    return period, days


@settings(max_examples=60, deadline=None)
@given(
    initial_salary=salaries,
    month=month_with_workdays(),
    new_salaries=st.lists(salaries, min_size=1, max_size=8),
)
def test_salary_changes_never_change_an_issued_invoice(
    initial_salary: Decimal,
    month: tuple[YearMonth, dict[date, Decimal]],
    new_salaries: list[Decimal],
) -> None:
    world = new_world()
    period, days = month
    employee_id = world.app.create_employee(employee_details(world, initial_salary)).employee.id
    for day, hours in days.items():
        world.app.log_workday(WorkdayDetails(day=day, hours=hours, employee_id=employee_id))
    issued = world.app.create_invoice(
        InvoiceDetails(year=period.year, month=period.month, employee_id=employee_id)
    ).invoice
    total = sum(days.values(), Decimal("0.00"))
    assert issued.totals.total_hours == total
    assert issued.totals.amount.amount == expected_amount(initial_salary, period, total)
    assert issued.totals.hourly_rate == expected_rate(initial_salary, period)

    for salary in new_salaries:
        world.app.change_employee(employee_id, employee_details(world, salary))
        assert world.app.get_employee(employee_id).employee.salary == Money(salary)
        stored = world.app.get_invoice(issued.id).invoice
        assert stored.totals == issued.totals
        assert stored.totals.salary == Money(initial_salary)
        assert stored.number == issued.number

    # The salary did change: issuing the month again (after a delete) uses the latest one.
    world.app.delete_invoice(issued.id)
    reissued = world.app.create_invoice(
        InvoiceDetails(year=period.year, month=period.month, employee_id=employee_id)
    ).invoice
    latest = new_salaries[-1]
    assert reissued.totals.salary == Money(latest)
    assert reissued.totals.amount.amount == expected_amount(latest, period, total)
    assert reissued.totals.hourly_rate == expected_rate(latest, period)
