"""What the pipeline-on-AWS tests share: a rig of one test's resources (fresh SQS queues with their
dead-letter queues, a fresh bucket, the run's PostgreSQL emptied, a data folder), applications
bootstrapped on it, the ports those tests wrap to count or to fail, and the CLI as a subprocess.

Every test of these files shows that nothing is lost and nothing is done twice: it counts the
renders (`RecordingPdfRenderer.rendered`), the objects in the bucket (with S3 versioning on, every
put of a key is one more version), the mails sent, and reads the dead-letter queues.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic
from uuid import UUID

from pydantic import SecretStr

from billtrack.adapters.aws.clients import AwsConnection, s3_client, sqs_client
from billtrack.adapters.aws.messages import MAIL_MESSAGES, RENDER_MESSAGES
from billtrack.adapters.aws.s3_storage import S3ObjectStorage
from billtrack.adapters.aws.sqs_queue import RedeliveryBackoff, SqsJobQueue
from billtrack.domain.model.invoice import Invoice, InvoiceStatus
from billtrack.domain.model.views import InvoiceView
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.settings import Settings
from billtrack.entrypoints.worker.runner import Worker, WorkerReport
from billtrack.ports.clock import Clock
from billtrack.ports.errors import DependencyUnavailable
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.mail import Mailer, MailMessage
from billtrack.ports.queues import Delivery, JobQueue, JobT
from billtrack.ports.rendering import InvoiceDocument, PdfRenderer
from billtrack.ports.security import PasswordHasher, TokenIssuer
from billtrack.ports.storage import ObjectStorage
from billtrack.ports.unit_of_work import UnitOfWork
from tests.fakes.clock import ManualClock
from tests.fakes.security import FastPasswordHasher, InMemoryTokenIssuer
from tests.support.moto_server import (
    CLEARED_AWS_VARIABLES,
    FAKE_AWS_ENVIRONMENT,
    REGION,
    MotoAws,
    QueueWithDeadLetters,
    RenderAndMailQueues,
    lambda_record,
)

NOW = datetime(2024, 11, 15, 12, 0, tzinfo=UTC)
"""The in-process tests' time: the invoiced month below is in the past."""
YEAR, MONTH = 2024, 10
SECRET = "x" * 40
NO_BACKOFF = RedeliveryBackoff(base_seconds=0)
"""A released message is visible again at once, so tests never wait for a redelivery."""
DEFAULT_TIMEOUT = 60.0


