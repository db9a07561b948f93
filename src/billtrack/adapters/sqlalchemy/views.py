"""Views in one query: each row joined with its employee, department and project.

A page is cut from its own table first and only its rows are joined (see `read_page`). The joined
statement labels every column with its table's prefix (`e_id`, `d_name`, ...) and the row
converters of `rows` read one table's part of the row through `_Part`, so an entity is built by
the same function whether it was read alone or joined.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Connection, FromClause, Select, Table, select

from billtrack.adapters.sqlalchemy import rows, tables
from billtrack.adapters.sqlalchemy.repositories import (
    Filter,
    employee_filter,
    invoice_filter,
    read_page,
    workday_filter,
)
from billtrack.domain.model.organisation import Department, Project
from billtrack.domain.model.views import EmployeeView, InvoiceView, WorkdayView
from billtrack.ports.queries import EmployeeQuery, InvoiceQuery, Page, PageRequest, WorkdayQuery

V = TypeVar("V")
_employees, _departments, _projects = tables.employees, tables.departments, tables.projects


class _Part(Mapping[str, Any]):
    """One table's columns of a joined row, under their own names."""

    __slots__ = ("_prefix", "_row")

    def __init__(self, row: Mapping[Any, Any], prefix: str) -> None:
        self._row = row
        self._prefix = prefix

    def __getitem__(self, name: str) -> Any:
        return self._row[self._prefix + name]

    def __iter__(self) -> Iterator[str]:
        raise TypeError("a row part is read by column name")

    def __len__(self) -> int:
        raise TypeError("a row part is read by column name")


def _labelled(rows: FromClause, prefix: str) -> list[Any]:
    return [column.label(prefix + column.name) for column in rows.c]


def _employee_view(row: Mapping[Any, Any]) -> EmployeeView:
    return EmployeeView(
        rows.employee_from_row(_Part(row, "e_")),
        rows.unit_from_row(Department, _Part(row, "d_")),
        rows.unit_from_row(Project, _Part(row, "p_")),
    )


def _workday_view(row: Mapping[Any, Any]) -> WorkdayView:
    return WorkdayView(rows.workday_from_row(_Part(row, "w_")), _employee_view(row))


def _invoice_view(row: Mapping[Any, Any]) -> InvoiceView:
    return InvoiceView(rows.invoice_from_row(_Part(row, "i_")), _employee_view(row))


def _employees_joined(employees: FromClause) -> Select[Any]:
    """Employee rows (the table, or a page of it) with their department and project."""
    return (
        select(*_labelled(employees, "e_"), *_labelled(_departments, "d_"))
        .add_columns(*_labelled(_projects, "p_"))
        .select_from(employees)
        .join(_departments, _departments.c.id == employees.c.department_id)
        .join(_projects, _projects.c.id == employees.c.project_id)
    )


def _embedding_employee(prefix: str) -> Callable[[FromClause], Select[Any]]:
    """Rows that name an employee (workdays, invoices) with the employee's view."""

    def joined(owned: FromClause) -> Select[Any]:
        return (
            select(*_labelled(owned, prefix), *_labelled(_employees, "e_"))
            .add_columns(*_labelled(_departments, "d_"), *_labelled(_projects, "p_"))
            .select_from(owned)
            .join(_employees, _employees.c.id == owned.c.employee_id)
            .join(_departments, _departments.c.id == _employees.c.department_id)
            .join(_projects, _projects.c.id == _employees.c.project_id)
        )

    return joined


_workdays_joined = _embedding_employee("w_")
_invoices_joined = _embedding_employee("i_")


class SqlAlchemyViews:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _page(
        self,
        table: Table,
        request: PageRequest,
        shown: Filter,
        joined: Callable[[FromClause], Select[Any]],
        convert: Callable[[Mapping[Any, Any]], V],
    ) -> Page[V]:
        return read_page(
            self._connection,
            table,
            request,
            shown,
            lambda row: convert(row._mapping),
            joined=joined,
        )

    def _one(
        self,
        table: Table,
        entity_id: UUID,
        joined: Callable[[FromClause], Select[Any]],
        convert: Callable[[Mapping[Any, Any]], V],
    ) -> V | None:
        found = joined(table).where(table.c.id == entity_id, table.c.deleted_at.is_(None))
        row = self._connection.execute(found).first()
        return None if row is None else convert(row._mapping)

    def employees(self, query: EmployeeQuery, /) -> Page[EmployeeView]:
        shown = employee_filter(query)
        return self._page(_employees, query.page, shown, _employees_joined, _employee_view)

    def workdays(self, query: WorkdayQuery, /) -> Page[WorkdayView]:
        shown = workday_filter(query)
        return self._page(tables.workdays, query.page, shown, _workdays_joined, _workday_view)

    def invoices(self, query: InvoiceQuery, /) -> Page[InvoiceView]:
        shown = invoice_filter(query)
        return self._page(tables.invoices, query.page, shown, _invoices_joined, _invoice_view)

    def employee(self, employee_id: UUID, /) -> EmployeeView | None:
        return self._one(_employees, employee_id, _employees_joined, _employee_view)

    def workday(self, workday_id: UUID, /) -> WorkdayView | None:
        return self._one(tables.workdays, workday_id, _workdays_joined, _workday_view)

    def invoice(self, invoice_id: UUID, /) -> InvoiceView | None:
        return self._one(tables.invoices, invoice_id, _invoices_joined, _invoice_view)
