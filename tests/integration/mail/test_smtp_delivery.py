"""Mail over SMTP, end to end: billtrack as `bootstrap` builds it (SQLite in the data folder, the
builtin PDF renderer, the SMTP mailer) against a real SMTP server on a loopback port.

Every generated invoice reaches its employee once, with a status a person can see: redelivered
jobs, racing workers and a worker killed mid-send never mail it twice; a server that is down or
says "try again later" delays the mail; one that refuses the address fails it for good; a person
may send it again on purpose.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import Any, cast
from uuid import UUID, uuid4

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from billtrack.domain.model.errors import NotReady
from billtrack.domain.model.invoice import InvoiceStatus, MailStatus
from billtrack.domain.model.views import InvoiceView
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.mailing import CLAIM_LEASE, UNKNOWN_OUTCOME, SendInProgress
from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.http.app import create_app
from billtrack.entrypoints.settings import Settings
from billtrack.entrypoints.wire.answers import InvoiceOut
from billtrack.entrypoints.worker.runner import Worker, drain
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.mail import Mailer, MailMessage
from billtrack.ports.unit_of_work import UnitOfWork
from tests.fakes.clock import ManualClock
from tests.fakes.security import FastPasswordHasher
from tests.support.server import in_process
from tests.support.smtp_server import SmtpTestServer

NOW = datetime(2024, 11, 15, 12, 0, tzinfo=UTC)
SECRET = "x" * 40
SENDER = "Acme Billing <billing@acme.test>"
REPLY_TO = "accounts@acme.test"
EMPLOYEE_NAME = "Дмитро Шевченко"
EMPLOYEE_EMAIL = "dmytro.shevchenko@acme.test"
MAX_ATTEMPTS = 5
"""The mail queue's attempts: enough that none of these tests gives a mail up by accident."""


def mail_settings(data_dir: Path, server: SmtpTestServer) -> Settings:
    return Settings(
        data_dir=data_dir,
        jwt_secret=SecretStr(SECRET),
        smtp_host=server.host,
        smtp_port=server.port,
        smtp_security="none",
        mail_from=SENDER,
        mail_reply_to=REPLY_TO,
        company_name="Acme GmbH",
        company_address="Hauptstraße 1\\n10115 Berlin",
        currency="EUR",
        pdf_renderer="builtin",
    )


@dataclass
class Rig:
    """billtrack as bootstrapped for these tests, its queues and clock, and the SMTP server."""

    app: Application
    settings: Settings
    clock: ManualClock
    server: SmtpTestServer
    render_queue: InMemoryQueue[RenderJob]
    mail_queue: InMemoryQueue[MailJob]

    def worker(self) -> Worker:
        return Worker(self.app)

    def render_all(self) -> None:
        """Render what the render queue holds (which asks for the mails), and mail nothing."""
        worker = self.worker()
        while worker.work_once(self.render_queue):
            pass

    def mail_once(self) -> int:
        """One batch of the mail queue, as a worker takes it."""
        return self.worker().work_once(self.mail_queue)

    def invoice(self, invoice_id: UUID) -> InvoiceView:
        return self.app.get_invoice(invoice_id)


def build(settings: Settings, clock: ManualClock, server: SmtpTestServer, **overrides: Any) -> Rig:
    render_queue = InMemoryQueue[RenderJob]("render queue", max_attempts=MAX_ATTEMPTS)
    mail_queue = InMemoryQueue[MailJob]("mail queue", max_attempts=MAX_ATTEMPTS)
    app = bootstrap(
        settings,
        clock=clock,
        render_queue=render_queue,
        mail_queue=mail_queue,
        hasher=FastPasswordHasher(),
        **overrides,
    )
    return Rig(app, settings, clock, server, render_queue, mail_queue)


