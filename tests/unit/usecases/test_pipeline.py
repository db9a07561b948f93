"""The invoice pipeline after commit: render and store the PDF, mark it generated, mail it once.

Jobs come at least once, maybe twice, maybe out of order; every step must be safe to repeat.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from billtrack.domain.model.invoice import InvoiceStatus
from billtrack.domain.model.views import InvoiceView
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.pipeline import (
    PDF_CONTENT_TYPE,
    RenderOutcome,
)
from billtrack.ports.errors import DependencyUnavailable
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.rendering import InvoiceDocument
from tests.fakes.rendering import RecordingPdfRenderer, RenderFailed
from tests.unit.usecases.fixtures import World


def issued(world: World) -> tuple[InvoiceView, RenderJob]:
    """An October 2024 invoice of the contract's example, and the render job it queued."""
    employee = world.employee(firstname="Ada", lastname="Lovelace", email="ada@example.com")
    world.workday(employee.employee.id, date(2024, 10, 2), "8")
    world.workday(employee.employee.id, date(2024, 10, 1), "8")
    view = world.invoice(employee.employee.id, 2024, 10)
    (delivery,) = world.render_queue.receive()
    assert delivery.job == RenderJob(view.invoice.id, 1)
    world.render_queue.acknowledge(delivery)
    return view, delivery.job


def mail_job_of(view: InvoiceView, revision: int) -> MailJob:
    """The mail request a render of `revision` asks for, with what the original emailer's
    messages carried (the issued() employee's address and name, the attachment's file name)."""
    return MailJob(
        view.invoice.id,
        revision,
        recipient="ada@example.com",
        employee_name="Ada Lovelace",
        file_name=f"invoice-{view.invoice.number}.pdf",
    )


def move_to_september(world: World, view: InvoiceView) -> None:
    details = InvoiceDetails(year=2024, month=9, employee_id=view.invoice.employee_id)
    world.app.change_invoice(view.invoice.id, details)


def drain(world: World) -> None:
    """Lose whatever the mail queue holds (a worker died with it, say)."""
    while deliveries := world.mail_queue.receive():
        for delivery in deliveries:
            world.mail_queue.acknowledge(delivery)


# -- render ---------------------------------------------------------------------------------------


def test_render_stores_the_pdf_marks_generated_and_asks_for_the_mail() -> None:
    world = World()
    view, job = issued(world)
    world.clock.advance(timedelta(seconds=30))

    outcome = world.render(job)

    assert outcome is RenderOutcome.RENDERED
    invoice = world.app.get_invoice(view.invoice.id).invoice
    key = view.invoice.pdf_key_for(1)
    assert invoice.status is InvoiceStatus.GENERATED
    assert invoice.pdf_key == key
    assert invoice.generated_at == world.clock.now()
    assert invoice.is_url_ready
    assert invoice.error is None
    data, content_type = world.storage.objects[key]
    assert content_type == PDF_CONTENT_TYPE == "application/pdf"
    assert data.startswith(b"%PDF-")
    assert world.storage.puts == 1
    assert world.mail_queue.pending() == [mail_job_of(view, 1)]
    assert world.owed_renders() == []


def test_the_pdf_shows_the_snapshot_and_the_workdays_in_date_order() -> None:
    world = World()
    view, job = issued(world)

    world.render(job)

    assert len(world.renderer.rendered) == 1
    document = world.renderer.rendered[0]
    assert document == InvoiceDocument(
        number="2024-000001",
        issue_date=date(2024, 11, 15),
        period_label="October 2024",
        employee_name="Ada Lovelace",
        employee_email="ada@example.com",
        department=view.employee.department.name.value,
        project=view.employee.project.name.value,
        salary=Decimal("4000.00"),
        weekdays=23,
        total_hours=Decimal("16.00"),
        hourly_rate=Decimal("21.7391"),
        amount=Decimal("347.83"),
        workdays=((date(2024, 10, 1), Decimal("8.00")), (date(2024, 10, 2), Decimal("8.00"))),
    )


def test_a_second_delivery_does_no_work_again() -> None:
    world = World()
    view, job = issued(world)
    world.render(job)
    generated = world.app.get_invoice(view.invoice.id).invoice
    world.clock.advance(timedelta(minutes=1))

    again = world.render(job)

    assert again in (RenderOutcome.ALREADY_DONE, RenderOutcome.STALE)
    assert world.storage.puts == 1
    assert len(world.renderer.rendered) == 1
    assert world.app.get_invoice(view.invoice.id).invoice == generated
    # However often the mail is asked for, it goes out once.
    assert world.run_mail_worker().count(True) == 1
    assert len(world.mailer.sent) == 1


