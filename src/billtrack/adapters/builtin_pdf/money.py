"""`format_money`: how every amount of money reads on a builtin invoice."""

from __future__ import annotations

import re
from decimal import Decimal

_ISO_4217_CODE = re.compile(r"[A-Z]{3}")


def format_money(amount: Decimal, currency: str) -> str:
    """`amount` with comma-grouped thousands and a point before its decimals, then a space and
    the ISO 4217 code: `format_money(Decimal("4838.07"), "EUR") == "4,838.07 EUR"`.

    The code rather than a symbol, because it is unambiguous for every currency ($ is a dozen
    currencies) and needs no table of symbols; the code after the number, because a column of
    right-aligned amounts then lines up on its digits. Every decimal the amount carries is shown
    (the domain has already rounded: cents for amounts, four places for the hourly rate), and
    none is added.
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"amounts of money are Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"{amount} is not an amount of money")
    if not _ISO_4217_CODE.fullmatch(currency):
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code such as EUR")
    if amount.is_zero():
        amount = abs(amount)  # -0.00 equals 0.00 but would print with its sign
    return f"{amount:,f} {currency}"
