"""A throwaway PostgreSQL cluster for the test run: installed with apt-get when absent, started on
a free loopback port in a temporary folder, and removed afterwards.

Set BILLTRACK_TEST_POSTGRES_URL (an admin URL, e.g. postgresql+psycopg://postgres@host/postgres)
to use a server of your own instead.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


class PostgresUnavailable(Exception):
    """No PostgreSQL could be installed or started here."""


def _bin_dir() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return candidates[0].parent if candidates else None


def install_postgres() -> Path:
    """The folder of PostgreSQL's server programs, installing Debian's package first if needed."""
    found = _bin_dir()
    if found is not None:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise PostgresUnavailable(
            "PostgreSQL's server is not installed, and installing it needs apt-get as root "
            "(or set BILLTRACK_TEST_POSTGRES_URL to a server of your own)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    found = _bin_dir()
    if found is None:
        raise PostgresUnavailable("apt-get installed postgresql, but no initdb was found")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TemporaryCluster:
    """`initdb` into a temporary folder and `pg_ctl start` on 127.0.0.1; `stop()` removes it."""

    def __init__(self) -> None:
        self._bin = install_postgres()
        self._root = Path(tempfile.mkdtemp(prefix="billtrack-pg-"))
        # initdb refuses to run as root: then the cluster belongs to the postgres user.
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError as missing:
                raise PostgresUnavailable(
                    "running as root, but there is no postgres user"
                ) from missing
            shutil.chown(self._root, "postgres")
            self._as_owner = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self._data = self._root / "data"
        self._run(
            "initdb",
            "-D",
            str(self._data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        settings = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self._root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self._data),
            "-l",
            str(self._root / "server.log"),
            "-w",
            "-o",
            settings,
            "start",
        )
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [*self._as_owner, str(self._bin / program), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            log = self._root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise PostgresUnavailable(f"{program} failed:\n{done.stdout}{done.stderr}{tail}")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self._root, ignore_errors=True)