@pytest.fixture
def rig(tmp_path: Path, sqlite_template: Path, smtp_server: SmtpTestServer) -> Iterator[Rig]:
    """billtrack on SQLite in the data folder (a copy of the migrated template, so `bootstrap`
    has no migration to run), mailing through `smtp_server`."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(sqlite_template, data_dir / "billtrack.sqlite3")
    built = build(mail_settings(data_dir, smtp_server), ManualClock(NOW), smtp_server)
    yield built
    built.app.close()


def issue_invoice(app: Application, email: str = EMPLOYEE_EMAIL) -> InvoiceView:
    """Дмитро Шевченко's October 2024 (31 days, 23 weekdays): 8 hours on the 1st and the 31st
    at a salary of 4000.00, which is 16.00 hours at 21.7391, 347.83."""
    department = app.departments.create(f"Engineering {uuid4().hex[:6]}")
    project = app.projects.create(f"Atlas {uuid4().hex[:6]}")
    employee = app.create_employee(
        EmployeeDetails(
            email=email,
            firstname="Дмитро",
            lastname="Шевченко",
            salary=Decimal("4000.00"),
            department_id=department.id,
            project_id=project.id,
        )
    )
    for day in (date(2024, 10, 1), date(2024, 10, 31)):
        app.log_workday(
            WorkdayDetails(day=day, hours=Decimal("8"), employee_id=employee.employee.id)
        )
    return app.create_invoice(InvoiceDetails(year=2024, month=10, employee_id=employee.employee.id))


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    """The text and the HTML part. Lines travel over SMTP ending in CRLF; a mail program shows
    them as lines, and so do these."""
    parts = []
    for subtype in ("plain", "html"):
        part = message.get_body(preferencelist=(subtype,))
        assert isinstance(part, EmailMessage), subtype
        parts.append(str(part.get_content()).replace("\r\n", "\n"))
    return parts[0], parts[1]


def take_mail_job(rig: Rig) -> MailJob:
    """The one mail job the render asked for, taken off the queue for the test to deliver."""
    (delivery,) = rig.mail_queue.receive()
    rig.mail_queue.acknowledge(delivery)
    return delivery.job


def message_ids(server: SmtpTestServer) -> list[str]:
    return [str(m["Message-ID"]) for m in server.messages()]


# -- the mail -------------------------------------------------------------------------------------


def test_a_generated_invoice_reaches_its_employee_with_its_pdf(rig: Rig) -> None:
    view = issue_invoice(rig.app)
    invoice_id, number = view.invoice.id, str(view.invoice.number)

    report = drain(rig.app)

    assert (report.rendered, report.mailed, report.given_up) == (1, 1, [])
    (received,) = rig.server.received
    assert received.mail_from == "billing@acme.test"
    assert received.rcpt_tos == (EMPLOYEE_EMAIL,)
    message = received.message()
    assert number == "2024-000001"
    assert message["Subject"] == f"Invoice {number} for October 2024 from Acme GmbH"
    assert message["To"] == EMPLOYEE_EMAIL
    assert message["From"].addresses[0].display_name == "Acme Billing"
    assert message["From"].addresses[0].addr_spec == "billing@acme.test"
    assert message["Reply-To"] == REPLY_TO
    assert message["Message-ID"] == f"<invoice-{invoice_id}-r1-s1@billtrack>"
    assert parsedate_to_datetime(message["Date"]) == NOW

    text, html = text_and_html(message)
    for part in (text, html):
        assert EMPLOYEE_NAME in part
        assert "October 2024" in part
        assert "16.00" in part
        assert "21.7391 EUR" in part
        assert "347.83 EUR" in part
        assert "Acme GmbH" in part
        assert f"invoice-{number}.pdf" in part
    assert "Hauptstraße 1\n10115 Berlin" in text
    assert "Hauptstraße 1<br>10115 Berlin" in html

    (attachment,) = list(message.iter_attachments())
    assert isinstance(attachment, EmailMessage)
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"invoice-{number}.pdf"
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF-")
    assert pdf == rig.app.invoice_pdf(invoice_id)

    invoice = rig.invoice(invoice_id).invoice
    assert invoice.status is InvoiceStatus.GENERATED
    assert invoice.mail_status is MailStatus.SENT
    assert invoice.mailed_at == NOW
    assert invoice.mail_error is None
    wire = InvoiceOut.of(rig.invoice(invoice_id)).wire()
    assert (wire["mailStatus"], wire["mailError"], wire["mailedAt"]) == ("sent", None, NOW)


def test_a_name_that_needs_escaping_is_text_in_the_html_part(rig: Rig) -> None:
    department = rig.app.departments.create("Research")
    project = rig.app.projects.create("Beacon")
    employee = rig.app.create_employee(
        EmployeeDetails(
            email="o.brien@acme.test",
            firstname="<b>Seán</b> & Co",
            lastname="O'Brien",
            salary=Decimal("3000.00"),
            department_id=department.id,
            project_id=project.id,
        )
    )
    rig.app.log_workday(
        WorkdayDetails(day=date(2024, 10, 1), hours=Decimal("8"), employee_id=employee.employee.id)
    )
    rig.app.create_invoice(InvoiceDetails(year=2024, month=10, employee_id=employee.employee.id))

    drain(rig.app)

    (message,) = rig.server.messages()
    text, html = text_and_html(message)
    assert "<b>Seán</b> & Co O'Brien" in text
    assert "<b>Seán" not in html
    assert "&lt;b&gt;Seán&lt;/b&gt; &amp; Co O&#39;Brien" in html


# -- once, however the job comes ------------------------------------------------------------------


def test_a_redelivered_mail_job_sends_nothing_more(rig: Rig) -> None:
    view = issue_invoice(rig.app)
    drain(rig.app)
    job = MailJob(view.invoice.id, 1)

    rig.mail_queue.publish(job)
    rig.render_queue.publish(RenderJob(view.invoice.id, 1))
    report = drain(rig.app)

    assert report.mailed == 0
    assert rig.app.mail(job) is False
    assert rig.app.mail(job) is False
    assert len(rig.server.received) == 1
    assert rig.invoice(view.invoice.id).invoice.mail_status is MailStatus.SENT


def race(workers: int, work: Callable[[], bool]) -> list[object]:
    """Run `work` on `workers` threads that start together; answers what each returned or
    raised."""
    barrier = threading.Barrier(workers)
    outcomes: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait(timeout=10)
        try:
            outcome: object = work()
        except Exception as error:
            outcome = error
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_workers_racing_on_one_mail_send_it_once(rig: Rig) -> None:
    view = issue_invoice(rig.app)
    rig.render_all()
    job = take_mail_job(rig)
    # Each call opens a unit of work of its own on the shared SQLite file, as two workers do.
    outcomes = race(2, lambda: rig.app.mail(job))

    assert len(outcomes) == 2
    assert outcomes.count(True) == 1, outcomes
    loser = next(o for o in outcomes if o is not True)
    assert loser is False or isinstance(loser, SendInProgress), loser
    assert len(rig.server.received) == 1
    assert rig.invoice(view.invoice.id).invoice.mail_status is MailStatus.SENT


class _BarrierAfterFirstRead:
    """A unit of work whose first `invoices.get` waits, after reading, until every racer has
    read: so each worker reads the invoice before any of them writes its claim (unless reading
    it waits for the other's claim, when the wait ends after two seconds)."""

    def __init__(self, inner: UnitOfWork, barrier: threading.Barrier) -> None:
        self._inner = inner
        self._barrier = barrier
        self._waited = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    @property
    def invoices(self) -> Any:
        repository = self._inner.invoices
        uow = self

        class Reading:
            def __getattr__(self, name: str) -> Any:
                return getattr(repository, name)

            def get(self, invoice_id: UUID) -> Any:
                found = repository.get(invoice_id)
                if not uow._waited:
                    uow._waited = True
                    # Broken when the other racer cannot read yet: the claim locks the row.
                    with contextlib.suppress(threading.BrokenBarrierError):
                        uow._barrier.wait(timeout=2)
                return found

        return Reading()

    def __enter__(self) -> _BarrierAfterFirstRead:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, traceback)


