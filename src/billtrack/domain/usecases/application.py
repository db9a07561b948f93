"""`Application`: every operation of billtrack, pre-wired with the ports it needs.

The composition root builds one from settings; the HTTP routes, the web pages, the CLI, the
workers and the Lambda handlers call its methods and never name a port an operation needs. Each
method opens its own unit of work, so an `Application` is shared by threads and requests alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Generic
from uuid import UUID

from billtrack.domain.model.batch import BatchProgress, MonthBatch
from billtrack.domain.model.organisation import Department, Project
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.user import User
from billtrack.domain.model.views import EmployeeView, InvoiceView, WorkdayView
from billtrack.domain.usecases import (
    employees,
    invoices,
    mailing,
    organisation,
    pipeline,
    users,
    workdays,
)
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.domain.usecases.invoices import InvoiceDetails, MonthRun
from billtrack.domain.usecases.organisation import OrganisationUnits, UnitT
from billtrack.domain.usecases.workdays import TimesheetSaved, WorkdayDetails
from billtrack.ports.clock import Clock
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.mail import InvoiceMailComposer, Mailer
from billtrack.ports.queries import EmployeeQuery, InvoiceQuery, NameQuery, Page, WorkdayQuery
from billtrack.ports.queues import MailQueue, RenderQueue
from billtrack.ports.rendering import Issuer, PdfRenderer
from billtrack.ports.security import PasswordHasher, TokenIssuer
from billtrack.ports.storage import ObjectStorage, SignedDownloads
from billtrack.ports.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
Probe = Callable[[], object]
"""A readiness check: raises when its dependency is down."""


@dataclass(frozen=True, slots=True)
class JobHandler:
    handle: Callable[[Any], object]
    give_up: Callable[[Any, str], None]


@dataclass(frozen=True)
class Units(Generic[UnitT]):
    """Departments or projects: their five operations, wired."""

    units: OrganisationUnits[UnitT]
    new_uow: Callable[[], UnitOfWork]
    reader: Callable[[], UnitOfWork]
    clock: Clock

    def create(self, name: str) -> UnitT:
        return self.units.create(name, uow=self.new_uow(), clock=self.clock)

    def get(self, unit_id: UUID) -> UnitT:
        return self.units.get(unit_id, uow=self.reader())

    def list(self, query: NameQuery) -> Page[UnitT]:
        return self.units.list(query, uow=self.reader())

    def rename(self, unit_id: UUID, name: str) -> UnitT:
        return self.units.rename(unit_id, name, uow=self.new_uow())

    def delete(self, unit_id: UUID) -> None:
        self.units.delete(unit_id, uow=self.new_uow(), clock=self.clock)


@dataclass(frozen=True, kw_only=True)
class Application:
    new_uow: Callable[[], UnitOfWork]
    """A new unit of work, one per operation (a unit of work is not shared by threads)."""
    new_reader: Callable[[], UnitOfWork] | None = None
    """A unit of work for operations that only read; by default `new_uow`. On SQLite it reads
    beside a writer instead of waiting for the write lock."""
    clock: Clock
    render_queue: RenderQueue
    mail_queue: MailQueue
    storage: ObjectStorage
    renderer: PdfRenderer
    mailer: Mailer
    mail_composer: InvoiceMailComposer
    hasher: PasswordHasher
    tokens: TokenIssuer
    issuer: Issuer = field(default_factory=Issuer)
    render_parallelism: int = 1
    """How many renders may run at once (the renderer's page pool)."""
    handoff: pipeline.Handoff = field(default_factory=pipeline.Handoff, compare=False, repr=False)
    """What a step of the pipeline leaves for the next one in this process (see `Handoff`)."""
    download_link_lifetime: timedelta = invoices.DOWNLOAD_LINK_LIFETIME
    signed_downloads: SignedDownloads | None = None
    """Set when billtrack serves the storage's download links itself (the local folder)."""
    probes: Mapping[str, Probe] = field(default_factory=dict)
    """Readiness checks by dependency name."""
    closers: Sequence[Callable[[], None]] = ()
    """What `close` releases, in reverse order (engines, browsers, clients)."""

    def reader(self) -> UnitOfWork:
        """A unit of work for an operation that only reads."""
        return self.new_reader() if self.new_reader is not None else self.new_uow()

    # -- departments and projects ------------------------------------------------------------

    @property
    def departments(self) -> Units[Department]:
        return Units(organisation.departments, self.new_uow, self.reader, self.clock)

    @property
    def projects(self) -> Units[Project]:
        return Units(organisation.projects, self.new_uow, self.reader, self.clock)

    # -- employees -----------------------------------------------------------------------------

    def create_employee(self, details: EmployeeDetails) -> EmployeeView:
        return employees.create_employee(details, uow=self.new_uow(), clock=self.clock)

    def get_employee(self, employee_id: UUID) -> EmployeeView:
        return employees.get_employee(employee_id, uow=self.reader())

    def list_employees(self, query: EmployeeQuery) -> Page[EmployeeView]:
        return employees.list_employees(query, uow=self.reader())

    def change_employee(self, employee_id: UUID, details: EmployeeDetails) -> EmployeeView:
        return employees.change_employee(employee_id, details, uow=self.new_uow())

    def delete_employee(self, employee_id: UUID) -> None:
        employees.delete_employee(employee_id, uow=self.new_uow(), clock=self.clock)

    # -- workdays ------------------------------------------------------------------------------

    def log_workday(self, details: WorkdayDetails) -> WorkdayView:
        return workdays.log_workday(details, uow=self.new_uow(), clock=self.clock)

    def get_workday(self, workday_id: UUID) -> WorkdayView:
        return workdays.get_workday(workday_id, uow=self.reader())

    def list_workdays(self, query: WorkdayQuery) -> Page[WorkdayView]:
        return workdays.list_workdays(query, uow=self.reader())

    def change_workday(self, workday_id: UUID, details: WorkdayDetails) -> WorkdayView:
        return workdays.change_workday(workday_id, details, uow=self.new_uow(), clock=self.clock)

    def delete_workday(self, workday_id: UUID) -> None:
        workdays.delete_workday(workday_id, uow=self.new_uow(), clock=self.clock)

    def save_timesheet(
        self, employee_id: UUID, period: YearMonth, hours_by_day: Mapping[date, Decimal | None]
    ) -> TimesheetSaved:
        """A month of typed hours, all saved or none (see `workdays.save_timesheet`)."""
        return workdays.save_timesheet(
            employee_id, period, hours_by_day, uow=self.new_uow(), clock=self.clock
        )

    # -- invoices ------------------------------------------------------------------------------

    def create_invoice(self, details: InvoiceDetails) -> InvoiceView:
        return invoices.create_invoice(
            details, uow=self.new_uow(), clock=self.clock, queue=self.render_queue
        )

    def get_invoice(self, invoice_id: UUID) -> InvoiceView:
        return invoices.get_invoice(invoice_id, uow=self.reader())

    def list_invoices(self, query: InvoiceQuery) -> Page[InvoiceView]:
        return invoices.list_invoices(query, uow=self.reader())

    def change_invoice(self, invoice_id: UUID, details: InvoiceDetails) -> InvoiceView:
        return invoices.change_invoice(
            invoice_id, details, uow=self.new_uow(), clock=self.clock, queue=self.render_queue
        )

    def delete_invoice(self, invoice_id: UUID) -> None:
        invoices.delete_invoice(invoice_id, uow=self.new_uow(), clock=self.clock)

    def download_link(self, invoice_id: UUID) -> str:
        return invoices.download_link(
            invoice_id,
            uow=self.reader(),
            storage=self.storage,
            lifetime=self.download_link_lifetime,
        )

    def invoice_pdf(self, invoice_id: UUID) -> bytes:
        return invoices.invoice_pdf(invoice_id, uow=self.reader(), storage=self.storage)

    def run_month(self, *, year: int, month: int) -> MonthRun:
        return invoices.invoice_month(
            year=year,
            month=month,
            uow=self.new_uow(),
            clock=self.clock,
            queue=self.render_queue,
            issuer=self.issuer,
            handoff=self.handoff,
        )

    def start_month_run(self, *, year: int, month: int) -> MonthBatch:
        """A month-end run, recorded; `continue_month_run` does its work."""
        return invoices.start_month_run(
            year=year, month=month, uow=self.new_uow(), clock=self.clock
        )

    def continue_month_run(self, batch_id: UUID) -> MonthRun:
        return invoices.continue_month_run(
            batch_id,
            uow=self.new_uow(),
            clock=self.clock,
            queue=self.render_queue,
            issuer=self.issuer,
            handoff=self.handoff,
        )

    def month_run_progress(self, batch_id: UUID) -> BatchProgress:
        return invoices.month_run_progress(batch_id, uow=self.reader())

    def continue_stopped_month_runs(self, *, older_than: timedelta = timedelta(minutes=5)) -> int:
        """Finish the month-end runs a crash stopped; answers how many were continued."""
        stopped = invoices.unfinished_month_runs(
            uow=self.new_uow(), started_before=self.clock.now() - older_than
        )
        for batch_id in stopped:
            try:
                self.continue_month_run(batch_id)
            except Exception:
                # One run that cannot go on must not keep the others from finishing.
                log.exception(
                    "continuing month-end run %s failed; the next sweep tries again", batch_id
                )
        return len(stopped)

    def open_download(self, key: str, expires: int, signature: str) -> bytes:
        """A stored PDF through a link billtrack signed; see `SignedDownloads.open_signed`."""
        if self.signed_downloads is None:
            raise PermissionError("this storage's download links are not served by billtrack")
        return self.signed_downloads.open_signed(key, expires, signature)

    # -- the pipeline --------------------------------------------------------------------------

    def republish_owed(self, *, older_than: timedelta = timedelta(minutes=5)) -> int:
        """The sweeper: publish again the renders owed longer than `older_than`; answers how
        many were published."""
        return pipeline.republish_owed(
            uow=self.new_uow(), queue=self.render_queue, clock=self.clock, older_than=older_than
        )

    def republish_owed_mails(self, *, older_than: timedelta = timedelta(minutes=5)) -> int:
        """The sweeper's half for mail: ask again for the sends owed longer than `older_than`."""
        return mailing.republish_owed_mails(
            uow=self.new_uow(), queue=self.mail_queue, clock=self.clock, older_than=older_than
        )

    def sweep(self, *, older_than: timedelta = timedelta(minutes=5)) -> int:
        """Everything the sweeper does: renders and mails owed longer than `older_than`, and
        month-end runs a crash stopped that long ago. Answers how many jobs were published."""
        published = self.republish_owed(older_than=older_than)
        published += self.republish_owed_mails(older_than=older_than)
        self.continue_stopped_month_runs(older_than=max(older_than, timedelta(minutes=5)))
        return published

    def render(self, job: RenderJob) -> pipeline.RenderOutcome:
        return pipeline.render_invoice(
            job,
            uow=self.new_uow(),
            reader=self.reader(),
            renderer=self.renderer,
            storage=self.storage,
            clock=self.clock,
            mail_queue=self.mail_queue,
            issuer=self.issuer,
            handoff=self.handoff,
        )

    def mail(self, job: MailJob) -> bool:
        """Answers whether the mail went out (see `mailing.mail_invoice` for the rest)."""
        outcome = mailing.mail_invoice(
            job,
            uow=self.new_uow(),
            storage=self.storage,
            mailer=self.mailer,
            composer=self.mail_composer,
            clock=self.clock,
            issuer=self.issuer,
            handoff=self.handoff,
        )
        return outcome is mailing.MailOutcome.SENT

    def send_again(self, invoice_id: UUID) -> InvoiceView:
        """Mail the invoice's current PDF once more (a new send); a conflict until it is stored."""
        mailing.send_again(invoice_id, uow=self.new_uow(), queue=self.mail_queue, clock=self.clock)
        return self.get_invoice(invoice_id)

    def record_render_failure(self, job: RenderJob, reason: str) -> None:
        pipeline.record_render_failure(job, reason, uow=self.new_uow())

    def record_mail_failure(self, job: MailJob, reason: str) -> None:
        mailing.record_mail_failure(job, reason, uow=self.new_uow(), clock=self.clock)

    @property
    def job_handlers(self) -> Mapping[type, JobHandler]:
        """The one table from job type to what does it, and to what records its giving up."""
        return {
            RenderJob: JobHandler(self.render, self.record_render_failure),
            MailJob: JobHandler(self.mail, self.record_mail_failure),
        }

    def handle(self, job: RenderJob | MailJob) -> object:
        """Do what a job asks."""
        return self.job_handlers[type(job)].handle(job)

    def give_up(self, job: RenderJob | MailJob, reason: str) -> None:
        """A job failed its last attempt: record why, where a person will see it."""
        self.job_handlers[type(job)].give_up(job, reason)

    # -- users ---------------------------------------------------------------------------------

    def add_user(self, email: str, password: str) -> User:
        return users.add_user(
            email, password, uow=self.new_uow(), hasher=self.hasher, clock=self.clock
        )

    def add_first_user(self, email: str, password: str) -> User | None:
        return users.add_first_user(
            email, password, uow=self.new_uow(), hasher=self.hasher, clock=self.clock
        )

    def change_password(self, email: str, password: str) -> User:
        return users.change_password(email, password, uow=self.new_uow(), hasher=self.hasher)

    def get_user(self, user_id: UUID) -> User | None:
        return users.get_user(user_id, uow=self.reader())

    def list_users(self) -> Sequence[User]:
        return users.list_users(uow=self.reader())

    def log_in(self, email: str, password: str) -> str:
        return users.log_in(
            email,
            password,
            uow=self.new_uow(),
            reader=self.reader(),
            hasher=self.hasher,
            tokens=self.tokens,
        )

    def authenticate(self, token: str) -> User:
        return users.authenticate(token, uow=self.reader(), tokens=self.tokens)

    # -- running -------------------------------------------------------------------------------

    def readiness(self) -> dict[str, bool]:
        """Whether each dependency answers, by name."""
        ready = {}
        for name, probe in self.probes.items():
            try:
                probe()
                ready[name] = True
            except Exception as error:
                log.warning("readiness probe %s failed: %s", name, error)
                ready[name] = False
        return ready

    def close(self) -> None:
        for close in reversed(self.closers):
            close()
