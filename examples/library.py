"""billtrack as a library: the HTTP contract's worked example, with no server and no database.

An employee earns 4000.00 a month; in October 2024 (23 weekdays) they log two days of 8 hours.
The invoice comes to 4000 / (23 * 8) * 16 = 347.83, at an hourly rate shown as 21.7391.

The application is wired here by hand from in-memory adapters; any object with the methods of a
port will do, as the clock below shows. Run it with `./uvw run python examples/library.py`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from billtrack.adapters.argon2.hasher import Argon2PasswordHasher
from billtrack.adapters.builtin_pdf.renderer import BuiltinPdfRenderer
from billtrack.adapters.jinja2.invoice_mail import JinjaInvoiceMailComposer
from billtrack.adapters.jwt.token_issuer import JwtTokenIssuer
from billtrack.adapters.memory.mailer import InMemoryMailer
from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.memory.storage import InMemoryObjectStorage
from billtrack.adapters.memory.store import InMemoryStore
from billtrack.adapters.memory.unit_of_work import InMemoryUnitOfWork
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.entrypoints.wire.answers import InvoiceOut
from billtrack.ports.jobs import MailJob, RenderJob


class StoppedClock:
    """Always the same moment, so the example prints the same invoice every time."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()


def main() -> None:
    clock = StoppedClock(datetime(2024, 11, 4, 9, 30, tzinfo=UTC))
    store = InMemoryStore()
    app = Application(
        new_uow=lambda: InMemoryUnitOfWork(store),
        clock=clock,
        render_queue=InMemoryQueue[RenderJob]("render queue"),
        mail_queue=InMemoryQueue[MailJob]("mail queue"),
        storage=InMemoryObjectStorage(clock.now),
        renderer=BuiltinPdfRenderer(),
        mailer=InMemoryMailer(),
        mail_composer=JinjaInvoiceMailComposer(),
        hasher=Argon2PasswordHasher(),
        tokens=JwtTokenIssuer("an example secret that is long enough", now=clock.now),
    )

    finance = app.departments.create("Finance")
    audit = app.projects.create("Year-end audit")
    employee = app.create_employee(
        EmployeeDetails(
            email="ada.lovelace@example.com",
            firstname="Ada",
            lastname="Lovelace",
            salary=Decimal("4000.00"),
            department_id=finance.id,
            project_id=audit.id,
        )
    ).employee
    for day in (date(2024, 10, 14), date(2024, 10, 15)):
        app.log_workday(WorkdayDetails(day=day, hours=Decimal("8"), employee_id=employee.id))

    invoice = app.create_invoice(InvoiceDetails(year=2024, month=10, employee_id=employee.id))
    print(InvoiceOut.of(invoice).to_json(indent=2))


if __name__ == "__main__":
    main()
