"""How pages write money, hours, months and statuses (the domain's presentation, plus labels)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from billtrack.domain.model.invoice import Invoice, InvoiceStatus, MailStatus
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.presentation import (
    MONTH_NAMES,
    format_decimal,
    format_money,
    month_label,
    weekday_name,
)

SHORT_MONTHS = tuple(name[:3] for name in MONTH_NAMES)
_ERROR_CLASS = re.compile(r"^[A-Z][a-z0-9_]*[A-Z][A-Za-z0-9_]*: ")
"""A class name in CamelCase (two capitals at least, so a plain word such as `Invoice:` stays)."""


def hours_text(value: Decimal) -> str:
    """Hours as a table shows them: `163.75`, `8.00`."""
    return format_decimal(value)


def hours_input(value: Decimal | None) -> str:
    """Hours as typed into a field: `8`, `7.5`, `7.25` (no padding zeros to type over)."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency)


def month_name(period: YearMonth) -> str:
    return month_label(period)


def month_value(period: YearMonth) -> str:
    """What an `<input type="month">` holds: `2024-10`."""
    return str(period)


def parse_month(text: str | None) -> YearMonth | None:
    """`2024-10` (what a month field sends), or None."""
    if not text:
        return None
    year, dash, month = text.strip().partition("-")
    if not dash or not (year.isdigit() and month.isdigit()) or len(year) != 4:
        return None
    try:
        return YearMonth(int(year), int(month))
    except ValueError:
        return None


def day_label(day: date) -> str:
    return f"{weekday_name(day)[:3]} {day.day}"


def long_date(day: date) -> str:
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def when(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    return f"{long_date(local.date())}, {local:%H:%M}"


def failure(reason: str) -> str:
    """Why a render or a mail failed, for people: the worker records it after the name of the
    exception (`UnsupportedText: invoice ... cannot be printed`), which the logs need and an
    accountant does not."""
    return _ERROR_CLASS.sub("", reason, count=1) or reason


PDF_LABELS = {
    InvoiceStatus.PENDING: ("Rendering", "pending"),
    InvoiceStatus.GENERATED: ("Ready", "good"),
    InvoiceStatus.FAILED: ("Failed", "bad"),
}


def pdf_status(invoice: Invoice) -> tuple[str, str]:
    """The PDF's state for people, and the badge's tone."""
    return PDF_LABELS[invoice.status]


def mail_status(invoice: Invoice) -> tuple[str, str]:
    status = invoice.mail_status
    if status is MailStatus.SENT:
        return "Sent", "good"
    if status is MailStatus.FAILED:
        return "Failed", "bad"
    if invoice.status is InvoiceStatus.FAILED:
        return "Not sent", "neutral"
    if not invoice.is_url_ready:
        return "Waiting for PDF", "neutral"
    return "Sending", "pending"
