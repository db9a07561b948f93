"""Workdays."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Response

from billtrack.domain.usecases import workdays as use
from billtrack.entrypoints.http.dependencies import (
    PageDep,
    ServicesDep,
    UowDep,
    body_schema,
    json_body,
)
from billtrack.entrypoints.http.inputs import WorkdayBody
from billtrack.entrypoints.http.query import Blank, Id, IsoDate, present
from billtrack.entrypoints.http.responses import ContractJSONResponse, answer
from billtrack.entrypoints.http.routes.common import (
    SORT_HELP,
    check_put_id,
    created,
    resource_router,
)
from billtrack.entrypoints.http.schemas import PageOut, WorkdayOut
from billtrack.ports.queries import SortDirection, WorkdayQuery

router = resource_router("workdays")
Body = Annotated[WorkdayBody, Depends(json_body(WorkdayBody))]


def details(body: WorkdayBody) -> use.WorkdayDetails:
    return use.WorkdayDetails(day=body.date, hours=body.hours, employee_id=body.employee_id)


@router.get("", response_model=PageOut[WorkdayOut], summary="List workdays")
def list_workdays(
    uow: UowDep,
    page: PageDep,
    filter_by_date: Annotated[IsoDate | Blank | None, Query(alias="filterByDate")] = None,
    filter_by_employee: Annotated[Id | Blank | None, Query(alias="filterByEmployee")] = None,
    sort_by_date: Annotated[str | None, Query(alias="sortByDate", description=SORT_HELP)] = None,
) -> ContractJSONResponse:
    query = WorkdayQuery(
        page,
        day=present(filter_by_date),
        employee_id=present(filter_by_employee),
        sort_by_date=SortDirection.parse(sort_by_date),
    )
    found = use.list_workdays(uow, query)
    return answer(PageOut.of(found, [WorkdayOut.of(w) for w in found.items]))


@router.post(
    "", response_model=WorkdayOut, summary="Log a workday", openapi_extra=body_schema(WorkdayBody)
)
def log_workday(running: ServicesDep, body: Body) -> ContractJSONResponse:
    view = use.log_workday(running.uow(), running.clock, details(body))
    return created("workdays", view.workday.id, WorkdayOut.of(view))


@router.get("/{id}", response_model=WorkdayOut, summary="Get a workday")
def get_workday(id: Id, uow: UowDep) -> ContractJSONResponse:
    return answer(WorkdayOut.of(use.get_workday(uow, id)))


@router.put(
    "/{id}",
    response_model=WorkdayOut,
    summary="Change a workday",
    openapi_extra=body_schema(WorkdayBody),
)
def change_workday(id: Id, running: ServicesDep, body: Body) -> ContractJSONResponse:
    check_put_id(id, body)
    return answer(
        WorkdayOut.of(use.change_workday(running.uow(), running.clock, id, details(body)))
    )


@router.delete("/{id}", status_code=204, response_class=Response, summary="Delete a workday")
def delete_workday(id: Id, running: ServicesDep) -> Response:
    use.delete_workday(running.uow(), running.clock, id)
    return Response(status_code=204)
