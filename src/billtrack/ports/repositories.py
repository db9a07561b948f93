"""Repositories: collections of the domain's entities, valid inside one unit of work.

`get` answers soft-deleted rows too (answers embed them); lists and lookups by a business key answer
only active ones. `add` and `update` may raise the domain's `Conflict` when a database constraint
catches what a check raced past.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from billtrack.domain.model.batch import MonthBatch
from billtrack.domain.model.employee import Employee
from billtrack.domain.model.employee_month import EmployeeMonth
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.organisation import Department, OrganisationUnit, Project
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.user import User
from billtrack.domain.model.workday import Workday
from billtrack.ports.jobs import RenderJob
from billtrack.ports.queries import EmployeeQuery, InvoiceQuery, NameQuery, Page, WorkdayQuery

UnitT = TypeVar("UnitT", bound=OrganisationUnit)


class OrganisationUnitRepository(Protocol[UnitT]):
    def add(self, unit: UnitT, /) -> None: ...
    def get(self, unit_id: UUID, /) -> UnitT | None: ...
    def get_many(self, unit_ids: Collection[UUID], /) -> Mapping[UUID, UnitT]: ...
    def update(self, unit: UnitT, /) -> None: ...
    def list(self, query: NameQuery, /) -> Page[UnitT]: ...


class DepartmentRepository(OrganisationUnitRepository[Department], Protocol):
    pass


class ProjectRepository(OrganisationUnitRepository[Project], Protocol):
    pass


class EmployeeRepository(Protocol):
    def add(self, employee: Employee, /) -> None: ...
    def get(self, employee_id: UUID, /) -> Employee | None: ...
    def get_many(self, employee_ids: Collection[UUID], /) -> Mapping[UUID, Employee]: ...
    def update(self, employee: Employee, /) -> None: ...
    def list(self, query: EmployeeQuery, /) -> Page[Employee]: ...
    def active_with_email(self, email_key: str, /) -> Employee | None: ...
    def any_active_in_department(self, department_id: UUID, /) -> bool: ...
    def any_active_in_project(self, project_id: UUID, /) -> bool: ...
    def active_ids(self) -> Sequence[UUID]: ...


class EmployeeMonthRepository(Protocol):
    """The consistency boundary: an employee's month, its workdays and the invoice closing it."""

    def lock(self, *months: tuple[UUID, YearMonth]) -> tuple[EmployeeMonth, ...]:
        """The months of (employee id, period), in the order asked, each held until the
        transaction ends: a concurrent change to any of these employees' months waits, so a
        workday cannot slip into a month while it is snapshotted into an invoice. Every
        operation that reads a month to change it or its workdays loads it through here."""
        ...

    def hold(self, *months: tuple[UUID, YearMonth]) -> bool:
        """The locks `lock` takes, without loading the months: for a change to what is in a
        month (an invoice's PDF or mail state, written back whole) that must not undo a
        concurrent edit or deletion. Answers whether a lock had to be taken: False when this
        transaction already keeps every other writer out (the in-memory store's and SQLite's
        do), so what it read before is still current; True when rows were locked now, so what
        was read before must be read again."""
        ...


class WorkdayRepository(Protocol):
    def add(self, workday: Workday, /) -> None: ...
    def get(self, workday_id: UUID, /) -> Workday | None: ...
    def update(self, workday: Workday, /) -> None: ...
    def list(self, query: WorkdayQuery, /) -> Page[Workday]: ...
    def active_in_month(self, employee_id: UUID, period: YearMonth, /) -> Sequence[Workday]: ...


class InvoiceRepository(Protocol):
    def add(self, invoice: Invoice, /) -> None: ...
    def get(self, invoice_id: UUID, /) -> Invoice | None: ...
    def update(self, invoice: Invoice, /) -> None: ...
    def list(self, query: InvoiceQuery, /) -> Page[Invoice]: ...
    def active_for(self, employee_id: UUID, period: YearMonth, /) -> Invoice | None: ...
    def owing_mail(
        self, asked_before: datetime, claimed_before: datetime, limit: int, /
    ) -> Sequence[Invoice]:
        """Active generated invoices that owe a send asked for before `asked_before` (or never),
        not failed, and not claimed since `claimed_before`."""
        ...

    def of_batch(self, batch_id: UUID, /) -> Sequence[Invoice]:
        """The invoices a month-end run issued, soft-deleted ones too."""
        ...


class BatchRepository(Protocol):
    def add(self, batch: MonthBatch, /) -> None: ...
    def get(self, batch_id: UUID, /) -> MonthBatch | None: ...
    def update(self, batch: MonthBatch, /) -> None: ...
    def unfinished(self) -> Sequence[MonthBatch]:
        """Runs that have not yet considered every employee (a crash stopped them, say)."""
        ...


class UserRepository(Protocol):
    def add(self, user: User, /) -> None: ...
    def get(self, user_id: UUID, /) -> User | None: ...
    def update(self, user: User, /) -> None: ...
    def with_email(self, email_key: str, /) -> User | None: ...
    def all(self) -> Sequence[User]: ...


class InvoiceNumberCounter(Protocol):
    def next(self, year: int, /) -> int:
        """The next sequence number of `year`. The counter moves with the unit of work: a
        rolled-back creation gives its number back and a concurrent one waits, so committed
        numbers have no gaps."""
        ...


class Outbox(Protocol):
    """Renders still owed, written in the same transaction as the invoice they are for."""

    def put(self, job: RenderJob, /, published_at: datetime | None = None) -> None:
        """Owe a render of `job` (replacing what was owed for the same invoice). `published_at`
        is for a job published right after this transaction commits: it is recorded as
        published then, with no transaction of its own (see `mark_published`)."""
        ...

    def settle(self, invoice_id: UUID, revision: int, /) -> None:
        """The render of `revision` is done (or given up): nothing is owed for it any more."""
        ...

    def due(self, published_before: datetime, limit: int, /) -> Sequence[RenderJob]:
        """Owed renders never published, or last published before `published_before`."""
        ...

    def mark_published(self, invoice_id: UUID, revision: int, at: datetime | None, /) -> None:
        """Record when the owed render of `revision` was published; None when it was not after
        all (the queue was down), so it is due at once."""
        ...
