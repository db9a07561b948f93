"""How numbers, dates and money look on a printed invoice: exact decimals, never floats."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

# Spelled out here rather than by strftime("%A"), whose output follows the process locale.
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def format_decimal(value: Decimal, *, min_places: int = 2) -> str:
    """`value` with thousands separators and at least `min_places` decimals; every digit it has is
    kept (nothing is rounded), so 29.5455 stays 29.5455 and 8 becomes 8.00."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a number that can be printed on an invoice")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite decimals have an integer exponent
    places = max(min_places, -exponent)
    # Formatting with at least as many places as the value has only pads with zeros: exact.
    text = f"{value:,.{places}f}"
    # -0.00 is what the arithmetic may produce, never what an accountant writes.
    return text.removeprefix("-") if value.is_zero() else text


def format_money(amount: Decimal, currency: str) -> str:
    """An amount with its ISO 4217 currency code, e.g. "EUR 4,838.07"."""
    return f"{currency} {format_decimal(amount)}"


def format_weekday(day: date) -> str:
    return WEEKDAY_NAMES[day.weekday()]
