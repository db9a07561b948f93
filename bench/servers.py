"""The servers a benchmark measures, each a process of its own on a free port of 127.0.0.1:
`billtrack serve` started as a user starts it (the console script, settings in the environment),
and the bare app under the same uvicorn. Also the few HTTP calls the benchmarks make themselves
(log in, fetch a body to compare), with the standard library's client.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.postgres import free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60.0


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    startup_seconds: float = 0.0
    """From starting the process to its first answer to GET /api/health/live."""

    def get(self, path: str, token: str | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return _request(self.port, "GET", path, None, headers)

    def log_in(self, email: str, password: str) -> str:
        body = json.dumps({"username": email, "password": password}).encode()
        headers = {"Content-Type": "application/json"}
        status, answer = _request(self.port, "POST", "/api/login", body, headers)
        if status != 200:
            raise RuntimeError(f"{self.name}: POST /api/login answered {status}: {answer!r}")
        token: str = json.loads(answer)["jwtToken"]
        return token

    def peak_rss_mb(self) -> float:
        """The process's peak resident memory so far (VmHWM), in MB (10^6 bytes)."""
        return _status_kb(self.process.pid, "VmHWM") * 1024 / 1e6

    def rss_mb(self) -> float:
        return _status_kb(self.process.pid, "VmRSS") * 1024 / 1e6

    def threads(self) -> int:
        return int(_status_field(self.process.pid, "Threads"))


@functools.cache
def compile_bytecode() -> None:
    """Compile every installed module and billtrack's own to bytecode, once per process, as an
    installer does (pip compiles; `uv sync` does not, and with PYTHONDONTWRITEBYTECODE set, as
    on these machines, nothing is ever written): a server that compiles its imports from source
    at each start is slower and holds more memory (18 MB more for Playwright's alone)."""
    import billtrack

    folders = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    folders |= {str(Path(billtrack.__file__).parent), str(PROJECT_ROOT / "bench")}
    subprocess.run(  # noqa: S603 - this interpreter, our own arguments
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *sorted(folders)],
        env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        stdout=subprocess.DEVNULL,
        check=False,  # a file that does not compile (a template) must not stop the benchmark
    )


def billtrack_program() -> list[str]:
    """`billtrack`: the console script installed beside this interpreter."""
    script = Path(sys.executable).with_name("billtrack")
    return [str(script)] if script.exists() else [sys.executable, "-m", "billtrack"]


def billtrack_command(port: int) -> list[str]:
    """`billtrack serve` on 127.0.0.1:`port`, its worker included, as a user starts it."""
    return [*billtrack_program(), "serve", "--host", "127.0.0.1", "--port", str(port)]


def bare_command(port: int) -> list[str]:
    return [sys.executable, "-m", "bench.bare_app", "--host", "127.0.0.1", "--port", str(port)]


def server_env(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without BILLTRACK_ variables of its own, plus `settings`; the
    project on PYTHONPATH so `bench.bare_app` imports from anywhere."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BILLTRACK_")}
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(PROJECT_ROOT), environment.get("PYTHONPATH")])
    )
    return {**environment, **settings}


def start(
    name: str, command: list[str], port: int, settings: Mapping[str, str], folder: Path
) -> Server:
    """Start `command` in `folder` (away from any `.env` of the project) and wait until it
    answers GET /api/health/live; `startup_seconds` says how long that took."""
    compile_bytecode()
    log = folder / f"{name.replace(' ', '-')}-{port}.log"
    started = time.perf_counter()
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - commands built above
            command, cwd=folder, env=server_env(settings), stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(name, process, port, log)
    try:
        _wait_until_live(server, started + START_TIMEOUT_SECONDS)
    except BaseException:
        stop(server)
        raise
    server.startup_seconds = time.perf_counter() - started
    return server


def _wait_until_live(server: Server, deadline: float) -> None:
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} stopped at start:\n{_tail(server.log)}")
        try:
            if server.get("/api/health/live")[0] == 200:
                return
        except OSError:
            pass  # not listening yet
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{server.name} did not answer in time:\n{_tail(server.log)}")
        time.sleep(0.005)


def stop(server: Server) -> None:
    """Ctrl-C, as a user stops it; killed if it has not stopped in 15 s."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextmanager
def running(
    name: str, command: list[str], port: int, settings: Mapping[str, str], folder: Path
) -> Iterator[Server]:
    server = start(name, command, port, settings, folder)
    try:
        yield server
    finally:
        stop(server)


@contextmanager
def billtrack_and_bare(
    settings: Mapping[str, str], folder: Path
) -> Iterator[tuple[Server, Server]]:
    """`billtrack serve` and the bare app on the same settings, both running for the block."""
    billtrack_port, bare_port = free_port(), free_port()
    with (
        running(
            "billtrack", billtrack_command(billtrack_port), billtrack_port, settings, folder
        ) as billtrack,
        running("bare app", bare_command(bare_port), bare_port, settings, folder) as bare,
    ):
        yield billtrack, bare


def _request(
    port: int, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=dict(headers))
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def _status_field(pid: int, field: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return line.split(":", 1)[1].strip()
    raise KeyError(f"/proc/{pid}/status has no {field}")


def _status_kb(pid: int, field: str) -> int:
    return int(_status_field(pid, field).split()[0])


def _tail(log: Path, characters: int = 3000) -> str:
    return log.read_text(errors="replace")[-characters:] if log.exists() else ""
