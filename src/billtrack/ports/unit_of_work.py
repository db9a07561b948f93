"""The unit of work: one transaction over all repositories."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

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
from billtrack.ports.views import Views


class UnitOfWork(Protocol):
    """`with uow: ...; uow.commit()`. Leaving the block without `commit()` rolls everything back,
    so an error halfway leaves nothing half-written. A unit of work may be entered again after it
    has been left, each time as a new transaction."""

    # Read-only members, so an adapter may hold its own repository classes in them.
    @property
    def departments(self) -> DepartmentRepository: ...
    @property
    def projects(self) -> ProjectRepository: ...
    @property
    def employees(self) -> EmployeeRepository: ...
    @property
    def workdays(self) -> WorkdayRepository: ...
    @property
    def months(self) -> EmployeeMonthRepository: ...
    @property
    def invoices(self) -> InvoiceRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def batches(self) -> BatchRepository: ...
    @property
    def invoice_numbers(self) -> InvoiceNumberCounter: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def views(self) -> Views: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
