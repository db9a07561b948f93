"""Integrity errors, translated into the domain's conflicts by the name of the rule they broke.

PostgreSQL names the violated constraint; SQLite names the columns of a unique index instead
("UNIQUE constraint failed: workdays.employee_id, workdays.day"), so each rule is known by both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from billtrack.domain.model.errors import (
    Conflict,
    DuplicateEmail,
    DuplicateInvoice,
    DuplicateUser,
    DuplicateWorkday,
)
from billtrack.domain.model.period import YearMonth


@dataclass(frozen=True)
class UniqueRule:
    constraint: str
    sqlite_columns: str
    conflict: Callable[[Mapping[str, Any]], Conflict]


RULES = (
    UniqueRule(
        "uq_employees_active_email",
        "employees.email_key",
        lambda row: DuplicateEmail(row["email"]),
    ),
    UniqueRule(
        "uq_workdays_active_employee_day",
        "workdays.employee_id, workdays.day",
        lambda row: DuplicateWorkday(row["employee_id"], row["day"]),
    ),
    UniqueRule(
        "uq_invoices_active_employee_month",
        "invoices.employee_id, invoices.year, invoices.month",
        lambda row: DuplicateInvoice(row["employee_id"], YearMonth(row["year"], row["month"])),
    ),
    UniqueRule("uq_users_active_email", "users.email_key", lambda row: DuplicateUser(row["email"])),
)


def conflict_for(error: IntegrityError, row: Mapping[str, Any]) -> Conflict | None:
    """The domain conflict `error` stands for, written with the values of `row`; None when the
    error is not one of the rules a client can break (that is a bug, and is raised as it is)."""
    diagnostics = getattr(error.orig, "diag", None)
    constraint = getattr(diagnostics, "constraint_name", None)
    message = str(error.orig)
    for rule in RULES:
        if constraint == rule.constraint or message.endswith(f"failed: {rule.sqlite_columns}"):
            return rule.conflict(row)
    return None
