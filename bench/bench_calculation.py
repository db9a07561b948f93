"""What exactness costs: the invoice calculation (Fraction, rounded once) against the same
formula in binary floating point, which is fast and wrong in the last cent."""

from __future__ import annotations

from decimal import Decimal

from bench.harness import Comparison, compare
from billtrack.domain.model.calculation import InvoiceTotals
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import Hours, Money

SALARY = Money(Decimal("4321.09"))
PERIOD = YearMonth(2024, 10)
HOURS = [Hours(Decimal(h)) for h in ("7.5", "8", "8.25", "6", "9.75") * 4]


def exact() -> InvoiceTotals:
    return InvoiceTotals.compute(SALARY, PERIOD, HOURS)


def floating() -> float:
    total = sum(float(h.value) for h in HOURS)
    return round(float(SALARY.amount) * total / (PERIOD.weekdays() * 8), 2)


def run() -> list[Comparison]:
    return [compare("invoice totals, exact", "same formula in floats", floating, exact)]
