"""The sweeper Lambda: on a schedule (EventBridge, every five minutes), publish again the renders the
outbox still owes and the mails invoices still owe, and finish month-end runs a crash stopped.

An invoice's render is published right after its transaction commits; when the render queue was
unreachable then, the outbox still owes it, and the next sweep sends it. A render published but
not done after `olderThanSeconds` (the event's; `OWED_AFTER` when it gives none) is sent again
too, rendering being safe to repeat: deploy/template.yaml's schedule passes a time longer than a
message's retries take, so a render merely waiting its turn is not sent twice. The application is
bootstrapped on the first event of a container and kept.

Invoked by hand, `{"olderThanSeconds": 0}` sends everything owed now.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from billtrack.entrypoints.aws.container import application
from billtrack.entrypoints.aws.json_logs import lambda_handler

log = logging.getLogger(__name__)

OWED_AFTER = timedelta(minutes=5)
"""How long a published render may wait before the sweeper sends it again: the schedule's rate."""
OLDER_THAN_FIELD = "olderThanSeconds"


@lambda_handler
def handler(event: Mapping[str, Any] | None, context: object) -> dict[str, int]:
    older_than = _older_than(event)
    published = application().sweep(older_than=older_than)
    log.info(
        "sweeper: %d owed renders and mails published (waiting longer than %s)",
        published,
        older_than,
        extra={"published": published},
    )
    return {"published": published}


def _older_than(event: Mapping[str, Any] | None) -> timedelta:
    given = event.get(OLDER_THAN_FIELD) if isinstance(event, Mapping) else None
    if given is None:
        return OWED_AFTER
    if isinstance(given, bool) or not isinstance(given, int | float) or given < 0:
        raise ValueError(f"{OLDER_THAN_FIELD} must be a number of seconds, not {given!r}")
    return timedelta(seconds=given)
