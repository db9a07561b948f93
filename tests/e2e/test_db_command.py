"""`billtrack db upgrade`: the deploy step that migrates a database, and what it says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from sqlalchemy import Engine

from billtrack.adapters.sqlalchemy import schema
from billtrack.adapters.sqlalchemy.engine import create_database_engine
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.cli.main import main
from billtrack.entrypoints.settings import Settings
from tests.support.databases import postgres_database


def test_upgrading_a_new_sqlite_file_then_again(tmp_path: Path) -> None:
    runner = CliRunner(env={"BILLTRACK_DATA_DIR": str(tmp_path)})
    first = runner.invoke(main, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert f"upgraded from empty to {schema.head_revision()}" in first.output
    second = runner.invoke(main, ["db", "upgrade", "--json"])
    assert json.loads(second.output)["from"] == schema.head_revision()


def test_upgrading_postgres_and_masking_the_password(postgres_admin_url: str) -> None:
    with postgres_database(postgres_admin_url) as url:
        with_password = url.replace("postgres@", "postgres:hunter2hunter2@", 1)
        runner = CliRunner(env={"BILLTRACK_DATABASE_URL": with_password})
        result = runner.invoke(main, ["db", "upgrade", "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert (report["from"], report["to"]) == (None, schema.head_revision())
        assert "hunter2" not in result.output


def test_an_unreachable_database_is_a_clear_error() -> None:
    runner = CliRunner(
        env={
            "BILLTRACK_DATABASE_URL": "postgresql+psycopg://billtrack:secret-pw@127.0.0.1:9/billtrack"
        }
    )
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "cannot reach the database" in result.output
    assert "secret-pw" not in result.output


def test_an_outdated_postgres_schema_refuses_to_start(postgres_admin_url: str) -> None:
    with postgres_database(postgres_admin_url) as url:
        settings = Settings(
            database_url=url, data_dir=Path("/nonexistent-unused"), jwt_secret=SecretStr("x" * 40)
        )
        with pytest.raises(schema.SchemaOutdated, match="billtrack db upgrade"):
            bootstrap(settings)
        engine: Engine = create_database_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        bootstrap(settings).close()
