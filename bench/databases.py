"""The seeded databases the benchmarks serve: a SQLite data folder, and a PostgreSQL database on
the server the test suite would use (`BILLTRACK_TEST_POSTGRES_URL`, or a throwaway cluster
started by the suite's own `TemporaryCluster`, installed with apt-get when missing).

Seeding takes some seconds, so the SQLite folder is seeded once per process and shared by the
benchmarks that serve it (they only read); it is removed when the process ends.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.databases import postgres_database
from tests.support.postgres import PostgresUnavailable, TemporaryCluster

from bench.dataset import seed, settings_for


@dataclass(frozen=True)
class Seeded:
    data_dir: Path
    database_url: str | None
    """None for the data folder's SQLite file."""
    seconds: float
    """How long seeding took."""


def scratch_folder(prefix: str) -> Path:
    """A temporary folder removed when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@functools.cache
def seeded_sqlite() -> Seeded:
    data_dir = scratch_folder("billtrack-bench-sqlite-") / "data"
    started = time.perf_counter()
    seed(settings_for(data_dir))
    return Seeded(data_dir, None, time.perf_counter() - started)


@contextmanager
def seeded_postgres() -> Iterator[Seeded]:
    """A seeded database for the block; raises PostgresUnavailable when no server can be had."""
    given = os.environ.get("BILLTRACK_TEST_POSTGRES_URL")
    cluster = None if given else TemporaryCluster()
    admin_url = given or (cluster.url if cluster else "")
    try:
        with postgres_database(admin_url) as url:
            data_dir = scratch_folder("billtrack-bench-postgres-") / "data"
            started = time.perf_counter()
            seed(settings_for(data_dir, url))
            yield Seeded(data_dir, url, time.perf_counter() - started)
    finally:
        if cluster is not None:
            cluster.stop()


__all__ = ["PostgresUnavailable", "Seeded", "seeded_postgres", "seeded_sqlite"]
