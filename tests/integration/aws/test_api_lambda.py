"""The API Lambda driven as API Gateway drives it: HTTP API events (payload format 2.0) in, the
answers Lambda hands back to API Gateway out, on PostgreSQL and moto's SQS and S3, the application
and the app bootstrapped once per container from the `BILLTRACK_*` environment.

One invoice is followed from the login to its downloaded PDF: created through the API handler,
rendered by the render worker handler from an SQS event built of the messages really received
from the render queue, and downloaded from moto through the pre-signed URL the API handler
answers.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from billtrack.domain.model.views import InvoiceView
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.entrypoints.aws import api, container, render_worker
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.settings import Settings
from tests.support.moto_server import (
    REGION,
    MotoAws,
    PresignedUrlOpener,
    RenderAndMailQueues,
    lambda_record,
)

SECRET = "lambda-api-test-secret-" + "k" * 24
API_ID = "a1b2c3d4e5"
EMAIL = "accountant@example.com"
PASSWORD = "correct horse battery staple"


@dataclass
class LambdaContext:
    """The fields of Lambda's context object a handler may read."""

    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_name: str = "billtrack-ApiFunction"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = (
        f"arn:aws:lambda:{REGION}:123456789012:function:billtrack-ApiFunction"
    )

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def http_api_event(
    method: str,
    path: str,
    *,
    query: str = "",
    body: Any = None,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """An API Gateway HTTP API event (payload format 2.0) of the `$default` route, as API
    Gateway builds it: lower-case headers, the raw path and query string, the request context."""
    request_id = base64.b64encode(uuid.uuid4().bytes[:10]).decode()
    source_ip = "203.0.113.7"
    all_headers = {
        "accept": "application/json",
        "accept-encoding": "gzip, deflate",
        "host": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
        "user-agent": "billtrack-tests/1.0",
        "x-amzn-trace-id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}",
        "x-forwarded-for": source_ip,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if token is not None:
        all_headers["authorization"] = f"Bearer {token}"
    raw_body: str | None = None
    if body is not None:
        raw_body = json.dumps(body)
        all_headers["content-type"] = "application/json"
        all_headers["content-length"] = str(len(raw_body.encode()))
    all_headers.update({name.lower(): value for name, value in (headers or {}).items()})
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": API_ID,
            "domainName": all_headers["host"],
            "domainPrefix": API_ID,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": all_headers["user-agent"],
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(parse_qsl(query, keep_blank_values=True))
    if raw_body is not None:
        if base64_body:
            event["body"] = base64.b64encode(raw_body.encode()).decode()
            event["isBase64Encoded"] = True
        else:
            event["body"] = raw_body
    return event


@dataclass(frozen=True)
class Answer:
    """What the API handler answered, as API Gateway reads it."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @classmethod
    def of(cls, response: Mapping[str, Any]) -> Answer:
        raw = response.get("body", "")
        body = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()
        return cls(int(response["statusCode"]), dict(response.get("headers", {})), body)

    def json(self) -> Any:
        return json.loads(self.body)


class LambdaContainer:
    """The Lambda containers of a test: the environment set, the cached application and app
    cleared before and after, each bootstrap counted."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, environment: Mapping[str, str]) -> None:
        self.bootstraps = 0
        # A handler configures JSON logs only on Lambda; the test process keeps its own.
        monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)

        def counted_bootstrap(settings: Settings, **overrides: Any) -> Application:
            self.bootstraps += 1
            return bootstrap(settings, **overrides)

        monkeypatch.setattr(container, "bootstrap", counted_bootstrap)

    def invoke(self, event: dict[str, Any]) -> Answer:
        return Answer.of(api.handler(event, LambdaContext()))

    @staticmethod
    def clear() -> None:
        api.asgi_handler.cache_clear()
        if container.application.cache_info().currsize:
            container.application().close()
        container.application.cache_clear()


def billtrack_environment(
    aws: MotoAws, queues: RenderAndMailQueues, bucket: str, database_url: str, data_dir: Path
) -> dict[str, str]:
    """The `BILLTRACK_*` variables deploy/template.yaml gives the functions, on moto's server."""
    return {
        "BILLTRACK_DATA_DIR": str(data_dir),
        "BILLTRACK_DATABASE_URL": database_url,
        "BILLTRACK_JWT_SECRET": SECRET,
        "BILLTRACK_QUEUE": "sqs",
        "BILLTRACK_SQS_QUEUE_URL": queues.render.url,
        "BILLTRACK_SQS_MAIL_QUEUE_URL": queues.mail.url,
        "BILLTRACK_SQS_MAX_RECEIVE": str(queues.render.max_receive_count),
        "BILLTRACK_STORAGE": "s3",
        "BILLTRACK_S3_BUCKET": bucket,
        "BILLTRACK_AWS_ENDPOINT_URL": aws.endpoint,
        "BILLTRACK_PDF_RENDERER": "builtin",
    }


@pytest.fixture
def lambda_container(
    monkeypatch: pytest.MonkeyPatch,
    aws: MotoAws,
    sqs_queues: RenderAndMailQueues,
    s3_bucket: str,
    postgres_url: str,
    clean_postgres: Engine,
    tmp_path: Path,
) -> Iterator[LambdaContainer]:
    LambdaContainer.clear()
    environment = billtrack_environment(aws, sqs_queues, s3_bucket, postgres_url, tmp_path)
    made = LambdaContainer(monkeypatch, environment)
    try:
        yield made
    finally:
        LambdaContainer.clear()


def log_in(lambda_container: LambdaContainer) -> str:
    container.application().add_user(EMAIL, PASSWORD)
    # API Gateway hands a body over base64-encoded when it sees fit; the app reads both.
    answer = lambda_container.invoke(
        http_api_event(
            "POST", "/api/login", body={"username": EMAIL, "password": PASSWORD}, base64_body=True
        )
    )
    assert answer.status == 200, answer.body
    token: str = answer.json()["jwtToken"]
    return token


def created(answer: Answer, resource: str) -> dict[str, Any]:
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.json()
    assert answer.headers["location"] == f"/api/{resource}/{body['id']}"
    return body


def render_from_queue(aws: MotoAws, queues: RenderAndMailQueues, expected: int) -> dict[str, Any]:
    """Run the render worker handler on an event of the messages the render queue really holds,
    then delete those its answer does not name, as Lambda's event source mapping does."""
    messages: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 10
    while len(messages) < expected:
        assert time.monotonic() < deadline, f"{len(messages)} of {expected} render messages came"
        for message in aws.receive_raw(queues.render.url, wait_seconds=1):
            messages[message["MessageId"]] = message
    event = {"Records": [lambda_record(m, queues.render.arn) for m in messages.values()]}
    response = render_worker.handler(event, LambdaContext(function_name="billtrack-RenderWorker"))
    failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
    for record in event["Records"]:
        if record["messageId"] not in failed:
            aws.sqs.delete_message(
                QueueUrl=queues.render.url, ReceiptHandle=record["receiptHandle"]
            )
    return response


def test_an_invoice_from_login_to_its_downloaded_pdf_through_the_lambdas(
    lambda_container: LambdaContainer, aws: MotoAws, sqs_queues: RenderAndMailQueues
) -> None:
    token = log_in(lambda_container)

    def call(method: str, path: str, body: Any = None, query: str = "") -> Answer:
        return lambda_container.invoke(
            http_api_event(method, path, body=body, token=token, query=query)
        )

    department = created(call("POST", "/api/departments", {"name": "Engineering"}), "departments")
    project = created(call("POST", "/api/projects", {"name": "Apollo"}), "projects")
    employee = created(
        call(
            "POST",
            "/api/employees",
            {
                "email": "ada@example.com",
                "firstname": "Ada",
                "lastname": "Lovelace",
                "salary": "4000.00",
                "departmentId": department["id"],
                "projectId": project["id"],
            },
        ),
        "employees",
    )
    for day in ("2024-10-01", "2024-10-02"):
        created(
            call("POST", "/api/workdays", {"date": day, "hours": 8, "employeeId": employee["id"]}),
            "workdays",
        )
    invoice = created(
        call("POST", "/api/invoices", {"month": 10, "year": 2024, "employeeId": employee["id"]}),
        "invoices",
    )
    # The contract's example: 4000.00 in October 2024 (23 weekdays), 16 hours.
    assert invoice["amount"] == 347.83
    assert invoice["status"] == "pending"
    listed = call("GET", "/api/invoices", query="page=1&pageSize=10&filterByMonth=10")
    assert listed.status == 200, listed.body
    assert [item["id"] for item in listed.json()["items"]] == [invoice["id"]]
    not_yet = call("GET", f"/api/invoices/{invoice['id']}/pre-signed-url")
    assert not_yet.status == 409, not_yet.body
    assert not_yet.headers["content-type"].startswith("application/problem+json")

    assert render_from_queue(aws, sqs_queues, expected=1) == {"batchItemFailures": []}

    read = call("GET", f"/api/invoices/{invoice['id']}")
    assert read.status == 200, read.body
    assert read.json()["status"] == "generated"
    assert read.json()["isUrlReady"] is True
    link = call("GET", f"/api/invoices/{invoice['id']}/pre-signed-url")
    assert link.status == 200, link.body
    url = link.json()
    assert isinstance(url, str)
    assert url.startswith(f"{aws.endpoint}/")
    assert "X-Amz-Signature=" in url
    pdf = PresignedUrlOpener().open(url)
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert invoice["number"] in text
    # Every event of the test came to one container: bootstrapped once, the app built once.
    assert lambda_container.bootstraps == 1
    assert api.asgi_handler.cache_info().misses == 1
    assert api.asgi_handler.cache_info().hits >= 10


def test_readiness_needs_no_token_and_checks_every_dependency(
    lambda_container: LambdaContainer,
) -> None:
    answer = lambda_container.invoke(http_api_event("GET", "/api/health/ready"))

    assert answer.status == 200, answer.body
    assert answer.json() == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "render queue": "ok",
            "mail queue": "ok",
            "storage": "ok",
        },
    }


