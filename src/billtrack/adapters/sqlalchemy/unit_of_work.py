"""The SQLAlchemy unit of work: one connection, one transaction, for one `with` block."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from billtrack.adapters.sqlalchemy import tables
from billtrack.adapters.sqlalchemy.engine import READ_ONLY, SQLITE_BUSY_TIMEOUT_MS, writer_lock
from billtrack.adapters.sqlalchemy.repositories import (
    SqlAlchemyBatchRepository,
    SqlAlchemyEmployeeMonths,
    SqlAlchemyEmployeeRepository,
    SqlAlchemyInvoiceNumberCounter,
    SqlAlchemyInvoiceRepository,
    SqlAlchemyOrganisationUnitRepository,
    SqlAlchemyOutbox,
    SqlAlchemyUserRepository,
    SqlAlchemyWorkdayRepository,
)
from billtrack.adapters.sqlalchemy.views import SqlAlchemyViews
from billtrack.domain.model.organisation import Department, Project
from billtrack.ports.errors import DependencyUnavailable


def _is_outage(error: BaseException | None) -> bool:
    """Whether `error` means the database could not be reached (as opposed to a bad statement)."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


class SqlAlchemyUnitOfWork:
    departments: SqlAlchemyOrganisationUnitRepository[Department]
    projects: SqlAlchemyOrganisationUnitRepository[Project]
    employees: SqlAlchemyEmployeeRepository
    workdays: SqlAlchemyWorkdayRepository
    months: SqlAlchemyEmployeeMonths
    invoices: SqlAlchemyInvoiceRepository
    users: SqlAlchemyUserRepository
    invoice_numbers: SqlAlchemyInvoiceNumberCounter
    outbox: SqlAlchemyOutbox
    batches: SqlAlchemyBatchRepository
    views: SqlAlchemyViews

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        """A `read_only` unit of work never writes; on SQLite it reads beside a writer instead
        of waiting for the write lock."""
        self._engine = engine
        self._read_only = read_only
        self._connection: Connection | None = None
        self._writer_lock = None if read_only else writer_lock(engine)
        self._holds_writer_lock = False

    def __enter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already in a transaction")
        if self._writer_lock is not None:
            # Writers of this process take turns here rather than in SQLite's sleeps. Waiting
            # longer than SQLite would (a unit of work that never ends, one inside another)
            # goes on without the turn, to SQLite's own lock, as before there was one.
            self._holds_writer_lock = self._writer_lock.acquire(
                timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
            )
        try:
            connection = self._connection = self._engine.connect()
            if self._read_only:
                connection = connection.execution_options(**{READ_ONLY: True})
                self._connection = connection
        except DBAPIError as error:
            self._release_writer_lock()
            raise DependencyUnavailable("database", type(error.orig).__name__) from error
        except BaseException:
            self._release_writer_lock()
            raise
        self.departments = SqlAlchemyOrganisationUnitRepository(
            connection, tables.departments, Department
        )
        self.projects = SqlAlchemyOrganisationUnitRepository(connection, tables.projects, Project)
        self.employees = SqlAlchemyEmployeeRepository(connection)
        self.workdays = SqlAlchemyWorkdayRepository(connection)
        self.invoices = SqlAlchemyInvoiceRepository(connection)
        self.months = SqlAlchemyEmployeeMonths(connection, self.workdays, self.invoices)
        self.users = SqlAlchemyUserRepository(connection)
        self.invoice_numbers = SqlAlchemyInvoiceNumberCounter(connection)
        self.outbox = SqlAlchemyOutbox(connection)
        self.batches = SqlAlchemyBatchRepository(connection)
        self.views = SqlAlchemyViews(connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        try:
            if connection is not None:
                try:
                    connection.rollback()
                    connection.close()
                except DBAPIError:
                    # The connection is gone with the database; what went wrong first is `exc`.
                    connection.invalidate()
        finally:
            self._release_writer_lock()
        if _is_outage(exc):
            raise DependencyUnavailable("database", type(exc).__name__) from exc

    def _release_writer_lock(self) -> None:
        if self._holds_writer_lock and self._writer_lock is not None:
            self._holds_writer_lock = False
            self._writer_lock.release()

    def _require_connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("outside a transaction")
        return self._connection

    def commit(self) -> None:
        self._require_connection().commit()

    def rollback(self) -> None:
        self._require_connection().rollback()
