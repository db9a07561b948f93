"""How billtrack writes numbers, money and dates for people: on PDFs, in mails and on pages.

Exact decimals only (never floats), the same text everywhere an amount appears.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from billtrack.domain.model.period import YearMonth

# Spelled out here rather than by strftime, whose output follows the process locale.
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ISO_4217_CODE = re.compile(r"[A-Z]{3}")


def format_decimal(value: Decimal, *, min_places: int = 2) -> str:
    """`value` with comma-grouped thousands and at least `min_places` decimals; every digit it
    has is kept (nothing is rounded), so 29.5455 stays 29.5455 and 8 becomes 8.00."""
    if not isinstance(value, Decimal):
        raise TypeError(f"amounts are Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{value} is not a number a person can read")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite decimals have an integer exponent
    # At least as many places as the value has only pads with zeros: exact.
    text = f"{value:,.{max(min_places, -exponent)}f}"
    # -0.00 is what arithmetic may produce, never what an accountant writes.
    return text.removeprefix("-") if value.is_zero() else text


def format_money(amount: Decimal, currency: str) -> str:
    """`amount` then its ISO 4217 code: `format_money(Decimal("4838.07"), "EUR")` is
    `4,838.07 EUR`. The code, not a symbol, because it is unambiguous ($ is a dozen currencies);
    after the number, so a right-aligned column of amounts lines up on its digits. Every decimal
    the amount carries is shown and none is added: the domain has rounded already (cents for
    amounts, four places for the hourly rate)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amounts of money are Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"{amount} is not an amount of money")
    if not _ISO_4217_CODE.fullmatch(currency):
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code such as EUR")
    if amount.is_zero():
        amount = abs(amount)  # -0.00 equals 0.00 but would print with its sign
    return f"{amount:,f} {currency}"


def month_label(period: YearMonth) -> str:
    """`October 2024`."""
    return f"{MONTH_NAMES[period.month - 1]} {period.year}"


def weekday_name(day: date) -> str:
    return WEEKDAY_NAMES[day.weekday()]