def test_a_second_delivery_after_the_mail_went_out_is_stale() -> None:
    world = World()
    _, job = issued(world)
    world.render(job)
    world.run_mail_worker()

    assert world.render(job) is RenderOutcome.STALE
    assert world.mail_queue.pending() == []
    assert world.storage.puts == 1
    assert len(world.mailer.sent) == 1


@pytest.mark.parametrize("case", ["unknown", "deleted"])
def test_a_job_for_an_unknown_or_deleted_invoice_is_acknowledged_without_work(case: str) -> None:
    world = World()
    if case == "unknown":
        job = RenderJob(uuid4(), 1)
    else:
        view, job = issued(world)
        world.app.delete_invoice(view.invoice.id)

    outcome = world.render(job)

    assert outcome is RenderOutcome.STALE
    assert world.renderer.rendered == []
    assert world.storage.puts == 0
    assert world.storage.objects == {}
    assert world.mail_queue.pending() == []
    assert world.owed_renders() == []


def test_a_stale_job_does_not_store_or_mark_generated() -> None:
    world = World()
    view, old_job = issued(world)
    move_to_september(world, view)

    outcome = world.render(old_job)

    assert outcome is RenderOutcome.STALE
    invoice = world.app.get_invoice(view.invoice.id).invoice
    assert invoice.revision == 2
    assert invoice.status is InvoiceStatus.PENDING
    assert not invoice.is_url_ready
    assert world.storage.puts == 0
    assert world.renderer.rendered == []
    assert world.mail_queue.pending() == []
    # The render of revision 2 is still owed.
    assert world.owed_renders() == [RenderJob(view.invoice.id, 2)]


def test_jobs_out_of_order_end_with_the_newest_revision() -> None:
    world = World()
    view, old_job = issued(world)
    move_to_september(world, view)
    (delivery,) = world.render_queue.receive()
    new_job = delivery.job
    assert new_job == RenderJob(view.invoice.id, 2)

    assert world.render(new_job) is RenderOutcome.RENDERED
    assert world.render(old_job) is RenderOutcome.STALE

    invoice = world.app.get_invoice(view.invoice.id).invoice
    assert invoice.status is InvoiceStatus.GENERATED
    assert invoice.pdf_key == invoice.pdf_key_for(2)
    assert invoice.pdf_key != invoice.pdf_key_for(1)
    assert list(world.storage.objects) == [invoice.pdf_key_for(2)]
    assert world.renderer.rendered[0].period_label == "September 2024"
    assert world.mail_queue.pending() == [mail_job_of(view, 2)]


class ChangingRenderer(RecordingPdfRenderer):
    """A renderer during whose work someone else changes the invoice (another API request)."""

    def __init__(self, world: World, change: str) -> None:
        super().__init__()
        self.world = world
        self.change = change
        self.invoice_id: UUID | None = None

    def render(self, document: InvoiceDocument, /) -> bytes:
        pdf = super().render(document)
        assert self.invoice_id is not None
        # Another request, with a unit of work of its own.
        other = self.world.concurrent_app()
        if self.change == "moved":
            view = other.get_invoice(self.invoice_id)
            details = InvoiceDetails(year=2024, month=9, employee_id=view.invoice.employee_id)
            other.change_invoice(self.invoice_id, details)
        else:
            other.delete_invoice(self.invoice_id)
        return pdf


@pytest.mark.parametrize("change", ["moved", "deleted"])
def test_a_change_during_the_render_leaves_the_invoice_as_the_change_made_it(change: str) -> None:
    world = World()
    renderer = ChangingRenderer(world, change)
    world.renderer = renderer
    view, job = issued(world)
    renderer.invoice_id = view.invoice.id

    outcome = world.render(job)

    assert outcome is RenderOutcome.STALE
    stored = world.stored_invoice(view.invoice.id)
    assert stored.status is InvoiceStatus.PENDING
    assert stored.pdf_key is None
    assert world.mail_queue.pending() == []
    if change == "moved":
        assert stored.revision == 2
        assert world.owed_renders() == [RenderJob(view.invoice.id, 2)]
    else:
        assert not stored.is_active
        assert world.owed_renders() == []


# -- failures ---------------------------------------------------------------------------------


def test_a_renderer_failure_raises_leaves_pending_and_the_next_delivery_succeeds() -> None:
    world = World()
    view, job = issued(world)
    world.renderer.failures_left = 1

    with pytest.raises(RenderFailed):
        world.render(job)

    pending = world.app.get_invoice(view.invoice.id).invoice
    assert pending.status is InvoiceStatus.PENDING
    assert world.storage.puts == 0
    assert world.mail_queue.pending() == []
    assert world.owed_renders() == [job]

    assert world.render(job) is RenderOutcome.RENDERED
    assert world.app.get_invoice(view.invoice.id).invoice.status is InvoiceStatus.GENERATED
    assert world.storage.puts == 1


