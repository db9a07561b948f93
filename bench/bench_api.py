"""The API's lists against the bare ASGI app (`bench/bare_app.py`), on SQLite and PostgreSQL, at
1 and 8 clients: requests per second, p50 and p99 of both, and billtrack's share of the bare
app's rate (goal: at least 0.6; and at 8 clients billtrack's p99 at most 5 times its p50).

Both servers run at once, on the same seeded database, under the same uvicorn with the same
options; the load generator (`bench/load.py`) is a third process. Before anything is timed, both
must answer every benchmarked URL with the same status and byte-identical bodies: a baseline that
answered less would flatter itself. The servers are then measured in turns, A B, B A, A B, ...
for ROUNDS rounds, and each figure is the median of its rounds, so the machine's drift (other
work on its 2 cores) falls on both alike.

`python -m bench api` runs it alone; BENCH_API_SECONDS and BENCH_API_ROUNDS (5 and 3) change
the length of a measurement and the number of rounds.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bench import load
from bench.databases import PostgresUnavailable, Seeded, seeded_postgres, seeded_sqlite
from bench.dataset import (
    EMPLOYEES,
    USER_EMAIL,
    USER_PASSWORD,
    WORKDAYS_PER_EMPLOYEE,
    server_environment,
)
from bench.figures import Figure
from bench.servers import Server, billtrack_and_bare

URLS = {
    "invoices": "/api/invoices?page=1&pageSize=100",
    "workdays": "/api/workdays?page=50&pageSize=100&sortByDate=desc",
}
PAGE_SIZE = 100
ROWS = {"invoices": EMPLOYEES, "workdays": EMPLOYEES * WORKDAYS_PER_EMPLOYEE}
CLIENTS = (1, 8)
SECONDS = float(os.environ.get("BENCH_API_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_API_ROUNDS", "3"))
WARMUP_SECONDS = 1.0
RATE_GOAL = 0.6
TAIL_GOAL = 5.0
"""p99 over p50 at 8 clients, at most."""


@dataclass(frozen=True)
class Side:
    """One server's medians over the rounds of one case."""

    per_second: float
    p50_ms: float
    p99_ms: float
    generator_cpu_share: float

    @classmethod
    def of(cls, rounds: Sequence[load.LoadResult]) -> Side:
        return cls(
            per_second=statistics.median(r.per_second for r in rounds),
            p50_ms=statistics.median(r.p50_ms for r in rounds),
            p99_ms=statistics.median(r.p99_ms for r in rounds),
            generator_cpu_share=statistics.median(r.generator_cpu_share for r in rounds),
        )

    def line(self, name: str) -> str:
        return (
            f"{name:9} {self.per_second:7.1f} req/s  p50 {self.p50_ms:7.1f} ms  "
            f"p99 {self.p99_ms:7.1f} ms  (p99/p50 {self.p99_ms / self.p50_ms:4.1f})"
        )


def run() -> Iterator[Figure]:
    sqlite = seeded_sqlite()
    _progress(f"SQLite seeded in {sqlite.seconds:.1f} s")
    yield from _database("SQLite", sqlite)
    try:
        with seeded_postgres() as postgres:
            _progress(f"PostgreSQL seeded in {postgres.seconds:.1f} s")
            yield from _database("PostgreSQL", postgres)
    except PostgresUnavailable as unavailable:
        print(f"PostgreSQL rows skipped, no server could be started: {unavailable}")


