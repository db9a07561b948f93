"""An employee: who is paid, how much a month, and where they belong."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from billtrack.domain.model.lifecycle import Entity
from billtrack.domain.model.values import Email, InvalidValue, Money, Name

MAX_SALARY = Decimal("1000000000.00")


def salary(amount: Decimal) -> Money:
    """A monthly salary: 0 or more, at most two places, and at most a billion (a bound that keeps
    every invoice amount inside the database's fixed-point columns)."""
    money = Money(amount)
    if money.amount > MAX_SALARY:
        raise InvalidValue(f"must be at most {MAX_SALARY}")
    return money


@dataclass(frozen=True, slots=True, kw_only=True)
class Employee(Entity):
    email: Email
    firstname: Name
    lastname: Name
    salary: Money
    department_id: UUID
    project_id: UUID

    @property
    def full_name(self) -> str:
        return f"{self.firstname} {self.lastname}"