def test_requests_are_named_by_the_gateway_request_id_unless_the_caller_names_them(
    lambda_container: LambdaContainer,
) -> None:
    event = http_api_event("GET", "/api/health/live")
    event["requestContext"]["requestId"] = "cBT+bj/XiIAMEVfA="
    answer = lambda_container.invoke(event)
    assert answer.status == 200, answer.body
    # API Gateway's id, in the URL-safe alphabet and without the padding request ids may not hold.
    assert answer.headers["x-request-id"] == "cBT-bj_XiIAMEVfA"

    named = lambda_container.invoke(
        http_api_event("GET", "/api/health/live", headers={"X-Request-Id": "caller-123"})
    )
    assert named.headers["x-request-id"] == "caller-123"


def test_without_a_token_the_api_answers_a_problem(lambda_container: LambdaContainer) -> None:
    answer = lambda_container.invoke(http_api_event("GET", "/api/invoices"))

    assert answer.status == 401, answer.body
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["status"] == 401


def test_a_wrong_password_is_refused(lambda_container: LambdaContainer) -> None:
    container.application().add_user(EMAIL, PASSWORD)
    answer = lambda_container.invoke(
        http_api_event("POST", "/api/login", body={"username": EMAIL, "password": "not it at all"})
    )

    assert answer.status in {400, 401}, answer.body
    assert "jwtToken" not in answer.json()


