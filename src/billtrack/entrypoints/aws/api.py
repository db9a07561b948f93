"""The API Lambda: API Gateway HTTP API events (payload format 2.0) served by the FastAPI app.

The same app as `billtrack serve`, through Mangum. The application and the app are built on the
first event of a container and kept for the next ones. On Lambda the app has no start work (no
worker, no first user: `billtrack users add` creates users), so Mangum runs it without its
lifespan; the container's connections close when Lambda ends the container.

The routes are under `/api`, as everywhere: the HTTP API's `$default` route sends every path here.
A request keeps the `X-Request-Id` its caller sent; without one it takes API Gateway's request id
(`requestContext.requestId`, the `$context.requestId` of the access log), so the answer's
`X-Request-Id`, the function's log lines and the access log name a request alike. That id is
base64, and request ids hold letters, digits, `.`, `_` and `-` only: it is written in base64's
URL-safe alphabet (`+` as `-`, `/` as `_`) without its `=` padding, `cBT+bj/XiIAMEVfA=` as
`cBT-bj_XiIAMEVfA`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from typing import Any

from mangum import Mangum

from billtrack.entrypoints.aws.container import application
from billtrack.entrypoints.aws.json_logs import lambda_handler
from billtrack.entrypoints.http.app import create_app
from billtrack.entrypoints.settings import Settings

REQUEST_ID_HEADER = "x-request-id"
_URL_SAFE = str.maketrans("+/", "-_")


@functools.cache
def asgi_handler() -> Mangum:
    """The container's app over its application, adapted to Lambda events."""
    return Mangum(create_app(Settings(), application()), lifespan="off")


@lambda_handler
def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    serve = asgi_handler()
    _ensure_event_loop()
    return serve(dict(_with_request_id(event)), context)  # type: ignore[arg-type]


def _with_request_id(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event, with API Gateway's request id as `X-Request-Id` when the caller sent none."""
    headers: Mapping[str, str] = event.get("headers") or {}
    if any(name.lower() == REQUEST_ID_HEADER for name in headers):
        return event
    gateway_id = str((event.get("requestContext") or {}).get("requestId") or "")
    gateway_id = gateway_id.translate(_URL_SAFE).rstrip("=")
    if not gateway_id:
        return event
    return {**event, "headers": {**headers, REQUEST_ID_HEADER: gateway_id}}


def _ensure_event_loop() -> None:
    """Mangum runs each request on the thread's current event loop, which it sets when it is
    built; should that loop have been closed or unset since (`asyncio.run` in the same thread
    unsets it), a new one."""
    try:
        loop = asyncio.get_event_loop()
    except RuntimeError:
        loop = None
    if loop is None or loop.is_closed():
        asyncio.set_event_loop(asyncio.new_event_loop())
