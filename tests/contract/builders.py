"""Entities for the contract tests, built straight from the domain model."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from uuid import UUID, uuid4

from billtrack.domain.model.calculation import InvoiceTotals
from billtrack.domain.model.employee import Employee
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.numbering import InvoiceNumber
from billtrack.domain.model.organisation import Department, Project
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.user import User
from billtrack.domain.model.values import Email, Hours, Money, Name
from billtrack.domain.model.workday import Workday

_ticks = count()
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def moment() -> datetime:
    """Distinct, increasing creation times (microseconds apart, as a database keeps them)."""
    return EPOCH + timedelta(microseconds=next(_ticks) * 1000)


def department(name: str = "Finance", created_at: datetime | None = None) -> Department:
    return Department(id=uuid4(), name=Name(name), created_at=created_at or moment())


def project(name: str = "Apollo", created_at: datetime | None = None) -> Project:
    return Project(id=uuid4(), name=Name(name), created_at=created_at or moment())


def employee(
    department_id: UUID,
    project_id: UUID,
    *,
    first: str = "Ada",
    last: str = "Lovelace",
    email: str | None = None,
    salary: str = "4000.00",
) -> Employee:
    return Employee(
        id=uuid4(),
        created_at=moment(),
        email=Email(email or f"{uuid4().hex[:12]}@example.com"),
        firstname=Name(first),
        lastname=Name(last),
        salary=Money(Decimal(salary)),
        department_id=department_id,
        project_id=project_id,
    )


def workday(employee_id: UUID, day: date, hours: str = "8") -> Workday:
    return Workday(
        id=uuid4(),
        created_at=moment(),
        employee_id=employee_id,
        day=day,
        hours=Hours(Decimal(hours)),
    )


def invoice(
    employee_id: UUID, period: YearMonth, sequence: int = 1, salary: str = "4000.00"
) -> Invoice:
    return Invoice.issue(
        id=uuid4(),
        employee_id=employee_id,
        period=period,
        number=InvoiceNumber(2024, sequence),
        totals=InvoiceTotals.compute(Money(Decimal(salary)), period, [Hours(Decimal("7.5"))]),
        today=date(2024, 11, 15),
        now=moment(),
    )


def user(email: str = "admin@example.com") -> User:
    return User(id=uuid4(), created_at=moment(), email=Email(email), password_hash="hash")