def test_two_workers_reading_the_invoice_at_once_on_postgresql_send_it_once(
    clean_postgres: Engine, tmp_path: Path, smtp_server: SmtpTestServer
) -> None:
    settings = mail_settings(tmp_path, smtp_server)
    rig = build(
        settings,
        ManualClock(NOW),
        smtp_server,
        new_uow=lambda: SqlAlchemyUnitOfWork(clean_postgres),
    )
    view = issue_invoice(rig.app)
    rig.render_all()
    job = take_mail_job(rig)
    barrier = threading.Barrier(2)
    racing = replace(
        rig.app,
        new_uow=lambda: cast(
            UnitOfWork, _BarrierAfterFirstRead(SqlAlchemyUnitOfWork(clean_postgres), barrier)
        ),
    )

    outcomes = race(2, lambda: racing.mail(job))

    assert outcomes.count(True) == 1, outcomes
    assert len(smtp_server.received) == 1
    assert rig.invoice(view.invoice.id).invoice.mail_status is MailStatus.SENT


# -- a worker killed while sending ----------------------------------------------------------------


class WorkerKilled(BaseException):
    """The worker's process ends here."""


class _DeadAfter:
    """What a killed worker's process does after its death: nothing. Once `dead` is set, no
    transaction of this worker begins (not even the one an `except` block would run)."""

    def __init__(self, inner: UnitOfWork, dead: threading.Event) -> None:
        self._inner = inner
        self._dead = dead

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> _DeadAfter:
        if self._dead.is_set():
            raise WorkerKilled
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, traceback)


