"""Departments and projects: the same routes over two collections.

No `from __future__ import annotations` here: FastAPI reads the annotations of the route
functions, which name the closure's `name_body`, and a string cannot see a closure."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from billtrack.domain.usecases.organisation import OrganisationUnits, UnitT
from billtrack.entrypoints.http.dependencies import (
    PageDep,
    ServicesDep,
    UowDep,
    body_schema,
    json_body,
)
from billtrack.entrypoints.http.inputs import NameBody
from billtrack.entrypoints.http.query import Id
from billtrack.entrypoints.http.responses import ContractJSONResponse, answer
from billtrack.entrypoints.http.routes.common import (
    SORT_HELP,
    check_put_id,
    created,
    resource_router,
)
from billtrack.entrypoints.http.schemas import NamedOut, PageOut
from billtrack.ports.queries import NameQuery, SortDirection


def organisation_router(units: OrganisationUnits[UnitT], resource: str) -> APIRouter:
    router = resource_router(resource)
    name_body = Depends(json_body(NameBody))

    @router.get("", response_model=PageOut[NamedOut], summary=f"List {resource}")
    def list_units(
        uow: UowDep,
        page: PageDep,
        filter_by_name: Annotated[str | None, Query(alias="filterByName")] = None,
        sort_by_name: Annotated[
            str | None, Query(alias="sortByName", description=SORT_HELP)
        ] = None,
    ) -> ContractJSONResponse:
        query = NameQuery(page, name=filter_by_name, sort_by_name=SortDirection.parse(sort_by_name))
        found = units.list(uow, query)
        return answer(PageOut.of(found, [NamedOut.of(u) for u in found.items]))

    @router.post(
        "",
        response_model=NamedOut,
        summary=f"Create a {units.kind}",
        openapi_extra=body_schema(NameBody),
    )
    def create_unit(
        running: ServicesDep, body: Annotated[NameBody, name_body]
    ) -> ContractJSONResponse:
        unit = units.create(running.uow(), running.clock, name=body.name)
        return created(resource, unit.id, NamedOut.of(unit))

    @router.get("/{id}", response_model=NamedOut, summary=f"Get a {units.kind}")
    def get_unit(id: Id, uow: UowDep) -> ContractJSONResponse:
        return answer(NamedOut.of(units.get(uow, id)))

    @router.put(
        "/{id}",
        response_model=NamedOut,
        summary=f"Rename a {units.kind}",
        openapi_extra=body_schema(NameBody),
    )
    def rename_unit(
        id: Id, uow: UowDep, body: Annotated[NameBody, name_body]
    ) -> ContractJSONResponse:
        check_put_id(id, body)
        return answer(NamedOut.of(units.rename(uow, id, name=body.name)))

    @router.delete(
        "/{id}",
        status_code=204,
        response_class=Response,
        summary=f"Delete a {units.kind} (409 while active employees belong to it)",
    )
    def delete_unit(id: Id, running: ServicesDep) -> Response:
        units.delete(running.uow(), running.clock, id)
        return Response(status_code=204)

    return router
