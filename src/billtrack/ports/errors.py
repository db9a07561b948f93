"""Failures of the outside world, as opposed to the domain's refusals."""

from __future__ import annotations


class DependencyUnavailable(Exception):
    """A database, queue or storage could not be reached; trying again later may work."""

    def __init__(self, dependency: str, detail: str = "") -> None:
        super().__init__(f"{dependency} is unavailable" + (f": {detail}" if detail else ""))
        self.dependency = dependency


class ObjectMissing(Exception):
    """The object storage has no object under the key asked for."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no stored object under {key!r}")
        self.key = key


class MailRejected(Exception):
    """The mail server refused a message for good (a 5xx answer, an address it does not know):
    sending it again will not help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PermanentFailure(Exception):
    """A job failed in a way another attempt cannot change (an invoice whose text the renderer
    cannot print, say): it is given up at once, with this as the reason, instead of retried."""
