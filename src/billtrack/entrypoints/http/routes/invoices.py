"""Invoices and their download links."""

from __future__ import annotations

from typing import Annotated

from fastapi import BackgroundTasks, Depends, Query, Response

from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.entrypoints.http.dependencies import (
    AppDep,
    PageDep,
    StandaloneAppDep,
    body_schema,
    json_body,
)
from billtrack.entrypoints.http.inputs import InvoiceBody, MonthRunBody
from billtrack.entrypoints.http.problems import problem
from billtrack.entrypoints.http.query import Blank, Id, Month, Year, present
from billtrack.entrypoints.http.responses import ContractJSONResponse, answer
from billtrack.entrypoints.http.routes.common import (
    SORT_EXAMPLES,
    SORT_HELP,
    check_put_id,
    created,
    resource_router,
)
from billtrack.entrypoints.wire.answers import InvoiceOut, MonthRunOut, PageOut
from billtrack.ports.queries import InvoiceQuery, SortDirection

router = resource_router("invoices")
Body = Annotated[InvoiceBody, Depends(json_body(InvoiceBody))]


RunBody = Annotated[MonthRunBody, Depends(json_body(MonthRunBody))]


@router.post(
    "/batch",
    status_code=202,
    response_model=MonthRunOut,
    summary="Start the month-end run: invoice every active employee with hours in the month",
    openapi_extra=body_schema(MonthRunBody),
)
def start_month_run(
    app: AppDep, standalone: StandaloneAppDep, body: RunBody, work: BackgroundTasks
) -> ContractJSONResponse:
    batch = app.start_month_run(year=body.year, month=body.month)
    # The run goes on after the answer, in transactions of its own; a crash mid-way is finished
    # by the worker's sweep.
    work.add_task(standalone.continue_month_run, batch.id)
    return answer(
        MonthRunOut.of(app.month_run_progress(batch.id)),
        status_code=202,
        headers={"Location": f"/api/invoices/batch/{batch.id}"},
    )


@router.api_route(
    "/batch",
    methods=["GET", "PUT", "DELETE", "PATCH"],
    include_in_schema=False,
    response_model=None,
)
def month_runs_other_methods() -> Response:
    # Without this, `/{id}` would take "batch" for an invoice id and answer 400.
    return problem(405, "Method Not Allowed", {"Allow": "POST"})


@router.get("/batch/{id}", response_model=MonthRunOut, summary="A month-end run's progress")
def month_run_progress(id: Id, app: AppDep) -> ContractJSONResponse:
    return answer(MonthRunOut.of(app.month_run_progress(id)))


def details(body: InvoiceBody) -> InvoiceDetails:
    return InvoiceDetails(year=body.year, month=body.month, employee_id=body.employee_id)


@router.get("", response_model=PageOut[InvoiceOut], summary="List invoices")
def list_invoices(
    app: AppDep,
    page: PageDep,
    filter_by_employee: Annotated[Id | Blank | None, Query(alias="filterByEmployee")] = None,
    filter_by_month: Annotated[Month | Blank | None, Query(alias="filterByMonth")] = None,
    filter_by_year: Annotated[Year | Blank | None, Query(alias="filterByYear")] = None,
    sort_by_date: Annotated[
        str | None,
        Query(
            alias="sortByDate",
            description=f"By year, then month. {SORT_HELP}",
            examples=SORT_EXAMPLES,
        ),
    ] = None,
) -> ContractJSONResponse:
    query = InvoiceQuery(
        page,
        employee_id=present(filter_by_employee),
        month=present(filter_by_month),
        year=present(filter_by_year),
        sort_by_date=SortDirection.parse(sort_by_date),
    )
    found = app.list_invoices(query)
    return answer(PageOut.of(found, [InvoiceOut.of(i) for i in found.items]))


@router.post(
    "",
    response_model=InvoiceOut,
    summary="Create an employee's invoice for a month; its PDF is rendered in the background",
    openapi_extra=body_schema(InvoiceBody),
)
def create_invoice(app: AppDep, body: Body) -> ContractJSONResponse:
    view = app.create_invoice(details(body))
    return created("invoices", view.invoice.id, InvoiceOut.of(view))


@router.get("/{id}", response_model=InvoiceOut, summary="Get an invoice")
def get_invoice(id: Id, app: AppDep) -> ContractJSONResponse:
    return answer(InvoiceOut.of(app.get_invoice(id)))


@router.put(
    "/{id}",
    response_model=InvoiceOut,
    summary="Move an invoice to another month or employee (same number, rendered again)",
    openapi_extra=body_schema(InvoiceBody),
)
def change_invoice(id: Id, app: AppDep, body: Body) -> ContractJSONResponse:
    check_put_id(id, body)
    return answer(InvoiceOut.of(app.change_invoice(id, details(body))))


@router.delete(
    "/{id}",
    status_code=204,
    response_class=Response,
    summary="Delete an invoice (reopens its month)",
)
def delete_invoice(id: Id, app: AppDep) -> Response:
    app.delete_invoice(id)
    return Response(status_code=204)


@router.get(
    "/{id}/pre-signed-url",
    response_model=str,
    summary="A short-lived download URL of the invoice's PDF (409 until it is stored)",
)
def download_link(id: Id, app: AppDep) -> ContractJSONResponse:
    return answer(app.download_link(id))


@router.post(
    "/{id}/send",
    status_code=202,
    response_model=InvoiceOut,
    summary="Mail the invoice's PDF to its employee once more (409 until the PDF is stored)",
)
def send_again(id: Id, app: AppDep) -> ContractJSONResponse:
    return answer(InvoiceOut.of(app.send_again(id)), status_code=202)
