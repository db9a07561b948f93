"""The pieces of the pages that need no browser: numbers as people type them, the messages next
to fields, the chart's axis, and what the dashboard asks attention for."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from uuid import uuid4

import pytest

from billtrack.domain.model.period import YearMonth
from billtrack.entrypoints.web.chart import last_months, monthly_totals_chart, nice_step
from billtrack.entrypoints.web.formats import failure, hours_input, parse_month
from billtrack.entrypoints.web.forms import about, parse_amount
from billtrack.entrypoints.web.routes.dashboard import summarise


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("8", Decimal("8")),
        ("7.5", Decimal("7.5")),
        ("7,5", Decimal("7.5")),
        (" 4,200.50 ", Decimal("4200.50")),
        ("4200,50", Decimal("4200.50")),
        ("1,000,000", Decimal("1000000")),
        ("4 200", Decimal("4200")),
        (".5", Decimal("0.5")),
        ("acht", None),
        ("1e3", None),
        ("NaN", None),
        ("", None),
        ("7..5", None),
    ],
)
def test_numbers_as_people_type_them(typed: str, value: Decimal | None) -> None:
    assert parse_amount(typed) == value


def test_hours_are_shown_without_zeros_to_type_over() -> None:
    assert [hours_input(Decimal(h)) for h in ("8.00", "7.50", "7.25", "10.00", "24")] == [
        "8",
        "7.5",
        "7.25",
        "10",
        "24",
    ]
    assert hours_input(None) == ""


def test_months_as_a_month_field_sends_them() -> None:
    assert parse_month("2024-10") == YearMonth(2024, 10)
    assert parse_month("2024-13") is None
    assert parse_month("24-10") is None
    assert parse_month("October") is None
    assert parse_month(None) is None


def test_messages_read_as_sentences_next_to_their_field() -> None:
    assert about(["must not be empty"], "Name") == "Name must not be empty."
    assert (
        about(["Ada Lovelace already has an invoice for October 2024"], "Month")
        == "Ada Lovelace already has an invoice for October 2024."
    )
    assert about(["must be from 1 to 12", "is odd."], "Month") == (
        "Month must be from 1 to 12; Month is odd."
    )


def test_the_chart_axis_steps_are_round() -> None:
    assert [nice_step(Decimal(v)) for v in ("0", "3", "57840.49", "120000")] == [
        Decimal(1),
        Decimal(1),
        Decimal(20000),
        Decimal(50000),
    ]
    months = last_months(YearMonth(2024, 11))
    assert months[0] == YearMonth(2023, 12)
    assert months[-1] == YearMonth(2024, 11)
    chart = monthly_totals_chart({YearMonth(2024, 10): Decimal("4838.07")}, months, "EUR")
    assert [b.sublabel for b in chart.bars][:2] == ["2023", "2024"]
    assert chart.bars[10].title == "October 2024: 4,838.07 EUR"
    assert chart.bars[10].height > 0
    assert chart.bars[9].height == 0
    assert not chart.is_empty
    assert monthly_totals_chart({}, months, "EUR").is_empty


def test_nobody_is_reminded_of_hours_before_a_workday_of_the_month_has_passed() -> None:
    december = YearMonth(2026, 12)

    def missing(today: date) -> int:
        summary = summarise(
            december,
            is_current=True,
            today=today,
            employees=[SimpleNamespace(employee=SimpleNamespace(id=uuid4()))],  # type: ignore[list-item]
            workdays=[],
            invoices=[],
        )
        return len(summary.without_hours)

    assert missing(date(2026, 12, 1)) == 0  # a Tuesday: the month has just begun
    assert missing(date(2026, 12, 2)) == 1


def test_a_failure_is_told_without_the_name_of_its_exception() -> None:
    assert failure("UnsupportedText: the name has 李 (U+674E)") == "the name has 李 (U+674E)"
    assert failure("SMTPRecipientsRefused: no such mailbox") == "no such mailbox"
    assert failure("OSError: disk full") == "disk full"
    assert failure("Invoice: not printable") == "Invoice: not printable"  # a word, not a class
    assert failure("TimeoutError: ") == "TimeoutError: "  # nothing else to say
    assert failure("the mail server said no") == "the mail server said no"
