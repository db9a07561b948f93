"""Departments and projects: the same routes over two collections.

No `from __future__ import annotations` here: FastAPI reads the annotations of the route
functions, which name the closure's `name_body`, and a string cannot see a closure."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from billtrack.domain.usecases.application import Application, Units
from billtrack.domain.usecases.organisation import UnitT
from billtrack.entrypoints.http.dependencies import AppDep, PageDep, body_schema, json_body
from billtrack.entrypoints.http.inputs import NameBody
from billtrack.entrypoints.http.query import Id
from billtrack.entrypoints.http.responses import ContractJSONResponse, answer
from billtrack.entrypoints.http.routes.common import (
    NAME_FILTER_HELP,
    SORT_EXAMPLES,
    SORT_HELP,
    check_put_id,
    created,
    resource_router,
)
from billtrack.entrypoints.wire.answers import NamedOut, PageOut
from billtrack.ports.queries import NameQuery, SortDirection


def organisation_router(
    resource: str, kind: str, units_of: Callable[[Application], Units[UnitT]]
) -> APIRouter:
    """The routes of `resource` (departments, say), whose items are each a `kind`."""
    router = resource_router(resource)
    name_body = Depends(json_body(NameBody))

    @router.get("", response_model=PageOut[NamedOut], summary=f"List {resource}")
    def list_units(
        app: AppDep,
        page: PageDep,
        filter_by_name: Annotated[
            str | None, Query(alias="filterByName", description=NAME_FILTER_HELP)
        ] = None,
        sort_by_name: Annotated[
            str | None, Query(alias="sortByName", description=SORT_HELP, examples=SORT_EXAMPLES)
        ] = None,
    ) -> ContractJSONResponse:
        query = NameQuery(page, name=filter_by_name, sort_by_name=SortDirection.parse(sort_by_name))
        found = units_of(app).list(query)
        return answer(PageOut.of(found, [NamedOut.of(u) for u in found.items]))

    @router.post(
        "",
        response_model=NamedOut,
        summary=f"Create a {kind}",
        openapi_extra=body_schema(NameBody),
    )
    def create_unit(app: AppDep, body: Annotated[NameBody, name_body]) -> ContractJSONResponse:
        unit = units_of(app).create(body.name)
        return created(resource, unit.id, NamedOut.of(unit))

    @router.get("/{id}", response_model=NamedOut, summary=f"Get a {kind}")
    def get_unit(id: Id, app: AppDep) -> ContractJSONResponse:
        return answer(NamedOut.of(units_of(app).get(id)))

    @router.put(
        "/{id}",
        response_model=NamedOut,
        summary=f"Rename a {kind}",
        openapi_extra=body_schema(NameBody),
    )
    def rename_unit(
        id: Id, app: AppDep, body: Annotated[NameBody, name_body]
    ) -> ContractJSONResponse:
        check_put_id(id, body)
        return answer(NamedOut.of(units_of(app).rename(id, body.name)))

    @router.delete(
        "/{id}",
        status_code=204,
        response_class=Response,
        summary=f"Delete a {kind} (409 while active employees belong to it)",
    )
    def delete_unit(id: Id, app: AppDep) -> Response:
        units_of(app).delete(id)
        return Response(status_code=204)

    return router
