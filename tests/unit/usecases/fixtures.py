"""A small world of in-memory adapters and test doubles for the use-case tests, the application
wired with them, and builders that go through that application (so what a test sets up obeys the
same rules as what it checks)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from uuid import UUID

from billtrack.adapters.memory.mailer import InMemoryMailer
from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.memory.storage import InMemoryObjectStorage
from billtrack.adapters.memory.unit_of_work import InMemoryUnitOfWork
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.organisation import Department, Project
from billtrack.domain.model.views import EmployeeView, InvoiceView, WorkdayView
from billtrack.domain.usecases import pipeline
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.rendering import Issuer
from tests.fakes.application import in_memory_application
from tests.fakes.clock import ManualClock
from tests.fakes.rendering import RecordingPdfRenderer
from tests.fakes.security import FastPasswordHasher, InMemoryTokenIssuer

NOW = datetime(2024, 11, 15, 12, 0, tzinfo=UTC)
_emails = count(1)


def _default_clock() -> ManualClock:
    return ManualClock(NOW)


@dataclass
class World:
    """Every port of the core, in memory, sharing one clock, and the application over them."""

    clock: ManualClock = field(default_factory=_default_clock)
    uow: InMemoryUnitOfWork = field(default_factory=InMemoryUnitOfWork)
    render_queue: InMemoryQueue[RenderJob] = field(
        default_factory=lambda: InMemoryQueue[RenderJob]("render")
    )
    mail_queue: InMemoryQueue[MailJob] = field(
        default_factory=lambda: InMemoryQueue[MailJob]("mail")
    )
    renderer: RecordingPdfRenderer = field(default_factory=RecordingPdfRenderer)
    mailer: InMemoryMailer = field(default_factory=InMemoryMailer)
    hasher: FastPasswordHasher = field(default_factory=FastPasswordHasher)
    issuer: Issuer = field(default_factory=Issuer)
    storage: InMemoryObjectStorage = field(init=False)
    tokens: InMemoryTokenIssuer = field(init=False)

    def __post_init__(self) -> None:
        self.storage = InMemoryObjectStorage(self.clock.now)
        self.tokens = InMemoryTokenIssuer(self.clock.now)

    # -- the application ------------------------------------------------------------------------

    @property
    def app(self) -> Application:
        """billtrack wired with this world's fakes, as it is now (a test may swap a fake). Every
        operation re-enters the one unit of work `uow`, so `uow.commits` counts them all."""
        return in_memory_application(
            lambda: self.uow,
            self.clock,
            render_queue=self.render_queue,
            mail_queue=self.mail_queue,
            storage=self.storage,
            renderer=self.renderer,
            mailer=self.mailer,
            hasher=self.hasher,
            tokens=self.tokens,
            issuer=self.issuer,
        )

    def concurrent_app(self) -> Application:
        """The same, but each operation has a unit of work of its own over the shared store, as
        each API request and worker thread has: for tests that call it from several threads.
        (Its commits are not counted in `uow.commits`.)"""
        store = self.uow.store
        return replace(self.app, new_uow=lambda: InMemoryUnitOfWork(store))

    # -- time ---------------------------------------------------------------------------------

    def tick(self, by: timedelta = timedelta(seconds=1)) -> None:
        """Move the clock on, so the next entity is created strictly later."""
        self.clock.advance(by)

    # -- builders (through the use cases) -------------------------------------------------------

    def department(self, name: str = "Finance") -> Department:
        return self.app.departments.create(name)

    def project(self, name: str = "Apollo") -> Project:
        return self.app.projects.create(name)

    def employee(
        self,
        *,
        firstname: str = "Ada",
        lastname: str = "Lovelace",
        email: str | None = None,
        salary: Decimal | str = "4000.00",
        department_id: UUID | None = None,
        project_id: UUID | None = None,
    ) -> EmployeeView:
        """An employee; without a department or project, new ones are made for it."""
        details = EmployeeDetails(
            email=email if email is not None else f"person{next(_emails)}@example.com",
            firstname=firstname,
            lastname=lastname,
            salary=Decimal(salary),
            department_id=department_id if department_id is not None else self.department().id,
            project_id=project_id if project_id is not None else self.project().id,
        )
        return self.app.create_employee(details)

    def workday(self, employee_id: UUID, day: date, hours: Decimal | str = "8") -> WorkdayView:
        details = WorkdayDetails(day=day, hours=Decimal(hours), employee_id=employee_id)
        return self.app.log_workday(details)

    def invoice(self, employee_id: UUID, year: int = 2024, month: int = 10) -> InvoiceView:
        details = InvoiceDetails(year=year, month=month, employee_id=employee_id)
        return self.app.create_invoice(details)

    # -- looking behind the use cases ------------------------------------------------------------

    def stored_invoice(self, invoice_id: UUID) -> Invoice:
        """The invoice row as committed, soft-deleted or not."""
        with self.uow:
            invoice = self.uow.invoices.get(invoice_id)
        assert invoice is not None
        return invoice

    def owed_renders(self, published_before: datetime | None = None) -> list[RenderJob]:
        """What the outbox owes: by default everything, published or not."""
        before = (
            published_before if published_before is not None else datetime.max.replace(tzinfo=UTC)
        )
        with self.uow:
            return list(self.uow.outbox.due(before, 1000))

    # -- the workers ---------------------------------------------------------------------------

    def render(self, job: RenderJob) -> pipeline.RenderOutcome:
        return self.app.render(job)

    def mail(self, job: MailJob) -> bool:
        return self.app.mail(job)

    def run_render_worker(self) -> list[pipeline.RenderOutcome]:
        """Deliver every queued render job once, acknowledging each that succeeds."""
        outcomes = []
        while deliveries := self.render_queue.receive():
            for delivery in deliveries:
                outcomes.append(self.render(delivery.job))
                self.render_queue.acknowledge(delivery)
        return outcomes

    def run_mail_worker(self) -> list[bool]:
        sent = []
        while deliveries := self.mail_queue.receive():
            for delivery in deliveries:
                sent.append(self.mail(delivery.job))
                self.mail_queue.acknowledge(delivery)
        return sent
