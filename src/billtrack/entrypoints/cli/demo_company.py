"""A demo company: three departments, three projects, a dozen employees, and their hours.

The same seed always gives the same hours, so the demo's table is the same on every machine, and
running the demo again on the same data folder finds the company instead of hiring it twice.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from billtrack.domain.model.employee import Employee
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import email_key
from billtrack.domain.usecases.application import Application, Units
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.domain.usecases.organisation import UnitT
from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.ports.queries import (
    MAX_PAGE_SIZE,
    EmployeeQuery,
    NameQuery,
    PageRequest,
    WorkdayQuery,
)

DEPARTMENTS = ("Engineering", "Finance", "Operations")
PROJECTS = ("Apollo", "Borealis", "Cascade")
EMPLOYEES = (
    ("Ada", "Lovelace", "5200.00", "ada.lovelace"),
    ("Grace", "Hopper", "5450.00", "grace.hopper"),
    ("Alan", "Turing", "4980.00", "alan.turing"),
    ("Katherine", "Johnson", "4700.00", "katherine.johnson"),
    ("Edsger", "Dijkstra", "5100.00", "edsger.dijkstra"),
    ("Barbara", "Liskov", "5600.00", "barbara.liskov"),
    ("Donald", "Knuth", "4300.00", "donald.knuth"),
    ("Zofia", "Łukasiewicz", "4850.00", "zofia.lukasiewicz"),
    ("Дмитро", "Шевченко", "3900.00", "dmytro.shevchenko"),
    ("Margaret", "Hamilton", "5750.00", "margaret.hamilton"),
    ("Γιώργος", "Παπαδόπουλος", "4100.00", "giorgos.papadopoulos"),
    ("Radia", "Perlman", "4000.00", "radia.perlman"),
)
"""First name, last name, salary and mailbox: a team whose names need more than ASCII."""
HOURS = tuple(Decimal(h) for h in ("6.00", "7.50", "8.00", "8.00", "8.00", "8.50", "9.25"))


def demo_employees(app: Application) -> list[Employee]:
    """The demo company's employees, hired (with their departments and projects) on first use;
    a folder from an earlier demo keeps the people it has and gains those it lacks."""
    everything = PageRequest(1, MAX_PAGE_SIZE)
    by_email = {
        view.employee.email.key: view.employee
        for view in app.list_employees(EmployeeQuery(everything)).items
    }
    wanted = [
        (email_key(f"{mailbox}@example.com"), first, last, salary)
        for first, last, salary, mailbox in EMPLOYEES
    ]
    if all(email in by_email for email, *_ in wanted):
        return [by_email[email] for email, *_ in wanted]
    department_ids = _unit_ids(app.departments, DEPARTMENTS)
    project_ids = _unit_ids(app.projects, PROJECTS)
    for index, (email, first, last, salary) in enumerate(wanted):
        if email not in by_email:
            by_email[email] = app.create_employee(
                EmployeeDetails(
                    email=email,
                    firstname=first,
                    lastname=last,
                    salary=Decimal(salary),
                    department_id=department_ids[index % len(department_ids)],
                    project_id=project_ids[(index // 2) % len(project_ids)],
                )
            ).employee
    return [by_email[email] for email, *_ in wanted]


def _unit_ids(units: Units[UnitT], names: tuple[str, ...]) -> list[UUID]:
    """The ids of the named departments or projects, creating those that do not exist."""
    existing = {
        unit.name.value: unit.id for unit in units.list(NameQuery(PageRequest(1, 1000))).items
    }
    return [existing[name] if name in existing else units.create(name).id for name in names]


def log_demo_month(
    app: Application, employees: list[Employee], month: YearMonth, seed: int = 2024
) -> int:
    """Log the employees' workdays in `month`, unless they are logged already; answers how many.

    Most people work most weekdays; some take a day off, and a few put in a Saturday.
    """
    if any(_has_workdays_in(app, employee, month) for employee in employees):
        return 0
    chance = random.Random(f"{seed}-{month}")  # noqa: S311 - demo data, not secrets
    logged = 0
    for employee in employees:
        day = month.first_day
        while day <= min(month.last_day, app.clock.today()):
            works = chance.random() < (
                0.9 if day.weekday() < 5 else 0.1 if day.weekday() == 5 else 0
            )
            if works:
                hours = chance.choice(HOURS)
                app.log_workday(WorkdayDetails(day=day, hours=hours, employee_id=employee.id))
                logged += 1
            day += timedelta(days=1)
    return logged


def _has_workdays_in(app: Application, employee: Employee, month: YearMonth) -> bool:
    query = WorkdayQuery(PageRequest(1, MAX_PAGE_SIZE), employee_id=employee.id)
    return any(view.workday.period == month for view in app.list_workdays(query).items)
