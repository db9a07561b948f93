"""The dashboard: the current and the last month at a glance, and what needs attention."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from fastapi import APIRouter, Response

from billtrack.domain.model.invoice import InvoiceStatus, MailStatus
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.views import EmployeeView, InvoiceView, WorkdayView
from billtrack.entrypoints.web.chart import last_months, monthly_totals_chart
from billtrack.entrypoints.web.listing import all_employees, invoices_of_years, workdays_between
from billtrack.entrypoints.web.pages import PageRoute, SignedIn

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@dataclass(frozen=True)
class MonthSummary:
    period: YearMonth
    is_current: bool
    hours: Decimal
    days_logged: int
    with_hours: int
    without_hours: tuple[EmployeeView, ...]
    invoices: int
    by_status: tuple[tuple[str, int, str], ...]
    """(label, count, tone) of the PDFs."""
    mails_sent: int
    amount: Decimal
    awaiting_invoice: int
    """Employees with hours in the month and no invoice for it yet."""


def summarise(
    period: YearMonth,
    *,
    is_current: bool,
    today: date,
    employees: Sequence[EmployeeView],
    workdays: Sequence[WorkdayView],
    invoices: Sequence[InvoiceView],
) -> MonthSummary:
    days = [w for w in workdays if period.contains(w.workday.day)]
    month_invoices = [v.invoice for v in invoices if v.invoice.period == period]
    logged: set[UUID] = {w.workday.employee_id for w in days}
    invoiced = {i.employee_id for i in month_invoices}
    statuses = Counter(i.status for i in month_invoices)
    # Early in the month nobody has hours yet: that needs no attention before a workday passed.
    started = not is_current or _weekdays_before(period, today) > 0
    return MonthSummary(
        period=period,
        is_current=is_current,
        hours=sum((w.workday.hours.value for w in days), Decimal("0.00")),
        days_logged=len(days),
        with_hours=len(logged),
        without_hours=tuple(e for e in employees if e.employee.id not in logged) if started else (),
        invoices=len(month_invoices),
        by_status=(
            ("PDF ready", statuses[InvoiceStatus.GENERATED], "good"),
            ("Rendering", statuses[InvoiceStatus.PENDING], "pending"),
            ("Failed", statuses[InvoiceStatus.FAILED], "bad"),
        ),
        mails_sent=sum(i.mail_status is MailStatus.SENT for i in month_invoices),
        amount=sum((i.totals.amount.amount for i in month_invoices), Decimal("0.00")),
        awaiting_invoice=len(logged - invoiced),
    )


def _weekdays_before(period: YearMonth, today: date) -> int:
    days = (today - period.first_day).days
    return sum((period.first_day + timedelta(days=n)).weekday() < 5 for n in range(max(days, 0)))


@router.get("/")
def dashboard(visit: SignedIn) -> Response:
    app = visit.app
    today = app.clock.today()
    this = YearMonth.of(today)
    last = this.previous()
    months = last_months(this)
    employees = all_employees(app)
    workdays = workdays_between(app, last.first_day, today)
    invoices = [
        v
        for v in invoices_of_years(app, {m.year for m in months})
        if months[0] <= v.invoice.period <= this
    ]
    totals: dict[YearMonth, Decimal] = {}
    for view in invoices:
        period = view.invoice.period
        totals[period] = totals.get(period, Decimal("0.00")) + view.invoice.totals.amount.amount
    currency = app.issuer.currency
    summaries = [
        summarise(
            period,
            is_current=period == this,
            today=today,
            employees=employees,
            workdays=workdays,
            invoices=invoices,
        )
        for period in (this, last)
    ]
    newest_first = sorted(invoices, key=lambda v: (v.invoice.period, str(v.invoice.number)))[::-1]
    failed_renders = [v for v in newest_first if v.invoice.status is InvoiceStatus.FAILED]
    failed_mails = [v for v in newest_first if v.invoice.mail_status is MailStatus.FAILED]
    return visit.render(
        "dashboard.html",
        {
            "section": "dashboard",
            "today": today,
            "summaries": summaries,
            "last": summaries[1],
            "chart": monthly_totals_chart(totals, months, currency),
            "failed_renders": failed_renders,
            "failed_mails": failed_mails,
            "employee_count": len(employees),
            "currency": currency,
        },
    )
