"""`billtrack demo`: seed the demo company, run the month-end batch and the worker, report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.views import InvoiceView
from billtrack.domain.usecases.application import Application
from billtrack.entrypoints.cli.demo_company import demo_employees, log_demo_month
from billtrack.entrypoints.cli.table import render_table
from billtrack.entrypoints.wire.answers import InvoiceOut
from billtrack.entrypoints.wire.json_encoding import encode
from billtrack.entrypoints.worker.runner import drain
from billtrack.ports.queries import InvoiceQuery, PageRequest, SortDirection


def run_demo(
    app: Application,
    month: YearMonth | None = None,
    *,
    as_json: bool = False,
    pdf_folder: Path | None = None,
) -> str:
    """The demo's report: a table of the month's invoices (or their JSON)."""
    month = month or YearMonth.of(app.clock.today()).previous()
    employees = demo_employees(app)
    log_demo_month(app, employees, month)
    # The in-process queue starts empty: feed it what the outbox still owes from a previous run.
    app.republish_owed(older_than=timedelta(0))
    app.run_month(year=month.year, month=month.month)
    report = drain(app)
    invoices = app.list_invoices(
        InvoiceQuery(
            page=PageRequest(1, 1000),
            year=month.year,
            month=month.month,
            sort_by_date=SortDirection.ASC,
        ),
    ).items
    if pdf_folder is not None:
        pdf_folder.mkdir(parents=True, exist_ok=True)
        for view in invoices:
            if view.invoice.is_url_ready:
                path = pdf_folder / f"invoice-{view.invoice.number}.pdf"
                path.write_bytes(app.invoice_pdf(view.invoice.id))
    if as_json:
        return encode([InvoiceOut.of(v).wire() for v in invoices])
    table = invoice_table(invoices)
    summary = (
        f"{len(invoices)} invoices for {month}, {report.rendered} PDFs rendered now"
        + (f", saved in {pdf_folder}" if pdf_folder is not None else "")
        + (f"; given up: {'; '.join(report.given_up)}" if report.given_up else "")
    )
    return f"{table}\n\n{summary}"


def invoice_table(invoices: Sequence[InvoiceView]) -> str:
    """Number, employee, hours, hourly rate, amount and PDF status, with the total."""
    rows = [
        (
            str(v.invoice.number),
            v.employee.employee.full_name,
            str(v.invoice.totals.total_hours),
            str(v.invoice.totals.hourly_rate),
            str(v.invoice.totals.amount),
            v.invoice.status.value,
        )
        for v in sorted(invoices, key=lambda v: v.invoice.number)
    ]
    total = sum((v.invoice.totals.amount.amount for v in invoices), Decimal("0.00"))
    return render_table(
        ("Number", "Employee", "Hours", "Hourly rate", "Amount", "PDF"),
        rows,
        right_aligned={2, 3, 4},
        footer=("", "Total", "", "", str(total), ""),
    )
