"""An invoice's life: pending, generated or failed; revised under the same number; never stale."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from billtrack.domain.model.calculation import InvoiceTotals
from billtrack.domain.model.errors import ValidationFailed
from billtrack.domain.model.invoice import Invoice, InvoiceStatus, invoice_period
from billtrack.domain.model.numbering import InvoiceNumber
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import Hours, Money

NOW = datetime(2024, 11, 15, 12, tzinfo=UTC)


OCTOBER = YearMonth(2024, 10)


def an_invoice(period: YearMonth = OCTOBER) -> Invoice:
    return Invoice.issue(
        id=uuid4(),
        employee_id=uuid4(),
        period=period,
        number=InvoiceNumber(2024, 1),
        totals=InvoiceTotals.compute(Money(Decimal(4000)), period, [Hours(Decimal(8))]),
        today=NOW.date(),
        now=NOW,
    )


def test_a_new_invoice_is_pending_without_a_pdf() -> None:
    invoice = an_invoice()
    assert invoice.status is InvoiceStatus.PENDING
    assert not invoice.is_url_ready
    assert invoice.revision == 1


def test_generated_once_for_its_revision() -> None:
    invoice = an_invoice()
    key = invoice.pdf_key_for(1)
    generated = invoice.generated(revision=1, pdf_key=key, at=NOW)
    assert generated.is_url_ready
    assert generated.pdf_key == key
    assert generated.generated_at == NOW
    assert generated.generated(revision=1, pdf_key="elsewhere", at=NOW) is generated


def test_a_revision_renders_again_and_ignores_the_stale_render() -> None:
    generated = an_invoice().generated(revision=1, pdf_key="k1", at=NOW)
    revised = generated.revised(
        employee_id=generated.employee_id,
        period=YearMonth(2024, 9),
        totals=generated.totals,
    )
    assert (revised.number, revised.revision, revised.status) == (
        generated.number,
        2,
        InvoiceStatus.PENDING,
    )
    assert not revised.is_url_ready
    assert revised.generated(revision=1, pdf_key="k1", at=NOW) is revised
    assert revised.pdf_key_for(2) != revised.pdf_key_for(1)


def test_a_revision_to_the_same_month_and_employee_changes_nothing() -> None:
    invoice = an_invoice()
    assert (
        invoice.revised(
            employee_id=invoice.employee_id, period=invoice.period, totals=invoice.totals
        )
        is invoice
    )


def test_failed_keeps_the_reason_and_a_deleted_invoice_takes_no_news() -> None:
    invoice = an_invoice()
    failed = invoice.failed(revision=1, reason="chromium crashed")
    assert (failed.status, failed.error) == (InvoiceStatus.FAILED, "chromium crashed")
    deleted = invoice.deleted(NOW)
    assert deleted.generated(revision=1, pdf_key="k", at=NOW) is deleted
    assert deleted.failed(revision=1, reason="x") is deleted


def test_mailed_once_per_revision() -> None:
    generated = an_invoice().generated(revision=1, pdf_key="k1", at=NOW)
    assert generated.needs_mail(1)
    mailed = generated.mailed(1)
    assert not mailed.needs_mail(1)
    assert mailed.mailed(1) is mailed


@pytest.mark.parametrize(
    ("year", "month", "field"),
    [(2024, 13, "month"), (2024, 0, "month"), (1999, 12, "year"), (2024, 12, "month")],
)
def test_invoice_periods(year: int, month: int, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        invoice_period(year, month, date(2024, 11, 15))
    assert field in caught.value.errors


def test_the_current_month_may_be_invoiced() -> None:
    assert invoice_period(2024, 11, date(2024, 11, 15)) == YearMonth(2024, 11)
