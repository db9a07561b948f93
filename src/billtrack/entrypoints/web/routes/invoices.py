"""Invoices: the list, one invoice with its PDF, changing, deleting and mailing it again, and the
month-end run with its progress."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, Response
from fastapi.responses import JSONResponse

from billtrack.domain.model.batch import BatchProgress, BatchStatus
from billtrack.domain.model.errors import (
    Conflict,
    DuplicateInvoice,
    NotReady,
    ValidationFailed,
)
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.views import InvoiceView
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.entrypoints.http.dependencies import standalone_application
from billtrack.entrypoints.web.formats import (
    mail_status,
    month_name,
    parse_month,
    pdf_status,
)
from billtrack.entrypoints.web.forms import FieldErrors, add, field_errors
from billtrack.entrypoints.web.listing import all_employees
from billtrack.entrypoints.web.pages import (
    PageError,
    PageRoute,
    PostedForm,
    SignedIn,
    Visit,
    parse_page,
    parse_uuid,
    security_headers,
)
from billtrack.entrypoints.web.routes.timesheet import timesheet_url
from billtrack.ports.queries import InvoiceQuery, PageRequest, SortDirection

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 20
INVOICE_FIELDS = {"year": "month", "month": "month", "employee_id": "employee_id"}
"""The domain's fields of an invoice, and the form fields that show their errors."""


def _list_page(
    visit: Visit,
    *,
    period: str | None = None,
    employee: str | None = None,
    sort: str | None = None,
    page: str | None = None,
    run_month: str | None = None,
    run_errors: FieldErrors | None = None,
    status: int = 200,
) -> Response:
    app = visit.app
    chosen = parse_month(period)
    employee_id = parse_uuid(employee)
    direction = SortDirection.ASC if sort == "asc" else SortDirection.DESC
    found = app.list_invoices(
        InvoiceQuery(
            PageRequest(parse_page(page), PAGE_SIZE),
            employee_id=employee_id,
            year=chosen.year if chosen else None,
            month=chosen.month if chosen else None,
            sort_by_date=direction,
        )
    )
    this = YearMonth.of(app.clock.today())
    return visit.render(
        "invoices.html",
        {
            "section": "invoices",
            "found": found,
            "period": chosen,
            "employee": employee_id,
            "employees": all_employees(app),
            "sort": direction.value,
            "pages": -(-found.total_count // PAGE_SIZE),
            "run_month": run_month if run_month is not None else str(this.previous()),
            "this_month": this,
            "run_errors": run_errors or {},
            "currency": app.issuer.currency,
            "pdf_status": pdf_status,
            "mail_status": mail_status,
        },
        status=status,
    )


@router.get("/invoices")
def list_invoices(
    visit: SignedIn,
    period: str | None = None,
    employee: str | None = None,
    sort: str | None = None,
    page: str | None = None,
    run: str | None = None,
) -> Response:
    return _list_page(visit, period=period, employee=employee, sort=sort, page=page, run_month=run)


@router.post("/invoices/run")
def start_month_run(visit: SignedIn, form: PostedForm, work: BackgroundTasks) -> Response:
    """The month-end run: recorded now, done after the answer (and finished by the worker's
    sweep should this process stop halfway); its page follows the progress."""
    typed = form.text("month")
    period = parse_month(typed)
    errors: FieldErrors = {}
    if period is None:
        add(errors, "month", "must be a month, such as 2024-10")
        return _list_page(visit, run_month=typed, run_errors=errors, status=400)
    try:
        batch = visit.app.start_month_run(year=period.year, month=period.month)
    except ValidationFailed as invalid:
        errors = field_errors(invalid, {"year": "month"})
        return _list_page(visit, run_month=typed, run_errors=errors, status=400)
    # The run goes on after the answer, in transactions of its own.
    work.add_task(standalone_application(visit.request).continue_month_run, batch.id)
    return visit.redirect(f"/runs/{batch.id}")


def progress_answer(progress: BatchProgress) -> dict[str, Any]:
    batch = progress.batch
    considered = batch.invoiced_at is not None
    done = progress.status is BatchStatus.DONE
    settled = progress.rendered + progress.failed
    return {
        "status": progress.status.value,
        "done": done,
        "considered": considered,
        "employees": batch.total,
        "skipped": batch.skipped if considered else None,
        "created": progress.created,
        "rendered": progress.rendered,
        "mailed": progress.mailed,
        "failed": progress.failed,
        "settled": settled,
        "summary": _progress_summary(progress),
    }


def _progress_summary(progress: BatchProgress) -> str:
    batch = progress.batch
    if batch.invoiced_at is None:
        return f"Invoicing {batch.total} employees: {progress.created} invoices so far…"
    text = (
        f"{progress.created} invoice{'s' if progress.created != 1 else ''} created, "
        f"{progress.rendered} PDF{'s' if progress.rendered != 1 else ''} rendered, "
        f"{progress.mailed} mailed"
    )
    if progress.failed:
        text += f", {progress.failed} failed"
    if progress.status is BatchStatus.DONE:
        return f"Done: {text}."
    return f"{text}; still working…"


@router.get("/runs/{batch_id}")
def month_run(visit: SignedIn, batch_id: UUID) -> Response:
    progress = visit.app.month_run_progress(batch_id)
    return visit.render(
        "run.html",
        {
            "section": "invoices",
            "progress": progress,
            "answer": progress_answer(progress),
            "period": progress.batch.period,
            "started": progress.batch.created_at,
        },
    )


@router.get("/runs/{batch_id}/progress")
def month_run_progress(visit: SignedIn, batch_id: UUID) -> Response:
    """What the run page polls (with the session cookie: the API's route wants a token)."""
    return JSONResponse(progress_answer(visit.app.month_run_progress(batch_id)))


def _invoice_page(
    visit: Visit,
    view: InvoiceView,
    *,
    values: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    invoice = view.invoice
    return visit.render(
        "invoice.html",
        {
            "section": "invoices",
            "view": view,
            "invoice": invoice,
            "pdf": pdf_status(invoice),
            "mail": mail_status(invoice),
            "employees": all_employees(visit.app),
            "values": values
            or {"month": str(invoice.period), "employee_id": str(invoice.employee_id)},
            "errors": errors or {},
            "problem": problem,
            "currency": visit.app.issuer.currency,
            "this_month": YearMonth.of(visit.app.clock.today()),
            "timesheet": timesheet_url(invoice.employee_id, invoice.period),
            "pdf_name": pdf_name(invoice),
            "zone": visit.web.settings.zone,
        },
        status=status,
    )


@router.get("/invoices/{invoice_id}")
def show_invoice(visit: SignedIn, invoice_id: UUID) -> Response:
    return _invoice_page(visit, visit.app.get_invoice(invoice_id))


@router.get("/invoices/{invoice_id}/state")
def invoice_state(visit: SignedIn, invoice_id: UUID) -> Response:
    """What the invoice page polls while its PDF or mail is on its way."""
    invoice = visit.app.get_invoice(invoice_id).invoice
    return JSONResponse(
        {
            "status": invoice.status.value,
            "mailStatus": invoice.mail_status.value,
            "revision": invoice.revision,
            "mailSent": invoice.mail_sent,
            "ready": invoice.is_url_ready,
        }
    )


def pdf_name(invoice: Invoice) -> str:
    """The PDF's file name, also the last part of its URL (which a PDF viewer shows)."""
    return f"invoice-{invoice.number}.pdf"


@router.get("/invoices/{invoice_id}/{file_name}")
def invoice_pdf(
    visit: SignedIn, invoice_id: UUID, file_name: str, download: str | None = None
) -> Response:
    """The stored PDF, behind the session: shown in the page, or downloaded with `download`."""
    view = visit.app.get_invoice(invoice_id)
    if file_name != pdf_name(view.invoice):
        raise PageError(404, "There is no such file.")
    content = visit.app.invoice_pdf(invoice_id)
    disposition = "attachment" if download else "inline"
    response = Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'{disposition}; filename="{file_name}"'},
    )
    security_headers(response, framed_by_self=True)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@router.post("/invoices/{invoice_id}/change")
