"""An SQS event, handled record by record, answered with a partial batch response.

As Powertools for AWS Lambda's batch processor does: each record is handled on its own, and only
the records that failed are named in `batchItemFailures`, so SQS deletes the others and delivers
just those again. A record whose body cannot be read is logged and reported as failed, so after the
queue's `maxReceiveCount` deliveries it rests in the dead-letter queue, where a person can read it,
instead of retrying forever or blocking its batch. A job that fails its last delivery is given up
first (a render shows `failed` with the reason) as SQS moves it to the dead-letter queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from billtrack.domain.usecases.application import Application
from billtrack.entrypoints.aws.json_logs import log_fields
from billtrack.entrypoints.bootstrap import MalformedMessage
from billtrack.ports.errors import PermanentFailure
from billtrack.ports.queues import Delivery

log = logging.getLogger(__name__)
RecordReader = Callable[[Mapping[str, Any]], Delivery[Any]]


def handle_batch(
    event: Mapping[str, Any], *, app: Application, read: RecordReader, max_attempts: int
) -> dict[str, list[dict[str, str]]]:
    failures: list[dict[str, str]] = []
    for record in event.get("Records", ()):
        message_id = str(record.get("messageId", ""))
        if not _handled(record, app=app, read=read, max_attempts=max_attempts):
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def _handled(
    record: Mapping[str, Any], *, app: Application, read: RecordReader, max_attempts: int
) -> bool:
    try:
        delivery = read(record)
    except MalformedMessage as malformed:
        log.error("%s; it stays on the queue until its dead-letter queue takes it", malformed)
        return False
    # Every line logged while this record is handled names its invoice.
    with log_fields(invoice_id=str(delivery.job.invoice_id)):
        try:
            app.handle(delivery.job)
        except PermanentFailure as error:
            # Another delivery cannot change it: recorded, and the record leaves the queue.
            log.error("%s cannot be done: %s", delivery.job, error)
            app.give_up(delivery.job, f"{type(error).__name__}: {error}")
            return True
        except Exception as error:
            log.exception(
                "%s failed (attempt %d of %d)", delivery.job, delivery.attempt, max_attempts
            )
            if delivery.attempt >= max_attempts:
                try:
                    app.give_up(delivery.job, f"{type(error).__name__}: {error}")
                except Exception:
                    log.exception("recording that %s was given up failed", delivery.job)
            return False
    return True
