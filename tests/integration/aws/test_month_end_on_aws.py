"""The month-end run on the cloud wiring: PostgreSQL, moto's SQS and S3, a real SMTP server, and
the Lambda handlers driven as AWS drives them.

A batch of 50 employees is started over the API handler (API Gateway HTTP API events), its renders
and mails are done by the render worker and mailer handlers from SQS events built of what the
queues really hold, and its progress is read over the API until it is `done`.

A run killed half-way (SIGKILL of the process doing it) and started again invoices every employee
once, with numbers without gaps, and every PDF is rendered once and mailed once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from billtrack.domain.model.invoice import Invoice, InvoiceStatus, MailStatus
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.entrypoints.aws import container, mailer, render_worker, sweeper
from tests.fakes.clock import ManualClock
from tests.integration.aws.pipeline_helpers import (
    MONTH,
    YEAR,
    CloudRig,
    EventSource,
    invoice_number_of_subject,
    seed_employees,
)
from tests.integration.aws.test_api_lambda import (
    Answer,
    LambdaContainer,
    LambdaContext,
    http_api_event,
)
from tests.support.moto_server import (
    MotoAws,
    QueueWithDeadLetters,
    RenderAndMailQueues,
    lambda_record,
)
from tests.support.smtp_server import SmtpTestServer

EMAIL = "accountant@example.com"
PASSWORD = "correct horse battery staple"
BATCH_SIZE = 10
"""The event source mapping's batch size: records per event."""

Handler = Callable[[dict[str, Any], object], dict[str, list[dict[str, str]]]]


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server


def smtp_environment(smtp_server: SmtpTestServer) -> dict[str, str]:
    return {
        "BILLTRACK_SMTP_HOST": smtp_server.host,
        "BILLTRACK_SMTP_PORT": str(smtp_server.port),
        "BILLTRACK_SMTP_SECURITY": "none",
    }


@pytest.fixture
def lambdas(
    monkeypatch: pytest.MonkeyPatch, rig: CloudRig, smtp_server: SmtpTestServer
) -> Iterator[LambdaContainer]:
    """The Lambda containers of the test, every function on the rig's environment."""
    LambdaContainer.clear()
    made = LambdaContainer(
        monkeypatch, {**rig.billtrack_environment(), **smtp_environment(smtp_server)}
    )
    try:
        yield made
    finally:
        LambdaContainer.clear()


# -- Lambda's event source mapping ------------------------------------------------------------


