"""The message bodies: the original service's wire format (plus billtrack's `revision`), what is
refused and how, and Lambda records of messages really received from SQS."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

import pytest

from billtrack.adapters.aws.messages import (
    MalformedMessage,
    decode_mail_job,
    decode_render_job,
    delivery_from_lambda_record,
    encode_mail_job,
    encode_render_job,
)
from billtrack.adapters.aws.sqs_queue import SqsJobQueue
from billtrack.ports.jobs import MailJob, RenderJob
from tests.support.moto_server import MotoAws, RenderAndMailQueues, lambda_record

INVOICE_ID = UUID("3f2b8c1e-9a4d-4e57-8b0a-5c6d7e8f9a01")


def test_a_render_body_is_the_originals_with_the_revision_added() -> None:
    body = encode_render_job(RenderJob(INVOICE_ID, 2))
    assert json.loads(body) == {
        "invoiceId": "3f2b8c1e-9a4d-4e57-8b0a-5c6d7e8f9a01",
        "MessageType": "CreatedInvoice",
        "revision": 2,
    }
    assert decode_render_job(body) == RenderJob(INVOICE_ID, 2)


def test_a_render_job_of_the_current_revision_is_exactly_the_originals_body() -> None:
    body = encode_render_job(RenderJob(INVOICE_ID, None))
    assert json.loads(body) == {"invoiceId": str(INVOICE_ID), "MessageType": "CreatedInvoice"}


def test_the_original_services_message_is_a_render_of_the_current_revision() -> None:
    original = (
        '{"invoiceId": "3f2b8c1e-9a4d-4e57-8b0a-5c6d7e8f9a01", "MessageType": "CreatedInvoice"}'
    )
    assert decode_render_job(original) == RenderJob(INVOICE_ID, None)


def test_fields_added_by_a_later_producer_are_ignored() -> None:
    body = json.dumps(
        {"invoiceId": str(INVOICE_ID), "MessageType": "CreatedInvoice", "revision": 3, "x": 1}
    )
    assert decode_render_job(body) == RenderJob(INVOICE_ID, 3)


def test_a_mail_body_carries_the_original_emailers_fields_and_the_invoice() -> None:
    job = MailJob(
        INVOICE_ID,
        4,
        recipient="ada@example.com",
        employee_name="Ada Lovelace",
        file_name="2024-000001.pdf",
    )
    body = encode_mail_job(job)
    assert json.loads(body) == {
        "fileName": "2024-000001.pdf",
        "employeeFullName": "Ada Lovelace",
        "emailTo": "ada@example.com",
        "MessageType": "GeneratedInvoice",
        "invoiceId": str(INVOICE_ID),
        "revision": 4,
        "send": 1,
    }
    assert decode_mail_job(body) == job


def test_a_mail_body_names_its_send_so_a_send_again_is_a_job_of_its_own() -> None:
    again = MailJob(INVOICE_ID, 4, 2, recipient="ada@example.com")
    body = encode_mail_job(again)
    assert json.loads(body)["send"] == 2
    assert decode_mail_job(body) == again


def test_a_mail_body_without_the_informative_fields_still_names_the_invoice() -> None:
    body = json.dumps(
        {"MessageType": "GeneratedInvoice", "invoiceId": str(INVOICE_ID), "revision": 1}
    )
    assert decode_mail_job(body) == MailJob(INVOICE_ID, 1)


RENDER = {"invoiceId": str(INVOICE_ID), "MessageType": "CreatedInvoice"}
MAIL = {
    "fileName": "a.pdf",
    "employeeFullName": "Ada",
    "emailTo": "ada@example.com",
    "MessageType": "GeneratedInvoice",
    "invoiceId": str(INVOICE_ID),
    "revision": 1,
}


@pytest.mark.parametrize(
    ("body", "named"),
    [
        pytest.param("not json", "Invalid JSON", id="not JSON"),
        pytest.param("[1, 2]", "body", id="not an object"),
        pytest.param(json.dumps({"MessageType": "CreatedInvoice"}), "invoiceId", id="no id"),
        pytest.param(json.dumps({**RENDER, "invoiceId": "42"}), "invoiceId", id="bad id"),
        pytest.param(json.dumps({"invoiceId": str(INVOICE_ID)}), "MessageType", id="no type"),
        pytest.param(json.dumps(MAIL), "MessageType", id="a mail message"),
        pytest.param(json.dumps({**RENDER, "revision": "2"}), "revision", id="revision text"),
        pytest.param(json.dumps({**RENDER, "revision": 0}), "revision", id="revision 0"),
        pytest.param(json.dumps({**RENDER, "revision": True}), "revision", id="revision bool"),
        pytest.param(json.dumps({**RENDER, "revision": 1.5}), "revision", id="revision 1.5"),
    ],
)
def test_a_malformed_render_body_is_refused_naming_what_is_wrong(body: str, named: str) -> None:
    with pytest.raises(MalformedMessage, match="CreatedInvoice") as refused:
        decode_render_job(body)
    assert named in refused.value.problem


@pytest.mark.parametrize(
    ("body", "named"),
    [
        pytest.param(json.dumps(RENDER), "MessageType", id="a render message"),
        pytest.param(
            json.dumps({k: v for k, v in MAIL.items() if k != "invoiceId"}),
            "invoiceId",
            id="the original emailer's message, which named no invoice",
        ),
        pytest.param(
            json.dumps({k: v for k, v in MAIL.items() if k != "revision"}),
            "revision",
            id="no revision",
        ),
        pytest.param(json.dumps({**MAIL, "emailTo": 7}), "emailTo", id="recipient not text"),
    ],
)
def test_a_malformed_mail_body_is_refused_naming_what_is_wrong(body: str, named: str) -> None:
    with pytest.raises(MalformedMessage, match="GeneratedInvoice") as refused:
        decode_mail_job(body)
    assert named in refused.value.problem


def received_records(aws: MotoAws, queue_url: str, queue_arn: str) -> list[dict[str, Any]]:
    return [lambda_record(message, queue_arn) for message in aws.receive_raw(queue_url)]


def test_a_lambda_record_of_a_received_message_is_its_delivery(
    aws: MotoAws, sqs_queues: RenderAndMailQueues, render_queue: SqsJobQueue[RenderJob]
) -> None:
    job = RenderJob(uuid4(), 2)
    render_queue.publish(job)
    (record,) = received_records(aws, sqs_queues.render.url, sqs_queues.render.arn)
    assert record["messageAttributes"]["MessageType"]["stringValue"] == "CreatedInvoice"

    delivery = delivery_from_lambda_record(record, decode_render_job)

    assert delivery.job == job
    assert delivery.attempt == 1
    assert delivery.receipt == record["receiptHandle"]
    # The receipt is the queue's own: the queue can acknowledge the delivery.
    render_queue.acknowledge(delivery)
    assert render_queue.approximate_depth() == 0


def test_a_lambda_record_counts_the_receives(
    aws: MotoAws, sqs_queues: RenderAndMailQueues, mail_queue: SqsJobQueue[MailJob]
) -> None:
    job = MailJob(uuid4(), 1, recipient="ada@example.com")
    mail_queue.publish(job)
    (first,) = received_records(aws, sqs_queues.mail.url, sqs_queues.mail.arn)
    mail_queue.release(delivery_from_lambda_record(first, decode_mail_job))

    (second,) = received_records(aws, sqs_queues.mail.url, sqs_queues.mail.arn)

    delivery = delivery_from_lambda_record(second, decode_mail_job)
    assert (delivery.job, delivery.attempt) == (job, 2)


def test_a_lambda_record_with_a_malformed_body_names_its_message(
    aws: MotoAws, sqs_queues: RenderAndMailQueues
) -> None:
    message_id = aws.send_raw(sqs_queues.render.url, '{"invoiceId": "nope"}', "CreatedInvoice")
    (record,) = received_records(aws, sqs_queues.render.url, sqs_queues.render.arn)

    with pytest.raises(MalformedMessage, match=message_id) as refused:
        delivery_from_lambda_record(record, decode_render_job)
    assert "invoiceId" in str(refused.value)


def test_a_lambda_record_without_its_receipt_handle_is_refused() -> None:
    record = {
        "messageId": "m-1",
        "body": encode_render_job(RenderJob(INVOICE_ID, 1)),
        "attributes": {"ApproximateReceiveCount": "1"},
    }
    with pytest.raises(MalformedMessage, match="m-1") as refused:
        delivery_from_lambda_record(record, decode_render_job)
    assert "receiptHandle" in str(refused.value)
