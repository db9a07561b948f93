"""Repositories over one SQLAlchemy connection (and so one transaction).

Filtering, sorting and paging happen in SQL: a page reads its rows and a count, never the table.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Connection,
    Executable,
    FromClause,
    Insert,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from billtrack.adapters.sqlalchemy import rows, tables
from billtrack.adapters.sqlalchemy.conflicts import conflict_for
from billtrack.domain.model.batch import MonthBatch
from billtrack.domain.model.employee import Employee
from billtrack.domain.model.employee_month import EmployeeMonth
from billtrack.domain.model.invoice import Invoice, InvoiceStatus
from billtrack.domain.model.lifecycle import Entity
from billtrack.domain.model.organisation import OrganisationUnit
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.user import User
from billtrack.domain.model.values import InvalidValue, check_text, fold_name
from billtrack.domain.model.workday import Workday
from billtrack.ports.jobs import RenderJob
from billtrack.ports.queries import (
    EmployeeQuery,
    InvoiceQuery,
    NameQuery,
    Page,
    PageRequest,
    SortDirection,
    WorkdayQuery,
)

E = TypeVar("E", bound=Entity)
T = TypeVar("T")
UnitT = TypeVar("UnitT", bound=OrganisationUnit)


def contains(column: Any, needle: str) -> ColumnElement[bool]:
    """`column` (already folded) contains `needle`, every character of it taken literally."""
    try:
        check_text(needle)
    except InvalidValue:
        # Stored text never holds these characters, and PostgreSQL would refuse to compare them.
        return false()
    escaped = fold_name(needle).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    condition: ColumnElement[bool] = column.like(f"%{escaped}%", escape="\\")
    return condition


@dataclass(frozen=True)
class Filter:
    """Which active rows a list shows, and in what order."""

    conditions: Sequence[ColumnElement[bool]]
    sort: Sequence[Any]
    direction: SortDirection | None


def read_page(
    connection: Connection,
    table: Table,
    request: PageRequest,
    shown: Filter,
    convert: Callable[[Any], T],
    *,
    joined: Callable[[FromClause], Select[Any]] | None = None,
) -> Page[T]:
    """The active rows of `table` that `shown` selects, converted one by one: by the sort in its
    direction (when given), then always by creation time and id, so pages neither repeat nor
    skip a row. Two statements: the count, then the page. With `joined`, the page's rows are
    cut first and only they are joined with what they embed (`joined` answers the statement
    over the rows it is given), so the rows an offset skips are never joined."""
    where = and_(table.c.deleted_at.is_(None), *shown.conditions)
    total = connection.execute(select(func.count()).select_from(table).where(where)).scalar_one()

    def order(rows: FromClause) -> list[Any]:
        columns = [rows.c[c.name] for c in shown.sort] if shown.direction is not None else []
        descending = shown.direction is SortDirection.DESC
        return [c.desc() if descending else c.asc() for c in columns] + [
            rows.c.created_at,
            rows.c.id,
        ]

    cut = select(table).where(where).order_by(*order(table))
    cut = cut.limit(request.size).offset(request.offset)
    if joined is not None:
        rows = cut.subquery("page")
        cut = joined(rows).order_by(*order(rows))
    items = tuple(convert(row) for row in connection.execute(cut))
    return Page(items, request.number, request.size, total)


def employee_filter(query: EmployeeQuery) -> Filter:
    c = tables.employees.c
    conditions: list[ColumnElement[bool]] = []
    if query.name:
        conditions.append(
            or_(
                contains(c.firstname_folded, query.name),
                contains(c.lastname_folded, query.name),
                contains(c.full_name_folded, query.name),
            )
        )
    if query.department_id is not None:
        conditions.append(c.department_id == query.department_id)
    if query.project_id is not None:
        conditions.append(c.project_id == query.project_id)
    return Filter(conditions, [c.lastname_folded, c.firstname_folded], query.sort_by_name)


def workday_filter(query: WorkdayQuery) -> Filter:
    c = tables.workdays.c
    conditions: list[ColumnElement[bool]] = []
    if query.day is not None:
        conditions.append(c.day == query.day)
    if query.employee_id is not None:
        conditions.append(c.employee_id == query.employee_id)
    if query.from_day is not None:
        conditions.append(c.day >= query.from_day)
    if query.to_day is not None:
        conditions.append(c.day <= query.to_day)
    return Filter(conditions, [c.day], query.sort_by_date)


def invoice_filter(query: InvoiceQuery) -> Filter:
    c = tables.invoices.c
    conditions: list[ColumnElement[bool]] = []
    if query.employee_id is not None:
        conditions.append(c.employee_id == query.employee_id)
    if query.month is not None:
        conditions.append(c.month == query.month)
    if query.year is not None:
        conditions.append(c.year == query.year)
    return Filter(conditions, [c.year, c.month], query.sort_by_date)


# The statements every repository sends most, built once per table with their values bound, so
# SQLAlchemy neither builds them nor computes their cache key again for each row.
_ID = "by_id"


@functools.cache
def _insert_into(table: Table) -> Insert:
    return insert(table)


@functools.cache
def _update_by_id(table: Table) -> Update:
    return update(table).where(table.c.id == bindparam(_ID))


@functools.cache
def _select_by_id(table: Table) -> Select[Any]:
    return select(table).where(table.c.id == bindparam(_ID))


class _Repository(Generic[E]):
    table: Table

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _to_row(self, entity: E) -> dict[str, Any]:
        raise TypeError(f"{type(self).__name__} must define _to_row")

    def _from_row(self, row: rows.Row) -> E:
        raise TypeError(f"{type(self).__name__} must define _from_row")

    def _write(self, statement: Executable, row: dict[str, Any], parameters: dict[str, Any]) -> int:
        try:
            return self._connection.execute(statement, parameters).rowcount
        except IntegrityError as error:
            conflict = conflict_for(error, row)
            if conflict is None:
                raise
            raise conflict from error

    def add(self, entity: E, /) -> None:
        row = self._to_row(entity)
        self._write(_insert_into(self.table), row, row)

    def update(self, entity: E, /) -> None:
        row = self._to_row(entity)
        parameters = {name: value for name, value in row.items() if name != "id"}
        parameters[_ID] = entity.id
        if self._write(_update_by_id(self.table), row, parameters) != 1:
            raise KeyError(entity.id)

    def get(self, entity_id: UUID, /) -> E | None:
        row = self._connection.execute(_select_by_id(self.table), {_ID: entity_id}).first()
        return None if row is None else self._from_row(row._mapping)

    def get_many(self, entity_ids: Collection[UUID], /) -> Mapping[UUID, E]:
        if not entity_ids:
            return {}
        found = self._connection.execute(select(self.table).where(self.table.c.id.in_(entity_ids)))
        return {row.id: self._from_row(row._mapping) for row in found}

    def _active(self) -> ColumnElement[bool]:
        return self.table.c.deleted_at.is_(None)

    def _page(self, request: PageRequest, shown: Filter) -> Page[E]:
        return read_page(
            self._connection, self.table, request, shown, lambda row: self._from_row(row._mapping)
        )

    def _first_active(self, *conditions: ColumnElement[bool]) -> E | None:
        statement = select(self.table).where(self._active(), *conditions).limit(1)
        row = self._connection.execute(statement).first()
        return None if row is None else self._from_row(row._mapping)


class SqlAlchemyOrganisationUnitRepository(_Repository[UnitT]):
    def __init__(self, connection: Connection, table: Table, kind: type[UnitT]) -> None:
        super().__init__(connection)
        self.table = table
        self._kind = kind

    def _to_row(self, entity: UnitT) -> dict[str, Any]:
        return rows.unit_row(entity)

    def _from_row(self, row: rows.Row) -> UnitT:
        return rows.unit_from_row(self._kind, row)

    def list(self, query: NameQuery, /) -> Page[UnitT]:
        name = self.table.c.name_folded
        conditions = [contains(name, query.name)] if query.name else []
        return self._page(query.page, Filter(conditions, [name], query.sort_by_name))


class SqlAlchemyEmployeeRepository(_Repository[Employee]):
    table = tables.employees

    def _to_row(self, entity: Employee) -> dict[str, Any]:
        return rows.employee_row(entity)

    def _from_row(self, row: rows.Row) -> Employee:
        return rows.employee_from_row(row)

    def list(self, query: EmployeeQuery, /) -> Page[Employee]:
        return self._page(query.page, employee_filter(query))

    def active_with_email(self, email_key: str, /) -> Employee | None:
        return self._first_active(self.table.c.email_key == email_key)

    def any_active_in_department(self, department_id: UUID, /) -> bool:
        return self._first_active(self.table.c.department_id == department_id) is not None

    def any_active_in_project(self, project_id: UUID, /) -> bool:
        return self._first_active(self.table.c.project_id == project_id) is not None

    def active_ids(self) -> Sequence[UUID]:
        c = self.table.c
        statement = select(c.id).where(self._active()).order_by(c.created_at, c.id)
        return list(self._connection.execute(statement).scalars())


class SqlAlchemyWorkdayRepository(_Repository[Workday]):
    table = tables.workdays

    def _to_row(self, entity: Workday) -> dict[str, Any]:
        return rows.workday_row(entity)

    def _from_row(self, row: rows.Row) -> Workday:
        return rows.workday_from_row(row)

    def list(self, query: WorkdayQuery, /) -> Page[Workday]:
        return self._page(query.page, workday_filter(query))

    def active_in_month(self, employee_id: UUID, period: YearMonth, /) -> Sequence[Workday]:
        found = self._connection.execute(
            _WORKDAYS_IN_MONTH,
            {"employee_id": employee_id, "first": period.first_day, "last": period.last_day},
        )
        return [self._from_row(r._mapping) for r in found]


_WORKDAYS_IN_MONTH = (
    select(tables.workdays)
    .where(
        tables.workdays.c.deleted_at.is_(None),
        tables.workdays.c.employee_id == bindparam("employee_id"),
        tables.workdays.c.day.between(bindparam("first"), bindparam("last")),
    )
    .order_by(tables.workdays.c.day, tables.workdays.c.id)
)


class SqlAlchemyInvoiceRepository(_Repository[Invoice]):
    table = tables.invoices

    def _to_row(self, entity: Invoice) -> dict[str, Any]:
        return rows.invoice_row(entity)

    def _from_row(self, row: rows.Row) -> Invoice:
        return rows.invoice_from_row(row)

    def list(self, query: InvoiceQuery, /) -> Page[Invoice]:
        return self._page(query.page, invoice_filter(query))

    def active_for(self, employee_id: UUID, period: YearMonth, /) -> Invoice | None:
        parameters = {"employee_id": employee_id, "year": period.year, "month": period.month}
        row = self._connection.execute(_ACTIVE_INVOICE_FOR, parameters).first()
        return None if row is None else self._from_row(row._mapping)

    def owing_mail(
        self, asked_before: datetime, claimed_before: datetime, limit: int, /
    ) -> Sequence[Invoice]:
        c = self.table.c
        statement = (
            select(self.table)
            .where(
                self._active(),
                c.status == InvoiceStatus.GENERATED.value,
                c.pdf_key.is_not(None),
                c.mail_error.is_(None),
                c.mail_sent < c.mail_requested,
                or_(c.mail_asked_at.is_(None), c.mail_asked_at < asked_before),
                or_(c.mail_claimed_at.is_(None), c.mail_claimed_at < claimed_before),
            )
            .order_by(c.created_at, c.id)
            .limit(limit)
        )
        return [self._from_row(r._mapping) for r in self._connection.execute(statement)]

    def of_batch(self, batch_id: UUID, /) -> Sequence[Invoice]:
        c = self.table.c
        statement = select(self.table).where(c.batch_id == batch_id).order_by(c.created_at, c.id)
        return [self._from_row(r._mapping) for r in self._connection.execute(statement)]


_ACTIVE_INVOICE_FOR = (
    select(tables.invoices)
    .where(
        tables.invoices.c.deleted_at.is_(None),
        tables.invoices.c.employee_id == bindparam("employee_id"),
        tables.invoices.c.year == bindparam("year"),
        tables.invoices.c.month == bindparam("month"),
    )
    .limit(1)
)


class SqlAlchemyBatchRepository(_Repository[MonthBatch]):
    table = tables.invoice_batches

    def _to_row(self, entity: MonthBatch) -> dict[str, Any]:
        return rows.batch_row(entity)

    def _from_row(self, row: rows.Row) -> MonthBatch:
        return rows.batch_from_row(row)

    def unfinished(self) -> Sequence[MonthBatch]:
        c = self.table.c
        statement = (
            select(self.table)
            .where(self._active(), c.invoiced_at.is_(None))
            .order_by(c.created_at, c.id)
        )
        return [self._from_row(r._mapping) for r in self._connection.execute(statement)]


class SqlAlchemyEmployeeMonths:
    def __init__(
        self,
        connection: Connection,
        workdays: SqlAlchemyWorkdayRepository,
        invoices: SqlAlchemyInvoiceRepository,
    ) -> None:
        self._connection = connection
        self._workdays = workdays
        self._invoices = invoices

    def lock(self, *months: tuple[UUID, YearMonth]) -> tuple[EmployeeMonth, ...]:
        self.hold(*months)
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
        # The employees' rows stand for their months. Locked in id order in one statement, so two
        # transactions locking the same employees cannot deadlock. SQLite has no FOR UPDATE, and
        # needs none: a write transaction, begun here if no statement has begun it yet, holds the
        # database's one write lock from its BEGIN IMMEDIATE on.
        employee_ids = sorted({employee_id for employee_id, _ in months})
        if not employee_ids:
            return False
        if self._connection.dialect.name == "sqlite":
            if not self._connection.in_transaction():
                self._connection.begin()
            return False
        c = tables.employees.c
        self._connection.execute(
            select(c.id).where(c.id.in_(employee_ids)).order_by(c.id).with_for_update()
        )
        return True


class SqlAlchemyUserRepository(_Repository[User]):
    table = tables.users

    def _to_row(self, entity: User) -> dict[str, Any]:
        return rows.user_row(entity)

    def _from_row(self, row: rows.Row) -> User:
        return rows.user_from_row(row)

    def with_email(self, email_key: str, /) -> User | None:
        return self._first_active(self.table.c.email_key == email_key)

    def all(self) -> Sequence[User]:
        c = self.table.c
        statement = select(self.table).where(self._active()).order_by(c.created_at, c.id)
        return [self._from_row(r._mapping) for r in self._connection.execute(statement)]


class SqlAlchemyInvoiceNumberCounter:
    """One row per year, incremented in place: the row stays locked until the transaction ends,
    so concurrent creations take their numbers one after another, and a rollback gives the
    number back. That is what keeps committed numbers free of gaps."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def next(self, year: int, /) -> int:
        statement = _next_number(self._connection.dialect.name)
        return int(self._connection.execute(statement, {"year": year}).scalar_one())


