"""Where a billtrack request's time goes: the served app (`create_app` over `bootstrap`, as
`billtrack serve` builds it) called in-process through ASGI, the benchmark's URL many times under
cProfile, on the benchmarks' seeded SQLite data (or `--database-url`).

Starlette hands sync work to threads through `anyio.to_thread.run_sync`; here it is run inline, so
one profiler sees the whole request, and each hand-off is counted (each is a thread hop in the
served app). No HTTP server is involved: uvicorn's and h11's share is the bare app's too.

`python -m bench.profile_request invoices` (or `workdays`) prints the time per request, the
hops, and the top functions by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine, event

from bench.bench_api import URLS
from bench.databases import seeded_postgres, seeded_sqlite
from bench.dataset import USER_EMAIL, USER_PASSWORD, settings_for
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.http.app import create_app

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class InlineThreads:
    """`anyio.to_thread.run_sync` replaced by a direct call, counting the calls."""

    def __init__(self) -> None:
        self.hops = 0
        self._original = anyio.to_thread.run_sync

    async def _run_sync(self, func: Callable[..., Any], *args: Any, **_: Any) -> Any:
        self.hops += 1
        return func(*args)

    def __enter__(self) -> InlineThreads:
        anyio.to_thread.run_sync = self._run_sync  # type: ignore[assignment]
        return self

    def __exit__(self, *_: object) -> None:
        anyio.to_thread.run_sync = self._original


async def call(app: ASGIApp, method: str, url: str, token: str | None = None) -> bytes:
    """One request straight into the ASGI app; answers the body (refusing anything but 200)."""
    path, _, query = url.partition("?")
    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json")]
    body = b""
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if method == "POST":
        body = f'{{"username": "{USER_EMAIL}", "password": "{USER_PASSWORD}"}}'.encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await asyncio.sleep(3600)  # no disconnect while the app works
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    if status != 200:
        raise RuntimeError(f"{method} {url} answered {status}: {answer[:300]!r}")
    return answer


async def _profile(app: ASGIApp, url: str, requests: int, top: int) -> str:
    token_answer = await call(app, "POST", "/api/login")
    token = token_answer.split(b'"jwtToken":"')[1].split(b'"')[0].decode()
    for _ in range(20):  # warm: SQLAlchemy's statement cache, the database's pages
        await call(app, "GET", url, token)
    statements = await _statements_of(app, url, token)
    with InlineThreads() as threads:
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(requests):
            await call(app, "GET", url, token)
        profiler.disable()
        elapsed = time.perf_counter() - started
    # The same without the profiler's overhead, for the true time per request.
    with InlineThreads():
        plain_started = time.perf_counter()
        for _ in range(requests):
            await call(app, "GET", url, token)
        plain = (time.perf_counter() - plain_started) / requests
    out = io.StringIO()
    out.write(
        f"GET {url}: {plain * 1000:.2f} ms per request in-process, threads inlined "
        f"({elapsed / requests * 1000:.2f} ms under cProfile); "
        f"{threads.hops / requests:.1f} thread hops per request in the served app\n"
    )
    out.write(f"{len(statements)} statements per request:\n")
    out.writelines(f"  {statement}\n" for statement in statements)
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top * 2)
    return out.getvalue()


async def _statements_of(app: ASGIApp, url: str, token: str) -> list[str]:
    """What one request sends the database, BEGIN and the end of the transaction included."""
    sent: list[str] = []

    def record(_: Any, __: Any, statement: str, *___: Any) -> None:
        sent.append(" ".join(statement.split()))

    def record_end(connection: Any) -> None:
        sent.append("(rollback or commit)")

    event.listen(Engine, "before_cursor_execute", record)
    event.listen(Engine, "rollback", record_end)
    event.listen(Engine, "commit", record_end)
    try:
        await call(app, "GET", url, token)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
        event.remove(Engine, "rollback", record_end)
        event.remove(Engine, "commit", record_end)
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=sorted(URLS))
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--postgres", action="store_true", help="seed and use PostgreSQL")
    arguments = parser.parse_args()

    def profile(data_dir: Any, database_url: str | None) -> None:
        settings = settings_for(data_dir, database_url)
        application = bootstrap(settings)
        try:
            app = create_app(settings, application)
            report = asyncio.run(
                _profile(app, URLS[arguments.what], arguments.requests, arguments.top)
            )
            print(report)
        finally:
            application.close()

    if arguments.postgres:
        with seeded_postgres() as postgres:
            profile(postgres.data_dir, postgres.database_url)
    else:
        sqlite = seeded_sqlite()
        profile(sqlite.data_dir, None)


if __name__ == "__main__":
    main()
