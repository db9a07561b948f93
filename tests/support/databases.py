"""Databases for tests: a migrated SQLite file per test, a migrated PostgreSQL database per run."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from billtrack.adapters.sqlalchemy import schema
from billtrack.adapters.sqlalchemy.engine import create_database_engine
from billtrack.adapters.sqlalchemy.tables import metadata


def migrated_sqlite_template(folder: Path) -> Path:
    """A SQLite file migrated to head, to be copied for each test (faster than migrating each)."""
    template = folder / "template.sqlite"
    engine = create_database_engine(f"sqlite:///{template}")
    schema.upgrade(engine)
    engine.dispose()
    return template


@contextmanager
def sqlite_copy(template: Path, folder: Path) -> Iterator[Engine]:
    path = folder / f"{uuid.uuid4().hex}.sqlite"
    shutil.copyfile(template, path)
    engine = create_database_engine(f"sqlite:///{path}")
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty database on the server of `admin_url`; dropped afterwards."""
    name = f"billtrack_test_{uuid.uuid4().hex[:12]}"
    admin = create_database_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_all_tables(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
