"""The render worker and mailer Lambda handlers, driven as Lambda drives them: events of messages
really received from SQS (moto's server), the application bootstrapped once per container from
the `BILLTRACK_*` environment, the partial batch response deciding what SQS deletes.

`EventSource` plays Lambda's event source mapping: it receives a batch, passes it as an event,
deletes the records the response does not name, and makes the named ones visible again at once
(as if their visibility timeout had ended), so the next event brings them back one receive later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from billtrack.adapters.builtin_pdf.renderer import BuiltinPdfRenderer
from billtrack.domain.model.invoice import InvoiceStatus, MailStatus
from billtrack.domain.usecases.application import Application
from billtrack.entrypoints.aws import container, mailer, render_worker
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.settings import Settings
from tests.integration.aws.pipeline_helpers import (
    CloudRig,
    EventSource,
    RendererFailingFor,
    create_invoices,
    failed_ids,
    folder_mails_by_number,
    invoices,
    message_ids_by_invoice,
    seed_employees,
)


class Container:
    """The Lambda container of a test: its environment set, its cached application cleared
    before and after, and each bootstrap it does counted (with an optional override)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, rig: CloudRig) -> None:
        self.bootstraps = 0
        self.overrides: dict[str, Any] = {}
        for name, value in rig.billtrack_environment().items():
            monkeypatch.setenv(name, value)

        def counted_bootstrap(settings: Settings, **overrides: Any) -> Application:
            self.bootstraps += 1
            return bootstrap(settings, **{**overrides, **self.overrides})

        monkeypatch.setattr(container, "bootstrap", counted_bootstrap)


@pytest.fixture
def lambda_container(monkeypatch: pytest.MonkeyPatch, rig: CloudRig) -> Iterator[Container]:
    container.application.cache_clear()
    made = Container(monkeypatch, rig)
    try:
        yield made
    finally:
        if container.application.cache_info().currsize:
            container.application().close()
        container.application.cache_clear()


Handler = Callable[[dict[str, Any], object], dict[str, list[dict[str, str]]]]


def invoke(handler: Handler, source: EventSource, event: dict[str, Any]) -> dict[str, Any]:
    response = handler(event, None)
    source.finish(event, response)
    return response


def test_a_good_batch_is_rendered_then_mailed_and_the_container_bootstraps_once(
    rig: CloudRig, lambda_container: Container
) -> None:
    api = rig.app()
    ids = [v.invoice.id for v in create_invoices(api, seed_employees(api, 3))]
    renders = EventSource(rig.aws, rig.queues.render)
    mails = EventSource(rig.aws, rig.queues.mail)

    rendered = invoke(render_worker.handler, renders, renders.next_event(3))

    assert rendered == {"batchItemFailures": []}
    done = invoices(api, ids)
    assert [i.status for i in done] == [InvoiceStatus.GENERATED] * 3
    assert rig.puts_by_key() == {i.pdf_key_for(1): 1 for i in done}
    assert rig.depth(rig.queues.render) == 0

    mailed = invoke(mailer.handler, mails, mails.next_event(3))

    assert mailed == {"batchItemFailures": []}
    assert folder_mails_by_number(rig.data_dir / "mail") == {str(i.number): 1 for i in done}
    assert rig.depth(rig.queues.mail) == 0
    # Two events, one container: bootstrapped on the first, kept for the second.
    assert lambda_container.bootstraps == 1
    assert container.application() is container.application()


def test_a_redelivered_mail_job_sends_no_second_mail(
    rig: CloudRig, lambda_container: Container
) -> None:
    api = rig.app()
    (created,) = create_invoices(api, seed_employees(api, 1))
    renders = EventSource(rig.aws, rig.queues.render)
    mails = EventSource(rig.aws, rig.queues.mail)
    assert invoke(render_worker.handler, renders, renders.next_event(1))["batchItemFailures"] == []
    first = mails.next_event(1)

    # SQS delivers the same message twice (at least once), say: a second event holds it too.
    assert mailer.handler(first, None) == {"batchItemFailures": []}
    assert mailer.handler(first, None) == {"batchItemFailures": []}
    mails.finish(first, {"batchItemFailures": []})

    (done,) = invoices(api, [created.invoice.id])
    assert folder_mails_by_number(rig.data_dir / "mail") == {str(done.number): 1}
    assert lambda_container.bootstraps == 1


def test_only_the_malformed_and_the_failing_records_are_returned_for_retry(
    rig: CloudRig, lambda_container: Container
) -> None:
    api = rig.app()
    views = create_invoices(api, seed_employees(api, 4))
    failing = views[1].invoice
    lambda_container.overrides["renderer"] = RendererFailingFor(
        BuiltinPdfRenderer(), [str(failing.number)]
    )
    malformed_id = rig.aws.send_raw(rig.queues.render.url, "not json at all", "CreatedInvoice")
    renders = EventSource(rig.aws, rig.queues.render)
    event = renders.next_event(5)
    by_invoice = message_ids_by_invoice(event)

    response = invoke(render_worker.handler, renders, event)

    assert failed_ids(response) == {malformed_id, by_invoice[str(failing.id)]}
    done = invoices(api, [v.invoice.id for v in views])
    assert [i.status for i in done] == [
        InvoiceStatus.GENERATED,
        InvoiceStatus.PENDING,
        InvoiceStatus.GENERATED,
        InvoiceStatus.GENERATED,
    ]
    good = [i for i in done if i.id != failing.id]
    assert rig.puts_by_key() == {i.pdf_key_for(1): 1 for i in good}
    # SQS deleted the three done; the two returned come again, one receive later.
    again = renders.next_event(2)
    assert {r["messageId"] for r in again["Records"]} == failed_ids(response)
    assert {r["attributes"]["ApproximateReceiveCount"] for r in again["Records"]} == {"2"}
    assert lambda_container.bootstraps == 1