def test_storage_down_raises_unavailable_and_leaves_pending() -> None:
    world = World()
    view, job = issued(world)
    world.storage.available = False

    with pytest.raises(DependencyUnavailable):
        world.render(job)

    invoice = world.app.get_invoice(view.invoice.id).invoice
    assert invoice.status is InvoiceStatus.PENDING
    assert invoice.pdf_key is None
    assert world.storage.objects == {}
    assert world.mail_queue.pending() == []
    assert world.owed_renders() == [job]

    world.storage.available = True
    assert world.render(job) is RenderOutcome.RENDERED
    assert list(world.storage.objects) == [view.invoice.pdf_key_for(1)]


def test_record_render_failure_marks_failed_with_the_reason_and_settles_the_outbox() -> None:
    world = World()
    view, job = issued(world)

    world.app.record_render_failure(job, "Chromium crashed three times")

    invoice = world.app.get_invoice(view.invoice.id).invoice
    assert invoice.status is InvoiceStatus.FAILED
    assert invoice.error == "Chromium crashed three times"
    assert not invoice.is_url_ready
    assert world.owed_renders() == []
    # A late redelivery of the same job does not render a failed invoice.
    assert world.render(job) is RenderOutcome.STALE
    assert world.storage.puts == 0


def test_a_failed_invoice_moved_to_another_month_is_rendered_again() -> None:
    world = World()
    view, job = issued(world)
    world.app.record_render_failure(job, "Chromium crashed")

    move_to_september(world, view)

    moved = world.app.get_invoice(view.invoice.id).invoice
    assert moved.status is InvoiceStatus.PENDING
    assert moved.error is None
    assert world.run_render_worker() == [RenderOutcome.RENDERED]
    rendered = world.app.get_invoice(view.invoice.id).invoice
    assert rendered.status is InvoiceStatus.GENERATED
    assert rendered.pdf_key == view.invoice.pdf_key_for(2)


def test_record_render_failure_of_a_stale_revision_changes_nothing() -> None:
    world = World()
    view, old_job = issued(world)
    move_to_september(world, view)
    before = world.stored_invoice(view.invoice.id)

    world.app.record_render_failure(old_job, "too late")

    assert world.stored_invoice(view.invoice.id) == before
    assert world.owed_renders() == [RenderJob(view.invoice.id, 2)]


def test_record_render_failure_after_success_keeps_generated() -> None:
    world = World()
    view, job = issued(world)
    world.render(job)

    world.app.record_render_failure(job, "dead letter of an earlier attempt")

    invoice = world.app.get_invoice(view.invoice.id).invoice
    assert invoice.status is InvoiceStatus.GENERATED
    assert invoice.error is None


def test_record_render_failure_of_an_unknown_invoice_is_harmless() -> None:
    world = World()

    world.app.record_render_failure(RenderJob(uuid4(), 1), "gone")

    assert world.owed_renders() == []


# -- mail ------------------------------------------------------------------------------------------


def test_mail_sends_the_stored_pdf_to_the_employee_once() -> None:
    world = World()
    view, job = issued(world)
    world.render(job)
    (delivery,) = world.mail_queue.receive()
    mail_job = delivery.job
    assert mail_job == mail_job_of(view, 1)

    assert world.mail(mail_job) is True

    assert len(world.mailer.sent) == 1
    message = world.mailer.sent[0]
    assert message.to == "ada@example.com"
    assert "2024-000001" in message.subject
    assert len(message.attachments) == 1
    attachment = message.attachments[0]
    assert attachment.content_type == "application/pdf"
    assert attachment.filename == "invoice-2024-000001.pdf"
    assert attachment.data == world.storage.objects[view.invoice.pdf_key_for(1)][0]

    assert world.mail(mail_job) is False
    assert len(world.mailer.sent) == 1


def test_mail_server_down_raises_and_a_later_delivery_sends_once() -> None:
    world = World()
    view, job = issued(world)
    world.render(job)
    mail_job = MailJob(view.invoice.id, 1)
    world.mailer.available = False

    with pytest.raises(DependencyUnavailable):
        world.mail(mail_job)
    assert world.mailer.sent == []

    world.mailer.available = True
    assert world.mail(mail_job) is True
    assert world.mail(mail_job) is False
    assert len(world.mailer.sent) == 1