class _KilledAfterSending:
    """The real mailer; once the server has taken the message, the worker dies."""

    def __init__(self, mailer: Mailer, dead: threading.Event) -> None:
        self._mailer = mailer
        self._dead = dead

    def send(self, message: MailMessage, /) -> None:
        self._mailer.send(message)
        self._dead.set()
        raise WorkerKilled


def killed_after_sending(app: Application, *, runs_except_blocks: bool) -> Application:
    """`app` as a worker that dies right after the SMTP server accepted its message. A process
    killed outright (SIGKILL, the machine gone) runs nothing more; with `runs_except_blocks` the
    death is an exception (KeyboardInterrupt, SystemExit) that `except` blocks still see."""
    dead = threading.Event()
    dying = replace(app, mailer=_KilledAfterSending(app.mailer, dead))
    if runs_except_blocks:
        return dying
    return replace(dying, new_uow=lambda: cast(UnitOfWork, _DeadAfter(app.new_uow(), dead)))


def test_a_worker_killed_after_the_server_took_the_mail_never_sends_it_twice(rig: Rig) -> None:
    view = issue_invoice(rig.app)
    rig.render_all()
    (delivery,) = rig.mail_queue.receive()
    job = delivery.job

    with pytest.raises(WorkerKilled):
        killed_after_sending(rig.app, runs_except_blocks=False).mail(job)
    rig.mail_queue.release(delivery)  # the queue offers the job again, as SQS does
    assert len(rig.server.received) == 1
    assert rig.invoice(view.invoice.id).invoice.mail_status is MailStatus.PENDING

    # Within the lease the claim may be a worker still talking to the server: nothing is sent.
    rig.clock.advance(CLAIM_LEASE - timedelta(seconds=1))
    with pytest.raises(SendInProgress):
        rig.app.mail(job)
    assert rig.mail_once() == 1  # released again, not given up
    assert rig.mail_queue.pending() == [job]
    assert len(rig.server.received) == 1

    # After it, the send is reported, not repeated.
    rig.clock.advance(timedelta(seconds=2))
    report = rig.worker().drain()
    assert report.mailed == 0
    assert report.given_up == []
    assert len(rig.mail_queue) == 0
    assert len(rig.server.received) == 1
    invoice = rig.invoice(view.invoice.id).invoice
    assert invoice.mail_status is MailStatus.FAILED
    assert invoice.mail_error == UNKNOWN_OUTCOME
    assert invoice.mail_claimed_at is None
    assert rig.app.mail(job) is False

    # A person who learns the mail did not arrive sends it again, on purpose.
    rig.app.send_again(view.invoice.id)
    drain(rig.app)
    assert message_ids(rig.server) == [
        f"<invoice-{view.invoice.id}-r1-s1@billtrack>",
        f"<invoice-{view.invoice.id}-r1-s2@billtrack>",
    ]
    assert rig.invoice(view.invoice.id).invoice.mail_status is MailStatus.SENT


