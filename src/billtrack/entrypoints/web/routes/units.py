"""Departments and projects: the same pages over two collections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from billtrack.domain.model.errors import StillReferenced, ValidationFailed
from billtrack.domain.model.organisation import OrganisationUnit
from billtrack.domain.usecases.application import Application, Units
from billtrack.entrypoints.web.forms import FieldErrors, field_errors
from billtrack.entrypoints.web.pages import PageRoute, PostedForm, SignedIn, Visit, parse_page
from billtrack.ports.queries import EmployeeQuery, NameQuery, PageRequest, SortDirection

PAGE_SIZE = 20


@dataclass(frozen=True)
class Kind:
    plural: str
    """`departments`: the path and the section."""
    singular: str
    title: str
    units: Callable[[Application], Units[Any]]
    employee_filter: str
    """The employees page's query parameter that lists a unit's people."""
    members: Callable[[UUID], EmployeeQuery]

    def count_employees(self, app: Application, unit_id: UUID) -> int:
        return app.list_employees(self.members(unit_id)).total_count


KINDS = (
    Kind(
        "departments",
        "department",
        "Departments",
        lambda a: a.departments,
        "department",
        lambda unit_id: EmployeeQuery(PageRequest(1, 1), department_id=unit_id),
    ),
    Kind(
        "projects",
        "project",
        "Projects",
        lambda a: a.projects,
        "project",
        lambda unit_id: EmployeeQuery(PageRequest(1, 1), project_id=unit_id),
    ),
)


def units_router(kind: Kind) -> APIRouter:
    router = APIRouter(route_class=PageRoute, include_in_schema=False)
    base = f"/{kind.plural}"

    def list_page(
        visit: Visit,
        *,
        q: str | None,
        sort: str | None,
        page: str | None,
        name: str = "",
        errors: FieldErrors | None = None,
        status: int = 200,
    ) -> Response:
        direction = SortDirection.DESC if sort == "desc" else SortDirection.ASC
        found = kind.units(visit.app).list(
            NameQuery(
                PageRequest(parse_page(page), PAGE_SIZE), name=q or None, sort_by_name=direction
            )
        )
        rows = [(unit, kind.count_employees(visit.app, unit.id)) for unit in found.items]
        return visit.render(
            "units.html",
            {
                "section": kind.plural,
                "kind": kind,
                "rows": rows,
                "found": found,
                "q": q or "",
                "sort": direction.value,
                "name": name,
                "errors": errors or {},
                "pages": -(-found.total_count // PAGE_SIZE),
            },
            status=status,
        )

    @router.get(base)
    def list_units(
        visit: SignedIn, q: str | None = None, sort: str | None = None, page: str | None = None
    ) -> Response:
        return list_page(visit, q=q, sort=sort, page=page)

    @router.post(base)
    def create_unit(visit: SignedIn, form: PostedForm) -> Response:
        name = form.get("name")
        try:
            unit = kind.units(visit.app).create(name)
        except ValidationFailed as invalid:
            return list_page(
                visit,
                q=None,
                sort=None,
                page=None,
                name=name,
                errors=field_errors(invalid),
                status=400,
            )
        return visit.redirect(base, flash=f"{kind.singular.capitalize()} {unit.name} created.")

    def edit_page(
        visit: Visit,
        unit: OrganisationUnit,
        *,
        name: str | None = None,
        errors: FieldErrors | None = None,
        problem: str | None = None,
        status: int = 200,
    ) -> Response:
        return visit.render(
            "unit_edit.html",
            {
                "section": kind.plural,
                "kind": kind,
                "unit": unit,
                "name": str(unit.name) if name is None else name,
                "errors": errors or {},
                "problem": problem,
                "employees": kind.count_employees(visit.app, unit.id),
            },
            status=status,
        )

    @router.get(base + "/{unit_id}")
    def edit_unit(visit: SignedIn, unit_id: UUID) -> Response:
        return edit_page(visit, kind.units(visit.app).get(unit_id))

    @router.post(base + "/{unit_id}")
    def rename_unit(visit: SignedIn, form: PostedForm, unit_id: UUID) -> Response:
        units = kind.units(visit.app)
        unit = units.get(unit_id)
        name = form.get("name")
        try:
            renamed = units.rename(unit_id, name)
        except ValidationFailed as invalid:
            return edit_page(visit, unit, name=name, errors=field_errors(invalid), status=400)
        return visit.redirect(base, flash=f"{kind.singular.capitalize()} {renamed.name} saved.")

    @router.post(base + "/{unit_id}/delete")
    def delete_unit(visit: SignedIn, form: PostedForm, unit_id: UUID) -> Response:
        del form  # read for its CSRF token
        units = kind.units(visit.app)
        unit = units.get(unit_id)
        try:
            units.delete(unit_id)
        except StillReferenced:
            return edit_page(
                visit,
                unit,
                problem=f"{unit.name} still has active employees: move them to another "
                f"{kind.singular} (or delete them) before deleting it.",
                status=409,
            )
        return visit.redirect(base, flash=f"{kind.singular.capitalize()} {unit.name} deleted.")

    return router
