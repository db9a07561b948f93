"""The migrations build exactly the schema the code declares, on both databases."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import Engine, inspect, text

from billtrack.adapters.sqlalchemy import schema
from billtrack.adapters.sqlalchemy.engine import create_database_engine
from billtrack.adapters.sqlalchemy.tables import metadata
from tests.support.databases import postgres_database


@pytest.fixture(params=["sqlite", "postgres"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_database_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
        yield engine
        engine.dispose()
        return
    with postgres_database(request.getfixturevalue("postgres_admin_url")) as url:
        engine = create_database_engine(url)
        yield engine
        engine.dispose()


def differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_upgrading_an_empty_database_gives_the_models_schema(empty_engine: Engine) -> None:
    schema.upgrade(empty_engine)
    assert differences(empty_engine) == []
    assert schema.current_revision(empty_engine) == schema.head_revision()
    schema.ensure_current(empty_engine)


def test_an_empty_database_is_reported_as_outdated(empty_engine: Engine) -> None:
    with pytest.raises(schema.SchemaOutdated, match="billtrack db upgrade"):
        schema.ensure_current(empty_engine)


def test_downgrading_removes_everything_and_upgrading_again_works(empty_engine: Engine) -> None:
    schema.upgrade(empty_engine)
    schema.downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    schema.upgrade(empty_engine)
    assert differences(empty_engine) == []


def test_the_head_revision_known_in_code_is_alembics_head() -> None:
    # A new migration must update `HEAD_REVISION`, which the start compares without alembic.
    assert schema.head_revision() == schema.HEAD_REVISION


def test_a_database_at_the_head_is_checked_and_upgraded_without_importing_alembic(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'current.sqlite'}"
    engine = create_database_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    code = f"""
import sys
from billtrack.adapters.sqlalchemy import schema
from billtrack.adapters.sqlalchemy.engine import create_database_engine
engine = create_database_engine({url!r})
schema.upgrade(engine)
schema.ensure_current(engine)
assert schema.current_revision(engine) == schema.HEAD_REVISION
print(sorted(name for name in sys.modules if name.split(".")[0] in ("alembic", "mako")))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_schema_newer_than_the_code_is_refused(empty_engine: Engine) -> None:
    schema.upgrade(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(schema.SchemaOutdated, match="9999"):
        schema.ensure_current(empty_engine)
    with pytest.raises(CommandError, match="9999"):
        schema.upgrade(empty_engine)


def test_upgrading_twice_changes_nothing(empty_engine: Engine) -> None:
    schema.upgrade(empty_engine)
    schema.upgrade(empty_engine)
    assert schema.current_revision(empty_engine) == schema.head_revision()
