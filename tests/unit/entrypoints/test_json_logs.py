"""The Lambda functions' logs: each record one line of JSON with the fields a team searches by
(the HTTP request id, the Lambda request id, the invoice and batch ids), configured once per
container, and only on Lambda."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from billtrack.entrypoints.aws import json_logs
from billtrack.entrypoints.aws.json_logs import (
    JsonLogFormatter,
    configure_json_logging,
    json_log_handler,
    lambda_handler,
    lambda_invocation,
    log_fields,
)
from billtrack.entrypoints.http.middleware import RequestIdLogFilter, request_id


@dataclass
class Context:
    aws_request_id: str


def record(
    message: str = "rendered %s",
    *args: object,
    level: int = logging.INFO,
    exc_info: Any = None,
    **extra: Any,
) -> logging.LogRecord:
    made = logging.LogRecord(
        "billtrack.domain.usecases.pipeline", level, __file__, 42, message, args, exc_info
    )
    made.__dict__.update(extra)
    return made


def formatted(log_record: logging.LogRecord) -> dict[str, Any]:
    line = JsonLogFormatter().format(log_record)
    assert "\n" not in line
    parsed: dict[str, Any] = json.loads(line)
    return parsed


@pytest.fixture
def root_logging() -> Iterator[logging.Logger]:
    """The root logger's handlers and level as they were, after the test; and the container's
    logging not configured yet."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_json_logging.cache_clear()
    try:
        yield root
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        configure_json_logging.cache_clear()


def test_a_record_is_one_json_line_with_its_time_level_logger_and_message() -> None:
    fields = formatted(record("rendered %s in %d ms", "2024-000001", 812))

    assert fields.keys() == {"timestamp", "level", "logger", "message"}
    assert fields["level"] == "INFO"
    assert fields["logger"] == "billtrack.domain.usecases.pipeline"
    assert fields["message"] == "rendered 2024-000001 in 812 ms"
    assert fields["timestamp"].endswith("Z")
    assert len(fields["timestamp"]) == len("2026-11-02T08:15:00.123Z")


def test_the_invoice_and_batch_ids_a_record_carries_are_fields() -> None:
    invoice_id, batch_id = uuid.uuid4(), uuid.uuid4()

    fields = formatted(record(invoice_id=invoice_id, batch_id=str(batch_id), attempt=2))

    assert fields["invoice_id"] == str(invoice_id)
    assert fields["batch_id"] == str(batch_id)
    assert fields["attempt"] == 2


def test_the_fields_of_a_block_are_on_every_line_logged_in_it() -> None:
    invoice_id = uuid.uuid4()

    with log_fields(invoice_id=invoice_id, batch_id="batch-7"):
        with log_fields(attempt=3):
            inner = formatted(record())
        own = formatted(record(invoice_id="given-by-the-record"))
    after = formatted(record())

    assert (inner["invoice_id"], inner["batch_id"], inner["attempt"]) == (
        str(invoice_id),
        "batch-7",
        3,
    )
    assert own["invoice_id"] == "given-by-the-record"
    assert "attempt" not in own
    assert {"invoice_id", "batch_id"}.isdisjoint(after)


def test_the_http_request_id_is_taken_from_the_middleware_while_a_request_is_served() -> None:
    token = request_id.set("req-4711")
    try:
        inside = formatted(record())
    finally:
        request_id.reset(token)
    outside = formatted(record())

    assert inside["request_id"] == "req-4711"
    assert "request_id" not in outside


def test_the_request_id_a_filter_put_on_the_record_is_used_and_its_placeholder_left_out() -> None:
    with_filter = record()
    RequestIdLogFilter().filter(with_filter)  # outside a request: "-"

    assert "request_id" not in formatted(with_filter)
    assert formatted(record(request_id="req-1"))["request_id"] == "req-1"


def test_the_lambda_request_id_is_a_field_during_an_invocation() -> None:
    with lambda_invocation(Context("8f5e1c0a-1111-2222-3333-444455556666")):
        inside = formatted(record())
    outside = formatted(record())

    assert inside["lambda_request_id"] == "8f5e1c0a-1111-2222-3333-444455556666"
    assert "lambda_request_id" not in outside


def test_an_exception_stays_in_the_same_line() -> None:
    try:
        raise RuntimeError("Chromium did not start")
    except RuntimeError:
        fields = formatted(record("render failed", level=logging.ERROR, exc_info=sys.exc_info()))

    assert fields["level"] == "ERROR"
    assert fields["error_type"] == "RuntimeError"
    assert "Traceback (most recent call last)" in fields["exception"]
    assert "RuntimeError: Chromium did not start" in fields["exception"]


def test_values_json_has_no_type_for_are_written_as_text() -> None:
    fields = formatted(record(amount=object(), names={"b"}))

    assert fields["amount"].startswith("<object object")
    assert fields["names"] == "{'b'}"


def test_the_handler_writes_to_the_standard_output_of_the_moment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = json_log_handler()
    handler.handle(record("to whatever stdout is now"))

    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["message"] == "to whatever stdout is now"


def test_on_lambda_a_handler_logs_json_lines_naming_its_invocation_configured_once(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_logging: logging.Logger,
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "billtrack-RenderWorker")
    log = logging.getLogger("billtrack.tests.handler")
    invoice_id = uuid.uuid4()

    @lambda_handler
    def handler(event: dict[str, str], context: object) -> str:
        log.info("handling %s", event["name"], extra={"invoice_id": invoice_id})
        return "done"

    assert handler({"name": "first"}, Context("request-1")) == "done"
    configured = root_logging.handlers[:]
    assert handler({"name": "second"}, Context("request-2")) == "done"

    assert root_logging.handlers == configured  # configured once, on the first event
    (only,) = configured
    assert isinstance(only.formatter, JsonLogFormatter)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["message"], line["lambda_request_id"]) for line in lines] == [
        ("handling first", "request-1"),
        ("handling second", "request-2"),
    ]
    assert {line["invoice_id"] for line in lines} == {str(invoice_id)}
    assert json_logs.lambda_request_id.get() is None


def test_off_lambda_a_handler_leaves_the_logging_of_the_process_alone(
    monkeypatch: pytest.MonkeyPatch, root_logging: logging.Logger
) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    before = root_logging.handlers[:]

    @lambda_handler
    def handler(event: None, context: object) -> str | None:
        return json_logs.lambda_request_id.get()

    assert handler(None, Context("request-3")) == "request-3"
    assert root_logging.handlers == before


def test_the_aws_handlers_are_wrapped() -> None:
    from billtrack.entrypoints.aws import api, mailer, render_worker, sweeper

    for module in (api, mailer, render_worker, sweeper):
        assert getattr(module.handler, "__wrapped__", None) is not None, module.__name__
