"""On SQLite the writers of one process take turns on a lock of the process before SQLite's own,
which hands over at once where SQLite would have them sleep and try again."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import Engine

from billtrack.adapters.sqlalchemy import unit_of_work
from billtrack.adapters.sqlalchemy.engine import create_database_engine, writer_lock
from billtrack.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from billtrack.domain.model.organisation import Department
from billtrack.domain.model.values import Name
from billtrack.ports.queries import NameQuery, PageRequest

NOW = datetime(2024, 11, 15, 12, tzinfo=UTC)


def department(name: str = "Finance") -> Department:
    return Department.create(id=uuid4(), name=Name(name), now=NOW)


def test_a_write_unit_of_work_holds_the_lock_until_it_ends_and_a_reader_never(
    sqlite_engine: Engine,
) -> None:
    lock = writer_lock(sqlite_engine)
    assert lock is not None
    with SqlAlchemyUnitOfWork(sqlite_engine, read_only=True) as reader:
        reader.departments.get(uuid4())
        assert not lock.locked()
    with SqlAlchemyUnitOfWork(sqlite_engine) as uow:
        assert lock.locked()
        uow.departments.add(department())
        uow.commit()
        assert lock.locked()
    assert not lock.locked()
    failing = SqlAlchemyUnitOfWork(sqlite_engine)
    failing.__enter__()
    assert lock.locked()
    failing.__exit__(ZeroDivisionError, ZeroDivisionError(), None)
    assert not lock.locked()


def test_many_threads_writing_at_once_all_get_their_turn(sqlite_engine: Engine) -> None:
    def write(n: int) -> None:
        for i in range(20):
            with SqlAlchemyUnitOfWork(sqlite_engine) as uow:
                uow.departments.add(department(f"D{n}-{i}"))
                uow.commit()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(write, range(6)))

    with SqlAlchemyUnitOfWork(sqlite_engine, read_only=True) as uow:
        assert uow.departments.list(NameQuery(PageRequest(1, 1000))).total_count == 120


def test_a_write_inside_another_that_has_not_begun_goes_on_after_waiting(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit of work opened inside another in the same thread (which the code does not do, but
    SQLite allowed while the outer had sent nothing) waits the busy time-out for its turn, then
    goes on to SQLite's own lock rather than waiting forever."""
    monkeypatch.setattr(unit_of_work, "SQLITE_BUSY_TIMEOUT_MS", 200)
    done = threading.Event()
    with SqlAlchemyUnitOfWork(sqlite_engine), SqlAlchemyUnitOfWork(sqlite_engine) as inner:
        inner.departments.add(department())
        inner.commit()
        done.set()
    assert done.is_set()
    lock = writer_lock(sqlite_engine)
    assert lock is not None
    assert not lock.locked()


def test_only_sqlite_has_the_lock(tmp_path: Path) -> None:
    engine = create_database_engine("postgresql+psycopg://nobody@localhost:1/none")
    try:
        assert writer_lock(engine) is None
    finally:
        engine.dispose()
