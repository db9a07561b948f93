"""The in-memory unit of work: a working copy of the tables, swapped in on commit."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from billtrack.adapters.memory.repositories import (
    InMemoryBatchRepository,
    InMemoryEmployeeMonths,
    InMemoryEmployeeRepository,
    InMemoryInvoiceNumberCounter,
    InMemoryInvoiceRepository,
    InMemoryOrganisationUnitRepository,
    InMemoryOutbox,
    InMemoryUserRepository,
    InMemoryWorkdayRepository,
)
from billtrack.adapters.memory.store import InMemoryStore, Tables
from billtrack.adapters.memory.views import InMemoryViews
from billtrack.domain.model.organisation import Department, Project


class InMemoryUnitOfWork:
    """Holds the store's lock from `__enter__` to `__exit__`, so transactions are serializable.
    `commits` counts commits, for tests that check an operation wrote (or did not)."""

    departments: InMemoryOrganisationUnitRepository[Department]
    projects: InMemoryOrganisationUnitRepository[Project]
    employees: InMemoryEmployeeRepository
    workdays: InMemoryWorkdayRepository
    months: InMemoryEmployeeMonths
    invoices: InMemoryInvoiceRepository
    users: InMemoryUserRepository
    invoice_numbers: InMemoryInvoiceNumberCounter
    outbox: InMemoryOutbox
    batches: InMemoryBatchRepository
    views: InMemoryViews

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store if store is not None else InMemoryStore()
        self.commits = 0
        self._working: Tables | None = None

    def __enter__(self) -> Self:
        if self._working is not None:
            raise RuntimeError("this unit of work is already in a transaction")
        self.store.lock.acquire()
        self._begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._working = None
        self.store.lock.release()

    def commit(self) -> None:
        if self._working is None:
            raise RuntimeError("commit outside a transaction")
        self.store.committed = self._working
        self.commits += 1
        # Later writes in the same block are a new transaction on top of what was just committed.
        self._begin()

    def rollback(self) -> None:
        if self._working is None:
            raise RuntimeError("rollback outside a transaction")
        self._begin()

    def _begin(self) -> None:
        tables = self._working = self.store.committed.copy()
        self.departments = InMemoryOrganisationUnitRepository(tables.departments)
        self.projects = InMemoryOrganisationUnitRepository(tables.projects)
        self.employees = InMemoryEmployeeRepository(tables.employees)
        self.workdays = InMemoryWorkdayRepository(tables.workdays)
        self.invoices = InMemoryInvoiceRepository(tables.invoices)
        self.months = InMemoryEmployeeMonths(self.workdays, self.invoices)
        self.users = InMemoryUserRepository(tables.users)
        self.invoice_numbers = InMemoryInvoiceNumberCounter(tables.invoice_counters)
        self.outbox = InMemoryOutbox(tables.outbox)
        self.batches = InMemoryBatchRepository(tables.batches)
        self.views = InMemoryViews(
            departments=self.departments,
            projects=self.projects,
            employees=self.employees,
            workdays=self.workdays,
            invoices=self.invoices,
        )
