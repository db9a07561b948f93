"""The benchmarks' company: 1,000 employees, 100,000 workdays and 1,000 invoices, seeded fast.

Every row is built as the domain's entity and bulk-inserted through the adapter's own row
functions (`rows.*_row`), so it is what the operations would have written, folded names included;
one `insert` of many rows instead of a transaction per row is what makes 100,000 workdays take
seconds. The invoices go through the domain's own steps: totals computed by the calculation from
the month's workdays, issued with consecutive numbers, then marked rendered and mailed as the
worker would record them (the month end through the application took 90 s here; it is
measured by its own benchmark). So a server started on the data owes no render and no mail, and
its embedded worker stays idle while the API is measured. The PDFs and mails themselves are not
written: no benchmarked route reads them.
"""

from __future__ import annotations

import functools
import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import SecretStr
from sqlalchemy import Table, insert

from billtrack.adapters.sqlalchemy import rows, tables
from billtrack.adapters.sqlalchemy.engine import create_database_engine
from billtrack.domain.model.calculation import InvoiceTotals
from billtrack.domain.model.employee import Employee
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.numbering import InvoiceNumber
from billtrack.domain.model.organisation import Department, Project
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import Email, Hours, Money, Name
from billtrack.domain.model.workday import Workday
from billtrack.entrypoints.bootstrap import bootstrap, upgrade_database
from billtrack.entrypoints.settings import Settings

EMPLOYEES = 1_000
WORKDAYS_PER_EMPLOYEE = 100
DEPARTMENTS = 12
PROJECTS = 40
FIRST_WORKDAY = date(2026, 3, 2)
INVOICED_MONTH = (2026, 5)
"""Every employee logged hours in this month (the 100 weekdays from March 2 run into July)."""
JWT_SECRET = "bench-secret-bench-secret-bench-secret-0123456789"  # noqa: S105 - a benchmark's
USER_EMAIL = "bench@example.com"
USER_PASSWORD = "bench-password-1"  # noqa: S105 - a benchmark's
SEED = 12
INSERT_CHUNK = 5_000

FIRST_NAMES = (
    "Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara", "Donald", "Zofia", "Дмитро",
    "Margaret", "Γιώργος", "Radia", "José", "Søren", "Ömer", "Chidi", "Mei", "Aino",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Łukasiewicz",
    "Шевченко", "Hamilton", "Παπαδόπουλος", "Perlman", "García", "Kierkegaard", "Öztürk",
    "Okafor", "Zhang", "Virtanen",
)  # fmt: skip
HOURS = tuple(Decimal(h) for h in ("6.00", "7.50", "8.00", "8.00", "8.00", "8.25", "9.75"))


@dataclass(frozen=True)
class Company:
    departments: Sequence[Department]
    projects: Sequence[Project]
    employees: Sequence[Employee]
    workdays: Sequence[Workday]
    invoices: Sequence[Invoice]


def settings_for(data_dir: Path, database_url: str | None = None) -> Settings:
    """The settings of the seeding process (the builtin renderer: nothing is rendered)."""
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        jwt_secret=SecretStr(JWT_SECRET),
        pdf_renderer="builtin",
        timezone="UTC",
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings' init-only option
    )


