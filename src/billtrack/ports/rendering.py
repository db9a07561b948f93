"""Turning an invoice into a PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class Issuer:
    """Who issues the invoices: printed on every PDF and mail."""

    name: str = ""
    address: str = ""
    """Lines separated by newlines."""
    currency: str = "EUR"
    """ISO 4217 code; amounts are shown with it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceDocument:
    """Everything an invoice's PDF shows, already looked up."""

    number: str
    issue_date: date
    period_label: str
    """The invoiced month, e.g. "October 2024"."""
    employee_name: str
    employee_email: str
    department: str
    project: str
    salary: Decimal
    weekdays: int
    total_hours: Decimal
    hourly_rate: Decimal
    amount: Decimal
    workdays: tuple[tuple[date, Decimal], ...]
    """The month's workdays, as (date, hours), in date order."""
    issuer: Issuer = field(default_factory=Issuer)


class PdfRenderer(Protocol):
    def render(self, document: InvoiceDocument, /) -> bytes:
        """The PDF file, as bytes."""
        ...
