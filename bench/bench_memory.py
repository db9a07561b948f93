"""Peak memory: `billtrack serve` (as a user runs it: default settings, embedded worker, SQLite)
against the bare app, both under the same 8-client load on the two benchmarked lists; the goal is
billtrack under 100 MB at peak.

The peak is the kernel's VmHWM. A login (argon2id with 19 MiB, OWASP's setting) lifts it above
anything else, so it is reported apart: the peak counter is reset after the benchmark's one login
(`clear_refs`), and the load's own peak read at the end. Then `bench/start_breakdown.py` redoes
serve's start step by step in a fresh process, to say what each import and step adds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from bench import load
from bench.bench_api import URLS
from bench.databases import seeded_sqlite
from bench.dataset import USER_EMAIL, USER_PASSWORD, server_environment
from bench.figures import Figure
from bench.servers import Server, billtrack_and_bare
from bench.start_breakdown import measure_steps

SECONDS = float(os.environ.get("BENCH_MEMORY_SECONDS", "5"))
CLIENTS = 8
GOAL_MB = 100.0


def run() -> Iterator[Figure]:
    seeded = seeded_sqlite()
    settings = server_environment(seeded.data_dir)
    with billtrack_and_bare(settings, seeded.data_dir.parent) as (billtrack, bare):
        started = {server.name: server.peak_rss_mb() for server in (billtrack, bare)}
        token = billtrack.log_in(USER_EMAIL, USER_PASSWORD)
        with_login = billtrack.peak_rss_mb()
        under_load = {}
        for server in (billtrack, bare):
            _reset_peak(server)
            for url in URLS.values():
                load.measure(server.port, url, token=token, clients=CLIENTS, seconds=SECONDS)
            under_load[server.name] = server.peak_rss_mb()
        threads = {server.name: server.threads() for server in (billtrack, bare)}
    ours, theirs = under_load[billtrack.name], under_load[bare.name]
    verdict = "met" if ours < GOAL_MB else f"MISSED by {ours - GOAL_MB:.0f} MB"
    yield Figure(
        "billtrack serve peak memory",
        f"bare app, same {CLIENTS}-client load",
        ours / theirs,
        (
            f"peak RSS (VmHWM) under the load: billtrack {ours:.0f} MB, bare app {theirs:.0f} MB; "
            f"goal < {GOAL_MB:.0f} MB: {verdict}",
            f"after start, before any request: billtrack {started[billtrack.name]:.0f} MB, "
            f"bare app {started[bare.name]:.0f} MB",
            f"with one login (argon2id, 19 MiB): billtrack peaks at {with_login:.0f} MB",
            f"threads at the end: billtrack {threads[billtrack.name]}, "
            f"bare app {threads[bare.name]}",
            "where billtrack's goes, serve's start step by step (bench/start_breakdown.py; RSS after, added):",
            *_breakdown(settings, seeded.data_dir.parent),
        ),
    )


def _reset_peak(server: Server) -> None:
    """Set VmHWM back to the current RSS (Linux's clear_refs, value 5)."""
    Path(f"/proc/{server.process.pid}/clear_refs").write_text("5")


def _breakdown(settings: dict[str, str], folder: Path) -> list[str]:
    lines, before = [], 0.0
    for step in measure_steps(settings, folder):
        extra = f", peak {step.peak_mb:.0f}" if step.peak_mb > step.rss_mb + 1 else ""
        lines.append(f"  {step.name:42} {step.rss_mb:6.1f} MB  +{step.rss_mb - before:5.1f}{extra}")
        before = step.rss_mb
    return lines
