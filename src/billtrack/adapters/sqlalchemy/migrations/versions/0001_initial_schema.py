"""The initial schema: organisation, employees, workdays, invoices, users, numbering, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 22:16:46.769456
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import billtrack.adapters.sqlalchemy.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_folded", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "deleted_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
    )
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_departments_name_folded_created_at"),
            ["name_folded", "created_at"],
            unique=False,
        )

    op.create_table(
        "invoice_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_invoice_counters")),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_folded", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "deleted_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_projects_name_folded_created_at"),
            ["name_folded", "created_at"],
            unique=False,
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=100), nullable=False),
        sa.Column("email_key", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.String(length=500), nullable=False),
        sa.Column(
            "created_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "deleted_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            "uq_users_active_email",
            ["email_key"],
            unique=True,
            postgresql_where=sa.text("deleted_at IS NULL"),
            sqlite_where=sa.text("deleted_at IS NULL"),
        )

    op.create_table(
        "employees",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=100), nullable=False),
        sa.Column("email_key", sa.Text(), nullable=False),
        sa.Column("firstname", sa.String(length=100), nullable=False),
        sa.Column("lastname", sa.String(length=100), nullable=False),
        sa.Column("firstname_folded", sa.Text(), nullable=False),
        sa.Column("lastname_folded", sa.Text(), nullable=False),
        sa.Column("full_name_folded", sa.Text(), nullable=False),
        sa.Column("salary", billtrack.adapters.sqlalchemy.types.FixedPoint(14, 2), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "deleted_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.CheckConstraint("salary >= 0", name=op.f("ck_employees_salary_not_negative")),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_employees_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_employees_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employees")),
    )
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_employees_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_employees_lastname_folded_firstname_folded"),
            ["lastname_folded", "firstname_folded"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_employees_project_id"), ["project_id"], unique=False)
        batch_op.create_index(
            "uq_employees_active_email",
            ["email_key"],
            unique=True,
            postgresql_where=sa.text("deleted_at IS NULL"),
            sqlite_where=sa.text("deleted_at IS NULL"),
        )

    op.create_table(
        "invoices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("number_year", sa.Integer(), nullable=False),
        sa.Column("number_sequence", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("salary", billtrack.adapters.sqlalchemy.types.FixedPoint(14, 2), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column(
            "total_hours", billtrack.adapters.sqlalchemy.types.FixedPoint(7, 2), nullable=False
        ),
        sa.Column(
            "hourly_rate", billtrack.adapters.sqlalchemy.types.FixedPoint(14, 4), nullable=False
        ),
        sa.Column("amount", billtrack.adapters.sqlalchemy.types.FixedPoint(14, 2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("pdf_key", sa.String(length=500), nullable=True),
        sa.Column(
            "generated_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("mailed_revision", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "deleted_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'generated', 'failed')", name=op.f("ck_invoices_known_status")
        ),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name=op.f("ck_invoices_month_of_year")),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_invoices_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint(
            "number_year", "number_sequence", name=op.f("uq_invoices_number_year_number_sequence")
        ),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_year_month"), ["year", "month"], unique=False)
        batch_op.create_index(
            "uq_invoices_active_employee_month",
            ["employee_id", "year", "month"],
            unique=True,
            postgresql_where=sa.text("deleted_at IS NULL"),
            sqlite_where=sa.text("deleted_at IS NULL"),
        )

    op.create_table(
        "workdays",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hours", billtrack.adapters.sqlalchemy.types.FixedPoint(4, 2), nullable=False),
        sa.Column(
            "created_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "deleted_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.CheckConstraint("hours > 0", name=op.f("ck_workdays_hours_positive")),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_workdays_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workdays")),
    )
    with op.batch_alter_table("workdays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workdays_day"), ["day"], unique=False)
        batch_op.create_index(
            "uq_workdays_active_employee_day",
            ["employee_id", "day"],
            unique=True,
            postgresql_where=sa.text("deleted_at IS NULL"),
            sqlite_where=sa.text("deleted_at IS NULL"),
        )

    op.create_table(
        "outbox",
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column(
            "published_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_outbox_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_outbox")),
    )


def downgrade() -> None:
    op.drop_table("outbox")
    with op.batch_alter_table("workdays", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_workdays_active_employee_day",
            postgresql_where=sa.text("deleted_at IS NULL"),
            sqlite_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_workdays_day"))

    op.drop_table("workdays")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_invoices_active_employee_month",
            postgresql_where=sa.text("deleted_at IS NULL"),
            sqlite_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_invoices_year_month"))

    op.drop_table("invoices")
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_employees_active_email",
            postgresql_where=sa.text("deleted_at IS NULL"),
            sqlite_where=sa.text("deleted_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_employees_project_id"))
        batch_op.drop_index(batch_op.f("ix_employees_lastname_folded_firstname_folded"))
        batch_op.drop_index(batch_op.f("ix_employees_department_id"))

    op.drop_table("employees")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_users_active_email",
            postgresql_where=sa.text("deleted_at IS NULL"),
            sqlite_where=sa.text("deleted_at IS NULL"),
        )

    op.drop_table("users")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_name_folded_created_at"))

    op.drop_table("projects")
    op.drop_table("invoice_counters")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_departments_name_folded_created_at"))

    op.drop_table("departments")