def one_event(
    aws: MotoAws, queue: QueueWithDeadLetters, handler: Handler, function_name: str
) -> int:
    """One poll of the queue and, when it held anything, one event of what it held passed to
    the handler; the records the partial batch response does not name are deleted, the named
    ones made visible again. Answers how many records the event held."""
    answer = aws.sqs.receive_message(
        QueueUrl=queue.url,
        MaxNumberOfMessages=BATCH_SIZE,
        WaitTimeSeconds=0,
        MessageSystemAttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    messages = answer.get("Messages", [])
    if not messages:
        return 0
    for message in messages:
        assert "ApproximateReceiveCount" in message["Attributes"]
    source = EventSource(aws, queue)
    event = {"Records": [lambda_record(m, queue.arn) for m in messages]}
    response = handler(event, LambdaContext(function_name=function_name))
    assert response == {"batchItemFailures": []}, response
    source.finish(event, response)
    return len(messages)


def one_round(aws: MotoAws, queues: RenderAndMailQueues) -> int:
    """An event for the render worker, then one for the mailer: records handled."""
    handled = one_event(aws, queues.render, render_worker.handler, "billtrack-RenderWorker")
    return handled + one_event(aws, queues.mail, mailer.handler, "billtrack-Mailer")


def drive_until_quiet(aws: MotoAws, queues: RenderAndMailQueues, *, rounds: int = 80) -> None:
    quiet = 0
    for _ in range(rounds):
        quiet = quiet + 1 if one_round(aws, queues) == 0 else 0
        if quiet == 2:
            return
    raise AssertionError(f"the queues did not go quiet in {rounds} rounds")


# -- what was done ------------------------------------------------------------------------------


def batch_invoices(app: Application, batch_id: UUID) -> list[Invoice]:
    with app.reader() as uow:
        return [i for i in uow.invoices.of_batch(batch_id) if i.is_active]


def emails_by_employee(app: Application, employee_ids: list[UUID]) -> dict[UUID, str]:
    return {
        employee_id: str(app.get_employee(employee_id).employee.email)
        for employee_id in employee_ids
    }


def assert_numbers_without_gaps(invoices: list[Invoice]) -> None:
    numbers = sorted(i.number for i in invoices)
    assert len({n.year for n in numbers}) == 1, numbers
    assert [n.sequence for n in numbers] == list(range(1, len(invoices) + 1))


def assert_rendered_once_and_mailed_once(
    rig: CloudRig, smtp_server: SmtpTestServer, invoices: list[Invoice], emails: dict[UUID, str]
) -> None:
    assert all(i.status is InvoiceStatus.GENERATED for i in invoices)
    assert all(i.mail_status is MailStatus.SENT for i in invoices)
    # One object per invoice, each put once.
    assert rig.puts_by_key() == Counter({str(i.pdf_key): 1 for i in invoices})
    received = smtp_server.received
    assert Counter(to for r in received for to in r.rcpt_tos) == Counter(
        emails[i.employee_id] for i in invoices
    )
    by_number = {str(i.number): i for i in invoices}
    for mail in received:
        message = mail.message()
        invoice = by_number[invoice_number_of_subject(str(message["Subject"]))]
        assert mail.rcpt_tos == (emails[invoice.employee_id],)
        pdfs = [
            part.get_content()
            for part in message.iter_attachments()
            if part.get_content_type() == "application/pdf"
        ]
        stored = rig.aws.s3.get_object(Bucket=rig.bucket, Key=invoice.pdf_key)["Body"].read()
        assert pdfs == [stored]
        assert stored.startswith(b"%PDF")


# -- a month-end batch over the API --------------------------------------------------------------


def log_in(lambdas: LambdaContainer) -> str:
    container.application().add_user(EMAIL, PASSWORD)
    answer = lambdas.invoke(
        http_api_event("POST", "/api/login", body={"username": EMAIL, "password": PASSWORD})
    )
    assert answer.status == 200, answer.body
    token: str = answer.json()["jwtToken"]
    return token


def test_a_month_end_batch_of_50_employees_through_the_handlers_watched_over_the_api(
    lambdas: LambdaContainer, rig: CloudRig, smtp_server: SmtpTestServer
) -> None:
    app = container.application()
    with_hours = seed_employees(app, 50, workdays=2)
    department = app.departments.create("Sales")
    project = app.projects.create("Idle")
    without_hours = [
        app.create_employee(
            EmployeeDetails(
                email=f"idle{index}@example.com",
                firstname=f"Idle{index}",
                lastname="Tester",
                salary=Decimal(3000),
                department_id=department.id,
                project_id=project.id,
            )
        ).employee.id
        for index in range(2)
    ]
    token = log_in(lambdas)

    def call(method: str, path: str, body: Any = None) -> Answer:
        return lambdas.invoke(http_api_event(method, path, body=body, token=token))

    started = call("POST", "/api/invoices/batch", {"year": YEAR, "month": MONTH})

    assert started.status == 202, started.body
    batch_id = started.json()["id"]
    assert started.headers["location"] == f"/api/invoices/batch/{batch_id}"
    progress: dict[str, Any] = {}
    for _ in range(60):
        one_round(rig.aws, rig.queues)
        read = call("GET", f"/api/invoices/batch/{batch_id}")
        assert read.status == 200, read.body
        progress = read.json()
        if progress["status"] == "done":
            break
        assert progress["status"] == "running"
    else:
        raise AssertionError(f"the run was not done after 60 rounds: {progress}")

    assert {
        name: progress[name]
        for name in ("year", "month", "total", "created", "skipped", "rendered", "mailed")
    } == {
        "year": YEAR,
        "month": MONTH,
        "total": 52,
        "created": 50,
        "skipped": 2,
        "rendered": 50,
        "mailed": 50,
    }
    assert progress["failed"] == 0
    invoices = batch_invoices(app, UUID(batch_id))
    assert sorted(i.employee_id for i in invoices) == sorted(with_hours)
    assert not {i.employee_id for i in invoices} & set(without_hours)
    assert_numbers_without_gaps(invoices)
    assert len(rig.stored_keys()) == 50
    assert len(smtp_server.received) == 50
    assert_rendered_once_and_mailed_once(
        rig, smtp_server, invoices, emails_by_employee(app, with_hours)
    )
    assert rig.depth(rig.queues.render) == rig.depth(rig.queues.mail) == 0
    assert rig.dead_letters(rig.queues.render) == rig.dead_letters(rig.queues.mail) == []
    # Every event of every function came to one container: bootstrapped once.
    assert lambdas.bootstraps == 1


# -- a month-end run killed half-way -----------------------------------------------------------

EMPLOYEES = 30

RUN_IN_A_PROCESS = """
import sys, time, uuid
import billtrack.domain.usecases.invoices as invoices
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.settings import Settings

# Paced, so the test can kill the run half-way: each invoice is committed, then its render is
# published a moment later (the window where a crash leaves a render owed).
publish = invoices.dispatch_render
def paced(*args, **kwargs):
    time.sleep(0.05)
    return publish(*args, **kwargs)
invoices.dispatch_render = paced

app = bootstrap(Settings())
app.continue_month_run(uuid.UUID(sys.argv[1]))
print("finished", flush=True)
"""


def run_killed_half_way(rig: CloudRig, app: Application, batch_id: UUID, log: Path) -> int:
    """`continue_month_run` in a process of its own, killed (SIGKILL) once half the employees
    have their invoice; answers how many invoices it left."""
    env = rig.process_environment()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", RUN_IN_A_PROCESS, str(batch_id)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while len(batch_invoices(app, batch_id)) < EMPLOYEES // 2:
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert "finished" not in log.read_text(errors="replace")
    return len(batch_invoices(app, batch_id))


def start_again_by_continuing(rig: CloudRig, app: Application, batch_id: UUID) -> None:
    run = app.continue_month_run(batch_id)
    assert run.batch.id == batch_id
    assert run.already_invoiced + len(run.created) == EMPLOYEES


def start_again_as_a_stopped_run(rig: CloudRig, app: Application, batch_id: UUID) -> None:
    assert app.continue_stopped_month_runs(older_than=timedelta(0)) == 1


def start_again_by_the_sweep(rig: CloudRig, app: Application, batch_id: UUID) -> None:
    # The sweep continues runs stopped at least five minutes ago, whatever `older_than` says
    # (a younger one may still be going): its clock is five minutes and more on.
    later = rig.app(clock=ManualClock(datetime.now(UTC) + timedelta(minutes=6)))
    later.sweep(older_than=timedelta(0))


@pytest.mark.parametrize(
    "start_again",
    [start_again_by_continuing, start_again_as_a_stopped_run, start_again_by_the_sweep],
    ids=["continue_month_run", "continue_stopped_month_runs", "sweep"],
)
def test_a_month_end_run_killed_half_way_and_started_again_invoices_everyone_once(
    lambdas: LambdaContainer,
    rig: CloudRig,
    smtp_server: SmtpTestServer,
    tmp_path: Path,
    start_again: Callable[[CloudRig, Application, UUID], None],
) -> None:
    app = container.application()
    employees = seed_employees(app, EMPLOYEES, workdays=1)
    batch = app.start_month_run(year=YEAR, month=MONTH)

    left = run_killed_half_way(rig, app, batch.id, tmp_path / "run.log")

    assert EMPLOYEES // 2 <= left < EMPLOYEES
    assert app.month_run_progress(batch.id).status.value == "running"
    # The Lambdas work on what the killed run published while it is started again.
    one_round(rig.aws, rig.queues)
    start_again(rig, app, batch.id)
    drive_until_quiet(rig.aws, rig.queues)
    # The scheduled sweeper: whatever render the kill left owed (committed, never published).
    sweeper.handler({"olderThanSeconds": 0}, LambdaContext(function_name="billtrack-Sweeper"))
    drive_until_quiet(rig.aws, rig.queues)

    invoices = batch_invoices(app, batch.id)
    assert Counter(i.employee_id for i in invoices) == Counter(employees)
    with app.reader() as uow:
        period = [
            i
            for i in uow.invoices.of_batch(batch.id)
            if i.is_active and (i.period.year, i.period.month) == (YEAR, MONTH)
        ]
    assert len(period) == EMPLOYEES
    assert_numbers_without_gaps(invoices)
    assert_rendered_once_and_mailed_once(
        rig, smtp_server, invoices, emails_by_employee(app, employees)
    )
    progress = app.month_run_progress(batch.id)
    assert progress.status.value == "done"
    assert (progress.created, progress.batch.total, progress.batch.skipped) == (
        EMPLOYEES,
        EMPLOYEES,
        0,
    )
    assert (progress.rendered, progress.mailed, progress.failed) == (EMPLOYEES, EMPLOYEES, 0)
    assert rig.dead_letters(rig.queues.render) == rig.dead_letters(rig.queues.mail) == []
