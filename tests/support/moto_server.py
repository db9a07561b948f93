"""moto's server for the AWS adapter tests: real HTTP to SQS and S3 on 127.0.0.1, in a thread of the
test process, started once and shared by every conftest that asks for it.

`running_moto_server()` yields the endpoint URL; `MotoAws` holds clients of it (built once, with
fake credentials) and creates a fresh bucket or a fresh render and mail queue pair, each with its
dead-letter queue, under unique names, so tests never see one another's objects or messages.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from billtrack.adapters.aws.clients import AwsConnection, s3_client, sqs_client
from tests.conftest import running_in_ci
from tests.support.postgres import free_port

REGION = "eu-central-1"
FAKE_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    # Neither a developer's ~/.aws nor an instance's metadata service may leak into a test.
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
CLEARED_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


class MotoUnavailable(Exception):
    """moto's server (the `moto[server]` extra) cannot be imported or started here."""


def use_fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and the test region in the environment, nothing else of AWS's."""
    for name in CLEARED_AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_AWS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


class _SharedServer:
    """One moto server for the whole run, however many conftests use it: started by the first
    user, stopped when the last one is done."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._server: Any = None
        self._endpoint = ""

    def acquire(self) -> str:
        with self._lock:
            if self._server is None:
                self._server, self._endpoint = self._start()
            self._users += 1
            return self._endpoint

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._server is not None:
                self._server.stop()
                self._server = None

    @staticmethod
    def _start() -> tuple[Any, str]:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as missing:
            raise MotoUnavailable(f"moto's server cannot be imported: {missing}") from missing
        # werkzeug logs every request at INFO; a failing test's report needs none of that.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # Port 0: the system picks a free port as it binds, so no other process can take it
        # between choosing and binding (ThreadedMotoServer would wait forever for a failed bind).
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        return server, f"http://{host}:{port}"


_shared = _SharedServer()


@contextmanager
def running_moto_server() -> Iterator[str]:
    """moto's server while the block runs; yields its endpoint URL. Raises `MotoUnavailable`."""
    endpoint = _shared.acquire()
    try:
        yield endpoint
    finally:
        _shared.release()


def moto_endpoint_or_skip() -> Iterator[str]:
    """The body of a `moto_endpoint` fixture: the shared server's endpoint, or a skip (a failure
    under CI=true, where every test must run) when moto's server is not installed."""
    try:
        endpoint = _shared.acquire()
    except MotoUnavailable as unavailable:
        if running_in_ci():
            pytest.fail(f"moto unavailable, and CI=true runs every test: {unavailable}")
        pytest.skip(f"moto unavailable (CI=true makes this a failure): {unavailable}")
    try:
        yield endpoint
    finally:
        _shared.release()


def closed_endpoint() -> str:
    """The URL of a loopback port nobody listens on: connections to it are refused."""
    return f"http://127.0.0.1:{free_port()}"


