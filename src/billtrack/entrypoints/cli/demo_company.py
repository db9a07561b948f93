"""A demo company: three departments, three projects, a dozen employees, and one month of hours.

The same seed always gives the same company, so the demo's table is the same on every machine.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

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


def seed_demo_company(uow: UnitOfWork, clock: Clock, month: YearMonth, seed: int = 2024) -> int:
    """Create the company and log its employees' workdays in `month`; answers how many workdays.

    Most people work most weekdays; some take a day off, and a few put in a Saturday.
    """
    chance = random.Random(seed)  # noqa: S311 - demo data, not secrets
    department_ids = [departments.create(uow, clock, name=n).id for n in DEPARTMENTS]
    project_ids = [projects.create(uow, clock, name=n).id for n in PROJECTS]
    logged = 0
    for index, (first, last, salary) in enumerate(EMPLOYEES):
        employee = create_employee(
            uow,
            clock,
            EmployeeDetails(
                email=f"{first}.{last}@example.com".lower(),
                firstname=first,
                lastname=last,
                salary=Decimal(salary),
                department_id=department_ids[index % len(department_ids)],
                project_id=project_ids[(index // 2) % len(project_ids)],
            ),
        ).employee
        day = month.first_day
        while day <= min(month.last_day, clock.today()):
            weekday = day.weekday() < 5
            if (weekday and chance.random() < 0.9) or (
                day.weekday() == 5 and chance.random() < 0.1
            ):
                log_workday(uow, clock, WorkdayDetails(day, chance.choice(HOURS), employee.id))
                logged += 1
            day += timedelta(days=1)
    return logged
