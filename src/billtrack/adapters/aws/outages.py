"""Which botocore failures mean "AWS cannot be reached now" (`DependencyUnavailable`), as opposed to
a refusal that says something is wrong with the request or the setup (which stays an error)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (  # type: ignore[import-untyped]  # botocore has no stubs here
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
)
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from billtrack.ports.errors import DependencyUnavailable

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
        "AWS.SimpleQueueService.RequestThrottled",
    }
)
"""Answers that mean "too busy now": botocore has already retried them, so the caller may later."""


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def status_code(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def is_outage(error: Exception) -> bool:
    """A connection, endpoint, timeout or TLS failure, a 5xx answer, or throttling."""
    if isinstance(error, BotocoreConnectionError | HTTPClientError | CredentialRetrievalError):
        return True
    if isinstance(error, ClientError):
        return status_code(error) >= 500 or error_code(error) in THROTTLING_CODES
    return False


def describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


@contextmanager
def outages_as_unavailable(dependency: str) -> Iterator[None]:
    """Turn an outage inside the block into `DependencyUnavailable(dependency, reason)`."""
    try:
        yield
    except (
        BotocoreConnectionError,
        HTTPClientError,
        CredentialRetrievalError,
        ClientError,
    ) as error:
        if is_outage(error):
            raise DependencyUnavailable(dependency, describe(error)) from error
        raise
