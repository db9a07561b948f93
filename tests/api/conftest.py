"""The API over real HTTP, on SQLite and on PostgreSQL, with a logged-in client.

`api` is an httpx client whose base URL ends in /api (as the original front end's
VITE_API_BASE_URL does) and which sends the admin's bearer token; `anonymous` sends none.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher as Argon2
from pydantic import SecretStr

from tests.fakes.clock import ManualClock
from billtrack.adapters.argon2.hasher import Argon2PasswordHasher
from billtrack.domain.usecases.users import add_user
from billtrack.entrypoints.bootstrap import Services, bootstrap
from billtrack.entrypoints.http.app import create_app
from billtrack.entrypoints.settings import Settings
from tests.support.databases import empty_all_tables
from tests.support.server import serving

NOW = datetime(2024, 11, 15, 12, 0, tzinfo=UTC)
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"


def fast_hasher() -> Argon2PasswordHasher:
    """Argon2id with the cheapest parameters, so hundreds of logins take no time in tests."""
    return Argon2PasswordHasher(
        Argon2(time_cost=1, memory_cost=8, parallelism=1), legacy_iterations=1000
    )


@dataclass
class Api:
    base_url: str
    services: Services
    clock: ManualClock
    client: httpx.Client
    anonymous: httpx.Client


@pytest.fixture(params=["sqlite", "postgres"])
def running_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    settings = Settings(
        data_dir=tmp_path,
        jwt_secret=SecretStr("a-test-secret-that-is-long-enough-for-hs256"),
        public_url="http://127.0.0.1",
    )
    if request.param == "postgres":
        empty_all_tables(request.getfixturevalue("postgres_engine"))
        settings = settings.model_copy(
            update={"database_url": request.getfixturevalue("postgres_url")}
        )
    clock = ManualClock(NOW)
    services = bootstrap(settings, clock=clock, hasher=fast_hasher())
    add_user(services.uow(), services.hasher, clock, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    app = create_app(services=services)
    try:
        with (
            serving(app) as base_url,
            httpx.Client(base_url=f"{base_url}/api", timeout=30) as anonymous,
        ):
            token = anonymous.post(
                "/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            token.raise_for_status()
            bearer = {"Authorization": f"Bearer {token.json()['jwtToken']}"}
            with httpx.Client(base_url=f"{base_url}/api", headers=bearer, timeout=30) as client:
                yield Api(base_url, services, clock, client, anonymous)
    finally:
        services.close()


@pytest.fixture
def api(running_api: Api) -> httpx.Client:
    return running_api.client


@pytest.fixture
def anonymous(running_api: Api) -> httpx.Client:
    return running_api.anonymous
