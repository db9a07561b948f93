"""ASGI middleware: a request id on every answer and log line, a problem for any crash, and query
strings made to read as the original's clients mean them."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from billtrack.entrypoints.http.problems import unexpected

log = logging.getLogger(__name__)
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every log record, for a format like `%(request_id)s %(message)s`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class RequestContext:
    """Tags the request with an id (the caller's X-Request-Id when it is sane, else a new one),
    returns it in X-Request-Id, and turns an unhandled exception into a 500 problem that says
    nothing but that id: the details go to the log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        current = given if _ACCEPTABLE_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(current)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                message["headers"] = [*headers, (b"x-request-id", current.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception(
                "unhandled error in %s %s (request %s)",
                scope.get("method"),
                scope.get("path"),
                current,
            )
            if started:
                raise
            await unexpected()(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


class ContractQueryString:
    """Query parameters as the contract reads them: names in any case, and an empty value is the
    same as no parameter (`filterByName=`)."""

    def __init__(self, app: ASGIApp, names: Iterable[str]) -> None:
        self.app = app
        self._canonical = {name.lower(): name for name in names}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            kept = [(self._canonical.get(k.lower(), k), v) for k, v in pairs if v != ""]
            scope = {**scope, "query_string": urlencode(kept).encode("latin-1")}
        await self.app(scope, receive, send)
