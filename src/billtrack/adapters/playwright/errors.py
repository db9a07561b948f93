"""What can go wrong when Chromium prints an invoice."""

from __future__ import annotations

from billtrack.ports.errors import DependencyUnavailable


class RenderFailed(DependencyUnavailable):
    """Chromium could not print the PDF, also after a relaunch; the job should be tried again
    later (raising this lets the queue deliver it again)."""

    def __init__(self, detail: str) -> None:
        super().__init__("Chromium", detail)
        self.detail = detail


class ChromiumNotFound(Exception):
    """The Chromium that was configured explicitly is not there: an error, never a reason to fall
    back silently to another browser or renderer."""