@dataclass
class CloudRig:
    """One test's SQS queues, bucket, PostgreSQL database and data folder, and the applications
    built on them (closed when the test ends)."""

    aws: MotoAws
    queues: RenderAndMailQueues
    bucket: str
    database_url: str
    data_dir: Path
    built: list[Application] = field(default_factory=list)

    # -- settings and environment ------------------------------------------------------------

    def settings(self, **changes: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": self.data_dir,
            "jwt_secret": SecretStr(SECRET),
            "database_url": self.database_url,
            "queue": "sqs",
            "sqs_queue_url": self.queues.render.url,
            "sqs_mail_queue_url": self.queues.mail.url,
            "sqs_max_receive": self.queues.render.max_receive_count,
            "storage": "s3",
            "s3_bucket": self.bucket,
            "aws_endpoint_url": self.aws.endpoint,
            "pdf_renderer": "builtin",
        }
        return Settings(**{**values, **changes})

    def billtrack_environment(self) -> dict[str, str]:
        """The `BILLTRACK_*` variables of `settings()`, for a Lambda or a CLI process."""
        return {
            "BILLTRACK_DATA_DIR": str(self.data_dir),
            "BILLTRACK_JWT_SECRET": SECRET,
            "BILLTRACK_DATABASE_URL": self.database_url,
            "BILLTRACK_QUEUE": "sqs",
            "BILLTRACK_SQS_QUEUE_URL": self.queues.render.url,
            "BILLTRACK_SQS_MAIL_QUEUE_URL": self.queues.mail.url,
            "BILLTRACK_SQS_MAX_RECEIVE": str(self.queues.render.max_receive_count),
            "BILLTRACK_STORAGE": "s3",
            "BILLTRACK_S3_BUCKET": self.bucket,
            "BILLTRACK_AWS_ENDPOINT_URL": self.aws.endpoint,
            "BILLTRACK_PDF_RENDERER": "builtin",
        }

    def process_environment(self, **extra: str) -> dict[str, str]:
        """This process's environment without any BILLTRACK_ or AWS variable of its own, plus
        the fake AWS credentials and the rig's settings: for `billtrack` as a subprocess."""
        kept = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("BILLTRACK_") and name not in CLEARED_AWS_VARIABLES
        }
        return {**kept, **FAKE_AWS_ENVIRONMENT, **self.billtrack_environment(), **extra}

    # -- applications ------------------------------------------------------------------------

    def render_queue(self, queue: QueueWithDeadLetters | None = None) -> SqsJobQueue[RenderJob]:
        """The render queue without a redelivery backoff."""
        queue = queue or self.queues.render
        return SqsJobQueue(
            self.aws.sqs,
            queue.url,
            RENDER_MESSAGES,
            max_attempts=queue.max_receive_count,
            backoff=NO_BACKOFF,
        )

    def mail_queue(self, queue: QueueWithDeadLetters | None = None) -> SqsJobQueue[MailJob]:
        """The mail queue without a redelivery backoff."""
        queue = queue or self.queues.mail
        return SqsJobQueue(
            self.aws.sqs,
            queue.url,
            MAIL_MESSAGES,
            max_attempts=queue.max_receive_count,
            backoff=NO_BACKOFF,
        )

    def app(
        self,
        *,
        clock: Clock | None = None,
        renderer: PdfRenderer | None = None,
        mailer: Mailer | None = None,
        render_queue: JobQueue[RenderJob] | None = None,
        mail_queue: JobQueue[MailJob] | None = None,
        storage: ObjectStorage | None = None,
        hasher: PasswordHasher | None = None,
        tokens: TokenIssuer | None = None,
        new_uow: Callable[[], UnitOfWork] | None = None,
        **settings: Any,
    ) -> Application:
        """The application of `settings()` (SQS, S3, PostgreSQL, builtin PDFs), its queues
        without backoff unless given, and a fast hasher. `clock=None` is the system clock."""
        app = bootstrap(
            self.settings(**settings),
            new_uow=new_uow,
            clock=clock,
            renderer=renderer,
            mailer=mailer,
            render_queue=render_queue if render_queue is not None else self.render_queue(),
            mail_queue=mail_queue if mail_queue is not None else self.mail_queue(),
            storage=storage,
            hasher=hasher if hasher is not None else FastPasswordHasher(),
            tokens=tokens
            if tokens is not None
            else (InMemoryTokenIssuer(clock.now) if clock is not None else None),
        )
        self.built.append(app)
        return app

    def close(self) -> None:
        for app in reversed(self.built):
            app.close()
        self.built.clear()

    # -- what is in the bucket and the queues -------------------------------------------------

    def enable_versioning(self) -> None:
        """Keep every put of a key as a version of its own, so the puts can be counted."""
        self.aws.s3.put_bucket_versioning(
            Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"}
        )

    def stored_keys(self) -> list[str]:
        keys: list[str] = []
        for page in self.aws.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def puts_by_key(self) -> Counter[str]:
        """How often each key was written (the bucket's versions; see `enable_versioning`)."""
        puts: Counter[str] = Counter()
        pages = self.aws.s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket)
        for page in pages:
            puts.update(version["Key"] for version in page.get("Versions", []))
        return puts

    def dead_letters(self, queue: QueueWithDeadLetters) -> list[dict[str, Any]]:
        """Every message in the queue's dead-letter queue (received, and left there)."""
        found: dict[str, dict[str, Any]] = {}
        while batch := self.aws.receive_raw(queue.dead_letter_url, wait_seconds=0):
            found.update((message["MessageId"], message) for message in batch)
        return list(found.values())

    def depth(self, queue: QueueWithDeadLetters) -> int:
        """Messages in the queue: waiting, in flight or delayed."""
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        answer = self.aws.sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=names)
        return sum(int(answer["Attributes"].get(name, 0)) for name in names)


def unreachable_sqs_queue(queue: QueueWithDeadLetters, endpoint: str) -> SqsJobQueue[RenderJob]:
    """The render queue as seen through `endpoint` (a closed port, say), asking once per call."""
    client = sqs_client(AwsConnection(endpoint_url=endpoint, region=REGION, total_attempts=1))
    url = f"{endpoint}/123456789012/{queue.name}"
    return SqsJobQueue(client, url, RENDER_MESSAGES, max_attempts=queue.max_receive_count)


def s3_storage_at(endpoint: str, bucket: str) -> S3ObjectStorage:
    """The bucket as seen through `endpoint`, asking once per call (no retries)."""
    connection = AwsConnection(endpoint_url=endpoint, region=REGION, total_attempts=1)
    return S3ObjectStorage(bucket, s3_client(connection))


