"""The unit of work: one transaction over all repositories."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from billtrack.ports.repositories import (
    DepartmentRepository,
    EmployeeRepository,
    InvoiceNumberCounter,
    InvoiceRepository,
    Outbox,
    ProjectRepository,
    UserRepository,
    WorkdayRepository,
)


class UnitOfWork(Protocol):
    """`with uow: ...; uow.commit()`. Leaving the block without `commit()` rolls everything back,
    so an error halfway leaves nothing half-written. A unit of work may be entered again after it
    has been left, each time as a new transaction."""

    departments: DepartmentRepository
    projects: ProjectRepository
    employees: EmployeeRepository
    workdays: WorkdayRepository
    invoices: InvoiceRepository
    users: UserRepository
    invoice_numbers: InvoiceNumberCounter
    outbox: Outbox

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
