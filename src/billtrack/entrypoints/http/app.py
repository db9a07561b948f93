"""The FastAPI application factory: no app is built at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi

from billtrack import __version__
from billtrack.domain.usecases.application import Application
from billtrack.entrypoints.http import problems
from billtrack.entrypoints.http.middleware import ContractQueryString, RequestContext
from billtrack.entrypoints.http.routes import auth, employees, files, health, invoices, workdays
from billtrack.entrypoints.http.routes.organisation import organisation_router
from billtrack.entrypoints.http.throttle import LoginThrottle
from billtrack.entrypoints.settings import Settings
from billtrack.entrypoints.web import install_web

QUERY_NAMES = (
    "page",
    "pageSize",
    "filterByName",
    "sortByName",
    "filterByEmployeeName",
    "filterByDepartment",
    "filterByProject",
    "filterByDate",
    "filterByEmployee",
    "sortByDate",
    "filterByMonth",
    "filterByYear",
)
DESCRIPTION = """Turn logged working hours into monthly invoices.

Log in with `POST /api/login`, then send `Authorization: Bearer <jwtToken>` on every other route.
Errors are `application/problem+json`."""


def without_unused_responses(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, less what FastAPI adds that is not so: 422 answers (billtrack answers
    every validation failure with 400, as the original did), and `null` as a value of optional
    parameters (a query string has no null: an optional parameter is simply left out)."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        for operations in document["paths"].values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
                for parameter in operation.get("parameters", []):
                    parameter["schema"] = _without_null(parameter["schema"])
        app.openapi_schema = document
    return app.openapi_schema


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    choices = [c for c in schema.get("anyOf", []) if c.get("type") != "null"]
    if not choices or len(choices) == len(schema["anyOf"]):
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**rest, **choices[0]} if len(choices) == 1 else {**rest, "anyOf": choices}


def create_app(
    settings: Settings,
    application: Application,
    *,
    on_start: Callable[[Application], Callable[[], None] | None] | None = None,
    close_on_stop: bool = False,
) -> FastAPI:
    """The API over `application`, as `settings` describe it (CORS, say). `on_start` runs when
    the app starts (the embedded default starts its worker there) and may answer a function to
    run when it stops; with `close_on_stop` the application is closed after that."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = on_start(application) if on_start else None
        try:
            yield
        finally:
            if stop is not None:
                stop()
            if close_on_stop:
                application.close()

    app = FastAPI(
        title="billtrack",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.application = application
    app.state.login_throttle = LoginThrottle(application.clock.now)
    problems.install(app)

    api = APIRouter(prefix="/api")
    api.include_router(auth.router)
    api.include_router(health.router)
    api.include_router(organisation_router("departments", "department", lambda a: a.departments))
    api.include_router(organisation_router("projects", "project", lambda a: a.projects))
    api.include_router(employees.router)
    api.include_router(workdays.router)
    api.include_router(invoices.router)
    if application.signed_downloads is not None:
        api.include_router(files.router)
    app.include_router(api)
    install_web(app, settings)  # the web interface at /, its files at /static

    origins = settings.allowed_origins
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Location", "X-Request-Id", "Retry-After"],
        )
    app.openapi = lambda: without_unused_responses(app)  # type: ignore[method-assign]
    app.add_middleware(ContractQueryString, names=QUERY_NAMES)
    app.add_middleware(RequestContext)
    return app
