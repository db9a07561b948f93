"""Fixtures of the contract suites: each yields one adapter of a port, and every test runs against
every adapter. An adapter family added later joins by adding a parameter here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from billtrack.adapters.filesystem.storage import LocalFolderStorage
from tests.fakes.clock import ManualClock
from billtrack.adapters.memory.storage import InMemoryObjectStorage
from billtrack.adapters.memory.store import InMemoryStore
from billtrack.adapters.memory.unit_of_work import InMemoryUnitOfWork
from billtrack.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from billtrack.ports.storage import ObjectStorage
from billtrack.ports.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
UrlOpener = Callable[[str], bytes]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def new_uow(request: pytest.FixtureRequest) -> UowFactory:
    """A factory of units of work over one fresh, empty database."""
    if request.param == "sqlite":
        sqlite: Engine = request.getfixturevalue("sqlite_engine")
        return lambda: SqlAlchemyUnitOfWork(sqlite)
    if request.param == "postgres":
        postgres: Engine = request.getfixturevalue("clean_postgres")
        return lambda: SqlAlchemyUnitOfWork(postgres)
    store = InMemoryStore()
    return lambda: InMemoryUnitOfWork(store)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2024, 11, 15, 12, tzinfo=UTC))


@pytest.fixture(params=["memory", "local"])
def storage(
    request: pytest.FixtureRequest, clock: ManualClock, tmp_path: Path
) -> tuple[ObjectStorage, UrlOpener, Callable[[timedelta], None]]:
    """An empty object storage, how to download one of its URLs, and how to let time pass."""
    if request.param == "local":
        local = LocalFolderStorage(
            tmp_path / "files",
            signing_key=b"k" * 32,
            base_url="http://127.0.0.1:8000",
            now=clock.now,
        )
        return local, local.open_url, clock.advance
    memory = InMemoryObjectStorage(clock.now)
    return memory, memory.open_url, clock.advance
