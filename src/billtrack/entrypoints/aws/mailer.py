"""The mailer Lambda: an SQS event of mail jobs in, a partial batch response out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billtrack.entrypoints.aws.container import application
from billtrack.entrypoints.aws.json_logs import lambda_handler
from billtrack.entrypoints.aws.sqs_batch import handle_batch
from billtrack.entrypoints.bootstrap import mail_record_reader


@lambda_handler
def handler(event: Mapping[str, Any], context: object) -> dict[str, list[dict[str, str]]]:
    app = application()
    return handle_batch(
        event, app=app, read=mail_record_reader(), max_attempts=app.mail_queue.max_attempts
    )
