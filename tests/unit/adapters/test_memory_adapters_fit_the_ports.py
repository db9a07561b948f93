"""Every port has an in-memory adapter or a test double (tests/fakes), and mypy checks each
against its Protocol here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from tests.fakes.application import in_memory_application
from tests.fakes.clock import ManualClock
from tests.fakes.rendering import RecordingPdfRenderer
from tests.fakes.security import FastPasswordHasher, InMemoryTokenIssuer

from billtrack.adapters.builtin_pdf.renderer import BuiltinPdfRenderer
from billtrack.adapters.filesystem.clock import SystemClock
from billtrack.adapters.memory.mailer import InMemoryMailer
from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.memory.storage import InMemoryObjectStorage
from billtrack.adapters.memory.unit_of_work import InMemoryUnitOfWork
from billtrack.ports.clock import Clock
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.mail import Mailer, MailMessage
from billtrack.ports.queries import NameQuery
from billtrack.ports.queues import MailQueue, RenderQueue
from billtrack.ports.rendering import InvoiceDocument, PdfRenderer
from billtrack.ports.security import PasswordHasher, TokenIssuer
from billtrack.ports.storage import ObjectStorage
from billtrack.ports.unit_of_work import UnitOfWork

DOCUMENT = InvoiceDocument(
    number="2024-000001",
    issue_date=date(2024, 11, 4),
    period_label="October 2024",
    employee_name="Ada Lovelace",
    employee_email="ada@example.com",
    department="Finance",
    project="Audit",
    salary=Decimal("4000.00"),
    weekdays=23,
    total_hours=Decimal("16.00"),
    hourly_rate=Decimal("21.7391"),
    amount=Decimal("347.83"),
    workdays=((date(2024, 10, 14), Decimal("8.00")), (date(2024, 10, 15), Decimal("8.00"))),
)


def test_each_port_has_an_in_memory_adapter_that_answers() -> None:
    clock: Clock = ManualClock(datetime(2024, 11, 15, tzinfo=UTC))
    uow: UnitOfWork = InMemoryUnitOfWork()
    with uow:
        assert uow.departments.list(NameQuery()).total_count == 0
    queue = InMemoryQueue[RenderJob]()
    render_queue: RenderQueue = queue
    job = RenderJob(uuid4(), 1)
    render_queue.publish(job)
    assert queue.pending() == [job]
    (delivery,) = render_queue.receive()
    assert (delivery.job, delivery.attempt) == (job, 1)
    render_queue.acknowledge(delivery)
    assert len(queue) == 0
    mail_queue: MailQueue = InMemoryQueue[MailJob]()
    mail_queue.publish(MailJob(job.invoice_id, 1))
    (mail_delivery,) = mail_queue.receive()
    mail_queue.release(mail_delivery)
    assert [d.attempt for d in mail_queue.receive()] == [2]
    storage: ObjectStorage = InMemoryObjectStorage(clock.now)
    storage.put("k", b"pdf", "application/pdf")
    assert storage.get("k") == b"pdf"
    renderer: PdfRenderer = RecordingPdfRenderer()
    assert renderer.render(DOCUMENT).startswith(b"%PDF-")
    mailer = InMemoryMailer()
    as_port: Mailer = mailer
    as_port.send(MailMessage(to="ada@example.com", subject="s", body="b"))
    assert len(mailer.sent) == 1
    hasher: PasswordHasher = FastPasswordHasher()
    assert hasher.verify("correct horse", hasher.hash("correct horse"))
    assert not hasher.verify("wrong horse", hasher.hash("correct horse"))
    tokens: TokenIssuer = InMemoryTokenIssuer(clock.now)
    user_id = uuid4()
    assert tokens.verify(tokens.issue(user_id)) == user_id


def test_the_builtin_renderer_fits_the_port() -> None:
    renderer: PdfRenderer = BuiltinPdfRenderer()
    assert renderer.render(DOCUMENT).startswith(b"%PDF-")


def test_the_system_clock_takes_today_in_the_business_zone() -> None:
    from zoneinfo import ZoneInfo

    ahead, behind = SystemClock(ZoneInfo("Pacific/Kiritimati")), SystemClock(ZoneInfo("Etc/GMT+12"))
    # UTC+14 and UTC-12 are 26 hours apart: their dates always differ, by one day or two.
    assert 1 <= (ahead.today() - behind.today()).days <= 2


def test_the_manual_clock_stands_still_until_moved_and_refuses_naive_times() -> None:
    from zoneinfo import ZoneInfo

    clock = ManualClock(datetime(2024, 11, 15, 12, tzinfo=UTC), ZoneInfo("Pacific/Kiritimati"))
    assert clock.now() == clock.now() == datetime(2024, 11, 15, 12, tzinfo=UTC)
    assert clock.today() == date(2024, 11, 16)  # UTC+14
    clock.advance(timedelta(hours=12))
    assert clock.now() == datetime(2024, 11, 16, tzinfo=UTC)
    clock.set(datetime(2025, 1, 1, 9, tzinfo=ZoneInfo("Europe/Berlin")))
    assert clock.now() == datetime(2025, 1, 1, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2024, 11, 15, 12))  # noqa: DTZ001 - refused on purpose
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2024, 11, 15, 12))  # noqa: DTZ001 - refused on purpose


def test_the_fakes_wire_an_application_that_answers() -> None:
    uow = InMemoryUnitOfWork()
    app = in_memory_application(lambda: uow, ManualClock(datetime(2024, 11, 15, tzinfo=UTC)))

    department = app.departments.create("Finance")

    assert app.departments.get(department.id) == department
    assert uow.commits == 1
    assert app.readiness() == {}
