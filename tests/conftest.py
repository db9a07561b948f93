"""Suite-wide rules (under CI=true nothing may be skipped) and the databases tests share."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from billtrack.adapters.sqlalchemy import schema
from billtrack.adapters.sqlalchemy.engine import create_database_engine
from tests.support.chromium import ChromiumUnavailable, install_chromium
from tests.support.databases import (
    empty_all_tables,
    migrated_sqlite_template,
    postgres_database,
    sqlite_copy,
)
from tests.support.postgres import PostgresUnavailable, TemporaryCluster


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    """With CI=true a skipped test is a failed one: a missing service must not pass unseen."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if running_in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where every test must run: {report.longrepr}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Catch what the hook above cannot see: whole modules skipped at collection."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = [r for r in reporter.stats.get("skipped", []) if not hasattr(r, "wasxfail")]
    if running_in_ci() and skipped:
        reporter.write_line(f"CI=true: {len(skipped)} skipped, which counts as failure", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """An admin URL of a PostgreSQL server for this run (started here unless one is given)."""
    given = os.environ.get("BILLTRACK_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    try:
        cluster = TemporaryCluster()
    except PostgresUnavailable as unavailable:
        if running_in_ci():
            pytest.fail(f"PostgreSQL unavailable, and CI=true runs every test: {unavailable}")
        pytest.skip(f"PostgreSQL unavailable (CI=true makes this a failure): {unavailable}")
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A database migrated to head, for this run."""
    with postgres_database(postgres_admin_url) as url:
        engine = create_database_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = create_database_engine(postgres_url, pool_size=10, max_overflow=20)
    yield engine
    engine.dispose()


@pytest.fixture
def clean_postgres(postgres_engine: Engine) -> Engine:
    """The run's PostgreSQL engine, every table emptied before the test."""
    empty_all_tables(postgres_engine)
    return postgres_engine


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium (installed with apt-get when missing), for the renderer and the pages."""
    try:
        return install_chromium()
    except ChromiumUnavailable as unavailable:
        if running_in_ci():
            pytest.fail(f"Chromium unavailable, and CI=true runs every test: {unavailable}")
        pytest.skip(f"Chromium unavailable (CI=true makes this a failure): {unavailable}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database of the test's own."""
    with sqlite_copy(sqlite_template, tmp_path) as engine:
        yield engine