class _AlwaysUnavailable(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b"<Error><Code>ServiceUnavailable</Code><Message>down</Message></Error>"
        self.send_response(503)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    # http.server calls do_<METHOD>: its names, not ours.
    def do_GET(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests look at what the adapters raise, not at this server's log."""


@contextmanager
def unavailable_endpoint() -> Iterator[str]:
    """An endpoint that answers every request with 503 Service Unavailable."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AlwaysUnavailable)
    thread = threading.Thread(target=server.serve_forever, name="503-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass(frozen=True, slots=True)
class QueueWithDeadLetters:
    """An SQS queue whose redrive policy moves a message to `dead_letter_url` after
    `max_receive_count` receives."""

    name: str
    url: str
    arn: str
    dead_letter_url: str
    max_receive_count: int


@dataclass(frozen=True, slots=True)
class RenderAndMailQueues:
    render: QueueWithDeadLetters
    mail: QueueWithDeadLetters


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class MotoAws:
    """SQS and S3 clients of one moto server, and fresh resources on it."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.connection = AwsConnection(endpoint_url=endpoint, region=REGION)
        # Clients take their credentials from the environment as they are built, and keep them:
        # so the fake environment is needed only while building, and the clients can serve the
        # whole run (building a pair costs a quarter of a second).
        with pytest.MonkeyPatch.context() as monkeypatch:
            use_fake_aws_environment(monkeypatch)
            self.sqs: Any = sqs_client(self.connection)
            self.s3: Any = s3_client(self.connection)

    def create_bucket(self) -> str:
        name = unique_name("billtrack-test")
        self.s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        return name

    def queue_arn(self, queue_url: str) -> str:
        answer = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        return str(answer["Attributes"]["QueueArn"])

    def create_queue(
        self, role: str, *, max_receive_count: int = 3, visibility_timeout: int = 30
    ) -> QueueWithDeadLetters:
        """A queue named for its `role` and its dead-letter queue. A received message stays hidden
        for `visibility_timeout` seconds unless it is released."""
        name = unique_name(f"billtrack-{role}")
        dead_letter_url = self.sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        redrive = {
            "deadLetterTargetArn": self.queue_arn(dead_letter_url),
            "maxReceiveCount": str(max_receive_count),
        }
        url = self.sqs.create_queue(
            QueueName=name,
            Attributes={
                "RedrivePolicy": json.dumps(redrive),
                "VisibilityTimeout": str(visibility_timeout),
            },
        )["QueueUrl"]
        return QueueWithDeadLetters(
            name, url, self.queue_arn(url), dead_letter_url, max_receive_count
        )

    def create_render_and_mail_queues(self, *, max_receive_count: int = 3) -> RenderAndMailQueues:
        return RenderAndMailQueues(
            render=self.create_queue("render", max_receive_count=max_receive_count),
            mail=self.create_queue("mail", max_receive_count=max_receive_count),
        )

    def receive_raw(self, queue_url: str, *, wait_seconds: int = 1) -> list[dict[str, Any]]:
        """Up to ten messages as SQS answers them, with every attribute."""
        answer = self.sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(answer.get("Messages", []))

    def send_raw(self, queue_url: str, body: str, message_type: str | None = None) -> str:
        """Send a body as another producer would; answers the message id."""
        attributes = (
            {"MessageType": {"DataType": "String", "StringValue": message_type}}
            if message_type
            else {}
        )
        answer = self.sqs.send_message(
            QueueUrl=queue_url, MessageBody=body, MessageAttributes=attributes
        )
        return str(answer["MessageId"])


def lambda_record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    """One record of the SQS event Lambda would pass for `message` (a message as ReceiveMessage
    answers it, with all its attributes): Lambda's camelCase names and attribute shape."""
    attributes = message.get("MessageAttributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in attributes.items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


class PresignedUrlOpener:
    """Downloads pre-signed S3 URLs through httpx, as a browser would.

    moto serves a pre-signed URL without checking its expiry (or its signature), so before
    downloading this does the expiry check S3 does: `X-Amz-Date` plus `X-Amz-Expires` against
    the time now plus the time the test has let pass with `let_pass`.
    """

    def __init__(self) -> None:
        self.passed = timedelta(0)

    def let_pass(self, duration: timedelta) -> None:
        self.passed += duration

    def open(self, url: str) -> bytes:
        """The object; `PermissionError` when the URL has expired or S3 refuses it."""
        if datetime.now(UTC) + self.passed > presigned_url_expiry(url):
            raise PermissionError("the pre-signed URL has expired")
        response = httpx.get(url, timeout=10)
        if response.status_code == httpx.codes.FORBIDDEN:
            raise PermissionError(f"S3 refused the pre-signed URL: {response.text}")
        response.raise_for_status()
        return response.content


def presigned_url_expiry(url: str) -> datetime:
    """When a SigV4 pre-signed URL expires: its `X-Amz-Date` plus `X-Amz-Expires` seconds."""
    query = parse_qs(urlsplit(url).query)
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return signed_at + timedelta(seconds=int(query["X-Amz-Expires"][0]))