def test_a_worker_interrupted_after_the_server_took_the_mail_never_sends_it_twice(
    rig: Rig,
) -> None:
    view = issue_invoice(rig.app)
    rig.render_all()
    (delivery,) = rig.mail_queue.receive()

    with pytest.raises(WorkerKilled):
        killed_after_sending(rig.app, runs_except_blocks=True).mail(delivery.job)
    rig.mail_queue.release(delivery)
    rig.clock.advance(CLAIM_LEASE + timedelta(seconds=1))
    drain(rig.app)

    assert len(rig.server.received) == 1
    assert rig.invoice(view.invoice.id).invoice.mail_status is MailStatus.FAILED


# -- the server's answers ---------------------------------------------------------------------------


def test_a_server_down_when_the_invoice_is_generated_delays_the_mail_until_it_is_back(
    rig: Rig,
) -> None:
    view = issue_invoice(rig.app)
    rig.server.stop()
    rig.render_all()

    for attempt in (1, 2):
        assert rig.mail_once() == 1
        assert len(rig.mail_queue.pending()) == 1, attempt
        invoice = rig.invoice(view.invoice.id).invoice
        assert invoice.status is InvoiceStatus.GENERATED
        assert invoice.mail_status is MailStatus.PENDING
        assert invoice.mail_error is None
        assert invoice.mail_claimed_at is None
    assert rig.mail_queue.dead_letters == []
    assert InvoiceOut.of(rig.invoice(view.invoice.id)).wire()["mailStatus"] == "pending"

    rig.server.start()
    report = drain(rig.app)

    assert (report.mailed, report.given_up) == (1, [])
    assert len(rig.server.received) == 1
    assert rig.invoice(view.invoice.id).invoice.mail_status is MailStatus.SENT
    assert drain(rig.app).mailed == 0
    assert len(rig.server.received) == 1


def test_a_refused_recipient_fails_the_mail_for_good_without_a_retry(rig: Rig) -> None:
    rig.server.refuse(EMPLOYEE_EMAIL)
    view = issue_invoice(rig.app)

    report = drain(rig.app)

    assert (report.mailed, report.given_up) == (0, [])
    assert rig.server.received == []
    assert rig.server.recipients_tried == [EMPLOYEE_EMAIL]
    assert len(rig.mail_queue) == 0
    assert rig.mail_queue.dead_letters == []
    invoice = rig.invoice(view.invoice.id).invoice
    assert invoice.mail_status is MailStatus.FAILED
    assert invoice.mail_error is not None
    assert f"550 5.1.1 <{EMPLOYEE_EMAIL}>: no such user" in invoice.mail_error
    assert invoice.mail_claimed_at is None
    assert invoice.mailed_at is None
    wire = InvoiceOut.of(rig.invoice(view.invoice.id)).wire()
    assert wire["mailStatus"] == "failed"
    assert wire["mailError"] == invoice.mail_error
    # A redelivery changes nothing either.
    assert rig.app.mail(MailJob(view.invoice.id, 1)) is False
    assert rig.server.recipients_tried == [EMPLOYEE_EMAIL]


def test_try_again_later_is_retried_and_then_sent_once(rig: Rig) -> None:
    rig.server.defer_next(2)
    view = issue_invoice(rig.app)
    rig.render_all()

    assert rig.mail_once() == 1
    assert rig.invoice(view.invoice.id).invoice.mail_status is MailStatus.PENDING
    report = drain(rig.app)

    assert rig.server.messages_deferred == 2
    assert (report.mailed, report.given_up) == (1, [])
    assert len(rig.server.received) == 1
    assert rig.invoice(view.invoice.id).invoice.mail_status is MailStatus.SENT


