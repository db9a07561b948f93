"""What a Lambda container keeps between events: the application, built on the first one."""

from __future__ import annotations

import functools

from billtrack.domain.usecases.application import Application
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.settings import Settings


@functools.cache
def application() -> Application:
    """The container's application, from the function's environment (`BILLTRACK_*`)."""
    return bootstrap(Settings())
