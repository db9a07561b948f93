"""FastAPI dependencies: the application, the body, paging, the user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from billtrack.domain.model.errors import AuthenticationFailed, ValidationFailed
from billtrack.domain.model.user import User
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.one_transaction import OneTransaction
from billtrack.entrypoints.http.inputs import Body, BodyError
from billtrack.entrypoints.http.messages import plain_messages
from billtrack.entrypoints.http.query import Blank, PageNumber, PageSize, present
from billtrack.ports.queries import DEFAULT_PAGE_SIZE, PageRequest

ModelT = TypeVar("ModelT", bound=Body)
bearer = HTTPBearer(auto_error=False, description="A token from POST /api/login")


READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def standalone_application(request: Request) -> Application:
    """The application itself: each operation in a transaction of its own."""
    running: Application = request.app.state.application
    return running


async def application(request: Request) -> AsyncIterator[Application]:
    """The application with all of this request's operations, the user's check included, in
    one transaction; a read-only one for the methods that read. It begins with the first
    operation (a request that fails before one opens no connection) and ends before the answer
    is sent (`scope="function"`), so nothing of it is held while the client reads."""
    transaction = OneTransaction(
        standalone_application(request), read_only=request.method in READING_METHODS
    )
    try:
        yield transaction.app
    except BaseException as error:
        await _end(transaction, error)
        raise
    await _end(transaction, None)


async def _end(transaction: OneTransaction, error: BaseException | None) -> None:
    if transaction.is_open:
        # Ending it talks to the database, which must not stall the event loop.
        await run_in_threadpool(transaction.end, error)
    else:
        transaction.end(error)


AppDep = Annotated[Application, Depends(application, scope="function")]
StandaloneAppDep = Annotated[Application, Depends(standalone_application)]
"""For what must not share the request's transaction: logging in (the password's hash takes
its time outside any write lock) and work that goes on after the answer."""


async def current_user(
    app: AppDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed("a bearer token is required")
    return await run_in_threadpool(app.authenticate, credentials.credentials)


def json_body(model: type[ModelT]) -> Callable[[Request], Awaitable[ModelT]]:
    """Read the body as `model`, every failure a 400 that names the fields."""

    async def read(request: Request) -> ModelT:
        raw = await request.body()
        try:
            return model.parse(raw)
        except BodyError as error:
            raise ValidationFailed({"serializerErrors": (str(error),)}) from error
        except ValidationError as error:
            by_field: dict[str, list[Any]] = {}
            for item in error.errors():
                location = item["loc"][0] if item["loc"] else "body"
                by_field.setdefault(model.field_name(location), []).append(item)
            raise ValidationFailed(
                {field: tuple(plain_messages(items)) for field, items in by_field.items()}
            ) from error

    return read


def body_schema(model: type[Body]) -> dict[str, Any]:
    """The OpenAPI requestBody of a route that reads `model` with `json_body`."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema(by_alias=True)}},
        }
    }


async def paging(
    # async: it computes, and a plain function would cost each request a trip to a thread.
    page: Annotated[PageNumber | Blank | None, Query(description="Starts at 1.")] = None,
    page_size: Annotated[
        PageSize | Blank | None,
        Query(alias="pageSize", description="10 by default; above 1000 is served as 1000."),
    ] = None,
) -> PageRequest:
    return PageRequest(present(page) or 1, present(page_size) or DEFAULT_PAGE_SIZE)


PageDep = Annotated[PageRequest, Depends(paging)]
