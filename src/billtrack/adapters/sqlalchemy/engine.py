"""Engines for the two databases billtrack runs on.

SQLite is a real target, not a test double: WAL lets readers go on while one transaction writes,
`busy_timeout` makes a second writer wait instead of failing with SQLITE_BUSY, and every
transaction that may write starts with BEGIN IMMEDIATE, so it takes the write lock up front rather
than failing when a read turns into a write halfway (the API and the worker write to the same
file). A read-only transaction (`READ_ONLY` in the connection's execution options) starts with a
plain BEGIN and reads its snapshot of the WAL beside the writer and the other readers.

Writers of one process also take turns on a lock of their own (`writer_lock`) before SQLite's:
SQLite makes a writer that finds its lock taken sleep and try again, in steps of up to 100 ms,
so threads writing at once (the month end's issuing, rendering and mailing) would lose most of
their time asleep, while a lock of the process hands over the moment it is released.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "billtrack_read_only"
"""The execution option of a connection whose transactions only read."""
_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def writer_lock(engine: Engine) -> threading.Lock | None:
    """The lock this process's write transactions on `engine` take one after another (an
    SQLite engine's); None when the database serves concurrent writers itself."""
    return _WRITER_LOCKS.get(engine)


def create_database_engine(url: str | URL, **options: Any) -> Engine:
    """An engine for `url` (`sqlite:///path` or `postgresql+psycopg://...`), set up as above."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **options)
    return create_engine(parsed, pool_pre_ping=True, **options)


def _sqlite_engine(url: URL, **options: Any) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **options)
    _WRITER_LOCKS[engine] = threading.Lock()

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN, instead of the driver's own deferred BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        reading = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


def masked(url: str | URL) -> str:
    """The URL with its password hidden, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)
