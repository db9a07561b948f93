"""Start-up: `billtrack --help` (goal: under 0.3 s with bytecode compiled) against `python -c pass`
of the same interpreter, and `billtrack serve` until it first answers /api/health/live against
the bare app under the same uvicorn; each the median of RUNS runs, the two sides in turns.

Every installed module is compiled to bytecode first (as an installer leaves them; see
`compile_bytecode`). `--help` is also timed without any bytecode, every module compiled from source
(PYTHONPYCACHEPREFIX pointing at an empty folder, nothing written): the first run after an
install that did not compile. `serve` starts on a data folder a first start has migrated, with a
user, as a restart finds it.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.support.postgres import free_port

from bench.dataset import server_environment
from bench.figures import Figure
from bench.servers import (
    bare_command,
    billtrack_command,
    billtrack_program,
    compile_bytecode,
    running,
    server_env,
    start,
    stop,
)
from bench.start_breakdown import AFTER_START, measure_steps

RUNS = 7
HELP_GOAL_SECONDS = 0.3


def run() -> Iterator[Figure]:
    yield _help()
    yield _serve()


def _help() -> Figure:
    billtrack = [*billtrack_program(), "--help"]
    baseline = [sys.executable, "-c", "pass"]
    with tempfile.TemporaryDirectory(prefix="billtrack-no-bytecode-") as empty:
        from_source = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": empty}
        help_cold = statistics.median(_wall(billtrack, from_source) for _ in range(3))
    compile_bytecode()
    help_time, pass_time = _interleaved(lambda: _wall(billtrack), lambda: _wall(baseline))
    met = "met" if help_time < HELP_GOAL_SECONDS else "MISSED"
    return Figure(
        "billtrack --help",
        "python -c pass",
        help_time / pass_time,
        (
            f"billtrack --help {help_time * 1000:.0f} ms, python -c pass {pass_time * 1000:.0f} ms"
            f" (median of {RUNS}); goal < {HELP_GOAL_SECONDS * 1000:.0f} ms: {met}",
            f"without bytecode (every module compiled from source): {help_cold * 1000:.0f} ms",
        ),
    )


def _serve() -> Figure:
    with tempfile.TemporaryDirectory(prefix="billtrack-bench-startup-") as folder:
        settings = server_environment(Path(folder) / "data")
        # The first start migrates the new database and creates the user: not a restart's work.
        port = free_port()
        with running("first start", billtrack_command(port), port, settings, Path(folder)):
            pass
        serve_time, bare_time = _interleaved(
            lambda: _time_to_live("billtrack", billtrack_command, settings, Path(folder)),
            lambda: _time_to_live("bare app", bare_command, settings, Path(folder)),
        )
        steps = [
            s for s in measure_steps(settings, Path(folder)) if not s.name.startswith(AFTER_START)
        ]
    return Figure(
        "billtrack serve until it answers",
        "bare app, same uvicorn",
        serve_time / bare_time,
        (
            f"billtrack serve {serve_time:.2f} s, bare app {bare_time:.2f} s from process start "
            f"to the first 200 of /api/health/live (median of {RUNS})",
            f"serve's start step by step (bench/start_breakdown.py): "
            f"{sum(s.seconds for s in steps):.2f} s in all, the slowest first:",
            *(
                f"  {step.name:42} {step.seconds * 1000:6.0f} ms"
                for step in sorted(steps, key=lambda s: -s.seconds)[:8]
            ),
        ),
    )


def _interleaved(first: Callable[[], float], second: Callable[[], float]) -> tuple[float, float]:
    """Medians of RUNS runs of each, taken in turns."""
    firsts, seconds = [], []
    for _ in range(RUNS):
        firsts.append(first())
        seconds.append(second())
    return statistics.median(firsts), statistics.median(seconds)


def _wall(command: list[str], settings: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own commands
        command, env=server_env(settings or {}), stdout=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - started


def _time_to_live(
    name: str, command_for: Callable[[int], list[str]], settings: dict[str, str], folder: Path
) -> float:
    port = free_port()
    server = start(name, command_for(port), port, settings, folder)
    stop(server)
    return server.startup_seconds
