"""`billtrack demo`: seed the demo company, run the month-end batch and the worker, report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from billtrack.domain.model.period import YearMonth
from billtrack.domain.usecases.invoices import invoice_month, list_invoices
from billtrack.domain.usecases.pipeline import republish_owed
from billtrack.domain.usecases.views import InvoiceView
from billtrack.entrypoints.bootstrap import Services
from billtrack.entrypoints.cli.demo_company import demo_employees, log_demo_month
from billtrack.entrypoints.cli.table import render_table
from billtrack.entrypoints.http.json_encoding import encode
from billtrack.entrypoints.http.schemas import InvoiceOut
from billtrack.entrypoints.worker.local import drain
from billtrack.ports.queries import InvoiceQuery, PageRequest, SortDirection


def run_demo(
    services: Services,
    month: YearMonth | None = None,
    *,
    as_json: bool = False,
    pdf_folder: Path | None = None,
) -> str:
    """The demo's report: a table of the month's invoices (or their JSON)."""
    month = month or YearMonth.of(services.clock.today()).previous()
    uow, clock = services.uow(), services.clock
    employees = demo_employees(uow, clock)
    log_demo_month(uow, clock, employees, month)
    # The in-process queue starts empty: feed it what the outbox still owes from a previous run.
    republish_owed(uow, services.render_queue, clock, older_than=timedelta(0))
    invoice_month(uow, clock, services.render_queue, year=month.year, month=month.month)
    report = drain(services)
    invoices = list_invoices(
        uow,
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
            if view.invoice.pdf_key is not None:
                path = pdf_folder / f"invoice-{view.invoice.number}.pdf"
                path.write_bytes(services.storage.get(view.invoice.pdf_key))
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
