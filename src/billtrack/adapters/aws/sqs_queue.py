"""A job queue on one SQS queue, whose redrive policy moves a message to a dead-letter queue after
`maxReceiveCount` receives.

A received message stays hidden for the queue's visibility timeout. `acknowledge` deletes it;
`release` hides it for a backoff that grows with the attempt and lets SQS deliver it again, and
after its `max_attempts`-th receive SQS's redrive moves it to the dead-letter queue. So
`max_attempts` must be the queue's `maxReceiveCount` (`BILLTRACK_SQS_MAX_RECEIVE`).

A message whose body is not a job of this queue is logged and not returned: it is hidden for the
same backoff as a failed delivery and left to the redrive, so it never blocks the good messages of
a batch, nor comes back forever.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Generic

from botocore.exceptions import ClientError  # type: ignore[import-untyped]  # no stubs

from billtrack.adapters.aws.clients import SQS_LONG_POLL_LIMIT_SECONDS
from billtrack.adapters.aws.messages import (
    MESSAGE_TYPE_ATTRIBUTE,
    JobMessages,
    MalformedMessage,
    message_type_attribute,
)
from billtrack.adapters.aws.outages import describe, error_code, outages_as_unavailable
from billtrack.ports.errors import DependencyUnavailable
from billtrack.ports.queues import Delivery, JobT

log = logging.getLogger(__name__)

DEFAULT_MAX_RECEIVE = 5
"""`BILLTRACK_SQS_MAX_RECEIVE`'s default: the `maxReceiveCount` of the queues' redrive policy."""
SQS_BATCH_LIMIT = 10
"""The most messages one ReceiveMessage answers or one SendMessageBatch sends."""
SQS_VISIBILITY_LIMIT_SECONDS = 12 * 60 * 60
LOGGED_BODY_CHARS = 500

STALE_RECEIPT_CODES = frozenset(
    {
        "ReceiptHandleIsInvalid",
        "AWS.SimpleQueueService.ReceiptHandleIsInvalid",
        "MessageNotInflight",
        "AWS.SimpleQueueService.MessageNotInflight",
    }
)
"""The receipt handle is of an earlier receive, or the message is gone: someone else has it."""


@dataclass(frozen=True, slots=True)
class RedeliveryBackoff:
    """How long a released message stays hidden before it comes again: `base_seconds` doubled at
    each attempt (`base`, `2 * base`, `4 * base`, ...), at most `cap_seconds`."""

    base_seconds: float = 10.0
    cap_seconds: float = 15 * 60

    def __post_init__(self) -> None:
        if self.base_seconds < 0 or self.cap_seconds < 0:
            raise ValueError("backoff seconds cannot be negative")

    def seconds_after(self, attempt: int) -> int:
        """The visibility timeout to set after failed attempt `attempt` (1 for the first)."""
        # The exponent stops at 30: beyond that any base exceeds SQS's 12-hour limit anyway.
        delay = self.base_seconds * 2.0 ** min(max(attempt - 1, 0), 30)
        return math.ceil(min(delay, self.cap_seconds, SQS_VISIBILITY_LIMIT_SECONDS))


def _is_stale_receipt(error: ClientError) -> bool:
    code = error_code(error)
    if code in STALE_RECEIPT_CODES:
        return True
    # SQS answers a visibility change on an expired handle with InvalidParameterValue about the
    # ReceiptHandle parameter; any other invalid parameter is a bug and stays an error.
    message = str(error.response.get("Error", {}).get("Message", ""))
    return code == "InvalidParameterValue" and "ReceiptHandle" in message


def _is_beyond_visibility_limit(error: ClientError) -> bool:
    message = str(error.response.get("Error", {}).get("Message", ""))
    return error_code(error) == "InvalidParameterValue" and "VisibilityTimeout" in message


class SqsJobQueue(Generic[JobT]):
    """The `JobQueue` of one SQS queue (`queue_url`), its jobs encoded by `messages`
    (`RENDER_MESSAGES` or `MAIL_MESSAGES`), over a client from `clients.sqs_client`."""

    def __init__(
        self,
        client: Any,
        queue_url: str,
        messages: JobMessages[JobT],
        *,
        max_attempts: int = DEFAULT_MAX_RECEIVE,
        backoff: RedeliveryBackoff | None = None,
        name: str | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._client = client
        self._url = queue_url
        self._messages: JobMessages[JobT] = messages
        self._max_attempts = max_attempts
        self._backoff = backoff or RedeliveryBackoff()
        self._name = name or queue_url.rstrip("/").rsplit("/", 1)[-1]

    @property
    def name(self) -> str:
        return self._name

    @property
    def max_attempts(self) -> int:
        return self._max_attempts

    @property
    def queue_url(self) -> str:
        return self._url

    def publish(self, job: JobT, /) -> None:
        body = self._messages.encode(job)
        with outages_as_unavailable(self._name):
            self._client.send_message(
                QueueUrl=self._url,
                MessageBody=body,
                MessageAttributes=message_type_attribute(self._messages.message_type),
            )

    def publish_many(self, jobs: Iterable[JobT], /) -> None:
        """Publish the jobs in batches of ten (SendMessageBatch).

        When SQS refuses some, raises `DependencyUnavailable` (or `ValueError` when SQS blames the
        messages themselves) after sending the rest; the jobs that were sent stay sent, and
        publishing them again is harmless, as delivery is at least once anyway.
        """
        pending = iter(jobs)
        attributes = message_type_attribute(self._messages.message_type)
        while batch := list(islice(pending, SQS_BATCH_LIMIT)):
            entries = [
                {
                    "Id": str(index),
                    "MessageBody": self._messages.encode(job),
                    "MessageAttributes": attributes,
                }
                for index, job in enumerate(batch)
            ]
            with outages_as_unavailable(self._name):
                answer = self._client.send_message_batch(QueueUrl=self._url, Entries=entries)
            failed: list[Mapping[str, Any]] = answer.get("Failed", [])
            if not failed:
                continue
            reasons = ", ".join(sorted({str(entry.get("Code", "?")) for entry in failed}))
            detail = f"{len(failed)} of {len(batch)} messages of a batch not sent ({reasons})"
            if all(entry.get("SenderFault") for entry in failed):
                raise ValueError(f"SQS queue {self._name} refused messages: {detail}")
            raise DependencyUnavailable(self._name, detail)

    def receive(self, max_jobs: int = 10, wait_seconds: float = 0) -> Sequence[Delivery[JobT]]:
        """Up to `max_jobs` (at most ten) deliveries, long polling up to `wait_seconds` (at most
        20, rounded up to whole seconds) for the first."""
        if max_jobs < 1:
            return []
        wait = min(max(math.ceil(wait_seconds), 0), SQS_LONG_POLL_LIMIT_SECONDS)
        with outages_as_unavailable(self._name):
            answer = self._client.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=min(max_jobs, SQS_BATCH_LIMIT),
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
                MessageAttributeNames=[MESSAGE_TYPE_ATTRIBUTE],
            )
        deliveries: list[Delivery[JobT]] = []
        for message in answer.get("Messages", []):
            attempt = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
            receipt = str(message["ReceiptHandle"])
            try:
                job = self._messages.decode(str(message.get("Body", "")))
            except MalformedMessage as malformed:
                self._set_aside(message, attempt, malformed)
                continue
            deliveries.append(Delivery(job, receipt, attempt))
        return deliveries

    def _set_aside(self, message: Mapping[str, Any], attempt: int, why: MalformedMessage) -> None:
        """Log a message that is not a job and leave it to the redrive, to the dead-letter queue
        after `maxReceiveCount` receives."""
        body = str(message.get("Body", ""))
        shown = body if len(body) <= LOGGED_BODY_CHARS else body[:LOGGED_BODY_CHARS] + "..."
        message_type = (
            message.get("MessageAttributes", {}).get(MESSAGE_TYPE_ATTRIBUTE, {}).get("StringValue")
        )
        log.warning(
            "SQS queue %s: message %s (MessageType attribute %r, receive %d of %d) is malformed "
            "and goes to the dead-letter queue after its last receive: %s; body: %r",
            self._name,
            message.get("MessageId", "?"),
            message_type,
            attempt,
            self._max_attempts,
            why.problem,
            shown,
        )
        try:
            self._hide(str(message["ReceiptHandle"]), self._visibility_after(attempt))
        except (DependencyUnavailable, ClientError) as unavailable:
            # It comes back after the queue's visibility timeout instead: no reason to fail the
            # good messages of the batch.
            log.warning(
                "SQS queue %s: could not set a malformed message aside: %s", self._name, unavailable
            )

    def acknowledge(self, delivery: Delivery[JobT], /) -> None:
        try:
            with outages_as_unavailable(self._name):
                self._client.delete_message(QueueUrl=self._url, ReceiptHandle=delivery.receipt)
        except ClientError as error:
            if not _is_stale_receipt(error):
                raise
            # Its visibility timeout ran out before the work was done, and someone else received
            # it: that receiver deletes it. The work is repeatable, so this one is only reported.
            log.warning(
                "SQS queue %s: acknowledging attempt %d of %s with a stale receipt: %s",
                self._name,
                delivery.attempt,
                delivery.job,
                describe(error),
            )

    def release(self, delivery: Delivery[JobT], /) -> None:
        try:
            self._hide(delivery.receipt, self._visibility_after(delivery.attempt))
        except ClientError as error:
            if _is_stale_receipt(error):
                log.warning(
                    "SQS queue %s: releasing attempt %d of %s with a stale receipt: %s",
                    self._name,
                    delivery.attempt,
                    delivery.job,
                    describe(error),
                )
            elif _is_beyond_visibility_limit(error):
                # SQS keeps a message hidden 12 hours at most in all; this one comes back when its
                # current visibility timeout ends, which is as good as a shorter backoff.
                log.warning(
                    "SQS queue %s: attempt %d of %s comes back without a backoff: %s",
                    self._name,
                    delivery.attempt,
                    delivery.job,
                    describe(error),
                )
            else:
                raise

    def _visibility_after(self, attempt: int) -> int:
        # After the last attempt nothing is gained by waiting: the next receive lets SQS move it
        # to the dead-letter queue.
        return 0 if attempt >= self._max_attempts else self._backoff.seconds_after(attempt)

    def _hide(self, receipt: str, seconds: int) -> None:
        with outages_as_unavailable(self._name):
            self._client.change_message_visibility(
                QueueUrl=self._url, ReceiptHandle=receipt, VisibilityTimeout=seconds
            )

    def probe(self) -> None:
        """Raises `DependencyUnavailable` unless the queue answers (for the readiness route)."""
        try:
            with outages_as_unavailable(self._name):
                self._client.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])
        except ClientError as error:
            # A missing queue or a denied access is not ready either; say which.
            raise DependencyUnavailable(self._name, describe(error)) from error

    def approximate_depth(self) -> int:
        """Messages in the queue, waiting, in flight or delayed (SQS's approximate counts)."""
        counts = (
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        )
        with outages_as_unavailable(self._name):
            answer = self._client.get_queue_attributes(
                QueueUrl=self._url, AttributeNames=list(counts)
            )
        attributes = answer.get("Attributes", {})
        return sum(int(attributes.get(count, 0)) for count in counts)
