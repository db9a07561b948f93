"""The invoice's mail status (sends owed and sent, the send under way, when, and why it failed),
and month-end runs, whose invoices name the run that issued them.

An invoice already generated owes its first send, which counts as sent when its revision was
mailed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import billtrack.adapters.sqlalchemy.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invoice_batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column(
            "invoiced_at",
            billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
            nullable=True,
        ),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_batches")),
    )
    with op.batch_alter_table("invoices") as invoices:
        invoices.add_column(
            sa.Column("mail_requested", sa.Integer(), server_default="0", nullable=False)
        )
        invoices.add_column(
            sa.Column("mail_sent", sa.Integer(), server_default="0", nullable=False)
        )
        invoices.add_column(
            sa.Column(
                "mail_claimed_at",
                billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
                nullable=True,
            )
        )
        invoices.add_column(
            sa.Column(
                "mail_asked_at",
                billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
                nullable=True,
            )
        )
        invoices.add_column(
            sa.Column(
                "mailed_at",
                billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
                nullable=True,
            )
        )
        invoices.add_column(sa.Column("mail_error", sa.Text(), nullable=True))
        invoices.add_column(sa.Column("batch_id", sa.Uuid(), nullable=True))
        invoices.create_foreign_key(
            op.f("fk_invoices_batch_id_invoice_batches"), "invoice_batches", ["batch_id"], ["id"]
        )
        invoices.create_index(op.f("ix_invoices_batch_id"), ["batch_id"], unique=False)
    op.execute(
        "UPDATE invoices SET mail_requested = 1, mail_asked_at = generated_at,"
        " mail_sent = CASE WHEN mailed_revision = revision THEN 1 ELSE 0 END"
        " WHERE status = 'generated'"
    )


def downgrade() -> None:
    with op.batch_alter_table("invoices") as invoices:
        invoices.drop_index(op.f("ix_invoices_batch_id"))
        invoices.drop_constraint(op.f("fk_invoices_batch_id_invoice_batches"), type_="foreignkey")
        for column in (
            "batch_id",
            "mail_error",
            "mailed_at",
            "mail_asked_at",
            "mail_claimed_at",
            "mail_sent",
            "mail_requested",
        ):
            invoices.drop_column(column)
    op.drop_table("invoice_batches")
