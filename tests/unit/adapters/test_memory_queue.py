"""The in-process queue: at-least-once deliveries, each hidden while in flight, given up into
`dead_letters` after its last attempt, as an SQS queue with a dead-letter queue does."""

from __future__ import annotations

import threading
import time
from uuid import uuid4

import pytest

from billtrack.adapters.memory.queues import DEFAULT_MAX_ATTEMPTS, InMemoryQueue
from billtrack.ports.errors import DependencyUnavailable
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.queues import Delivery, RenderQueue


def jobs(n: int) -> list[RenderJob]:
    return [RenderJob(uuid4(), 1) for _ in range(n)]


def test_a_delivery_carries_the_job_a_receipt_and_its_first_attempt() -> None:
    queue = InMemoryQueue[RenderJob]("render")
    (job,) = jobs(1)
    queue.publish(job)

    (delivery,) = queue.receive()

    assert delivery.job == job
    assert delivery.attempt == 1
    assert delivery.receipt
    assert queue.name == "render"
    assert queue.max_attempts == DEFAULT_MAX_ATTEMPTS == 3


def test_nothing_to_receive_is_an_empty_batch() -> None:
    queue = InMemoryQueue[RenderJob]()

    assert list(queue.receive()) == []
    assert list(queue.receive(max_jobs=5, wait_seconds=0.01)) == []


def test_a_released_delivery_comes_again_with_attempt_2() -> None:
    queue = InMemoryQueue[RenderJob]()
    (job,) = jobs(1)
    queue.publish(job)
    (first,) = queue.receive()

    queue.release(first)

    (second,) = queue.receive()
    assert second.job == job
    assert second.attempt == 2
    assert second.receipt != first.receipt
    assert queue.dead_letters == []


def test_after_max_attempts_failures_the_job_is_in_dead_letters() -> None:
    queue = InMemoryQueue[RenderJob](max_attempts=3)
    (job,) = jobs(1)
    queue.publish(job)

    attempts = []
    for _ in range(3):
        (delivery,) = queue.receive()
        attempts.append(delivery.attempt)
        queue.release(delivery)

    assert attempts == [1, 2, 3]
    assert queue.dead_letters == [job]
    assert list(queue.receive()) == []
    assert queue.pending() == []
    assert len(queue) == 0


def test_one_attempt_only_gives_up_at_the_first_failure() -> None:
    queue = InMemoryQueue[MailJob]("mail", max_attempts=1)
    job = MailJob(uuid4(), 1)
    queue.publish(job)

    (delivery,) = queue.receive()
    queue.release(delivery)

    assert queue.dead_letters == [job]
    assert list(queue.receive()) == []


@pytest.mark.parametrize("attempts", [0, -1])
def test_fewer_than_one_attempt_is_refused(attempts: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        InMemoryQueue[RenderJob](max_attempts=attempts)


def test_acknowledged_jobs_never_come_back() -> None:
    queue = InMemoryQueue[RenderJob]()
    done, failed = jobs(2)
    queue.publish(done)
    queue.publish(failed)
    first, second = queue.receive()

    queue.acknowledge(first)
    queue.release(second)
    # A late release or a second acknowledgement of what was done changes nothing.
    queue.release(first)
    queue.acknowledge(first)

    assert [d.job for d in queue.receive()] == [failed]
    assert queue.dead_letters == []


def test_a_released_delivery_released_again_is_released_once() -> None:
    queue = InMemoryQueue[RenderJob]()
    (job,) = jobs(1)
    queue.publish(job)
    (delivery,) = queue.receive()

    queue.release(delivery)
    queue.release(delivery)

    assert queue.pending() == [job]


def test_receive_answers_a_batch_of_up_to_max_jobs_in_order() -> None:
    queue = InMemoryQueue[RenderJob]()
    published = jobs(25)
    for job in published:
        queue.publish(job)

    first = queue.receive()
    second = queue.receive(max_jobs=3)
    rest = queue.receive(max_jobs=100)

    assert [d.job for d in first] == published[:10]
    assert [d.job for d in second] == published[10:13]
    assert [d.job for d in rest] == published[13:]
    assert len({d.receipt for d in [*first, *second, *rest]}) == 25
    assert all(d.attempt == 1 for d in [*first, *second, *rest])


def test_a_job_in_flight_is_hidden_from_other_receivers_until_released() -> None:
    queue = InMemoryQueue[RenderJob]()
    (job,) = jobs(1)
    queue.publish(job)

    (delivery,) = queue.receive()

    assert list(queue.receive()) == []
    assert queue.pending() == []
    assert len(queue) == 1  # in flight
    queue.release(delivery)
    assert queue.pending() == [job]


def test_a_waiting_receive_gets_what_is_published_meanwhile() -> None:
    queue = InMemoryQueue[RenderJob]()
    (job,) = jobs(1)
    received: list[Delivery[RenderJob]] = []

    receiver = threading.Thread(target=lambda: received.extend(queue.receive(wait_seconds=5)))
    receiver.start()
    time.sleep(0.05)
    queue.publish(job)
    receiver.join(timeout=5)

    assert not receiver.is_alive()
    assert [d.job for d in received] == [job]


def test_a_queue_that_is_down_refuses_publish_and_receive() -> None:
    queue = InMemoryQueue[RenderJob]("render")
    (job,) = jobs(1)
    queue.publish(job)
    queue.available = False

    with pytest.raises(DependencyUnavailable):
        queue.publish(job)
    with pytest.raises(DependencyUnavailable):
        queue.receive()

    queue.available = True
    assert [d.job for d in queue.receive()] == [job]


def test_the_in_memory_queue_fits_the_port() -> None:
    queue: RenderQueue = InMemoryQueue[RenderJob]("render", max_attempts=2)
    (job,) = jobs(1)
    queue.publish(job)
    (delivery,) = queue.receive(1, 0)
    queue.release(delivery)
    (again,) = queue.receive(1, 0)
    queue.acknowledge(again)

    assert (queue.name, queue.max_attempts, again.attempt) == ("render", 2, 2)


def test_a_released_job_waits_out_its_retry_delay_before_it_comes_again() -> None:
    queue = InMemoryQueue[RenderJob]("render", max_attempts=3, retry_delays=(0.3, 60.0))
    queue.publish(RenderJob(uuid4(), 1))
    (first,) = queue.receive()
    queue.release(first)
    assert queue.receive() == []  # held back, as an SQS visibility timeout holds it
    (second,) = queue.receive(wait_seconds=5)
    assert (second.job, second.attempt) == (first.job, 2)
    queue.release(second)
    assert queue.receive(wait_seconds=0.3) == []  # the next delay is a minute
    assert queue.pending() == [first.job]