# -- data ------------------------------------------------------------------------------------


def seed_employees(
    app: Application,
    count: int,
    *,
    workdays: int = 3,
    periods: Sequence[tuple[int, int]] = ((YEAR, MONTH),),
    names: Callable[[int], tuple[str, str]] | None = None,
) -> list[UUID]:
    """`count` employees of one department and project, each with `workdays` logged days in
    each of `periods`; answers their ids."""
    department = app.departments.create("Engineering")
    project = app.projects.create("Pipeline")
    ids = []
    for index in range(count):
        firstname, lastname = names(index) if names else (f"Employee{index}", "Tester")
        employee = app.create_employee(
            EmployeeDetails(
                email=f"employee{index}@example.com",
                firstname=firstname,
                lastname=lastname,
                salary=Decimal(4000 + 100 * index),
                department_id=department.id,
                project_id=project.id,
            )
        ).employee
        for year, month in periods:
            for day in range(1, workdays + 1):
                app.log_workday(
                    WorkdayDetails(
                        day=date(year, month, day), hours=Decimal("7.5"), employee_id=employee.id
                    )
                )
        ids.append(employee.id)
    return ids


def create_invoices(
    app: Application, employee_ids: Iterable[UUID], *, year: int = YEAR, month: int = MONTH
) -> list[InvoiceView]:
    return [
        app.create_invoice(InvoiceDetails(year=year, month=month, employee_id=employee_id))
        for employee_id in employee_ids
    ]


def invoices(app: Application, ids: Iterable[UUID]) -> list[Invoice]:
    """The invoices as the database has them now."""
    return [app.get_invoice(invoice_id).invoice for invoice_id in ids]


def statuses(app: Application, ids: Iterable[UUID]) -> list[InvoiceStatus]:
    return [invoice.status for invoice in invoices(app, ids)]


def owed(app: Application) -> list[RenderJob]:
    """The renders the outbox still owes, whenever they were published."""
    with app.new_uow() as uow:
        return list(uow.outbox.due(datetime.max.replace(tzinfo=UTC), 10_000))


# -- workers ---------------------------------------------------------------------------------


def work_until_quiet(
    worker: Worker, *, quiet_rounds: int = 2, timeout: float = DEFAULT_TIMEOUT
) -> WorkerReport:
    """Batches from the render and the mail queue until both answer nothing `quiet_rounds`
    times in a row."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < quiet_rounds:
        assert time.monotonic() < deadline, f"the queues did not go quiet: {worker.report}"
        handled = sum(worker.work_once(queue) for queue in worker.queues)
        quiet = quiet + 1 if handled == 0 else 0
    return worker.report


def wait_until(
    condition: Callable[[], object],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 0.05,
    message: str | Callable[[], str] = "the condition did not hold in time",
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(interval)


# -- wrapped ports ---------------------------------------------------------------------------


class RecordingQueue(Generic[JobT]):
    """A queue that keeps every job published to it, and otherwise is the queue it wraps."""

    def __init__(self, inner: JobQueue[JobT]) -> None:
        self.inner: JobQueue[JobT] = inner
        self.published: list[JobT] = []

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def max_attempts(self) -> int:
        return self.inner.max_attempts

    def publish(self, job: JobT, /) -> None:
        self.inner.publish(job)
        self.published.append(job)

    def receive(self, max_jobs: int = 10, wait_seconds: float = 0) -> Sequence[Delivery[JobT]]:
        return self.inner.receive(max_jobs, wait_seconds)

    def acknowledge(self, delivery: Delivery[JobT], /) -> None:
        self.inner.acknowledge(delivery)

    def release(self, delivery: Delivery[JobT], /) -> None:
        self.inner.release(delivery)


class StorageDownForFirstPuts:
    """A storage whose first `failing_puts` puts go to `down` (an S3 endpoint that is down,
    which raises `DependencyUnavailable`), and everything else to `working`."""

    def __init__(self, working: ObjectStorage, down: ObjectStorage, failing_puts: int) -> None:
        self.working = working
        self.down = down
        self.failures_left = failing_puts
        self.refused: list[str] = []

    def put(self, key: str, data: bytes, content_type: str, /) -> None:
        if self.failures_left > 0:
            self.failures_left -= 1
            try:
                self.down.put(key, data, content_type)
            except DependencyUnavailable:
                self.refused.append(key)
                raise
            raise AssertionError("the S3 endpoint that is down took an object")
        self.working.put(key, data, content_type)

    def get(self, key: str, /) -> bytes:
        return self.working.get(key)

    def exists(self, key: str, /) -> bool:
        return self.working.exists(key)

    def download_url(self, key: str, expires_in: timedelta, /) -> str:
        return self.working.download_url(key, expires_in)


class RenderRefused(RuntimeError):
    pass


class RendererFailingFor:
    """The renderer it wraps, except that it fails for the invoices whose numbers are in
    `failing` (a template that cannot be printed, say); counts each attempt by number."""

    def __init__(self, inner: PdfRenderer, failing: Iterable[str] = ()) -> None:
        self.inner = inner
        self.failing = set(failing)
        self.attempts: Counter[str] = Counter()

    def render(self, document: InvoiceDocument, /) -> bytes:
        self.attempts[document.number] += 1
        if document.number in self.failing:
            raise RenderRefused(f"the template cannot print invoice {document.number}")
        return self.inner.render(document)


def invoice_number_of_subject(subject: str) -> str:
    """The invoice number a mail's subject names (`Invoice 2024-000001 for October 2024`)."""
    found = re.search(r"Invoice (\d{4}-\d{6})", subject)
    assert found, subject
    return found[1]