@functools.cache
def _next_number(dialect: str) -> Executable:
    table = tables.invoice_counters
    upsert: Callable[..., Any] = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement: Executable = (
        upsert(table)
        .values(year=bindparam("year"), last_sequence=1)
        .on_conflict_do_update(
            index_elements=[table.c.year], set_={"last_sequence": table.c.last_sequence + 1}
        )
        .returning(table.c.last_sequence)
    )
    return statement


_FORGET_OWED = delete(tables.outbox).where(tables.outbox.c.invoice_id == bindparam("invoice_id"))
_OWE = insert(tables.outbox)
_SETTLE = delete(tables.outbox).where(
    tables.outbox.c.invoice_id == bindparam("invoice_id"),
    tables.outbox.c.revision == bindparam("revision"),
)


class SqlAlchemyOutbox:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def put(self, job: RenderJob, /, published_at: datetime | None = None) -> None:
        self._connection.execute(_FORGET_OWED, {"invoice_id": job.invoice_id})
        self._connection.execute(
            _OWE,
            {"invoice_id": job.invoice_id, "revision": job.revision, "published_at": published_at},
        )

    def settle(self, invoice_id: UUID, revision: int, /) -> None:
        self._connection.execute(_SETTLE, {"invoice_id": invoice_id, "revision": revision})

    def due(self, published_before: datetime, limit: int, /) -> Sequence[RenderJob]:
        c = tables.outbox.c
        statement = (
            select(c.invoice_id, c.revision)
            .where(or_(c.published_at.is_(None), c.published_at < published_before))
            .order_by(c.published_at.is_not(None), c.published_at, c.invoice_id)
            .limit(limit)
        )
        return [RenderJob(r.invoice_id, r.revision) for r in self._connection.execute(statement)]

    def mark_published(self, invoice_id: UUID, revision: int, at: datetime | None, /) -> None:
        c = tables.outbox.c
        self._connection.execute(
            update(tables.outbox)
            .where(c.invoice_id == invoice_id, c.revision == revision)
            .values(published_at=at)
        )