def test_a_server_that_stays_down_is_given_up_with_its_reason(rig: Rig) -> None:
    view = issue_invoice(rig.app)
    rig.server.stop()

    report = drain(rig.app)

    assert len(report.given_up) == 1
    assert [(j.invoice_id, j.revision, j.send) for j in rig.mail_queue.dead_letters] == [
        (view.invoice.id, 1, 1)
    ]
    invoice = rig.invoice(view.invoice.id).invoice
    assert invoice.mail_status is MailStatus.FAILED
    assert invoice.mail_error is not None
    assert "mail server is unavailable" in invoice.mail_error


# -- sending again on purpose ---------------------------------------------------------------------


def test_send_again_mails_a_second_message_with_its_own_message_id(rig: Rig) -> None:
    view = issue_invoice(rig.app)
    drain(rig.app)
    rig.clock.advance(timedelta(hours=1))

    asked = rig.app.send_again(view.invoice.id)

    assert asked.invoice.mail_status is MailStatus.PENDING
    assert drain(rig.app).mailed == 1
    first, second = rig.server.messages()
    assert first["Message-ID"] == f"<invoice-{view.invoice.id}-r1-s1@billtrack>"
    assert second["Message-ID"] == f"<invoice-{view.invoice.id}-r1-s2@billtrack>"
    assert second["Subject"] == first["Subject"]
    first_pdf, second_pdf = (next(m.iter_attachments()) for m in (first, second))
    assert isinstance(first_pdf, EmailMessage)
    assert isinstance(second_pdf, EmailMessage)
    assert first_pdf.get_content() == second_pdf.get_content()
    invoice = rig.invoice(view.invoice.id).invoice
    assert invoice.mail_status is MailStatus.SENT
    assert invoice.mailed_at == NOW + timedelta(hours=1)
    assert drain(rig.app).mailed == 0
    assert len(rig.server.received) == 2


def test_send_again_before_the_pdf_is_stored_is_not_ready(rig: Rig) -> None:
    view = issue_invoice(rig.app)

    with pytest.raises(NotReady):
        rig.app.send_again(view.invoice.id)

    assert rig.mail_queue.pending() == []
    drain(rig.app)
    assert len(rig.server.received) == 1


def test_send_again_over_http(rig: Rig) -> None:
    rig.app.add_user("admin@acme.test", "correct horse battery staple")
    view = issue_invoice(rig.app)
    invoice_id = view.invoice.id
    with (
        in_process(create_app(rig.settings, rig.app)) as transport,
        httpx.Client(transport=transport, base_url="http://127.0.0.1") as client,
    ):
        login = client.post(
            "/api/login",
            json={"username": "admin@acme.test", "password": "correct horse battery staple"},
        )
        assert login.status_code == 200, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['jwtToken']}"

        pending = client.get(f"/api/invoices/{invoice_id}").json()
        assert (pending["mailStatus"], pending["mailError"], pending["mailedAt"]) == (
            "pending",
            None,
            None,
        )
        too_early = client.post(f"/api/invoices/{invoice_id}/send")
        assert too_early.status_code == 409, too_early.text
        assert client.post(f"/api/invoices/{uuid4()}/send").status_code == 404

        drain(rig.app)
        sent = client.get(f"/api/invoices/{invoice_id}").json()
        assert (sent["mailStatus"], sent["mailError"]) == ("sent", None)
        assert sent["mailedAt"] is not None
        assert datetime.fromisoformat(sent["mailedAt"].replace("Z", "+00:00")) == NOW
        listed = client.get("/api/invoices").json()["items"]
        assert [(i["id"], i["mailStatus"]) for i in listed] == [(str(invoice_id), "sent")]

        again = client.post(f"/api/invoices/{invoice_id}/send")
        assert again.status_code == 202, again.text
        body = again.json()
        assert body["id"] == str(invoice_id)
        assert body["number"] == str(view.invoice.number)
        assert body["mailStatus"] == "pending"

        drain(rig.app)
        assert client.get(f"/api/invoices/{invoice_id}").json()["mailStatus"] == "sent"
    assert message_ids(rig.server) == [
        f"<invoice-{invoice_id}-r1-s1@billtrack>",
        f"<invoice-{invoice_id}-r1-s2@billtrack>",
    ]
