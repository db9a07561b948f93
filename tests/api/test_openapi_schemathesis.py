"""The API conforms to its own OpenAPI document: schemathesis generates valid and invalid requests
for every operation, sends them to the app with the admin's bearer token, and runs all of its
checks on every answer (no server error, documented status codes, content types, headers and
schemas, invalid data refused, valid data accepted, authentication enforced, ...).

The requests reach the app in the test process, through schemathesis' ASGI transport: no server,
no socket. The operations are collected from the document the app builds (so that pytest can make
one test per operation); `test_the_served_document_is_the_one_tested` checks that it is exactly
the one served at /api/openapi.json. (schemathesis' lazy `from_fixture` loader would fetch it from
the app instead, but it fails on pytest 9.2: it writes `Function._nodeid`, which pytest 9.2 no
longer has.)

SQLite only: the behaviour under test is the HTTP layer's, and the run must stay quick."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from starlette.types import Receive, Scope, Send

from billtrack.adapters.sqlalchemy.engine import create_database_engine
from billtrack.adapters.sqlalchemy.tables import metadata
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.http.app import create_app
from billtrack.entrypoints.settings import Settings
from tests.api.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    NOW,
    ORIGIN,
    api_settings,
    fast_hasher,
    reaching,
)
from tests.fakes.clock import ManualClock

MAX_EXAMPLES = 25
STATEFUL_SCENARIOS = 30
STATEFUL_STEPS = 8


def app_settings(data_dir: Path) -> Settings:
    return api_settings(data_dir)


def openapi_document() -> dict[str, Any]:
    """The document the app serves at /api/openapi.json."""
    with tempfile.TemporaryDirectory() as folder:
        settings = app_settings(Path(folder))
        application = bootstrap(settings, hasher=fast_hasher())
        try:
            return create_app(settings, application).openapi()
        finally:
            application.close()


DOCUMENT = openapi_document()
# Two settings follow the contract rather than schemathesis' defaults. Data valid by the document
# may still break a rule only the data can show (an id naming no active employee, a date after
# today, a month already invoiced): the contract answers those with 400, the original's status,
# so 400 is among the answers expected for valid data. And, as the original did, the API ignores
# query parameters it does not know, so requests are not generated with made-up ones. Every other
# check, the rejection of invalid data among them, runs as schemathesis ships it.
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"allow-extra-parameters": False},
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
            }
        },
    }
)


class AppUnderTest:
    """The ASGI app schemathesis sends every request to, its own checks' included: it hands
    each to the app the module's fixture started. (The operations are collected before that
    app exists, and schemathesis keeps the app the schema had then.)"""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            if scope["type"] == "lifespan":
                return  # nothing to start: the test's app runs no lifespan either
            raise RuntimeError("the API is not started: use the `target` fixture")
        await self.app(scope, receive, send)


APP_UNDER_TEST = AppUnderTest()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
schema.app = APP_UNDER_TEST


@dataclass(frozen=True)
class Target:
    app: FastAPI
    """The app under test, in this process; the document's paths start with /api."""
    token: str
    reset: Callable[[], None]
    """Empty every table but the users: each stateful scenario starts from the same state, so a
    replayed scenario meets the answers it met before (Hypothesis insists on that)."""


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    clock = ManualClock(NOW)
    settings = app_settings(tmp_path_factory.mktemp("schemathesis"))
    application = bootstrap(settings, clock=clock, hasher=fast_hasher())
    engine = create_database_engine(settings.database)

    def reset() -> None:
        with engine.begin() as connection:
            for table in reversed(metadata.sorted_tables):
                if table.name != "users":
                    connection.execute(table.delete())

    try:
        application.add_user(ADMIN_EMAIL, ADMIN_PASSWORD)
        app = create_app(settings, application)
        token = application.log_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        APP_UNDER_TEST.app = app
        try:
            yield Target(app, token, reset)
        finally:
            APP_UNDER_TEST.app = None
    finally:
        engine.dispose()
        application.close()


def test_the_served_document_is_the_one_tested(target: Target) -> None:
    with reaching(target.app) as reach, reach.client() as client:
        served = client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == DOCUMENT
    assert DOCUMENT["openapi"].startswith("3.1")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_the_api_conforms_to_its_openapi_document(
    case: schemathesis.Case[Any], target: Target
) -> None:
    case.call_and_validate(base_url=ORIGIN, headers={"Authorization": f"Bearer {target.token}"})


def test_stateful_workflows_conform_to_the_openapi_document(target: Target) -> None:
    """Chains of calls (create, then read, change, delete what was created), as schemathesis
    infers them from the document, with the checks that need a history: a deleted resource
    stays gone (use_after_free), a created one can be read (ensure_resource_availability)."""
    base = schema.as_state_machine()
    headers = {"Authorization": f"Bearer {target.token}"}

    class Workflows(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            target.reset()

        def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
            return {"base_url": ORIGIN, "headers": headers}

    Workflows.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
