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
DATA_RULES = {
    "employeeId": "must name an active employee",
    "departmentId": "must name an active department",
    "projectId": "must name an active project",
    "date": "must not be after today (",
    "month": "must not be after the current month (",
    # A body's id against the path's: two values that no one schema holds.
    "id": "must equal the id in the path",
}
"""The rules a schema cannot state, by field and by the start of their message: what the data
decides (an id naming no active row, a date after today, a month not yet begun)."""
# Settings that follow the contract rather than schemathesis' defaults. Data valid by the document
# may still break a rule only the data can show: the contract answers those with 400, the
# original's status, so 400 is among the answers expected for valid data, and
# `refused_only_for_what_the_data_decides` checks that every such 400 names one of `DATA_RULES`.
# Invalid data is refused with 400 (not 422), or with 401 when what is missing is the bearer
# token, or with 404 when a `PUT` names a row that does not exist: the path's row is looked up
# before its body is checked (a generated id names no row; a malformed one is a 400, and routing
# 404s are never sent, see `routable`). And, as the original
# did, the API ignores query parameters it does not know, so requests are not generated with
# made-up ones. Every other check runs as schemathesis ships it.
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"allow-extra-parameters": False},
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
            },
            "negative_data_rejection": {"expected-statuses": ["400", "401", "404"]},
        },
    }
)


@schemathesis.check
def refused_only_for_what_the_data_decides(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """A request valid by the document is refused with 400 only for one of `DATA_RULES`."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code != 400:
        return None
    errors: dict[str, list[str]] = response.json().get("errors", {})
    unexplained = {
        field: [m for m in messages if not m.startswith(DATA_RULES.get(field, "\0"))]
        for field, messages in errors.items()
    }
    unexplained = {field: messages for field, messages in unexplained.items() if messages}
    if unexplained or not errors:
        raise AssertionError(
            "A request valid by the OpenAPI document was refused for a rule the document could "
            f"state: {unexplained or response.text}"
        )
    return None


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


def routable(case: schemathesis.Case[Any]) -> None:
    """A download's key without a line break: Starlette's `path` convertor matches none, so such
    a request never reaches the route, and routing answers 404 before a parameter is read (a
    request made invalid elsewhere, say without `expires`, would not be refused with 400). The
    key has no pattern, so what makes the case valid or not is left as it was."""
    key = (case.path_parameters or {}).get("key")
    if isinstance(key, str) and "\n" in key:
        case.path_parameters = {**(case.path_parameters or {}), "key": key.replace("\n", " ")}


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
    routable(case)
    case.call_and_validate(base_url=ORIGIN, headers=bearer(case, target.token))


def bearer(case: schemathesis.Case[Any], token: str) -> dict[str, str]:
    """The admin's token, unless the case leaves it out on purpose (a negative case that checks
    the token is required: adding it would make that request valid)."""
    if case.operation.schema.is_security_param_negated(case):
        return {}
    return {"Authorization": f"Bearer {token}"}


def test_stateful_workflows_conform_to_the_openapi_document(target: Target) -> None:
    """Chains of calls (create, then read, change, delete what was created), as schemathesis
    infers them from the document, with the checks that need a history: a deleted resource
    stays gone (use_after_free), a created one can be read (ensure_resource_availability)."""
    base = schema.as_state_machine()

    class Workflows(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            target.reset()

        def before_call(self, case: schemathesis.Case[Any]) -> None:
            routable(case)

        def get_call_kwargs(self, case: schemathesis.Case[Any]) -> dict[str, Any]:
            return {"base_url": ORIGIN, "headers": bearer(case, target.token)}

    Workflows.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
