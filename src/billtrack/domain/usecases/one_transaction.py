"""Several operations in one transaction: what a request does, authentication included.

`in_one_transaction(app, read_only=...)` answers a copy of the application whose operations all
join one unit of work, opened when the first of them starts and closed when the block ends.
Every operation keeps its own `with uow:` and its own `commit()`; here a nested `with` joins the
open transaction instead of beginning another, and a commit is a real commit, after which the
transaction goes on. So a request's user is checked in the transaction that serves it, and a
write is committed before its answer leaves, exactly where the operation commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from types import TracebackType
from typing import Self

from billtrack.domain.usecases.application import Application
from billtrack.ports.repositories import (
    BatchRepository,
    DepartmentRepository,
    EmployeeMonthRepository,
    EmployeeRepository,
    InvoiceNumberCounter,
    InvoiceRepository,
    Outbox,
    ProjectRepository,
    UserRepository,
    WorkdayRepository,
)
from billtrack.ports.unit_of_work import UnitOfWork
from billtrack.ports.views import Views


class TransactionEnded(RuntimeError):
    """An operation ran after the transaction it was given had ended."""


class SharedUnitOfWork:
    """A unit of work that `with` blocks join: the outermost opens the inner unit of work
    (taken from `open_inner` only when first needed, so a request that reads nothing opens no
    connection), the ones inside it share its transaction.

    A block left by an exception rolls the whole transaction back at once (the inner unit of
    work's own exit does it, so its errors come out as they would without sharing); a later
    block begins a new transaction. `end()` closes it for good."""

    def __init__(self, open_inner: Callable[[], UnitOfWork]) -> None:
        self._open_inner = open_inner
        self._inner: UnitOfWork | None = None
        self._depth = 0
        self._ended = False

    def __enter__(self) -> Self:
        if self._ended:
            raise TransactionEnded("this transaction has ended; use the application itself")
        if self._inner is None:
            inner = self._open_inner()
            inner.__enter__()
            self._inner = inner
        self._depth += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._depth = max(0, self._depth - 1)
        if exc is not None:
            self._close(exc_type, exc, traceback)

    def end(
        self,
        exc_type: type[BaseException] | None = None,
        exc: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        """Roll back what was not committed and release the connection; no block may follow."""
        self._ended = True
        self._close(exc_type, exc, traceback)

    def _close(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        inner, self._inner, self._depth = self._inner, None, 0
        if inner is not None:
            inner.__exit__(exc_type, exc, traceback)

    @property
    def is_open(self) -> bool:
        return self._inner is not None

    @property
    def _open(self) -> UnitOfWork:
        if self._inner is None or self._depth == 0:
            raise RuntimeError("outside a transaction")
        return self._inner

    def commit(self) -> None:
        self._open.commit()

    def rollback(self) -> None:
        self._open.rollback()

    # The inner unit of work may replace its repositories when it commits (the in-memory one
    # does), so each is looked up when asked for.
    @property
    def departments(self) -> DepartmentRepository:
        return self._open.departments

    @property
    def projects(self) -> ProjectRepository:
        return self._open.projects

    @property
    def employees(self) -> EmployeeRepository:
        return self._open.employees

    @property
    def workdays(self) -> WorkdayRepository:
        return self._open.workdays

    @property
    def months(self) -> EmployeeMonthRepository:
        return self._open.months

    @property
    def invoices(self) -> InvoiceRepository:
        return self._open.invoices

    @property
    def users(self) -> UserRepository:
        return self._open.users

    @property
    def batches(self) -> BatchRepository:
        return self._open.batches

    @property
    def invoice_numbers(self) -> InvoiceNumberCounter:
        return self._open.invoice_numbers

    @property
    def outbox(self) -> Outbox:
        return self._open.outbox

    @property
    def views(self) -> Views:
        return self._open.views


class OneTransaction:
    """`app` as `in_one_transaction` answers it, for callers that end the block themselves."""

    def __init__(self, app: Application, *, read_only: bool) -> None:
        self._shared = shared = SharedUnitOfWork(app.reader if read_only else app.new_uow)

        def joined() -> UnitOfWork:
            return shared

        self.app = replace(app, new_uow=joined, new_reader=joined)

    @property
    def is_open(self) -> bool:
        """Whether an operation has begun the transaction (and ending it releases a connection)."""
        return self._shared.is_open

    def end(self, error: BaseException | None = None) -> None:
        """End the transaction: with the `error` that ended the block, when one did."""
        if error is None:
            self._shared.end()
        else:
            self._shared.end(type(error), error, error.__traceback__)


@contextmanager
def in_one_transaction(app: Application, *, read_only: bool) -> Iterator[Application]:
    """`app`, with every operation joining one transaction until the block ends. A `read_only`
    one must not write (on SQLite it reads beside the writer instead of taking the write lock).
    Work that outlives the block (a background task) must be given `app` itself."""
    transaction = OneTransaction(app, read_only=read_only)
    try:
        yield transaction.app
    except BaseException as error:
        transaction.end(error)
        raise
    transaction.end()
