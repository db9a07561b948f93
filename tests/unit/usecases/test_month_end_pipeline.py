"""The month end in one process: as few transactions per invoice as the guarantees allow, the
document loaded once, the mail sent from what the render had in hand; and the same jobs handled
by another process (a Lambda), which loads what it needs, coming out the same."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from types import TracebackType
from typing import Self

import pytest

from billtrack.adapters.memory.storage import InMemoryObjectStorage
from billtrack.adapters.memory.unit_of_work import InMemoryUnitOfWork
from billtrack.domain.model.invoice import InvoiceStatus, MailStatus
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.pipeline import Handoff, RenderedPdf, RenderOutcome
from billtrack.entrypoints.worker.runner import Worker
from billtrack.ports.errors import ObjectMissing
from billtrack.ports.jobs import RenderJob
from billtrack.ports.rendering import Issuer
from tests.unit.usecases.fixtures import World

ISSUER = Issuer(name="Acme GmbH", address="Hauptstraße 1")


class CountingUnitOfWork(InMemoryUnitOfWork):
    """Counts its transactions (each `with` block), by whether it is the reader."""

    def __init__(self, world: World, counts: dict[str, int], kind: str) -> None:
        super().__init__(world.uow.store)
        self._counts, self._kind = counts, kind

    def __enter__(self) -> Self:
        self._counts[self._kind] += 1
        return super().__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, traceback)


class CountingStorage(InMemoryObjectStorage):
    gets = 0

    def get(self, key: str, /) -> bytes:
        self.gets += 1
        return super().get(key)


def company(world: World, employees: int = 3) -> None:
    """`employees` employees with two October workdays each, in one department and project."""
    department, project = world.department(), world.project()
    for n in range(employees):
        world.tick()
        view = world.employee(
            firstname=f"Ada{n}",
            email=f"ada{n}@example.com",
            department_id=department.id,
            project_id=project.id,
        )
        world.workday(view.employee.id, date(2024, 10, 2), "8")
        world.workday(view.employee.id, date(2024, 10, 1), "7.5")


def one_process(world: World) -> tuple[Application, dict[str, int]]:
    """The application as one process has it: one handoff, every operation counted."""
    counts = {"write": 0, "read": 0}
    app = replace(
        world.app,
        new_uow=lambda: CountingUnitOfWork(world, counts, "write"),
        new_reader=lambda: CountingUnitOfWork(world, counts, "read"),
        issuer=ISSUER,
    )
    return app, counts


def world_with_counted_storage() -> World:
    world = World(issuer=ISSUER)
    world.storage = CountingStorage(world.clock.now)
    return world


def test_in_one_process_an_invoice_takes_four_transactions_and_nothing_is_read_twice() -> None:
    world = world_with_counted_storage()
    company(world, 3)
    app, counts = one_process(world)
    batch = app.start_month_run(year=2024, month=10)
    counts.update(write=0, read=0)

    run = app.continue_month_run(batch.id)
    after_issuing = dict(counts)
    report = Worker(app).drain()

    assert (report.rendered, report.mailed, report.given_up) == (3, 3, [])
    # The run reads its employees and records its end: two transactions, not per invoice.
    assert after_issuing == {"write": 3 + 2, "read": 0}
    # Each invoice: issued (1), rendered and recorded (1), its mail claimed (1) and recorded (1).
    assert counts == {"write": 3 * 4 + 2, "read": 0}
    assert isinstance(world.storage, CountingStorage)
    assert world.storage.gets == 0
    assert app.handoff.held == (0, 0)
    for view in run.created:
        invoice = world.stored_invoice(view.invoice.id)
        assert (invoice.status, invoice.mail_status) == (InvoiceStatus.GENERATED, MailStatus.SENT)
    assert len(world.mailer.sent) == 3
    assert world.owed_renders() == []


def test_another_process_loads_what_it_needs_and_renders_and_mails_the_same() -> None:
    here, there = world_with_counted_storage(), world_with_counted_storage()
    for world in (here, there):
        company(world, 2)
    app, _ = one_process(here)
    app.run_month(year=2024, month=10)
    Worker(app).drain()
    # There, one process issues, another renders and a third mails (as the Lambdas do).
    issuing, _ = one_process(there)
    issuing.run_month(year=2024, month=10)
    rendering, counts = one_process(there)
    while renders := there.render_queue.receive():
        for render in renders:
            assert rendering.render(render.job) is RenderOutcome.RENDERED
    # Each render reads what it prints in a transaction that only reads, then records it.
    assert counts == {"write": 2, "read": 2}
    mailing, counts = one_process(there)
    while mails := there.mail_queue.receive():
        for delivery in mails:
            assert mailing.mail(delivery.job) is True
    # Each mail claims and records its send, loading the document and reading the PDF back.
    assert counts == {"write": 2 * 2, "read": 0}
    assert isinstance(there.storage, CountingStorage)
    assert there.storage.gets == 2
    assert here.renderer.rendered == there.renderer.rendered
    assert [m.subject for m in here.mailer.sent] == [m.subject for m in there.mailer.sent]
    assert [m.body for m in here.mailer.sent] == [m.body for m in there.mailer.sent]
    assert [m.attachments for m in here.mailer.sent] == [m.attachments for m in there.mailer.sent]


def test_a_run_records_its_renders_published_so_the_sweeper_leaves_them_alone() -> None:
    world = World()
    company(world, 2)
    app, _ = one_process(world)

    app.run_month(year=2024, month=10)

    assert len(world.render_queue.pending()) == 2
    assert len(world.owed_renders()) == 2
    assert world.owed_renders(world.clock.now() - timedelta(minutes=5)) == []
    assert app.republish_owed() == 0
    world.clock.advance(timedelta(minutes=6))
    assert app.republish_owed() == 2


def test_with_the_queue_down_a_run_s_renders_are_owed_at_once() -> None:
    world = World()
    company(world, 2)
    app, _ = one_process(world)
    world.render_queue.available = False

    run = app.run_month(year=2024, month=10)

    assert len(run.created) == 2
    assert world.render_queue.pending() == []
    # Never published: due whatever the age limit, as a render the API issued would be.
    assert len(world.owed_renders(world.clock.now() - timedelta(days=1))) == 2
    world.render_queue.available = True
    assert app.republish_owed() == 2
    assert app.republish_owed() == 0


def test_an_invoice_deleted_before_its_render_is_printed_but_nothing_is_recorded() -> None:
    world = World()
    company(world, 1)
    app, _ = one_process(world)
    (view,) = app.run_month(year=2024, month=10).created
    app.delete_invoice(view.invoice.id)

    (delivery,) = world.render_queue.receive()
    outcome = app.render(delivery.job)

    # The document was in hand, so the render did not read first; the transaction that records
    # it found the invoice gone.
    assert outcome is RenderOutcome.STALE
    invoice = world.stored_invoice(view.invoice.id)
    assert not invoice.is_active
    assert invoice.status is InvoiceStatus.PENDING
    assert world.mail_queue.pending() == []
    assert world.owed_renders() == []


def test_an_invoice_revised_before_its_render_gets_the_new_revision_printed_and_mailed() -> None:
    world = World()
    company(world, 1)
    app, _ = one_process(world)
    (view,) = app.run_month(year=2024, month=10).created
    september = InvoiceDetails(year=2024, month=9, employee_id=view.invoice.employee_id)
    app.change_invoice(view.invoice.id, september)

    report = Worker(app).drain()

    assert (report.rendered, report.skipped, report.mailed) == (1, 1, 1)
    invoice = world.stored_invoice(view.invoice.id)
    assert (invoice.revision, invoice.status) == (2, InvoiceStatus.GENERATED)
    assert invoice.pdf_key == invoice.pdf_key_for(2)
    (sent,) = world.mailer.sent
    assert "September 2024" in sent.subject
    assert world.renderer.rendered[-1].period_label == "September 2024"


def test_a_render_job_delivered_twice_prints_once_from_the_handoff_and_once_not_at_all() -> None:
    world = World()
    company(world, 1)
    app, _ = one_process(world)
    (view,) = app.run_month(year=2024, month=10).created
    job = RenderJob(view.invoice.id, 1)

    assert app.render(job) is RenderOutcome.RENDERED
    assert app.render(job) in (RenderOutcome.ALREADY_DONE, RenderOutcome.STALE)

    assert len(world.renderer.rendered) == 1
    assert world.storage.puts == 1
    Worker(app).drain()
    assert len(world.mailer.sent) == 1


def test_a_pdf_left_under_another_key_than_the_invoice_s_is_not_mailed() -> None:
    world = world_with_counted_storage()
    company(world, 1)
    app, _ = one_process(world)
    (view,) = app.run_month(year=2024, month=10).created
    (render,) = world.render_queue.receive()
    app.render(render.job)
    left = app.handoff.take_pdf(view.invoice.id, 1)
    assert left is not None
    app.handoff.leave_pdf(view.invoice.id, 1, RenderedPdf(left.document, "elsewhere", b"%PDF-x"))
    (mail,) = world.mail_queue.receive()

    assert app.mail(mail.job) is True

    (sent,) = world.mailer.sent
    assert sent.attachments[0].data == left.pdf
    assert isinstance(world.storage, CountingStorage)
    assert world.storage.gets == 1


def test_the_handoff_holds_a_bounded_number_and_drops_the_oldest() -> None:
    world = World()
    company(world, 3)
    app = replace(world.app, handoff=Handoff(documents=2, pdfs=1))

    run = app.run_month(year=2024, month=10)

    assert app.handoff.held == (2, 0)
    first = run.created[0].invoice
    assert app.handoff.take_issued(first.id, first.revision) is None
    last = run.created[-1].invoice
    taken = app.handoff.take_issued(last.id, last.revision)
    assert taken is not None
    assert taken.invoice == last
    assert app.handoff.take_issued(last.id, last.revision) is None


def test_a_pdf_gone_from_storage_is_not_mailed_from_what_the_render_left() -> None:
    world = World()
    company(world, 1)
    app, _ = one_process(world)
    (view,) = app.run_month(year=2024, month=10).created
    (render,) = world.render_queue.receive()
    app.render(render.job)
    del world.storage.objects[view.invoice.pdf_key_for(1)]
    (mail,) = world.mail_queue.receive()

    with pytest.raises(ObjectMissing):
        app.mail(mail.job)

    assert world.mailer.sent == []
    invoice = world.stored_invoice(view.invoice.id)
    assert (invoice.mail_status, invoice.mail_claimed_at) == (MailStatus.PENDING, None)
