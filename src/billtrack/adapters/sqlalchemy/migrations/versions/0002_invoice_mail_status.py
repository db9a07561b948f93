"""The invoice's mail status: sends owed and sent, the send under way, when, and why it failed.

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
                "mailed_at",
                billtrack.adapters.sqlalchemy.types.UtcDateTime(timezone=True),
                nullable=True,
            )
        )
        invoices.add_column(sa.Column("mail_error", sa.Text(), nullable=True))
    op.execute(
        "UPDATE invoices SET mail_requested = 1,"
        " mail_sent = CASE WHEN mailed_revision = revision THEN 1 ELSE 0 END"
        " WHERE status = 'generated'"
    )


def downgrade() -> None:
    with op.batch_alter_table("invoices") as invoices:
        for column in ("mail_error", "mailed_at", "mail_claimed_at", "mail_sent", "mail_requested"):
            invoices.drop_column(column)
