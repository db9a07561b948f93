"""billtrack's own web interface: server-rendered pages at `/`, for the accounting team.

`install_web(app, settings)` adds the pages, their static files and their state to the app the
API is served by. The pages call the application object as the API's routes do; they sign their
visitors in with a session cookie (see `sessions`), never a bearer token, and the API never
accepts that cookie.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from billtrack import __version__
from billtrack.domain.usecases.application import Application
from billtrack.entrypoints.settings import Settings
from billtrack.entrypoints.web import formats, forms
from billtrack.entrypoints.web.pages import WebState
from billtrack.entrypoints.web.routes import auth, dashboard, employees, invoices, timesheet
from billtrack.entrypoints.web.routes.fallback import NotFoundPage
from billtrack.entrypoints.web.routes.units import KINDS, units_router
from billtrack.entrypoints.web.sessions import SessionSigner

HERE = Path(__file__).parent
STATIC_PATH = "/static"


def templates(application: Application) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        hours=formats.hours_text,
        money=formats.money,
        month=formats.month_name,
        day=formats.day_label,
        long_date=formats.long_date,
        about=forms.about,
        failure=formats.failure,
    )
    environment.globals.update(
        static=lambda name: f"{STATIC_PATH}/{name}?v={__version__}",
        when=formats.when,
        currency=application.issuer.currency,
    )
    return environment


def install_web(app: FastAPI, settings: Settings) -> None:
    """The pages at `/` and their files at `/static`, over `app.state.application`."""
    application: Application = app.state.application
    app.state.web = WebState(
        settings=settings,
        signer=SessionSigner(settings.signing_secret()),
        templates=templates(application),
    )
    app.mount(STATIC_PATH, StaticFiles(directory=HERE / "static"), name="web-static")
    for module in (auth, dashboard, timesheet, employees, invoices):
        app.include_router(module.router)
    for kind in KINDS:
        app.include_router(units_router(kind))
    app.router.routes.append(NotFoundPage())


__all__ = ["install_web"]
