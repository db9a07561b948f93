"""Logging for the long-running commands: every line names the request it belongs to."""

from __future__ import annotations

import logging

from billtrack.entrypoints.http.middleware import RequestIdLogFilter

FORMAT = "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    # On the handler, not a logger: records of every logger pass through it.
    handler.addFilter(RequestIdLogFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
