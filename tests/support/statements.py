"""Counting what the app asks of the database, for tests that pin a request's cost."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool


@dataclass
class DatabaseTraffic:
    statements: list[str] = field(default_factory=list)
    """Every statement sent, but the BEGIN that SQLite's transactions start with."""
    transactions: int = 0
    checkouts: int = 0
    """Connections taken from the pool (on PostgreSQL each is pinged first)."""


@contextmanager
def database_traffic() -> Iterator[DatabaseTraffic]:
    """What every engine of this process sends while the block runs."""
    traffic = DatabaseTraffic()

    def on_statement(_c: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            traffic.statements.append(" ".join(statement.split()))

    def on_begin(_connection: Any) -> None:
        traffic.transactions += 1

    def on_checkout(*_args: Any) -> None:
        traffic.checkouts += 1

    listeners: list[tuple[type, str, Callable[..., None]]] = [
        (Engine, "before_cursor_execute", on_statement),
        (Engine, "begin", on_begin),
        (Pool, "checkout", on_checkout),
    ]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    try:
        yield traffic
    finally:
        for target, name, listener in listeners:
            event.remove(target, name, listener)
