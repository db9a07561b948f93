"""Every error as application/problem+json (RFC 9457), mapped from its kind in one place.

Validation failures carry `errors` (camelCase field -> messages) and, for the original's
clients, `statusCode` and `message`; other errors carry `code` and `reason`. Nothing internal
(a stack trace, SQL, a secret) is ever written into an answer: the log has it, under the
request id the answer carries in X-Request-Id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic.alias_generators import to_camel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from billtrack.domain.model.errors import DomainError, ErrorKind, ValidationFailed
from billtrack.entrypoints.http.messages import plain_messages
from billtrack.entrypoints.http.responses import ProblemResponse
from billtrack.ports.errors import DependencyUnavailable

log = logging.getLogger(__name__)
VALIDATION_MESSAGE = "One or more errors occurred!"
RETRY_AFTER_SECONDS = "5"
STATUS_OF_KIND = {
    ErrorKind.INVALID: 400,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.UNAUTHORIZED: 401,
}


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} seconds")
        self.retry_after = retry_after


def problem(status: int, detail: str, headers: Mapping[str, str] | None = None) -> ProblemResponse:
    return ProblemResponse(
        {
            "type": f"https://httpstatuses.io/{status}",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": detail,
            "code": status,
            "reason": detail,
        },
        status_code=status,
        headers=dict(headers or {}),
    )


def validation_problem(
    errors: Mapping[str, Sequence[str]], detail: str | None = None
) -> ProblemResponse:
    return ProblemResponse(
        {
            "type": "https://httpstatuses.io/400",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "detail": detail or "; ".join(f"{f}: {' '.join(m)}" for f, m in errors.items()),
            "errors": {field: list(messages) for field, messages in errors.items()},
            "statusCode": 400,
            "message": VALIDATION_MESSAGE,
        },
        status_code=400,
    )


def unauthorized(detail: str = "a valid bearer token is required") -> ProblemResponse:
    return problem(401, detail, {"WWW-Authenticate": "Bearer"})


def camel_errors(errors: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The domain names fields in snake_case; the contract in camelCase."""
    merged: dict[str, list[str]] = {}
    for field, messages in errors.items():
        merged.setdefault(to_camel(field), []).extend(messages)
    return merged


def _request_validation(_: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, RequestValidationError)
    by_field: dict[str, list[Mapping[str, Any]]] = {}
    for item in error.errors():
        location = [
            part for part in item.get("loc", ()) if part not in ("query", "path", "body", "header")
        ]
        field = str(location[0]) if location else "request"
        by_field.setdefault(field, []).append(item)
    return validation_problem({field: plain_messages(items) for field, items in by_field.items()})


def _domain_error(_: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, DomainError)
    if isinstance(error, ValidationFailed):
        return validation_problem(camel_errors(error.errors), error.detail)
    if error.kind is ErrorKind.UNAUTHORIZED:
        # The same answer whatever failed: it must not tell which e-mails have accounts.
        return unauthorized("invalid credentials or token")
    return problem(STATUS_OF_KIND[error.kind], error.detail)


def _dependency_unavailable(request: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, DependencyUnavailable)
    log.warning("%s %s: %s", request.method, request.url.path, error)
    return problem(
        503,
        f"the {error.dependency} is unavailable; nothing was changed, please try again shortly",
        {"Retry-After": RETRY_AFTER_SECONDS},
    )


def _throttled(_: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, Throttled)
    return problem(429, str(error), {"Retry-After": str(error.retry_after)})


def _http_error(request: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 401:
        return unauthorized()
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return problem(error.status_code, detail, headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. (Starlette names only the first route that
    matched the path, but each method of a resource is a route of its own.)"""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, BaseRoute) and route.matches(request.scope)[0] is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def unexpected() -> ProblemResponse:
    return problem(500, "an unexpected error occurred; it was logged under this request's id")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(DependencyUnavailable, _dependency_unavailable)
    app.add_exception_handler(Throttled, _throttled)
    app.add_exception_handler(StarletteHTTPException, _http_error)
