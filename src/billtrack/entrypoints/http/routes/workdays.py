"""Workdays."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Response

from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.entrypoints.http.dependencies import AppDep, PageDep, body_schema, json_body
from billtrack.entrypoints.http.inputs import WorkdayBody
from billtrack.entrypoints.http.query import Blank, Id, IsoDate, present
from billtrack.entrypoints.http.responses import ContractJSONResponse, answer
from billtrack.entrypoints.http.routes.common import (
    SORT_EXAMPLES,
    SORT_HELP,
    check_put_id,
    created,
    resource_router,
)
from billtrack.entrypoints.wire.answers import PageOut, WorkdayOut
from billtrack.ports.queries import SortDirection, WorkdayQuery

router = resource_router("workdays")
Body = Annotated[WorkdayBody, Depends(json_body(WorkdayBody))]


def details(body: WorkdayBody) -> WorkdayDetails:
    return WorkdayDetails(day=body.date, hours=body.hours, employee_id=body.employee_id)


@router.get("", response_model=PageOut[WorkdayOut], summary="List workdays")
def list_workdays(
    app: AppDep,
    page: PageDep,
    filter_by_date: Annotated[IsoDate | Blank | None, Query(alias="filterByDate")] = None,
    filter_by_employee: Annotated[Id | Blank | None, Query(alias="filterByEmployee")] = None,
    sort_by_date: Annotated[
        str | None, Query(alias="sortByDate", description=SORT_HELP, examples=SORT_EXAMPLES)
    ] = None,
) -> ContractJSONResponse:
    query = WorkdayQuery(
        page,
        day=present(filter_by_date),
        employee_id=present(filter_by_employee),
        sort_by_date=SortDirection.parse(sort_by_date),
    )
    found = app.list_workdays(query)
    return answer(PageOut.of(found, [WorkdayOut.of(w) for w in found.items]))


@router.post(
    "", response_model=WorkdayOut, summary="Log a workday", openapi_extra=body_schema(WorkdayBody)
)
def log_workday(app: AppDep, body: Body) -> ContractJSONResponse:
    view = app.log_workday(details(body))
    return created("workdays", view.workday.id, WorkdayOut.of(view))


@router.get("/{id}", response_model=WorkdayOut, summary="Get a workday")
def get_workday(id: Id, app: AppDep) -> ContractJSONResponse:
    return answer(WorkdayOut.of(app.get_workday(id)))


@router.put(
    "/{id}",
    response_model=WorkdayOut,
    summary="Change a workday",
    openapi_extra=body_schema(WorkdayBody),
)
def change_workday(id: Id, app: AppDep, body: Body) -> ContractJSONResponse:
    check_put_id(id, body)
    return answer(WorkdayOut.of(app.change_workday(id, details(body))))


@router.delete("/{id}", status_code=204, response_class=Response, summary="Delete a workday")
def delete_workday(id: Id, app: AppDep) -> Response:
    app.delete_workday(id)
    return Response(status_code=204)