def test_the_openapi_document_is_served_through_the_gateway(
    lambda_container: LambdaContainer,
) -> None:
    answer = lambda_container.invoke(http_api_event("GET", "/api/openapi.json"))

    assert answer.status == 200, answer.body
    assert "/api/invoices/{id}/pre-signed-url" in answer.json()["paths"]


def october_invoice(
    app: Application, firstname: str, lastname: str, *, hours: Decimal = Decimal(8)
) -> InvoiceView:
    """The invoice of a new employee (with a department and a project of their own) who logged
    `hours` on one day of October 2024."""
    department = app.departments.create(f"{lastname} department")
    project = app.projects.create(f"{lastname} project")
    employee = app.create_employee(
        EmployeeDetails(
            email=f"{firstname}.{lastname}@example.com".lower(),
            firstname=firstname,
            lastname=lastname,
            salary=Decimal("5000.00"),
            department_id=department.id,
            project_id=project.id,
        )
    ).employee
    app.log_workday(WorkdayDetails(day=date(2024, 10, 3), hours=hours, employee_id=employee.id))
    return app.create_invoice(InvoiceDetails(year=2024, month=10, employee_id=employee.id))


def test_the_download_is_the_object_in_the_bucket(
    lambda_container: LambdaContainer, aws: MotoAws, sqs_queues: RenderAndMailQueues, s3_bucket: str
) -> None:
    token = log_in(lambda_container)
    app = container.application()
    view = october_invoice(app, "Grace", "Hopper", hours=Decimal(6))
    assert render_from_queue(aws, sqs_queues, expected=1) == {"batchItemFailures": []}

    link = lambda_container.invoke(
        http_api_event("GET", f"/api/invoices/{view.invoice.id}/pre-signed-url", token=token)
    )

    assert link.status == 200, link.body
    stored = app.get_invoice(view.invoice.id).invoice
    assert stored.pdf_key is not None
    in_bucket = aws.s3.get_object(Bucket=s3_bucket, Key=stored.pdf_key)["Body"].read()
    downloaded = httpx.get(link.json(), timeout=10)
    assert downloaded.status_code == 200
    assert downloaded.content == in_bucket
    assert downloaded.headers["content-type"] == "application/pdf"
    assert lambda_container.bootstraps == 1


def test_the_handler_still_serves_after_code_in_its_thread_ran_its_own_event_loop(
    lambda_container: LambdaContainer,
) -> None:
    assert lambda_container.invoke(http_api_event("GET", "/api/health/live")).status == 200
    mangums_loop = asyncio.get_event_loop()

    asyncio.run(asyncio.sleep(0))  # leaves the thread without a current event loop
    mangums_loop.close()

    assert lambda_container.invoke(http_api_event("GET", "/api/health/live")).status == 200
