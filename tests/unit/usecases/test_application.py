"""The application object: what it adds to the use cases it wires (readiness, closing, the PDF
and its download, the job table) and that each operation runs with the ports it was given."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, timedelta
from uuid import uuid4

import pytest

from billtrack.adapters.memory.unit_of_work import InMemoryUnitOfWork
from billtrack.domain.model.errors import NotFound, NotReady
from billtrack.domain.model.invoice import InvoiceStatus
from billtrack.domain.usecases.pipeline import RenderOutcome
from billtrack.ports.errors import DependencyUnavailable
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.rendering import Issuer
from tests.unit.usecases.fixtures import World

# -- readiness and closing ---------------------------------------------------------------------


def test_readiness_answers_each_probe_and_a_probe_that_raises_is_not_ready(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def queue_down() -> None:
        raise DependencyUnavailable("render queue")

    def storage_crashes() -> None:
        raise RuntimeError("bucket gone")

    app = replace(
        World().app,
        probes={"database": lambda: None, "queue": queue_down, "storage": storage_crashes},
    )

    with caplog.at_level(logging.WARNING):
        ready = app.readiness()

    assert ready == {"database": True, "queue": False, "storage": False}
    assert "queue" in caplog.text
    assert "bucket gone" in caplog.text


def test_readiness_without_probes_is_empty_and_a_probe_runs_at_every_call() -> None:
    calls: list[str] = []
    app = World().app

    assert app.readiness() == {}
    probed = replace(app, probes={"database": lambda: calls.append("database")})
    assert probed.readiness() == {"database": True}
    assert probed.readiness() == {"database": True}
    assert calls == ["database", "database"]


def test_close_runs_the_closers_in_reverse_order() -> None:
    closed: list[str] = []
    app = replace(
        World().app,
        closers=[
            lambda: closed.append("engine"),
            lambda: closed.append("browser"),
            lambda: closed.append("client"),
        ],
    )

    app.close()

    assert closed == ["client", "browser", "engine"]


def test_close_without_closers_does_nothing() -> None:
    World().app.close()


# -- downloads ---------------------------------------------------------------------------------


class RecordingDownloads:
    """A storage that serves its own signed links (the local folder), recording each opening."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, int, str]] = []

    def open_signed(self, key: str, expires: int, signature: str, /) -> bytes:
        self.opened.append((key, expires, signature))
        if signature != "good":
            raise PermissionError("the download link has expired or is not valid")
        return b"%PDF-" + key.encode()


def test_open_download_without_signed_downloads_is_refused() -> None:
    app = World().app
    assert app.signed_downloads is None

    with pytest.raises(PermissionError):
        app.open_download("invoices/2024/a.pdf", 2_000_000_000, "good")


def test_open_download_hands_the_link_to_the_signed_downloads() -> None:
    downloads = RecordingDownloads()
    app = replace(World().app, signed_downloads=downloads)

    assert app.open_download("a.pdf", 1_700_000_000, "good") == b"%PDF-a.pdf"
    with pytest.raises(PermissionError):
        app.open_download("a.pdf", 1_700_000_000, "forged")
    assert downloads.opened == [
        ("a.pdf", 1_700_000_000, "good"),
        ("a.pdf", 1_700_000_000, "forged"),
    ]


def test_invoice_pdf_is_not_ready_before_the_render_and_the_stored_bytes_after() -> None:
    world = World()
    view = world.invoice(world.employee().employee.id)

    with pytest.raises(NotReady) as refused:
        world.app.invoice_pdf(view.invoice.id)
    assert "pending" in refused.value.detail

    world.run_render_worker()

    pdf = world.app.invoice_pdf(view.invoice.id)
    assert pdf.startswith(b"%PDF-")
    assert pdf == world.storage.objects[view.invoice.pdf_key_for(1)][0]


def test_invoice_pdf_of_a_failed_render_is_not_ready_and_of_a_deleted_invoice_not_found() -> None:
    world = World()
    view = world.invoice(world.employee().employee.id)
    world.app.record_render_failure(RenderJob(view.invoice.id, 1), "browser crashed")

    with pytest.raises(NotReady) as refused:
        world.app.invoice_pdf(view.invoice.id)
    assert "failed" in refused.value.detail

    world.app.delete_invoice(view.invoice.id)
    for invoice_id in (view.invoice.id, uuid4()):
        with pytest.raises(NotFound):
            world.app.invoice_pdf(invoice_id)


def test_the_download_link_lives_as_long_as_the_application_says() -> None:
    world = World()
    view = world.invoice(world.employee().employee.id)
    world.run_render_worker()
    app = replace(world.app, download_link_lifetime=timedelta(minutes=1))

    url = app.download_link(view.invoice.id)

    assert world.storage.open_url(url).startswith(b"%PDF-")
    world.clock.advance(timedelta(minutes=2))
    with pytest.raises(PermissionError):
        world.storage.open_url(url)
    # The default lifetime is the contract's 15 minutes.
    assert world.app.download_link_lifetime == timedelta(minutes=15)


# -- the pipeline's wiring -------------------------------------------------------------------------


def test_the_issuer_of_the_application_is_on_every_document() -> None:
    issuer = Issuer(name="Example GmbH", address="Hauptstraße 1\n10115 Berlin", currency="CHF")
    world = World(issuer=issuer)
    employee = world.employee(email="ada@example.com")
    world.workday(employee.employee.id, date(2024, 10, 1))
    world.invoice(employee.employee.id)

    world.run_render_worker()

    assert [d.issuer for d in world.renderer.rendered] == [issuer]


def test_the_job_table_dispatches_each_job_to_its_handler() -> None:
    world = World()
    view = world.invoice(world.employee(email="ada@example.com").employee.id)
    (delivery,) = world.render_queue.receive()
    world.render_queue.acknowledge(delivery)

    assert set(world.app.job_handlers) == {RenderJob, MailJob}
    assert world.app.handle(delivery.job) is RenderOutcome.RENDERED
    (mail,) = world.mail_queue.receive()
    assert world.app.handle(mail.job) is True
    assert world.app.handle(mail.job) is False
    assert [m.to for m in world.mailer.sent] == ["ada@example.com"]
    assert world.app.get_invoice(view.invoice.id).invoice.status is InvoiceStatus.GENERATED


def test_giving_up_a_render_shows_failed_and_giving_up_a_mail_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = World()
    view = world.invoice(world.employee().employee.id)

    world.app.give_up(RenderJob(view.invoice.id, 1), "RenderFailed: three crashes")

    invoice = world.app.get_invoice(view.invoice.id).invoice
    assert invoice.status is InvoiceStatus.FAILED
    assert invoice.error == "RenderFailed: three crashes"
    commits = world.uow.commits
    with caplog.at_level(logging.ERROR):
        world.app.give_up(MailJob(view.invoice.id, 1), "SMTP refused")
    assert "SMTP refused" in caplog.text
    assert str(view.invoice.id) in caplog.text
    assert world.uow.commits == commits


def test_every_operation_runs_in_a_unit_of_work_of_its_own() -> None:
    world = World()
    opened = []

    def new_uow() -> InMemoryUnitOfWork:
        opened.append(world.uow)
        return world.uow

    app = replace(world.app, new_uow=new_uow)
    department = app.departments.create("Finance")
    app.departments.get(department.id)
    app.departments.rename(department.id, "Accounting")

    assert len(opened) == 3
    assert world.uow.commits == 2
