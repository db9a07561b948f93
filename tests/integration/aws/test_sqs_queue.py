"""The SQS job queue over moto's server: what it sends, what it does with malformed messages, stale
receipts and backoff, and how an outage shows. What every queue does is in the queue contract."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from uuid import uuid4

import pytest

from billtrack.adapters.aws.clients import AwsConnection, sqs_client
from billtrack.adapters.aws.messages import RENDER_MESSAGES, encode_render_job
from billtrack.adapters.aws.sqs_queue import RedeliveryBackoff, SqsJobQueue
from billtrack.ports.errors import DependencyUnavailable
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.queues import MailQueue, RenderQueue
from tests.support.moto_server import (
    MotoAws,
    RenderAndMailQueues,
    closed_endpoint,
    unavailable_endpoint,
)


def test_the_queues_fit_the_port(
    render_queue: SqsJobQueue[RenderJob], mail_queue: SqsJobQueue[MailJob]
) -> None:
    renders: RenderQueue = render_queue
    mails: MailQueue = mail_queue
    assert renders.max_attempts == mails.max_attempts == 3
    assert renders.name.startswith("billtrack-render-")


def test_messages_carry_the_original_bodies_and_their_type_as_an_attribute(
    aws: MotoAws,
    sqs_queues: RenderAndMailQueues,
    render_queue: SqsJobQueue[RenderJob],
    mail_queue: SqsJobQueue[MailJob],
) -> None:
    invoice_id = uuid4()
    render_queue.publish(RenderJob(invoice_id, 1))
    mail_queue.publish(
        MailJob(
            invoice_id,
            1,
            recipient="ada@example.com",
            employee_name="Ada Lovelace",
            file_name="a.pdf",
        )
    )

    (render,) = aws.receive_raw(sqs_queues.render.url)
    (mail,) = aws.receive_raw(sqs_queues.mail.url)

    assert json.loads(render["Body"]) == {
        "invoiceId": str(invoice_id),
        "MessageType": "CreatedInvoice",
        "revision": 1,
    }
    assert render["MessageAttributes"] == {
        "MessageType": {"StringValue": "CreatedInvoice", "DataType": "String"}
    }
    assert json.loads(mail["Body"]) == {
        "fileName": "a.pdf",
        "employeeFullName": "Ada Lovelace",
        "emailTo": "ada@example.com",
        "MessageType": "GeneratedInvoice",
        "invoiceId": str(invoice_id),
        "revision": 1,
        "send": 1,
    }
    assert mail["MessageAttributes"] == {
        "MessageType": {"StringValue": "GeneratedInvoice", "DataType": "String"}
    }


def test_a_message_of_the_original_service_is_a_job_of_the_current_revision(
    aws: MotoAws, sqs_queues: RenderAndMailQueues, render_queue: SqsJobQueue[RenderJob]
) -> None:
    invoice_id = uuid4()
    original = json.dumps({"invoiceId": str(invoice_id), "MessageType": "CreatedInvoice"})
    aws.send_raw(sqs_queues.render.url, original, "CreatedInvoice")

    (delivery,) = render_queue.receive(wait_seconds=1)

    assert delivery.job == RenderJob(invoice_id, None)


def test_publishing_many_sends_batches_of_ten(
    aws: MotoAws, sqs_queues: RenderAndMailQueues, render_queue: SqsJobQueue[RenderJob]
) -> None:
    jobs = [RenderJob(uuid4(), 1) for _ in range(23)]

    render_queue.publish_many(jobs)

    received = []
    while batch := aws.receive_raw(sqs_queues.render.url, wait_seconds=0):
        received.extend(batch)
    assert sorted(message["Body"] for message in received) == sorted(map(encode_render_job, jobs))
    assert {message["MessageAttributes"]["MessageType"]["StringValue"] for message in received} == {
        "CreatedInvoice"
    }


def test_receive_takes_at_most_ten_whatever_is_asked(
    render_queue: SqsJobQueue[RenderJob],
) -> None:
    render_queue.publish_many(RenderJob(uuid4(), 1) for _ in range(12))

    assert len(render_queue.receive(max_jobs=50, wait_seconds=1)) == 10
    assert render_queue.approximate_depth() == 12


def receive_until_empty(queue: SqsJobQueue[RenderJob], receives: int) -> list[RenderJob]:
    """What `receives` receives of the queue return, acknowledging each."""
    jobs = []
    for _ in range(receives):
        for delivery in queue.receive(wait_seconds=0):
            jobs.append(delivery.job)
            queue.acknowledge(delivery)
    return jobs


def test_malformed_messages_go_to_the_dead_letter_queue_and_never_block_the_good_ones(
    aws: MotoAws,
    sqs_queues: RenderAndMailQueues,
    render_queue: SqsJobQueue[RenderJob],
    caplog: pytest.LogCaptureFixture,
) -> None:
    malformed = ["not json at all", json.dumps({"MessageType": "CreatedInvoice"})]
    good = [RenderJob(uuid4(), 1) for _ in range(3)]
    ids = [aws.send_raw(sqs_queues.render.url, malformed[0], "CreatedInvoice")]
    render_queue.publish(good[0])
    ids.append(aws.send_raw(sqs_queues.render.url, malformed[1]))
    render_queue.publish_many(good[1:])

    with caplog.at_level(logging.WARNING, logger="billtrack.adapters.aws.sqs_queue"):
        first = render_queue.receive(wait_seconds=1)
        assert sorted(d.job.invoice_id for d in first) == sorted(j.invoice_id for j in good)
        for delivery in first:
            render_queue.acknowledge(delivery)
        # Each receive counts against the malformed messages' redrive limit, until SQS moves them.
        assert receive_until_empty(render_queue, sqs_queues.render.max_receive_count) == []

    assert render_queue.approximate_depth() == 0
    dead = aws.receive_raw(sqs_queues.render.dead_letter_url)
    assert sorted(message["Body"] for message in dead) == sorted(malformed)
    logged = caplog.text
    assert all(message_id in logged for message_id in ids)
    assert "'not json at all'" in logged
    assert "invoiceId" in logged


def test_a_long_malformed_body_is_logged_cut_short(
    aws: MotoAws,
    sqs_queues: RenderAndMailQueues,
    render_queue: SqsJobQueue[RenderJob],
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = "x" * 5000
    aws.send_raw(sqs_queues.render.url, body)

    with caplog.at_level(logging.WARNING, logger="billtrack.adapters.aws.sqs_queue"):
        assert render_queue.receive(wait_seconds=1) == []

    assert "x" * 500 + "..." in caplog.text
    assert "x" * 501 not in caplog.text


def test_a_released_job_stays_hidden_for_its_backoff(
    aws: MotoAws, sqs_queues: RenderAndMailQueues
) -> None:
    queue = SqsJobQueue(
        aws.sqs,
        sqs_queues.render.url,
        RENDER_MESSAGES,
        max_attempts=3,
        backoff=RedeliveryBackoff(base_seconds=1),
    )
    queue.publish(RenderJob(uuid4(), 1))
    (first,) = queue.receive(wait_seconds=1)

    queue.release(first)

    assert queue.receive(wait_seconds=0) == []
    (again,) = queue.receive(wait_seconds=3)
    assert again.attempt == 2


def test_the_last_attempt_goes_to_the_dead_letter_queue_without_waiting_for_the_backoff(
    aws: MotoAws,
) -> None:
    once = aws.create_queue("render", max_receive_count=1)
    queue = SqsJobQueue(
        aws.sqs,
        once.url,
        RENDER_MESSAGES,
        max_attempts=1,
        backoff=RedeliveryBackoff(base_seconds=600),
    )
    job = RenderJob(uuid4(), 1)
    queue.publish(job)
    (delivery,) = queue.receive(wait_seconds=1)

    queue.release(delivery)

    assert queue.receive(wait_seconds=0) == []
    dead = SqsJobQueue(aws.sqs, once.dead_letter_url, RENDER_MESSAGES)
    assert [d.job for d in dead.receive(wait_seconds=1)] == [job]


def test_the_backoff_doubles_up_to_its_cap() -> None:
    backoff = RedeliveryBackoff(base_seconds=10, cap_seconds=60)
    assert [backoff.seconds_after(attempt) for attempt in range(1, 6)] == [10, 20, 40, 60, 60]
    assert RedeliveryBackoff(base_seconds=0).seconds_after(4) == 0
    assert RedeliveryBackoff(base_seconds=0.2).seconds_after(1) == 1


def test_a_stale_receipt_is_logged_not_raised(
    render_queue: SqsJobQueue[RenderJob], caplog: pytest.LogCaptureFixture
) -> None:
    # A first worker's visibility timeout runs out; a second receives the job and finishes it.
    render_queue.publish(RenderJob(uuid4(), 1))
    (late,) = render_queue.receive(wait_seconds=1)
    render_queue.release(late)
    (second,) = render_queue.receive(wait_seconds=1)
    render_queue.acknowledge(second)

    with caplog.at_level(logging.WARNING, logger="billtrack.adapters.aws.sqs_queue"):
        render_queue.acknowledge(late)
        render_queue.release(late)
        render_queue.acknowledge(replace(late, receipt="no-such-receipt"))

    assert caplog.text.count("stale receipt") == 2
    assert render_queue.approximate_depth() == 0


def test_the_probe_answers_for_the_queue(
    aws: MotoAws, render_queue: SqsJobQueue[RenderJob]
) -> None:
    render_queue.probe()
    missing = SqsJobQueue(aws.sqs, f"{aws.endpoint}/123456789012/no-such-queue", RENDER_MESSAGES)
    with pytest.raises(DependencyUnavailable, match="no-such-queue"):
        missing.probe()


def queue_at(endpoint: str, *, attempts: int = 3) -> SqsJobQueue[RenderJob]:
    client = sqs_client(AwsConnection(endpoint_url=endpoint, total_attempts=attempts))
    return SqsJobQueue(client, f"{endpoint}/123456789012/billtrack-render", RENDER_MESSAGES)


# The timeouts only keep a regression from hanging the run; they are no claim about speed.
@pytest.mark.timeout(60)
@pytest.mark.usefixtures("aws_environment")
def test_a_queue_nobody_answers_for_is_unavailable() -> None:
    queue = queue_at(closed_endpoint())
    for attempt in (
        lambda: queue.publish(RenderJob(uuid4(), 1)),
        lambda: queue.publish_many([RenderJob(uuid4(), 1)]),
        lambda: queue.receive(wait_seconds=1),
        queue.probe,
        queue.approximate_depth,
    ):
        with pytest.raises(DependencyUnavailable, match="billtrack-render") as unavailable:
            attempt()
        assert "EndpointConnectionError" in str(unavailable.value)


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("aws_environment")
def test_a_queue_answering_503_is_unavailable() -> None:
    with unavailable_endpoint() as endpoint:
        # Retrying a 503 is botocore's business; what matters here is what the last one becomes.
        queue = queue_at(endpoint, attempts=1)
        with pytest.raises(DependencyUnavailable, match="billtrack-render"):
            queue.publish(RenderJob(uuid4(), 1))
        with pytest.raises(DependencyUnavailable, match="billtrack-render"):
            queue.receive()


def test_a_mail_job_round_trips_through_a_real_queue(mail_queue: SqsJobQueue[MailJob]) -> None:
    job = MailJob(uuid4(), 3, recipient="ada@example.com", employee_name="Ada", file_name="x.pdf")
    mail_queue.publish(job)
    (delivery,) = mail_queue.receive(wait_seconds=1)
    assert (delivery.job, delivery.attempt) == (job, 1)
