"""The schema, in SQLAlchemy Core. Alembic's migrations build the same one (a test checks).

Constraint names follow one naming convention, so a violation is turned into the domain's
conflict by looking its name up (see `conflicts.py`). Soft deletes make the unique rules partial:
they hold among active rows (`deleted_at IS NULL`) only.

Names are also stored folded (lower case, computed in Python): SQLite's `lower()` folds ASCII
only and PostgreSQL's depends on the server's locale, so filtering and sorting on a folded column
give the same answer on both, and the same as the in-memory adapter.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)

from billtrack.adapters.sqlalchemy.types import FixedPoint, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
ACTIVE = text("deleted_at IS NULL")

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def unique_among_active(name: str, *columns: Column[object]) -> Index:
    """A partial unique index: the rule holds among rows that are not soft-deleted."""
    return Index(name, *columns, unique=True, postgresql_where=ACTIVE, sqlite_where=ACTIVE)


def _lifecycle() -> list[Column[object]]:
    return [
        Column("created_at", UtcDateTime(), nullable=False),
        Column("deleted_at", UtcDateTime(), nullable=True),
    ]


def _organisation_unit(name: str) -> Table:
    table = Table(
        name,
        metadata,
        Column("id", Uuid(), primary_key=True),
        Column("name", String(100), nullable=False),
        Column("name_folded", Text(), nullable=False),
        *_lifecycle(),
    )
    Index(None, table.c.name_folded, table.c.created_at)
    return table


departments = _organisation_unit("departments")
projects = _organisation_unit("projects")

employees = Table(
    "employees",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("email", String(100), nullable=False),
    Column("email_key", Text(), nullable=False),
    Column("firstname", String(100), nullable=False),
    Column("lastname", String(100), nullable=False),
    Column("firstname_folded", Text(), nullable=False),
    Column("lastname_folded", Text(), nullable=False),
    Column("full_name_folded", Text(), nullable=False),
    Column("salary", FixedPoint(14, 2), nullable=False),
    Column("department_id", Uuid(), ForeignKey(departments.c.id), nullable=False, index=True),
    Column("project_id", Uuid(), ForeignKey(projects.c.id), nullable=False, index=True),
    *_lifecycle(),
    CheckConstraint("salary >= 0", name="salary_not_negative"),
)
unique_among_active(
    "uq_employees_active_email",
    employees.c.email_key,
)
Index(None, employees.c.lastname_folded, employees.c.firstname_folded)

workdays = Table(
    "workdays",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("employee_id", Uuid(), ForeignKey(employees.c.id), nullable=False),
    Column("day", Date(), nullable=False),
    Column("hours", FixedPoint(4, 2), nullable=False),
    *_lifecycle(),
    CheckConstraint("hours > 0", name="hours_positive"),
)
unique_among_active(
    "uq_workdays_active_employee_day",
    workdays.c.employee_id,
    workdays.c.day,
)
Index(None, workdays.c.day)

invoice_batches = Table(
    "invoice_batches",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("year", Integer(), nullable=False),
    Column("month", Integer(), nullable=False),
    Column("total", Integer(), nullable=False),
    Column("skipped", Integer(), nullable=False),
    Column("invoiced_at", UtcDateTime(), nullable=True),
    *_lifecycle(),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("employee_id", Uuid(), ForeignKey(employees.c.id), nullable=False),
    Column("year", Integer(), nullable=False),
    Column("month", Integer(), nullable=False),
    Column("number_year", Integer(), nullable=False),
    Column("number_sequence", Integer(), nullable=False),
    Column("issued_on", Date(), nullable=False),
    Column("salary", FixedPoint(14, 2), nullable=False),
    Column("weekdays", Integer(), nullable=False),
    Column("total_hours", FixedPoint(7, 2), nullable=False),
    Column("hourly_rate", FixedPoint(14, 4), nullable=False),
    Column("amount", FixedPoint(14, 2), nullable=False),
    Column("status", String(16), nullable=False),
    Column("error", Text(), nullable=True),
    Column("revision", Integer(), nullable=False),
    Column("pdf_key", String(500), nullable=True),
    Column("generated_at", UtcDateTime(), nullable=True),
    Column("mailed_revision", Integer(), nullable=True),
    Column("mail_requested", Integer(), nullable=False, server_default="0"),
    Column("mail_sent", Integer(), nullable=False, server_default="0"),
    Column("mail_claimed_at", UtcDateTime(), nullable=True),
    Column("mail_asked_at", UtcDateTime(), nullable=True),
    Column("mailed_at", UtcDateTime(), nullable=True),
    Column("mail_error", Text(), nullable=True),
    Column("batch_id", Uuid(), ForeignKey("invoice_batches.id"), nullable=True),
    *_lifecycle(),
    UniqueConstraint("number_year", "number_sequence"),
    CheckConstraint("month BETWEEN 1 AND 12", name="month_of_year"),
    CheckConstraint("status IN ('pending', 'generated', 'failed')", name="known_status"),
)
unique_among_active(
    "uq_invoices_active_employee_month",
    invoices.c.employee_id,
    invoices.c.year,
    invoices.c.month,
)
Index(None, invoices.c.year, invoices.c.month)
Index(None, invoices.c.batch_id)

users = Table(
    "users",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("email", String(100), nullable=False),
    Column("email_key", Text(), nullable=False),
    Column("password_hash", String(500), nullable=False),
    *_lifecycle(),
)
unique_among_active(
    "uq_users_active_email",
    users.c.email_key,
)

invoice_counters = Table(
    "invoice_counters",
    metadata,
    Column("year", Integer(), primary_key=True, autoincrement=False),
    Column("last_sequence", Integer(), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("invoice_id", Uuid(), ForeignKey(invoices.c.id), primary_key=True),
    Column("revision", Integer(), nullable=False),
    Column("published_at", UtcDateTime(), nullable=True),
)