def change_invoice(visit: SignedIn, form: PostedForm, invoice_id: UUID) -> Response:
    view = visit.app.get_invoice(invoice_id)
    values = {"month": form.text("month"), "employee_id": form.get("employee_id")}
    errors: FieldErrors = {}
    period = parse_month(values["month"])
    employee_id = parse_uuid(values["employee_id"])
    if period is None:
        add(errors, "month", "must be a month, such as 2024-10")
    if employee_id is None:
        add(errors, "employee_id", "must be chosen")
    if period is None or employee_id is None:
        return _invoice_page(visit, view, values=values, errors=errors, status=400)
    details = InvoiceDetails(year=period.year, month=period.month, employee_id=employee_id)
    try:
        changed = visit.app.change_invoice(invoice_id, details)
    except ValidationFailed as invalid:
        errors = field_errors(invalid, INVOICE_FIELDS)
        return _invoice_page(visit, view, values=values, errors=errors, status=400)
    except DuplicateInvoice:
        chosen = visit.app.get_employee(employee_id).employee
        add(errors, "month", f"{chosen.full_name} already has an invoice for {month_name(period)}")
        return _invoice_page(visit, view, values=values, errors=errors, status=409)
    except Conflict as conflict:
        add(errors, "month", conflict.detail[:1].upper() + conflict.detail[1:])
        return _invoice_page(visit, view, values=values, errors=errors, status=409)
    before, after = view.invoice, changed.invoice
    if (after.period, after.employee_id) != (before.period, before.employee_id):
        flash = (
            f"Invoice {after.number} now covers {month_name(after.period)} "
            f"of {changed.employee.employee.full_name}; its PDF is rendered again."
        )
    elif after.revision != before.revision:
        flash = f"The PDF of invoice {after.number} is being rendered again."
    else:
        flash = "Nothing had changed."
    return visit.redirect(f"/invoices/{invoice_id}", flash=flash)


@router.post("/invoices/{invoice_id}/mail")
def mail_again(visit: SignedIn, form: PostedForm, invoice_id: UUID) -> Response:
    del form  # read for its CSRF token
    view = visit.app.get_invoice(invoice_id)
    try:
        visit.app.send_again(invoice_id)
    except NotReady:
        return _invoice_page(
            visit,
            view,
            problem="The PDF is not ready yet, so there is nothing to mail: try again once it "
            "is rendered.",
            status=409,
        )
    return visit.redirect(
        f"/invoices/{invoice_id}",
        flash=f"Invoice {view.invoice.number} is being mailed again to "
        f"{view.employee.employee.email}.",
    )


@router.post("/invoices/{invoice_id}/delete")
def delete_invoice(visit: SignedIn, form: PostedForm, invoice_id: UUID) -> Response:
    del form  # read for its CSRF token
    view = visit.app.get_invoice(invoice_id)
    visit.app.delete_invoice(invoice_id)
    invoice = view.invoice
    return visit.redirect(
        timesheet_url(invoice.employee_id, invoice.period),
        flash=f"Invoice {invoice.number} was deleted: {month_name(invoice.period)} is open "
        f"again for {view.employee.employee.full_name}.",
    )
