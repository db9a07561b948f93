"""Job queues: the same tests for every adapter (in memory, and SQS on moto's server)."""

from __future__ import annotations

import time
from uuid import uuid4

import pytest

from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.queues import Delivery, JobQueue, JobT
from tests.contract.conftest import QUEUE_MAX_ATTEMPTS, Queues


def receive_exactly(queue: JobQueue[JobT], count: int) -> list[Delivery[JobT]]:
    """`count` deliveries, received in as many batches as it takes (a few seconds at most)."""
    deliveries: list[Delivery[JobT]] = []
    deadline = time.monotonic() + 5
    while len(deliveries) < count and time.monotonic() < deadline:
        deliveries.extend(queue.receive(max_jobs=count - len(deliveries), wait_seconds=1))
    assert len(deliveries) == count
    return deliveries


def receive_one(queue: JobQueue[JobT]) -> Delivery[JobT]:
    (delivery,) = receive_exactly(queue, 1)
    return delivery


def test_a_published_job_is_received_until_it_is_acknowledged(queues: Queues) -> None:
    job = RenderJob(uuid4(), 1)

    queues.render.publish(job)
    delivery = receive_one(queues.render)

    assert (delivery.job, delivery.attempt) == (job, 1)
    # In flight, it is hidden from other receivers.
    assert queues.render.receive(wait_seconds=0) == []
    queues.render.acknowledge(delivery)
    assert queues.render.receive(wait_seconds=0) == []


def test_a_released_job_comes_again_as_the_next_attempt(queues: Queues) -> None:
    job = RenderJob(uuid4(), 1)
    queues.render.publish(job)
    first = receive_one(queues.render)

    queues.render.release(first)
    again = receive_one(queues.render)

    assert (again.job, again.attempt) == (job, 2)
    assert again.receipt != first.receipt


def test_a_job_is_given_up_after_its_last_failed_delivery(queues: Queues) -> None:
    assert queues.render.max_attempts == QUEUE_MAX_ATTEMPTS
    job = RenderJob(uuid4(), 1)
    queues.render.publish(job)

    for attempt in range(1, QUEUE_MAX_ATTEMPTS + 1):
        delivery = receive_one(queues.render)
        assert (delivery.job, delivery.attempt) == (job, attempt)
        queues.render.release(delivery)

    assert queues.render.receive(wait_seconds=0) == []
    assert queues.given_up_renders() == [job]


def test_receiving_with_nothing_waiting_answers_empty(queues: Queues) -> None:
    assert queues.render.receive(wait_seconds=0) == []
    assert queues.mail.receive(max_jobs=10, wait_seconds=1) == []


def test_a_batch_receive_takes_up_to_ten(queues: Queues) -> None:
    jobs = [RenderJob(uuid4(), 1) for _ in range(12)]
    for job in jobs:
        queues.render.publish(job)

    batch = queues.render.receive(max_jobs=10, wait_seconds=1)
    assert len(batch) == 10
    smaller = queues.render.receive(max_jobs=1, wait_seconds=1)
    assert len(smaller) == 1
    rest = receive_exactly(queues.render, 1)

    received = [*batch, *smaller, *rest]
    assert sorted(d.job.invoice_id for d in received) == sorted(job.invoice_id for job in jobs)
    for delivery in received:
        queues.render.acknowledge(delivery)
    assert queues.render.receive(wait_seconds=0) == []


def test_a_job_published_twice_arrives_twice(queues: Queues) -> None:
    job = RenderJob(uuid4(), 1)
    queues.render.publish(job)
    queues.render.publish(job)

    deliveries = receive_exactly(queues.render, 2)

    assert [delivery.job for delivery in deliveries] == [job, job]
    assert deliveries[0].receipt != deliveries[1].receipt


@pytest.mark.parametrize(
    "job",
    [
        pytest.param(RenderJob(uuid4(), 2), id="a revision"),
        pytest.param(RenderJob(uuid4(), None), id="the current revision"),
    ],
)
def test_a_render_job_round_trips(queues: Queues, job: RenderJob) -> None:
    queues.render.publish(job)
    assert receive_one(queues.render).job == job


@pytest.mark.parametrize(
    "job",
    [
        pytest.param(
            MailJob(uuid4(), 3, recipient="ada@example.com", employee_name="Ada Lovelace"),
            id="with the original's fields",
        ),
        pytest.param(MailJob(uuid4(), 1, file_name="2024-000001.pdf"), id="partly"),
        pytest.param(MailJob(uuid4(), 1), id="bare"),
    ],
)
def test_a_mail_job_round_trips(queues: Queues, job: MailJob) -> None:
    queues.mail.publish(job)
    assert receive_one(queues.mail).job == job