def server_environment(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    """The same settings as environment variables, for `billtrack serve` and the bare app. The
    renderer is left to the default (`auto`), as a user's would be: the data owes no render, so
    it only decides what the server imports."""
    environment = {
        "BILLTRACK_DATA_DIR": str(data_dir),
        "BILLTRACK_JWT_SECRET": JWT_SECRET,
        "BILLTRACK_TIMEZONE": "UTC",
        "BILLTRACK_ADMIN_EMAIL": USER_EMAIL,
        "BILLTRACK_ADMIN_PASSWORD": USER_PASSWORD,
    }
    if database_url is not None:
        environment["BILLTRACK_DATABASE_URL"] = database_url
    return environment


@functools.cache  # built once per process, seeded into SQLite and PostgreSQL alike
def company(seed: int = SEED) -> Company:
    """The same company for the same seed: names in several scripts, salaries, daily hours."""
    chance = random.Random(seed)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def new_id() -> UUID:
        return UUID(int=chance.getrandbits(128), version=4)

    departments = [
        Department(id=new_id(), name=Name(f"Department {n + 1}"), created_at=start)
        for n in range(DEPARTMENTS)
    ]
    projects = [
        Project(id=new_id(), name=Name(f"Project {n + 1}"), created_at=start)
        for n in range(PROJECTS)
    ]
    employees = [
        Employee(
            id=new_id(),
            created_at=start + timedelta(minutes=n),
            email=Email(f"employee{n + 1}@example.com"),
            firstname=Name(chance.choice(FIRST_NAMES)),
            lastname=Name(chance.choice(LAST_NAMES)),
            salary=Money(Decimal(chance.randrange(300_000, 800_000)).scaleb(-2)),
            department_id=chance.choice(departments).id,
            project_id=chance.choice(projects).id,
        )
        for n in range(EMPLOYEES)
    ]
    days = list(_weekdays(FIRST_WORKDAY, WORKDAYS_PER_EMPLOYEE))
    workdays = [
        Workday(
            id=new_id(),
            employee_id=employee.id,
            day=day,
            hours=Hours(chance.choice(HOURS)),
            # Logged at the end of the day, a second apart: sorting by day meets ties.
            created_at=datetime.combine(day, time(18), UTC) + timedelta(seconds=index),
        )
        for day in days
        for index, employee in enumerate(employees)
    ]
    invoices = _invoiced_month(employees, workdays, new_id)
    return Company(departments, projects, employees, workdays, invoices)


def _weekdays(first: date, count: int) -> Iterator[date]:
    day = first
    while count:
        if day.weekday() < 5:
            yield day
            count -= 1
        day += timedelta(days=1)


def _invoiced_month(
    employees: Sequence[Employee], workdays: Sequence[Workday], new_id: Callable[[], UUID]
) -> list[Invoice]:
    """Each employee's invoice of INVOICED_MONTH, as the month end issues, renders and mails it."""
    period = YearMonth(*INVOICED_MONTH)
    hours: dict[UUID, list[Hours]] = defaultdict(list)
    for workday in workdays:
        if workday.period == period:
            hours[workday.employee_id].append(workday.hours)
    issued_at = datetime.combine(period.last_day + timedelta(days=1), time(7), UTC)
    invoices = []
    for sequence, employee in enumerate(employees, start=1):
        now = issued_at + timedelta(milliseconds=150 * sequence)
        invoice = Invoice.issue(
            id=new_id(),
            employee_id=employee.id,
            period=period,
            number=InvoiceNumber(period.year, sequence),
            totals=InvoiceTotals.compute(employee.salary, period, hours[employee.id]),
            today=now.date(),
            now=now,
        )
        rendered = invoice.generated(
            revision=invoice.revision,
            pdf_key=invoice.pdf_key_for(invoice.revision),
            at=now + timedelta(seconds=2),
        )
        invoices.append(rendered.mailed(rendered.revision, at=now + timedelta(seconds=3)))
    return invoices


def seed(settings: Settings) -> None:
    """Migrate the database of `settings` and fill it with the company and its user."""
    upgrade_database(settings)
    seeded = company()
    _bulk_insert(settings.database, seeded)
    app = bootstrap(settings)
    try:
        app.add_user(USER_EMAIL, USER_PASSWORD)
    finally:
        app.close()


def _bulk_insert(database_url: str, seeded: Company) -> None:
    engine = create_database_engine(database_url)
    batches: list[tuple[Table, list[dict[str, Any]]]] = [
        (tables.departments, [rows.unit_row(d) for d in seeded.departments]),
        (tables.projects, [rows.unit_row(p) for p in seeded.projects]),
        (tables.employees, [rows.employee_row(e) for e in seeded.employees]),
        (tables.workdays, [rows.workday_row(w) for w in seeded.workdays]),
        (tables.invoices, [rows.invoice_row(i) for i in seeded.invoices]),
        # The numbers' counter, where issuing them one by one would have left it.
        (tables.invoice_counters, [{"year": INVOICED_MONTH[0], "last_sequence": EMPLOYEES}]),
    ]
    try:
        with engine.begin() as connection:
            for table, table_rows in batches:
                for start in range(0, len(table_rows), INSERT_CHUNK):
                    connection.execute(insert(table), table_rows[start : start + INSERT_CHUNK])
        if engine.dialect.name == "postgresql":
            # What autovacuum does to a live database soon after: without statistics the planner
            # sorts all 100,000 workdays for a page (170 ms) instead of walking the day index.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()
