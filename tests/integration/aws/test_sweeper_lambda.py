"""The sweeper Lambda, as EventBridge runs it every five minutes: it publishes the renders the
outbox still owes, on PostgreSQL and moto's SQS, bootstrapped once per container.

The render is owed because the invoice was created in a container whose SQS endpoint was a
closed port: the invoice committed, its render stayed in the outbox. The sweeper, in a container
that reaches SQS, sends it; the render worker handler renders it from the message the queue holds.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Engine

from billtrack.domain.model.invoice import InvoiceStatus
from billtrack.entrypoints.aws import container, render_worker, sweeper
from tests.integration.aws.test_api_lambda import (
    LambdaContainer,
    LambdaContext,
    billtrack_environment,
    october_invoice,
)
from tests.support.moto_server import (
    REGION,
    MotoAws,
    RenderAndMailQueues,
    closed_endpoint,
    lambda_record,
)


def scheduled_event() -> dict[str, Any]:
    """The event an EventBridge schedule (`rate(5 minutes)`) passes."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-02T08:15:00Z",
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:123456789012:rule/billtrack-EveryFiveMinutes"],
        "detail": {},
    }


@pytest.fixture
def environment(
    aws: MotoAws,
    sqs_queues: RenderAndMailQueues,
    s3_bucket: str,
    postgres_url: str,
    clean_postgres: Engine,
    tmp_path: Path,
) -> dict[str, str]:
    return billtrack_environment(aws, sqs_queues, s3_bucket, postgres_url, tmp_path)


@pytest.fixture
def cleared_containers() -> Iterator[None]:
    LambdaContainer.clear()
    try:
        yield
    finally:
        LambdaContainer.clear()


def invoice_while_sqs_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> UUID:
    """An invoice created in a container whose SQS endpoint is a closed port; answers its id."""
    with monkeypatch.context() as patch:
        LambdaContainer(patch, {**environment, "BILLTRACK_AWS_ENDPOINT_URL": closed_endpoint()})
        view = october_invoice(container.application(), "Ada", "Lovelace")
        LambdaContainer.clear()
    return view.invoice.id


def render_bodies(aws: MotoAws, queues: RenderAndMailQueues) -> list[dict[str, Any]]:
    """The render queue's messages (received, so hidden for its visibility timeout)."""
    return [json.loads(m["Body"]) for m in aws.receive_raw(queues.render.url, wait_seconds=1)]


@pytest.mark.usefixtures("cleared_containers")
def test_the_sweeper_publishes_what_the_outbox_owes_and_the_worker_renders_it(
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    aws: MotoAws,
    sqs_queues: RenderAndMailQueues,
) -> None:
    invoice_id = invoice_while_sqs_is_unreachable(monkeypatch, environment)
    assert aws.receive_raw(sqs_queues.render.url, wait_seconds=0) == []
    lambda_container = LambdaContainer(monkeypatch, environment)

    assert sweeper.handler(scheduled_event(), LambdaContext()) == {"published": 1}

    messages = aws.receive_raw(sqs_queues.render.url, wait_seconds=1)
    assert [json.loads(m["Body"]) for m in messages] == [
        {"invoiceId": str(invoice_id), "MessageType": "CreatedInvoice", "revision": 1}
    ]
    # Just published: the next sweep, five minutes on in production, leaves it to the worker.
    assert sweeper.handler(scheduled_event(), LambdaContext()) == {"published": 0}
    event = {"Records": [lambda_record(m, sqs_queues.render.arn) for m in messages]}
    assert render_worker.handler(event, LambdaContext()) == {"batchItemFailures": []}
    assert container.application().get_invoice(invoice_id).invoice.status is (
        InvoiceStatus.GENERATED
    )
    # Rendered: the render is owed no more; with no wait at all, the mail it still owes (nobody
    # has sent it yet) is asked for once more, and only that.
    assert sweeper.handler({"olderThanSeconds": 0}, LambdaContext()) == {"published": 1}
    (render_again,) = aws.receive_raw(sqs_queues.mail.url, wait_seconds=1)[-1:]
    assert json.loads(render_again["Body"])["MessageType"] == "GeneratedInvoice"
    # Four events, one container.
    assert lambda_container.bootstraps == 1


@pytest.mark.usefixtures("cleared_containers")
def test_an_event_invoked_by_hand_may_send_what_was_published_just_now(
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    aws: MotoAws,
    sqs_queues: RenderAndMailQueues,
) -> None:
    invoice_id = invoice_while_sqs_is_unreachable(monkeypatch, environment)
    LambdaContainer(monkeypatch, environment)
    assert sweeper.handler(scheduled_event(), LambdaContext()) == {"published": 1}
    assert sweeper.handler(scheduled_event(), LambdaContext()) == {"published": 0}

    assert sweeper.handler({"olderThanSeconds": 0}, LambdaContext()) == {"published": 1}

    bodies = render_bodies(aws, sqs_queues)
    assert [body["invoiceId"] for body in bodies] == [str(invoice_id)] * 2


@pytest.mark.parametrize("given", [-1, "300", True, [5]])
def test_a_wrong_older_than_is_refused_before_anything_is_bootstrapped(given: object) -> None:
    with pytest.raises(ValueError, match="olderThanSeconds"):
        sweeper.handler({"olderThanSeconds": given}, LambdaContext())
