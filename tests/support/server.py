"""The API for tests, two ways: in the test process through httpx's ASGITransport (no socket,
no server: what most route tests need), or served for real by uvicorn on a free loopback port,
for the tests that need what only a socket has (raw bytes on the wire, a real peer address,
a download link followed as a browser would)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import anyio.from_thread
import httpx
import uvicorn
from fastapi import FastAPI

from tests.support.postgres import free_port

PEER = ("127.0.0.1", 50000)
"""The client address the in-process transport reports (`request.client`), as a loopback
connection would."""


class InProcessTransport(httpx.BaseTransport):
    """httpx's `ASGITransport`, for a sync `httpx.Client`: the app runs on an event loop in a
    thread of its own, which every request is handed to. The app's lifespan is not run (the
    apps of the tests have nothing to start). An exception the app lets out is a 500, as under
    uvicorn, rather than an exception in the test."""

    def __init__(self, app: FastAPI, *, client: tuple[str, int] = PEER) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=client, raise_app_exceptions=False)
        self._portal_context = anyio.from_thread.start_blocking_portal()
        self._portal = self._portal_context.__enter__()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # the body as bytes, which the async transport can stream too

        async def send() -> httpx.Response:
            response = await self._asgi.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                content=content,
                extensions=response.extensions,
                request=request,
            )

        return self._portal.call(send)

    def close(self) -> None:
        """Nothing: the clients sharing the transport close it as they end, the event loop is
        stopped by `shutdown`."""

    def shutdown(self) -> None:
        self._portal_context.__exit__(None, None, None)


@contextmanager
def in_process(app: FastAPI) -> Iterator[httpx.BaseTransport]:
    """A transport to `app` in this process, for any number of `httpx.Client`s."""
    transport = InProcessTransport(app)
    try:
        yield transport
    finally:
        transport.shutdown()


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 until the block ends; yields its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
