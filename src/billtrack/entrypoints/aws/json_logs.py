"""Logs a team can search on AWS: one JSON object per line, configured once per Lambda container.

CloudWatch Logs keeps each line a function writes as one event, and Logs Insights discovers the
fields of a JSON event by itself, so a line like

    {"timestamp": "2026-11-02T08:15:00.123Z", "level": "INFO", "logger": "billtrack...",
     "message": "...", "request_id": "...", "lambda_request_id": "...", "invoice_id": "..."}

is found with `filter invoice_id = "..."` (see deploy/README.md). The fields:

- `timestamp` (UTC, ISO 8601 with milliseconds), `level`, `logger`, `message`;
- `request_id`: the HTTP request's id (the `X-Request-Id` the API answers with, on Lambda the
  API Gateway request id), when the line was logged while a request was served;
- `lambda_request_id`: the invocation's `context.aws_request_id`, as Lambda's own START, END and
  REPORT lines name it;
- `invoice_id`, `batch_id` and any other field a record carries as `extra`
  (`log.info("...", extra={"invoice_id": invoice.id})`) or that `log_fields` gives every line
  logged while a block runs (`with log_fields(invoice_id=job.invoice_id): app.handle(job)`),
  values that JSON has no type for as text;
- `exception` (the traceback, in the same one line) when the record has one.

On a terminal nothing changes: the long-running commands keep `entrypoints.logs`' plain lines.
The handlers configure these logs only where they run on Lambda (the runtime sets
`AWS_LAMBDA_FUNCTION_NAME`, `sam local invoke` too), so calling a handler from a test or a script
leaves that process's logging as it was.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TextIO, TypeVar

EventT = TypeVar("EventT")
ResultT = TypeVar("ResultT")

LAMBDA_FUNCTION_VARIABLE = "AWS_LAMBDA_FUNCTION_NAME"
"""Set by the Lambda runtime (and by `sam local invoke`) in every function's environment."""
NO_REQUEST = "-"
"""The request id context variable's value outside a request."""
HTTP_MIDDLEWARE_MODULE = "billtrack.entrypoints.http.middleware"

lambda_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "lambda_request_id", default=None
)
"""The `aws_request_id` of the invocation being handled, None outside one."""
_block_fields: contextvars.ContextVar[Mapping[str, object] | None] = contextvars.ContextVar(
    "log_fields", default=None
)

_FIRST_FIELDS = ("request_id", "lambda_request_id", "invoice_id", "batch_id")
# What every LogRecord has: anything else on a record came as `extra`. "message" and "asctime"
# are set by formatters; "taskName" exists from Python 3.12 on.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", logging.INFO, "", 0, "", (), None).__dict__
) | {"message", "asctime", "taskName"}


class JsonLogFormatter(logging.Formatter):
    """A log record as one line of JSON (see the module's documentation for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "timestamp": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        http_request = getattr(record, "request_id", None) or _current_http_request()
        if http_request and http_request != NO_REQUEST:
            fields["request_id"] = http_request
        invocation = getattr(record, "lambda_request_id", None) or lambda_request_id.get()
        if invocation:
            fields["lambda_request_id"] = invocation
        given = _block_fields.get() or {}
        for name in ("invoice_id", "batch_id"):
            value = getattr(record, name, None)
            if value is None:
                value = given.get(name)
            if value is not None:
                fields[name] = value
        for name, value in given.items():
            fields.setdefault(name, value)
        for name, value in record.__dict__.items():
            if name not in _RECORD_ATTRIBUTES and name not in _FIRST_FIELDS:
                fields[name] = value
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
            if record.exc_info[0] is not None:
                fields["error_type"] = record.exc_info[0].__name__
        elif record.exc_text:
            fields["exception"] = record.exc_text
        if record.stack_info:
            fields["stack"] = self.formatStack(record.stack_info)
        return json.dumps(fields, ensure_ascii=False, default=str)


def _current_http_request() -> str | None:
    """The id of the HTTP request being served, read from the API's middleware. A process that
    has not loaded the middleware (the SQS workers) serves no request, and so does not load it
    (nor FastAPI with it) for its log lines."""
    middleware = sys.modules.get(HTTP_MIDDLEWARE_MODULE)
    if middleware is None:
        return None
    current: str = middleware.request_id.get()
    return current


def _timestamp(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class StandardOutputHandler(logging.StreamHandler[TextIO]):
    """A stream handler on whatever `sys.stdout` is when a record comes (as `logging.lastResort`
    is on `sys.stderr`): Lambda sends a function's standard output to CloudWatch Logs."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _: TextIO) -> None:
        """Ignored: the stream is always the current standard output."""


def json_log_handler(level: int = logging.NOTSET) -> logging.Handler:
    """A handler that writes each record as a line of JSON to standard output."""
    handler = StandardOutputHandler()
    handler.setLevel(level)
    handler.setFormatter(JsonLogFormatter())
    return handler


@functools.cache
def configure_json_logging(level: int = logging.INFO) -> None:
    """JSON lines on standard output for every logger, instead of the Lambda runtime's handler;
    once per container (later calls do nothing)."""
    root = logging.getLogger()
    root.handlers[:] = [json_log_handler()]
    root.setLevel(level)


def on_lambda() -> bool:
    return bool(os.environ.get(LAMBDA_FUNCTION_VARIABLE))


@contextmanager
def log_fields(**fields: object) -> Iterator[None]:
    """While the block runs, every JSON line has these fields too (a record's own `extra` wins):
    `with log_fields(invoice_id=job.invoice_id): ...`."""
    token = _block_fields.set({**(_block_fields.get() or {}), **fields})
    try:
        yield
    finally:
        _block_fields.reset(token)


@contextmanager
def lambda_invocation(context: object) -> Iterator[None]:
    """While the block runs, log lines name the invocation's `aws_request_id` (if it has one)."""
    token = lambda_request_id.set(getattr(context, "aws_request_id", None))
    try:
        yield
    finally:
        lambda_request_id.reset(token)


def lambda_handler(
    function: Callable[[EventT, object], ResultT],
) -> Callable[[EventT, object], ResultT]:
    """A Lambda handler whose log lines are JSON on Lambda, each naming its invocation."""

    @functools.wraps(function)
    def handler(event: EventT, context: object) -> ResultT:
        if on_lambda():
            configure_json_logging()
        with lambda_invocation(context):
            return function(event, context)

    return handler
