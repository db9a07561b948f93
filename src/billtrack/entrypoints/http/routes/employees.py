"""Employees."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Response

from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.entrypoints.http.dependencies import AppDep, PageDep, body_schema, json_body
from billtrack.entrypoints.http.inputs import EmployeeBody
from billtrack.entrypoints.http.query import Blank, Id, present
from billtrack.entrypoints.http.responses import ContractJSONResponse, answer
from billtrack.entrypoints.http.routes.common import (
    NAME_FILTER_HELP,
    SORT_EXAMPLES,
    SORT_HELP,
    check_put_id,
    created,
    resource_router,
)
from billtrack.entrypoints.wire.answers import EmployeeOut, PageOut
from billtrack.ports.queries import EmployeeQuery, SortDirection

router = resource_router("employees")
Body = Annotated[EmployeeBody, Depends(json_body(EmployeeBody))]


def details(body: EmployeeBody) -> EmployeeDetails:
    return EmployeeDetails(
        email=body.email,
        firstname=body.firstname,
        lastname=body.lastname,
        salary=body.salary,
        department_id=body.department_id,
        project_id=body.project_id,
    )


@router.get("", response_model=PageOut[EmployeeOut], summary="List employees")
def list_employees(
    app: AppDep,
    page: PageDep,
    filter_by_employee_name: Annotated[
        str | None,
        Query(
            alias="filterByEmployeeName",
            description=f'Matches the first, the last or "first last" name. {NAME_FILTER_HELP}',
        ),
    ] = None,
    filter_by_department: Annotated[Id | Blank | None, Query(alias="filterByDepartment")] = None,
    filter_by_project: Annotated[Id | Blank | None, Query(alias="filterByProject")] = None,
    sort_by_name: Annotated[
        str | None, Query(alias="sortByName", description=SORT_HELP, examples=SORT_EXAMPLES)
    ] = None,
) -> ContractJSONResponse:
    query = EmployeeQuery(
        page,
        name=filter_by_employee_name,
        department_id=present(filter_by_department),
        project_id=present(filter_by_project),
        sort_by_name=SortDirection.parse(sort_by_name),
    )
    found = app.list_employees(query)
    return answer(PageOut.of(found, [EmployeeOut.of(e) for e in found.items]))


@router.post(
    "",
    response_model=EmployeeOut,
    summary="Create an employee",
    openapi_extra=body_schema(EmployeeBody),
)
def create_employee(app: AppDep, body: Body) -> ContractJSONResponse:
    view = app.create_employee(details(body))
    return created("employees", view.employee.id, EmployeeOut.of(view))


@router.get("/{id}", response_model=EmployeeOut, summary="Get an employee")
def get_employee(id: Id, app: AppDep) -> ContractJSONResponse:
    return answer(EmployeeOut.of(app.get_employee(id)))


@router.put(
    "/{id}",
    response_model=EmployeeOut,
    summary="Change an employee",
    openapi_extra=body_schema(EmployeeBody),
)
def change_employee(id: Id, app: AppDep, body: Body) -> ContractJSONResponse:
    check_put_id(id, body)
    return answer(EmployeeOut.of(app.change_employee(id, details(body))))


@router.delete(
    "/{id}", status_code=204, response_class=Response, summary="Delete an employee (soft)"
)
def delete_employee(id: Id, app: AppDep) -> Response:
    app.delete_employee(id)
    return Response(status_code=204)
