"""The invoice calculation against hand-checked cases (api-contract.md, "Invoice calculation")."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from billtrack.domain.model.calculation import (
    InvoiceTotals,
    amount_for,
    round_half_away_from_zero,
)
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import Hours, Money


def totals(salary: str, year: int, month: int, *hours: str) -> InvoiceTotals:
    return InvoiceTotals.compute(
        Money(Decimal(salary)), YearMonth(year, month), [Hours(Decimal(h)) for h in hours]
    )


def test_the_contracts_worked_example() -> None:
    result = totals("4000.00", 2024, 10, "8", "8")
    assert result.weekdays == 23
    assert result.total_hours == Decimal("16.00")
    assert str(result.hourly_rate) == "21.7391"
    assert str(result.amount) == "347.83"


def test_the_half_cent_the_original_rounded_down() -> None:
    # 1005 * 119 / 168 = 711.875 exactly: .NET's 28-digit division landed on 711.87.
    assert YearMonth(2024, 2).weekdays() == 21
    assert amount_for(Decimal("1005.00"), YearMonth(2024, 2), Decimal("119")) == Decimal("711.88")


@pytest.mark.parametrize(
    ("year", "month", "weekdays"),
    [
        (2024, 2, 21),  # leap February starting on a Thursday
        (2021, 2, 20),  # 28 days: exactly four weeks
        (2023, 2, 20),
        (2020, 2, 20),  # leap February starting on a Saturday
        (2024, 10, 23),
        (2024, 3, 21),
        (2024, 6, 20),
        (2025, 12, 23),
        (2026, 8, 21),
    ],
)
def test_weekdays_of_months_of_20_to_23(year: int, month: int, weekdays: int) -> None:
    assert YearMonth(year, month).weekdays() == weekdays


@pytest.mark.parametrize(
    ("salary", "year", "month", "hours", "rate", "amount"),
    [
        # 20 weekdays: 160 hours a month
        ("3200.00", 2021, 2, ("8",) * 20, "20.0000", "3200.00"),
        ("3000.00", 2021, 2, ("7.5",), "18.7500", "140.63"),  # 140.625 rounds up
        # 21 weekdays, leap February
        ("4200.00", 2024, 2, ("8", "8", "4.25"), "25.0000", "506.25"),
        # 22 weekdays: 176 hours
        ("5000.00", 2024, 4, ("1",), "28.4091", "28.41"),
        # 23 weekdays
        ("4000.00", 2024, 10, ("0.01",), "21.7391", "0.22"),
        # weekend days count like any other
        ("1840.00", 2024, 10, ("10", "10"), "10.0000", "200.00"),
    ],
)
def test_hand_checked_totals(
    salary: str, year: int, month: int, hours: tuple[str, ...], rate: str, amount: str
) -> None:
    result = totals(salary, year, month, *hours)
    assert str(result.hourly_rate) == rate
    assert str(result.amount) == amount


def test_zero_hours_give_zero_totals() -> None:
    result = totals("4000.00", 2024, 10)
    assert result.total_hours == Decimal("0.00")
    assert result.amount == Money(Decimal(0))
    assert str(result.amount) == "0.00"


def test_a_zero_salary_gives_a_zero_amount() -> None:
    result = totals("0", 2024, 10, "8", "8")
    assert str(result.hourly_rate) == "0.0000"
    assert str(result.amount) == "0.00"


def test_large_salaries_stay_exact() -> None:
    result = totals("98765432109.87", 2024, 10, *(["24"] * 31))
    exact = Fraction("98765432109.87") * 744 / 184
    assert result.amount.amount == round_half_away_from_zero(exact, 2)
    assert str(result.amount) == "399355877661.65"


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Fraction(5, 1000), 2, "0.01"),
        (Fraction(-5, 1000), 2, "-0.01"),
        (Fraction(4999, 1000000), 2, "0.00"),
        (Fraction(1, 3), 4, "0.3333"),
        (Fraction(2, 3), 4, "0.6667"),
        (Fraction(0), 2, "0.00"),
    ],
)
def test_rounding_is_half_away_from_zero(value: Fraction, places: int, expected: str) -> None:
    assert str(round_half_away_from_zero(value, places)) == expected