def _database(label: str, seeded: Seeded) -> Iterator[Figure]:
    settings = server_environment(seeded.data_dir, seeded.database_url)
    with billtrack_and_bare(settings, seeded.data_dir.parent) as (billtrack, bare):
        token = billtrack.log_in(USER_EMAIL, USER_PASSWORD)
        check_same_answers(billtrack, bare, token)
        for server in (billtrack, bare):
            for url in URLS.values():
                load.measure(server.port, url, token=token, clients=8, seconds=WARMUP_SECONDS)
        cases = [(what, clients) for what in URLS for clients in CLIENTS]
        results: dict[tuple[str, int, str], list[load.LoadResult]] = {}
        for round_number in range(ROUNDS):
            _progress(f"{label}: round {round_number + 1} of {ROUNDS}")
            # A B, then B A: neither server always runs right after the other.
            order = (billtrack, bare) if round_number % 2 == 0 else (bare, billtrack)
            for what, clients in cases:
                for server in order:
                    measured = load.measure(
                        server.port, URLS[what], token=token, clients=clients, seconds=SECONDS
                    )
                    results.setdefault((what, clients, server.name), []).append(measured)
        # The generator's headroom: the bare app's cheapest route, same uvicorn, same clients.
        ceiling = load.measure(bare.port, "/api/health/live", token=None, clients=8, seconds=2)
    fastest = 0.0
    for what, clients in cases:
        ours = Side.of(results[what, clients, billtrack.name])
        theirs = Side.of(results[what, clients, bare.name])
        fastest = max(fastest, theirs.per_second)
        yield _figure(label, what, clients, ours, theirs)
    yield Figure(
        f"load generator, {label} run",
        "fastest bare-app rate measured",
        ceiling.per_second / fastest,
        (
            f"the bare app's /api/health/live at 8 clients: {ceiling.per_second:,.0f} req/s, "
            f"p50 {ceiling.p50_ms:.1f} ms, the generator using {ceiling.generator_cpu_share:.0%} "
            f"of a core (at most {_most_generator_share(results):.0%} during the lists)",
        ),
    )


def _figure(label: str, what: str, clients: int, ours: Side, theirs: Side) -> Figure:
    ratio = ours.per_second / theirs.per_second
    goals = [_verdict("req/s ratio", ratio, RATE_GOAL, at_least=True)]
    if clients > 1:
        goals.append(_verdict("p99/p50", ours.p99_ms / ours.p50_ms, TAIL_GOAL, at_least=False))
    return Figure(
        f"{what} {label} {clients} client{'s' if clients > 1 else ''}",
        "bare ASGI app, same SQL and bytes",
        ratio,
        (
            f"GET {URLS[what]}",
            ours.line("billtrack"),
            theirs.line("bare app"),
            "; ".join(goals),
        ),
    )


def _verdict(name: str, value: float, goal: float, *, at_least: bool) -> str:
    met = value >= goal if at_least else value <= goal
    sign = ">=" if at_least else "<="
    return f"{name} {value:.2f} (goal {sign} {goal:g}: {'met' if met else 'MISSED'})"


def _most_generator_share(results: dict[tuple[str, int, str], list[load.LoadResult]]) -> float:
    return max(r.generator_cpu_share for rounds in results.values() for r in rounds)


def check_same_answers(billtrack: Server, bare: Server, token: str) -> None:
    """Both servers answer 200 and the same bytes for every benchmarked URL, a full page of the
    whole seeded table, or this fails."""
    for what, url in URLS.items():
        ours, theirs = billtrack.get(url, token), bare.get(url, token)
        if ours[0] != 200 or theirs[0] != 200:
            raise AssertionError(
                f"GET {url}: billtrack answered {ours[0]}, the bare app {theirs[0]}"
            )
        page = json.loads(ours[1])
        if len(page["items"]) != PAGE_SIZE or page["totalCount"] != ROWS[what]:
            raise AssertionError(
                f"GET {url}: {len(page['items'])} items of {page['totalCount']}, "
                f"where the seeded data has {PAGE_SIZE} of {ROWS[what]}"
            )
        if ours[1] != theirs[1]:
            at = next(
                (i for i, (a, b) in enumerate(zip(ours[1], theirs[1], strict=False)) if a != b),
                min(len(ours[1]), len(theirs[1])),
            )
            raise AssertionError(
                f"GET {url}: the bodies differ from byte {at} "
                f"(billtrack {len(ours[1])} bytes, bare app {len(theirs[1])}):\n"
                f"  billtrack: {ours[1][max(0, at - 120) : at + 80]!r}\n"
                f"  bare app:  {theirs[1][max(0, at - 120) : at + 80]!r}"
            )


def _progress(message: str) -> None:
    print(f"  [api] {message}", file=sys.stderr, flush=True)
