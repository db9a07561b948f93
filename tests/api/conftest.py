"""The API on SQLite and on PostgreSQL, with a logged-in client.

`api` is an httpx client whose base URL ends in /api (as the original front end's
VITE_API_BASE_URL does) and which sends the admin's bearer token; `anonymous` sends none.

The clients reach the app in the test process, through httpx's ASGITransport. A test marked
`sockets` gets the same API served by uvicorn on a loopback port instead: for what only a real
connection has (bytes sent raw, the peer's address, a download link followed as a browser does).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher as Argon2
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import Engine

from billtrack.adapters.argon2.hasher import Argon2PasswordHasher
from billtrack.adapters.sqlalchemy.tables import metadata
from billtrack.domain.usecases.application import Application
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.http.app import create_app
from billtrack.entrypoints.settings import Settings
from tests.fakes.clock import ManualClock
from tests.support.server import in_process, serving

NOW = datetime(2024, 11, 15, 12, 0, tzinfo=UTC)
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
SECRET = "a-test-secret-that-is-long-enough-for-hs256"
ORIGIN = "http://127.0.0.1"
"""The public URL of the API under test (download links start with it), and the origin the
in-process clients use."""
SOCKETS = "sockets"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{SOCKETS}: the test needs the API served by uvicorn on a real socket",
    )


def fast_hasher() -> Argon2PasswordHasher:
    """Argon2id with the cheapest parameters, so hundreds of logins take no time in tests."""
    return Argon2PasswordHasher(
        Argon2(time_cost=1, memory_cost=8, parallelism=1), legacy_iterations=1000
    )


def api_settings(data_dir: Path, **changes: Any) -> Settings:
    """Settings of the API under test. PDFs are drawn by the builtin renderer: the routes do not
    care which renderer made a PDF, and Chromium, tested on its own, takes seconds to start."""
    return Settings(
        **{
            "data_dir": data_dir,
            "jwt_secret": SecretStr(SECRET),
            "public_url": ORIGIN,
            "pdf_renderer": "builtin",
            **changes,
        }
    )


@dataclass(frozen=True)
class Reach:
    """How the clients of a test reach the app: its origin, and the transport (None: a socket)."""

    origin: str
    transport: httpx.BaseTransport | None

    def client(self, **options: Any) -> httpx.Client:
        """A client whose base URL is the API's /api."""
        return httpx.Client(
            base_url=f"{self.origin}/api", transport=self.transport, timeout=30, **options
        )


@contextmanager
def reaching(app: FastAPI, *, sockets: bool = False) -> Iterator[Reach]:
    """`app` in this process, or served by uvicorn with `sockets`, until the block ends."""
    if sockets:
        with serving(app) as origin:
            yield Reach(origin, None)
    else:
        with in_process(app) as transport:
            yield Reach(ORIGIN, transport)


def empty_every_table(engine: Engine) -> None:
    """Delete every row: on tables this small, much quicker than TRUNCATE (no table has a
    sequence to restart)."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


def wants_sockets(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker(SOCKETS) is not None


@dataclass
class Api:
    base_url: str
    """The origin the clients reach; download links name `ORIGIN` instead."""
    settings: Settings
    application: Application
    clock: ManualClock
    client: httpx.Client
    anonymous: httpx.Client


@pytest.fixture(params=["sqlite", "postgres"])
def running_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    settings = api_settings(tmp_path)
    if request.param == "postgres":
        empty_every_table(request.getfixturevalue("postgres_engine"))
        settings = settings.model_copy(
            update={"database_url": request.getfixturevalue("postgres_url")}
        )
    else:
        # A copy of the run's migrated file: starting finds nothing to migrate.
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, tmp_path / "billtrack.sqlite3")
    clock = ManualClock(NOW)
    application = bootstrap(settings, clock=clock, hasher=fast_hasher())
    try:
        application.add_user(ADMIN_EMAIL, ADMIN_PASSWORD)
        # The token POST /api/login answers (the login tests log in over HTTP themselves).
        bearer = {"Authorization": f"Bearer {application.log_in(ADMIN_EMAIL, ADMIN_PASSWORD)}"}
        app = create_app(settings, application)
        with (
            reaching(app, sockets=wants_sockets(request)) as reach,
            reach.client() as anonymous,
            reach.client(headers=bearer) as client,
        ):
            yield Api(reach.origin, settings, application, clock, client, anonymous)
    finally:
        application.close()


@pytest.fixture
def api(running_api: Api) -> httpx.Client:
    return running_api.client


@pytest.fixture
def anonymous(running_api: Api) -> httpx.Client:
    return running_api.anonymous
