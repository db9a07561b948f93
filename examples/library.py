"""billtrack as a library: the HTTP contract's worked example, with no server and no database.

An employee earns 4000.00 a month; in October 2024 (23 weekdays) they log two days of 8 hours.
The invoice comes to 4000 / (23 * 8) * 16 = 347.83, at an hourly rate shown as 21.7391.

Run it with `./uvw run python examples/library.py`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from tests.fakes.clock import ManualClock
from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.memory.unit_of_work import InMemoryUnitOfWork
from billtrack.domain.usecases.employees import EmployeeDetails, create_employee
from billtrack.domain.usecases.invoices import InvoiceDetails, create_invoice
from billtrack.domain.usecases.organisation import departments, projects
from billtrack.domain.usecases.workdays import WorkdayDetails, log_workday
from billtrack.entrypoints.http.schemas import InvoiceOut
from billtrack.ports.jobs import RenderJob


def main() -> None:
    uow = InMemoryUnitOfWork()
    clock = ManualClock(datetime(2024, 11, 4, 9, 30, tzinfo=UTC))
    render_queue = InMemoryQueue[RenderJob]()

    finance = departments.create(uow, clock, name="Finance")
    audit = projects.create(uow, clock, name="Year-end audit")
    employee = create_employee(
        uow,
        clock,
        EmployeeDetails(
            email="ada.lovelace@example.com",
            firstname="Ada",
            lastname="Lovelace",
            salary=Decimal("4000.00"),
            department_id=finance.id,
            project_id=audit.id,
        ),
    ).employee
    for day in (date(2024, 10, 14), date(2024, 10, 15)):
        log_workday(uow, clock, WorkdayDetails(day, Decimal("8"), employee.id))

    invoice = create_invoice(
        uow, clock, render_queue, InvoiceDetails(month=10, year=2024, employee_id=employee.id)
    )
    print(InvoiceOut.of(invoice).to_json(indent=2))


if __name__ == "__main__":
    main()
