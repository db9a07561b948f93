"""Shared strategies, and the independent oracle of the invoice calculation.

The oracle does not call `billtrack.domain.model.calculation`: the formula is taken from the
contract ("Invoice calculation") and computed with `Fraction`s, rounded with `Decimal`'s
`ROUND_HALF_UP` (ties away from zero) at a precision proven sufficient (see `oracle_round`), and
weekdays are counted date by date.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from hypothesis import strategies as st

from billtrack.domain.model.period import YearMonth


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Decimals with exactly two places, from low/100 to high/100."""
    return st.integers(low, high).map(lambda c: Decimal(c).scaleb(-2))


salaries = cents(0, 1_000_000_000)  # 0.00 .. 10,000,000.00
workday_hours = cents(1, 2400)  # 0.01 .. 24.00
months = st.builds(YearMonth, st.integers(2000, 2100), st.integers(1, 12))


def oracle_round(value: Fraction, places: int) -> Decimal:
    """`value` rounded to `places` decimals, ties away from zero, exactly.

    Decimal division is correctly rounded to the context precision, so the quotient q of n/d is
    within half an ulp of n/d. If n/d is not a tie, it is at least 1/(2d) away from one (scaled to
    `places`), so with an ulp below that, q lies on the same side of the tie and ROUND_HALF_UP
    rounds it as it would n/d; an exact tie has a short decimal expansion and is computed exactly.
    The precision below covers the integer digits, the places, and the digits of 2d, with margin.
    """
    n, d = value.numerator, value.denominator
    with localcontext() as ctx:
        ctx.prec = len(str(abs(n) // d)) + places + len(str(2 * d)) + 10
        quotient = Decimal(n) / Decimal(d)
        return quotient.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def brute_force_weekdays(period: YearMonth) -> int:
    """The Monday-to-Friday dates of the month, counted one by one."""
    first = date(period.year, period.month, 1)
    length = calendar.monthrange(period.year, period.month)[1]
    days = (first + timedelta(days=offset) for offset in range(length))
    return sum(1 for day in days if day.isoweekday() <= 5)


def expected_amount(salary: Decimal, period: YearMonth, total_hours: Decimal) -> Decimal:
    """salary * total_hours / (weekdays * 8), exactly, to cents."""
    weekdays = brute_force_weekdays(period)
    return oracle_round(Fraction(salary) * Fraction(total_hours) / Fraction(weekdays * 8), 2)


def expected_rate(salary: Decimal, period: YearMonth) -> Decimal:
    """salary / (weekdays * 8), exactly, to 4 places (the rate shown)."""
    return oracle_round(Fraction(salary) / Fraction(brute_force_weekdays(period) * 8), 4)
