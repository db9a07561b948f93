"""Value objects refuse what the contract refuses, and keep exactly what it keeps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billtrack.domain.model.errors import ValidationFailed
from billtrack.domain.model.numbering import InvoiceNumber
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import Email, FieldErrors, Hours, InvalidValue, Money, Name


@pytest.mark.parametrize(
    ("given", "kept"),
    [("4000", "4000.00"), ("4000.5", "4000.50"), ("4000.500", "4000.50"), ("0", "0.00")],
)
def test_money_keeps_two_places(given: str, kept: str) -> None:
    assert str(Money(Decimal(given))) == kept


def test_money_adds_tenths_exactly() -> None:
    assert Money(Decimal("0.1") + Decimal("0.2")).amount == Decimal("0.30")


@pytest.mark.parametrize("bad", ["4000.505", "-0.01", "NaN", "Infinity"])
def test_money_refuses(bad: str) -> None:
    with pytest.raises(InvalidValue):
        Money(Decimal(bad))


def test_money_refuses_floats_outright() -> None:
    with pytest.raises(TypeError):
        Money(0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize("good", ["0.01", "7.5", "24", "23.99"])
def test_hours_accept_more_than_zero_up_to_24(good: str) -> None:
    assert Hours(Decimal(good)).value == Decimal(good).quantize(Decimal("0.01"))


@pytest.mark.parametrize("bad", ["0", "-1", "24.01", "7.555"])
def test_hours_refuse(bad: str) -> None:
    with pytest.raises(InvalidValue):
        Hours(Decimal(bad))


def test_names_are_trimmed_and_bounded() -> None:
    assert Name("  Finance \t").value == "Finance"
    assert Name("x" * 100).value == "x" * 100
    with pytest.raises(InvalidValue):
        Name("x" * 101)
    with pytest.raises(InvalidValue):
        Name("   ")


@pytest.mark.parametrize(
    "good", ["a@b.co", "Ada.Lovelace@Example.COM", "x+tag@sub.example.org", "zoë@exämple.de"]
)
def test_email_accepts(good: str) -> None:
    assert Email(good).value == good


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "plain",
        "@example.com",
        "ada@",
        "ada@example",
        "a@b@c.com",
        "a b@c.com",
        "a@" + "b" * 98 + ".c",
    ],
)
def test_email_refuses(bad: str) -> None:
    with pytest.raises(InvalidValue):
        Email(bad)


def test_email_uniqueness_ignores_case() -> None:
    assert Email("Ada@Example.com").key == Email("ada@example.COM").key


def test_field_errors_report_every_field_at_once() -> None:
    errors = FieldErrors()
    errors.add("name", "must not be empty")
    errors.add("salary", "must be 0 or more")
    errors.add("salary", "must have at most 2 decimal places")
    with pytest.raises(ValidationFailed) as caught:
        errors.raise_if_any()
    assert caught.value.errors == {
        "name": ("must not be empty",),
        "salary": ("must be 0 or more", "must have at most 2 decimal places"),
    }


def test_year_month_arithmetic_and_bounds() -> None:
    assert YearMonth(2024, 1).previous() == YearMonth(2023, 12)
    assert YearMonth(2024, 12).next() == YearMonth(2025, 1)
    assert YearMonth(2024, 2).last_day == date(2024, 2, 29)
    assert YearMonth(2024, 2).contains(date(2024, 2, 29))
    assert not YearMonth(2024, 2).contains(date(2024, 3, 1))
    assert str(YearMonth(2024, 3)) == "2024-03"
    with pytest.raises(InvalidValue):
        YearMonth(2024, 13)


def test_invoice_numbers_print_and_parse() -> None:
    number = InvoiceNumber(2024, 17)
    assert str(number) == "2024-000017"
    assert InvoiceNumber.parse("2024-000017") == number
    assert InvoiceNumber(2024, 2) < InvoiceNumber(2024, 10)
    for bad in ("2024-17", "24-000017", "2024-0000017", "2024-000000"):
        with pytest.raises(InvalidValue):
            InvoiceNumber.parse(bad)