def test_a_render_failing_its_last_receive_leaves_the_invoice_failed(
    rig: CloudRig, lambda_container: Container
) -> None:
    api = rig.app()
    (created,) = create_invoices(api, seed_employees(api, 1))
    number = str(created.invoice.number)
    renderer = RendererFailingFor(BuiltinPdfRenderer(), [number])
    lambda_container.overrides["renderer"] = renderer
    renders = EventSource(rig.aws, rig.queues.render)

    for receive in range(1, rig.queues.render.max_receive_count + 1):
        event = renders.next_event(1)
        assert event["Records"][0]["attributes"]["ApproximateReceiveCount"] == str(receive)
        response = invoke(render_worker.handler, renders, event)
        assert failed_ids(response) == {event["Records"][0]["messageId"]}
        (now,) = invoices(api, [created.invoice.id])
        last = receive == rig.queues.render.max_receive_count
        assert now.status is (InvoiceStatus.FAILED if last else InvoiceStatus.PENDING)

    assert renderer.attempts == {number: 3}
    assert now.error is not None
    assert f"the template cannot print invoice {number}" in now.error
    # The next receive is SQS's redrive: the message rests in the dead-letter queue.
    assert rig.aws.receive_raw(rig.queues.render.url, wait_seconds=0) == []
    (dead,) = rig.dead_letters(rig.queues.render)
    assert str(created.invoice.id) in dead["Body"]
    assert rig.stored_keys() == []
    assert lambda_container.bootstraps == 1


def test_the_mailer_returns_only_the_mail_it_could_not_send(
    rig: CloudRig, lambda_container: Container
) -> None:
    api = rig.app()
    ids = [v.invoice.id for v in create_invoices(api, seed_employees(api, 3))]
    renders = EventSource(rig.aws, rig.queues.render)
    assert invoke(render_worker.handler, renders, renders.next_event(3))["batchItemFailures"] == []
    done = invoices(api, ids)
    # The PDF of one invoice is gone from the bucket: its mail cannot be sent.
    lost = done[0]
    assert lost.pdf_key is not None
    for version in rig.aws.s3.list_object_versions(Bucket=rig.bucket, Prefix=lost.pdf_key)[
        "Versions"
    ]:
        rig.aws.s3.delete_object(
            Bucket=rig.bucket, Key=lost.pdf_key, VersionId=version["VersionId"]
        )
    malformed_id = rig.aws.send_raw(rig.queues.mail.url, '{"MessageType": "GeneratedInvoice"}')
    mails = EventSource(rig.aws, rig.queues.mail)
    event = mails.next_event(4)

    response = invoke(mailer.handler, mails, event)

    assert failed_ids(response) == {malformed_id, message_ids_by_invoice(event)[str(lost.id)]}
    assert folder_mails_by_number(rig.data_dir / "mail") == {
        str(i.number): 1 for i in done if i.id != lost.id
    }
    assert lambda_container.bootstraps == 1


def test_a_mail_failing_its_last_receive_shows_the_mail_failed(
    rig: CloudRig, lambda_container: Container
) -> None:
    api = rig.app()
    (created,) = create_invoices(api, seed_employees(api, 1))
    renders = EventSource(rig.aws, rig.queues.render)
    assert invoke(render_worker.handler, renders, renders.next_event(1))["batchItemFailures"] == []
    (rendered,) = invoices(api, [created.invoice.id])
    assert rendered.pdf_key is not None
    for version in rig.aws.s3.list_object_versions(Bucket=rig.bucket)["Versions"]:
        rig.aws.s3.delete_object(
            Bucket=rig.bucket, Key=version["Key"], VersionId=version["VersionId"]
        )
    mails = EventSource(rig.aws, rig.queues.mail)

    for receive in range(1, rig.queues.mail.max_receive_count + 1):
        event = mails.next_event(1)
        assert event["Records"][0]["attributes"]["ApproximateReceiveCount"] == str(receive)
        assert failed_ids(invoke(mailer.handler, mails, event)) == {
            event["Records"][0]["messageId"]
        }
        (now,) = invoices(api, [created.invoice.id])
        last = receive == rig.queues.mail.max_receive_count
        assert now.mail_status is (MailStatus.FAILED if last else MailStatus.PENDING)

    assert now.mail_error is not None
    assert rendered.pdf_key in now.mail_error
    assert rig.aws.receive_raw(rig.queues.mail.url, wait_seconds=0) == []
    (dead,) = rig.dead_letters(rig.queues.mail)
    assert str(created.invoice.id) in dead["Body"]
    assert folder_mails_by_number(rig.data_dir / "mail") == {}
    assert lambda_container.bootstraps == 1