def mails_by_number(sent: Iterable[MailMessage]) -> Counter[str]:
    return Counter(invoice_number_of_subject(message.subject) for message in sent)


def folder_mails_by_number(folder: Path) -> Counter[str]:
    """The mails the folder mailer wrote (`*.eml`), counted by the invoice number they name."""
    counted: Counter[str] = Counter()
    for path in sorted(folder.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        counted[invoice_number_of_subject(str(parsed["Subject"]))] += 1
    return counted


# -- the SQS event source of a Lambda --------------------------------------------------------


class EventSource:
    """What Lambda's SQS event source mapping does for a function: receive a batch, pass it as
    an event, then delete the records the partial batch response does not name. A named record
    stays on the queue; `finish` makes it visible again at once, as if its visibility timeout
    had ended, so the next event brings it again with its receive count one higher."""

    def __init__(self, aws: MotoAws, queue: QueueWithDeadLetters) -> None:
        self.aws = aws
        self.queue = queue

    def next_event(self, records: int, *, timeout: float = 10.0) -> dict[str, Any]:
        messages: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout
        while len(messages) < records:
            assert time.monotonic() < deadline, f"only {len(messages)} of {records} messages came"
            for message in self.aws.receive_raw(self.queue.url, wait_seconds=1):
                messages[message["MessageId"]] = message
        assert len(messages) == records, f"{len(messages)} messages came, not {records}"
        return {"Records": [lambda_record(m, self.queue.arn) for m in messages.values()]}

    def finish(self, event: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
        for record in event["Records"]:
            if record["messageId"] in failed:
                self.aws.sqs.change_message_visibility(
                    QueueUrl=self.queue.url,
                    ReceiptHandle=record["receiptHandle"],
                    VisibilityTimeout=0,
                )
            else:
                self.aws.sqs.delete_message(
                    QueueUrl=self.queue.url, ReceiptHandle=record["receiptHandle"]
                )


def failed_ids(response: Mapping[str, Any]) -> set[str]:
    return {failure["itemIdentifier"] for failure in response["batchItemFailures"]}


def message_ids_by_invoice(event: Mapping[str, Any]) -> dict[str, str]:
    """The message id of each record by the `invoiceId` its body names (well-formed ones)."""
    found = {}
    for record in event["Records"]:
        try:
            body = json.loads(record["body"])
        except ValueError:
            continue
        if isinstance(body, dict) and "invoiceId" in body:
            found[str(body["invoiceId"])] = record["messageId"]
    return found


# -- the CLI as a subprocess -----------------------------------------------------------------


@dataclass
class CliProcess:
    """`billtrack ...` running in a process of its own, its output going to `log`."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stopped(self, timeout: float = 30) -> int:
        """Its return code, once it has exited."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"billtrack did not stop within {timeout} s:\n{self.output()}"
            ) from None


@contextmanager
def cli_process(
    arguments: Sequence[str], env: Mapping[str, str], log: Path
) -> Iterator[CliProcess]:
    """`python -m billtrack *arguments` until the block ends (then killed, if still running)."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "billtrack", *arguments],
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    running = CliProcess(process, log)
    try:
        yield running
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def manual_clock() -> ManualClock:
    return ManualClock(NOW)
