"""In-memory repositories over one transaction's working copy of the tables.

They enforce the same integrity rules the database's constraints do, so the contract tests hold
for both: a duplicate that races past a use case's check still comes out as the domain's conflict.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from billtrack.adapters.memory.paging import page_of
from billtrack.adapters.memory.store import OwedRender
from billtrack.domain.model.batch import MonthBatch
from billtrack.domain.model.employee import Employee
from billtrack.domain.model.employee_month import EmployeeMonth
from billtrack.domain.model.errors import (
    DuplicateEmail,
    DuplicateInvoice,
    DuplicateUser,
    DuplicateWorkday,
)
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.lifecycle import Entity
from billtrack.domain.model.organisation import OrganisationUnit
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.user import User
from billtrack.domain.model.values import fold_name
from billtrack.domain.model.workday import Workday
from billtrack.ports.jobs import RenderJob
from billtrack.ports.queries import (
    EmployeeQuery,
    InvoiceQuery,
    NameQuery,
    Page,
    WorkdayQuery,
    matches_name,
)

E = TypeVar("E", bound=Entity)
UnitT = TypeVar("UnitT", bound=OrganisationUnit)


class _Table(Generic[E]):
    def __init__(self, rows: dict[UUID, E]) -> None:
        self._rows = rows

    def _check(self, row: E) -> None:
        """Raise the domain's conflict when `row` would break a unique rule of the table."""

    def add(self, row: E, /) -> None:
        if row.id in self._rows:
            raise ValueError(f"{row.id} is in the table already")
        self._check(row)
        self._rows[row.id] = row

    def update(self, row: E, /) -> None:
        if row.id not in self._rows:
            raise KeyError(row.id)
        self._check(row)
        self._rows[row.id] = row

    def get(self, row_id: UUID, /) -> E | None:
        return self._rows.get(row_id)

    def get_many(self, row_ids: Collection[UUID], /) -> Mapping[UUID, E]:
        return {i: self._rows[i] for i in row_ids if i in self._rows}

    def _active(self) -> list[E]:
        return [r for r in self._rows.values() if r.is_active]


class InMemoryOrganisationUnitRepository(_Table[UnitT]):
    def list(self, query: NameQuery, /) -> Page[UnitT]:
        rows = (r for r in self._rows.values() if matches_name(query.name, r.name.value))
        return page_of(rows, query.page, lambda r: fold_name(r.name.value), query.sort_by_name)


class InMemoryEmployeeRepository(_Table[Employee]):
    def _check(self, row: Employee) -> None:
        holder = self.active_with_email(row.email.key)
        if row.is_active and holder is not None and holder.id != row.id:
            raise DuplicateEmail(row.email.value)

    def list(self, query: EmployeeQuery, /) -> Page[Employee]:
        rows = (
            e
            for e in self._rows.values()
            if matches_name(query.name, e.firstname.value, e.lastname.value, e.full_name)
            and query.department_id in (None, e.department_id)
            and query.project_id in (None, e.project_id)
        )
        return page_of(
            rows,
            query.page,
            lambda e: (fold_name(e.lastname.value), fold_name(e.firstname.value)),
            query.sort_by_name,
        )

    def active_with_email(self, email_key: str, /) -> Employee | None:
        return next((e for e in self._active() if e.email.key == email_key), None)

    def any_active_in_department(self, department_id: UUID, /) -> bool:
        return any(e.department_id == department_id for e in self._active())

    def any_active_in_project(self, project_id: UUID, /) -> bool:
        return any(e.project_id == project_id for e in self._active())

    def active_ids(self) -> Sequence[UUID]:
        return [e.id for e in sorted(self._active(), key=lambda e: (e.created_at, e.id))]


class InMemoryWorkdayRepository(_Table[Workday]):
    def _check(self, row: Workday) -> None:
        if row.is_active and any(
            w.id != row.id and w.employee_id == row.employee_id and w.day == row.day
            for w in self._active()
        ):
            raise DuplicateWorkday(row.employee_id, row.day)

    def list(self, query: WorkdayQuery, /) -> Page[Workday]:
        rows = (
            w
            for w in self._rows.values()
            if query.day in (None, w.day)
            and query.employee_id in (None, w.employee_id)
            and (query.from_day is None or query.from_day <= w.day)
            and (query.to_day is None or w.day <= query.to_day)
        )
        return page_of(rows, query.page, lambda w: w.day, query.sort_by_date)

    def active_in_month(self, employee_id: UUID, period: YearMonth, /) -> Sequence[Workday]:
        return sorted(
            (w for w in self._active() if w.employee_id == employee_id and period.contains(w.day)),
            key=lambda w: (w.day, w.id),
        )


