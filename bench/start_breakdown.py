"""Where `billtrack serve`'s start goes: the steps serve takes before it listens, done one by one
in a fresh process, with the seconds each took, the resident memory (VmRSS) after it and its peak
(VmHWM). An import's figure is what it added on top of the steps before it (what it shares with
them is theirs).

`python -m bench.start_breakdown` prints the steps as JSON on its last line, one
[step, seconds, rss_mb, peak_mb] each; the settings come from the environment, as serve's do.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

State = dict[str, Any]
AFTER_START = "after start: "
"""Begins the names of the steps that are not part of serve's start."""


@dataclass(frozen=True)
class Step:
    name: str
    seconds: float
    rss_mb: float
    peak_mb: float


def measure_steps(settings: Mapping[str, str], folder: Path) -> list[Step]:
    """Run this module in a fresh process in `folder`, with the settings in its environment."""
    # Imported here: the measured process must not import them.
    from bench.servers import compile_bytecode, server_env

    compile_bytecode()
    done = subprocess.run(
        [sys.executable, "-m", "bench.start_breakdown"],
        cwd=folder,
        env=server_env(settings),
        capture_output=True,
        text=True,
        check=True,
    )
    # The last line: serve's own messages (about the first user) come before it.
    return [Step(*row) for row in json.loads(done.stdout.strip().splitlines()[-1])]


def _memory_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise KeyError(field)


def _importing(*modules: str) -> Callable[[State], None]:
    def step(_: State) -> None:
        for module in modules:
            importlib.import_module(module)

    return step


def _settings(state: State) -> None:
    from billtrack.entrypoints.cli.main import load_settings

    state["settings"] = load_settings().served_at("127.0.0.1", 8000)


def _bootstrap(state: State) -> None:
    from billtrack.entrypoints.cli.main import announce_first_user, started

    state["app"] = started(state["settings"])
    announce_first_user(state["settings"], state["app"])


def _create_app(state: State) -> None:
    from billtrack.entrypoints.http.app import create_app
    from billtrack.entrypoints.worker.runner import start_in_background

    state["api"] = create_app(state["settings"], state["app"], on_start=start_in_background)


def _worker(state: State) -> None:
    from billtrack.entrypoints.worker.runner import start_in_background

    state["stop_worker"] = start_in_background(state["app"])


def _log_in(state: State) -> None:
    from bench.dataset import USER_EMAIL, USER_PASSWORD

    state["app"].log_in(USER_EMAIL, USER_PASSWORD)


STEPS: list[tuple[str, Callable[[State], None]]] = [
    ("the interpreter", lambda _: None),
    ("the CLI (click)", _importing("billtrack.entrypoints.cli.main")),
    ("settings (pydantic, pydantic-settings)", _importing("billtrack.entrypoints.settings")),
    ("sqlalchemy", _importing("sqlalchemy", "sqlalchemy.engine")),
    ("alembic (+ mako, pygments)", _importing("billtrack.adapters.sqlalchemy.schema")),
    ("jwt (+ cryptography)", _importing("billtrack.adapters.jwt.token_issuer")),
    ("the rest of bootstrap's imports", _importing("billtrack.entrypoints.bootstrap")),
    # Imported by bootstrap when it finds a Chromium (the default renderer is `auto`).
    ("playwright, for the Chromium renderer", _importing("billtrack.adapters.playwright.renderer")),
    ("reading the settings", _settings),
    ("bootstrap: migrate, wire, first user", _bootstrap),
    ("uvicorn", _importing("uvicorn", "uvicorn.protocols.http.h11_impl")),
    ("fastapi (+ starlette, opentelemetry)", _importing("fastapi")),
    ("the API and web modules", _importing("billtrack.entrypoints.http.app")),
    ("create_app()", _create_app),
    ("the embedded worker's threads started", _worker),
    (f"{AFTER_START}one login (argon2 verify)", _log_in),
]


def main() -> None:
    state: State = {}
    rows = []
    for name, step in STEPS:
        started = time.perf_counter()
        step(state)
        seconds = time.perf_counter() - started
        rows.append([name, seconds, _memory_mb("VmRSS"), _memory_mb("VmHWM")])
    state["stop_worker"]()
    state["app"].close()
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
