"""The dashboard's bar chart of invoiced totals, laid out here and drawn as SVG by the template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from billtrack.domain.model.period import YearMonth
from billtrack.entrypoints.web.formats import SHORT_MONTHS, money, month_name

WIDTH, HEIGHT = 1000, 280
LEFT, RIGHT, TOP, BOTTOM = 84, 12, 16, 44
GRID_LINES = 4


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    sublabel: str
    """The year, under January and under the first month."""
    title: str
    """What the bar says in words: `October 2024: 4,838.07 EUR`."""
    is_current: bool


@dataclass(frozen=True, slots=True)
class GridLine:
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: int
    right_edge: int
    baseline: float
    bars: tuple[Bar, ...]
    grid: tuple[GridLine, ...]
    rows: tuple[tuple[str, str], ...]
    """Month and total, for the table beside the chart."""
    summary: str
    is_empty: bool


def last_months(current: YearMonth, count: int = 12) -> list[YearMonth]:
    months = [current]
    while len(months) < count:
        months.append(months[-1].previous())
    return months[::-1]


def nice_step(top: Decimal) -> Decimal:
    """A round step (1, 2 or 5 times a power of ten) so that GRID_LINES steps reach `top`."""
    if top <= 0:
        return Decimal(1)
    raw = top / GRID_LINES
    magnitude = Decimal(10) ** (raw.adjusted())
    for factor in (1, 2, 5, 10):
        step = magnitude * factor
        if step >= raw:
            return step
    return magnitude * 10  # pragma: no cover - 10 always reaches


def monthly_totals_chart(
    totals: Mapping[YearMonth, Decimal], months: Sequence[YearMonth], currency: str
) -> Chart:
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    step = nice_step(max((totals.get(m, Decimal(0)) for m in months), default=Decimal(0)))
    top = step * GRID_LINES
    slot = plot_width / len(months)
    bars = []
    for index, month in enumerate(months):
        value = totals.get(month, Decimal("0.00"))
        height = float(value / top) * plot_height if top else 0.0
        first_shown = index == 0 or month.month == 1
        bars.append(
            Bar(
                x=round(LEFT + index * slot + slot * 0.18, 2),
                y=round(baseline - height, 2),
                width=round(slot * 0.64, 2),
                height=round(height, 2),
                label=SHORT_MONTHS[month.month - 1],
                sublabel=str(month.year) if first_shown else "",
                title=f"{month_name(month)}: {money(value, currency)}",
                is_current=index == len(months) - 1,
            )
        )
    grid = tuple(
        GridLine(
            y=round(baseline - plot_height * i / GRID_LINES, 2),
            label=_axis_label(step * i),
        )
        for i in range(GRID_LINES + 1)
    )
    invoiced = [m for m in months if totals.get(m)]
    best = max(invoiced, key=lambda m: totals[m], default=None)
    summary = f"Invoiced totals from {month_name(months[0])} to {month_name(months[-1])}. " + (
        f"The highest month was {month_name(best)} with {money(totals[best], currency)}."
        if best is not None
        else "No invoices in these months yet."
    )
    rows = tuple((month_name(m), money(totals.get(m, Decimal("0.00")), currency)) for m in months)
    return Chart(
        WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, baseline, tuple(bars), grid, rows, summary, best is None
    )


def _axis_label(value: Decimal) -> str:
    if value >= 1_000_000:
        return f"{(value / 1_000_000).normalize():f}M"
    if value >= 1000:
        return f"{(value / 1000).quantize(Decimal('0.1'), ROUND_CEILING).normalize():f}k"
    return f"{value.normalize():f}"