class InMemoryInvoiceRepository(_Table[Invoice]):
    def _check(self, row: Invoice) -> None:
        holder = self.active_for(row.employee_id, row.period)
        if row.is_active and holder is not None and holder.id != row.id:
            raise DuplicateInvoice(row.employee_id, row.period)

    def list(self, query: InvoiceQuery, /) -> Page[Invoice]:
        rows = (
            i
            for i in self._rows.values()
            if query.employee_id in (None, i.employee_id)
            and query.month in (None, i.period.month)
            and query.year in (None, i.period.year)
        )
        return page_of(rows, query.page, lambda i: i.period, query.sort_by_date)

    def active_for(self, employee_id: UUID, period: YearMonth, /) -> Invoice | None:
        return next(
            (i for i in self._active() if i.employee_id == employee_id and i.period == period),
            None,
        )

    def owing_mail(
        self, asked_before: datetime, claimed_before: datetime, limit: int, /
    ) -> Sequence[Invoice]:
        owing = [
            i
            for i in self._active()
            if i.is_url_ready
            and i.mail_error is None
            and i.mail_sent < i.mail_requested
            and (i.mail_asked_at is None or i.mail_asked_at < asked_before)
            and (i.mail_claimed_at is None or i.mail_claimed_at < claimed_before)
        ]
        return sorted(owing, key=lambda i: (i.created_at, i.id))[:limit]

    def of_batch(self, batch_id: UUID, /) -> Sequence[Invoice]:
        found = (i for i in self._rows.values() if i.batch_id == batch_id)
        return sorted(found, key=lambda i: (i.created_at, i.id))


class InMemoryBatchRepository(_Table[MonthBatch]):
    def unfinished(self) -> Sequence[MonthBatch]:
        found = (b for b in self._active() if b.invoiced_at is None)
        return sorted(found, key=lambda b: (b.created_at, b.id))


class InMemoryEmployeeMonths:
    """Months read from the working copy; no lock to take, as in-memory transactions already run
    one at a time."""

    def __init__(self, workdays: InMemoryWorkdayRepository, invoices: InMemoryInvoiceRepository):
        self._workdays = workdays
        self._invoices = invoices

    def lock(self, *months: tuple[UUID, YearMonth]) -> tuple[EmployeeMonth, ...]:
        return tuple(
            EmployeeMonth(
                employee_id=employee_id,
                period=period,
                workdays=tuple(self._workdays.active_in_month(employee_id, period)),
                invoice=self._invoices.active_for(employee_id, period),
            )
            for employee_id, period in months
        )

    def hold(self, *months: tuple[UUID, YearMonth]) -> bool:
        # The store's lock already keeps every other transaction out.
        return False


class InMemoryUserRepository(_Table[User]):
    def _check(self, row: User) -> None:
        holder = self.with_email(row.email.key)
        if holder is not None and holder.id != row.id:
            raise DuplicateUser(row.email.value)

    def with_email(self, email_key: str, /) -> User | None:
        return next((u for u in self._active() if u.email.key == email_key), None)

    def all(self) -> Sequence[User]:
        return self._active()


class InMemoryInvoiceNumberCounter:
    def __init__(self, counters: dict[int, int]) -> None:
        self._counters = counters

    def next(self, year: int, /) -> int:
        self._counters[year] = self._counters.get(year, 0) + 1
        return self._counters[year]


class InMemoryOutbox:
    def __init__(self, rows: dict[UUID, OwedRender]) -> None:
        self._rows = rows

    def put(self, job: RenderJob, /, published_at: datetime | None = None) -> None:
        self._rows[job.invoice_id] = OwedRender(job, published_at)

    def settle(self, invoice_id: UUID, revision: int, /) -> None:
        owed = self._rows.get(invoice_id)
        if owed is not None and owed.job.revision == revision:
            del self._rows[invoice_id]

    def due(self, published_before: datetime, limit: int, /) -> Sequence[RenderJob]:
        due = [
            o
            for o in self._rows.values()
            if o.published_at is None or o.published_at < published_before
        ]
        due.sort(key=lambda o: (o.published_at is not None, o.published_at, o.job.invoice_id))
        return [o.job for o in due[:limit]]

    def mark_published(self, invoice_id: UUID, revision: int, at: datetime | None, /) -> None:
        owed = self._rows.get(invoice_id)
        if owed is not None and owed.job.revision == revision:
            owed.published_at = at