def test_storage_down_while_mailing_raises_and_sends_nothing() -> None:
    world = World()
    view, job = issued(world)
    world.render(job)
    world.storage.available = False

    with pytest.raises(DependencyUnavailable):
        world.mail(MailJob(view.invoice.id, 1))

    assert world.mailer.sent == []
    world.storage.available = True
    assert world.mail(MailJob(view.invoice.id, 1)) is True


def test_a_lost_mail_job_is_asked_for_again_by_a_redelivered_render_job() -> None:
    world = World()
    view, job = issued(world)
    world.render(job)
    drain(world)

    outcome = world.render(job)

    assert outcome is RenderOutcome.ALREADY_DONE
    assert world.mail_queue.pending() == [MailJob(view.invoice.id, 1)]
    assert world.storage.puts == 1
    assert len(world.renderer.rendered) == 1
    assert world.run_mail_worker() == [True]
    assert len(world.mailer.sent) == 1


def test_no_mail_before_the_pdf_is_stored_or_for_a_stale_revision_or_deleted_invoice() -> None:
    world = World()
    view, job = issued(world)

    assert world.mail(MailJob(view.invoice.id, 1)) is False  # still pending

    world.render(job)
    move_to_september(world, view)
    assert world.mail(MailJob(view.invoice.id, 1)) is False  # revision 1 is stale

    world.run_render_worker()
    world.app.delete_invoice(view.invoice.id)
    assert world.mail(MailJob(view.invoice.id, 2)) is False  # deleted
    assert world.mail(MailJob(uuid4(), 1)) is False  # unknown
    assert world.mailer.sent == []


def test_a_changed_invoice_is_rendered_and_mailed_again() -> None:
    world = World()
    view, job = issued(world)
    world.render(job)
    world.run_mail_worker()

    move_to_september(world, view)
    assert world.run_render_worker() == [RenderOutcome.RENDERED]
    assert world.run_mail_worker() == [True]

    assert len(world.mailer.sent) == 2
    assert (
        world.mailer.sent[1].attachments[0].data
        == (world.storage.objects[view.invoice.pdf_key_for(2)][0])
    )
    assert "September 2024" in world.mailer.sent[1].subject


# -- jobs without a revision (the original service's messages) -------------------------------------


def test_a_job_without_a_revision_renders_the_current_revision() -> None:
    world = World()
    view, _ = issued(world)
    move_to_september(world, view)
    world.render_queue.receive()  # the revision 2 job, lost

    outcome = world.render(RenderJob(view.invoice.id, None))

    assert outcome is RenderOutcome.RENDERED
    invoice = world.app.get_invoice(view.invoice.id).invoice
    assert invoice.status is InvoiceStatus.GENERATED
    assert invoice.pdf_key == view.invoice.pdf_key_for(2)
    assert list(world.storage.objects) == [view.invoice.pdf_key_for(2)]
    assert [d.period_label for d in world.renderer.rendered] == ["September 2024"]
    assert world.owed_renders() == []
    assert world.mail_queue.pending() == [mail_job_of(view, 2)]


def test_a_job_without_a_revision_is_repeatable_like_any_other() -> None:
    world = World()
    view, _ = issued(world)
    job = RenderJob(view.invoice.id, None)

    assert world.render(job) is RenderOutcome.RENDERED
    drain(world)
    # Rendered, not yet mailed: the mail is asked for again, with nothing rendered again.
    assert world.render(job) is RenderOutcome.ALREADY_DONE
    assert world.run_mail_worker() == [True]
    assert world.render(job) is RenderOutcome.STALE
    assert world.storage.puts == 1
    assert len(world.renderer.rendered) == 1
    assert len(world.mailer.sent) == 1


def test_a_job_without_a_revision_for_an_unknown_or_deleted_invoice_is_stale() -> None:
    world = World()
    view, _ = issued(world)
    world.app.delete_invoice(view.invoice.id)

    for invoice_id in (uuid4(), view.invoice.id):
        assert world.render(RenderJob(invoice_id, None)) is RenderOutcome.STALE
    assert world.renderer.rendered == []
    assert world.mail_queue.pending() == []


def test_giving_up_a_job_without_a_revision_fails_the_current_revision() -> None:
    world = World()
    view, _ = issued(world)
    move_to_september(world, view)

    world.app.record_render_failure(RenderJob(view.invoice.id, None), "Chromium crashed")

    invoice = world.app.get_invoice(view.invoice.id).invoice
    assert (invoice.revision, invoice.status, invoice.error) == (
        2,
        InvoiceStatus.FAILED,
        "Chromium crashed",
    )
    assert world.owed_renders() == []
    # Giving up a job of an invoice that is gone is harmless.
    world.app.record_render_failure(RenderJob(uuid4(), None), "gone")
