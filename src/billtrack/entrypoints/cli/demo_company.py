"""A demo company: three departments, three projects, a dozen employees, and their hours.

The same seed always gives the same hours, so the demo's table is the same on every machine, and
running the demo again on the same data folder finds the company instead of hiring it twice.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from billtrack.domain.model.employee import Employee
from billtrack.domain.model.period import YearMonth
from billtrack.domain.usecases.employees import EmployeeDetails, create_employee
from billtrack.domain.usecases.organisation import departments, projects
from billtrack.domain.usecases.workdays import WorkdayDetails, log_workday
from billtrack.ports.clock import Clock
from billtrack.ports.unit_of_work import UnitOfWork

DEPARTMENTS = ("Engineering", "Finance", "Operations")
PROJECTS = ("Apollo", "Borealis", "Cascade")
EMPLOYEES = (
    ("Ada", "Lovelace", "5200.00"),
    ("Grace", "Hopper", "5450.00"),
    ("Alan", "Turing", "4980.00"),
    ("Katherine", "Johnson", "4700.00"),
    ("Edsger", "Dijkstra", "5100.00"),
    ("Barbara", "Liskov", "5600.00"),
    ("Donald", "Knuth", "4300.00"),
    ("Frances", "Allen", "4850.00"),
    ("John", "Backus", "3900.00"),
    ("Margaret", "Hamilton", "5750.00"),
    ("Niklaus", "Wirth", "4100.00"),
    ("Radia", "Perlman", "4000.00"),
)
HOURS = tuple(Decimal(h) for h in ("6.00", "7.50", "8.00", "8.00", "8.00", "8.50", "9.25"))


def demo_employees(uow: UnitOfWork, clock: Clock) -> list[Employee]:
    """The demo company's employees, hired (with their departments and projects) on first use."""
    emails = [f"{first}.{last}@example.com".lower() for first, last, _ in EMPLOYEES]
    with uow:
        found = [uow.employees.active_with_email(email) for email in emails]
    if all(found):
        return [e for e in found if e is not None]
    department_ids = [departments.create(uow, clock, name=n).id for n in DEPARTMENTS]
    project_ids = [projects.create(uow, clock, name=n).id for n in PROJECTS]
    return [
        create_employee(
            uow,
            clock,
            EmployeeDetails(
                email=email,
                firstname=first,
                lastname=last,
                salary=Decimal(salary),
                department_id=department_ids[index % len(department_ids)],
                project_id=project_ids[(index // 2) % len(project_ids)],
            ),
        ).employee
        for index, (email, (first, last, salary)) in enumerate(zip(emails, EMPLOYEES, strict=True))
    ]


def log_demo_month(
    uow: UnitOfWork, clock: Clock, employees: list[Employee], month: YearMonth, seed: int = 2024
) -> int:
    """Log the employees' workdays in `month`, unless they are logged already; answers how many.

    Most people work most weekdays; some take a day off, and a few put in a Saturday.
    """
    with uow:
        if any(uow.workdays.active_in_month(e.id, month) for e in employees):
            return 0
    chance = random.Random(f"{seed}-{month}")  # noqa: S311 - demo data, not secrets
    logged = 0
    for employee in employees:
        day = month.first_day
        while day <= min(month.last_day, clock.today()):
            works = chance.random() < (
                0.9 if day.weekday() < 5 else 0.1 if day.weekday() == 5 else 0
            )
            if works:
                log_workday(uow, clock, WorkdayDetails(day, chance.choice(HOURS), employee.id))
                logged += 1
            day += timedelta(days=1)
    return logged
