"""The invoice calculation of the HTTP contract, computed exactly.

amount = salary * total_hours / (weekdays * 8), rounded once, half away from zero, to cents. The
quotient is kept as a `Fraction`, so no intermediate rounding (as .NET's 28-digit `decimal`
division does) can move a half cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import Hours, Money

RATE_DISPLAY_PLACES = 4


def round_half_away_from_zero(value: Fraction, places: int) -> Decimal:
    """`value` rounded to `places` decimals, exactly; ties go away from zero."""
    scaled = abs(value) * 10**places
    units = (2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator)
    rounded = Decimal(f"{units}E-{places}")  # parsed, not computed: no context rounds it
    return rounded.copy_negate() if value < 0 else rounded  # copy_negate: exact, unlike -x


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    """The snapshot an invoice keeps: what it was computed from and what it came to."""

    salary: Money
    weekdays: int
    total_hours: Decimal
    hourly_rate: Decimal
    amount: Money

    @classmethod
    def compute(cls, salary: Money, period: YearMonth, hours: Iterable[Hours]) -> InvoiceTotals:
        total_hours = sum((h.value for h in hours), Decimal("0.00"))
        exact_rate = Fraction(salary.amount) / period.working_hours()
        return cls(
            salary=salary,
            weekdays=period.weekdays(),
            total_hours=total_hours.quantize(Decimal("0.01")),
            hourly_rate=round_half_away_from_zero(exact_rate, RATE_DISPLAY_PLACES),
            amount=Money(amount_for(salary.amount, period, total_hours)),
        )


def amount_for(salary: Decimal, period: YearMonth, total_hours: Decimal) -> Decimal:
    """The contract's amount for one salary, month and number of hours."""
    exact = Fraction(salary) * Fraction(total_hours) / period.working_hours()
    return round_half_away_from_zero(exact, 2)
