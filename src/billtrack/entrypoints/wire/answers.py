"""The answers billtrack prints, over HTTP and on the command line alike: camelCase, embedded
objects, Decimals for money and hours.

Answers write Decimals as JSON numbers with their places (see `json_encoding`), so their schema
says `number`; requests accept a number or a numeric string, parsed straight into a Decimal.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, WithJsonSchema
from pydantic.alias_generators import to_camel

from billtrack.domain.model.batch import BatchProgress
from billtrack.domain.model.organisation import OrganisationUnit
from billtrack.domain.model.views import EmployeeView, InvoiceView, WorkdayView
from billtrack.entrypoints.wire.json_encoding import encode
from billtrack.ports.queries import Page

ItemT = TypeVar("ItemT", bound=BaseModel)
Number = Annotated[Decimal, WithJsonSchema({"type": "number"})]


class Answer(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    def wire(self) -> dict[str, Any]:
        """The answer as the contract writes it (camelCase keys, Decimals kept exact)."""
        return self.model_dump(mode="python", by_alias=True)

    def to_json(self, indent: int | None = None) -> str:
        return encode(self.wire(), indent)


class NamedOut(Answer):
    id: UUID
    name: str

    @classmethod
    def of(cls, unit: OrganisationUnit) -> NamedOut:
        return cls(id=unit.id, name=unit.name.value)


class EmployeeOut(Answer):
    id: UUID
    email: str
    firstname: str
    lastname: str
    salary: Number
    department: NamedOut
    project: NamedOut
    department_id: UUID
    """An extension: the embedded department's id, flat, for clients that edit the row."""
    project_id: UUID

    @classmethod
    def of(cls, view: EmployeeView) -> EmployeeOut:
        e = view.employee
        return cls(
            id=e.id,
            email=e.email.value,
            firstname=e.firstname.value,
            lastname=e.lastname.value,
            salary=e.salary.amount,
            department=NamedOut.of(view.department),
            project=NamedOut.of(view.project),
            department_id=view.department.id,
            project_id=view.project.id,
        )


class WorkdayOut(Answer):
    id: UUID
    date: date
    hours: Number
    employee: EmployeeOut
    employee_id: UUID
    """An extension: the embedded employee's id, flat."""

    @classmethod
    def of(cls, view: WorkdayView) -> WorkdayOut:
        w = view.workday
        return cls(
            id=w.id,
            date=w.day,
            hours=w.hours.value,
            employee=EmployeeOut.of(view.employee),
            employee_id=w.employee_id,
        )


class InvoiceOut(Answer):
    id: UUID
    month: int
    year: int
    employee: EmployeeOut
    employee_id: UUID
    """An extension: the embedded employee's id, flat."""
    has_invoice_url: bool
    is_url_ready: bool
    number: str
    status: str
    error: str | None
    total_hours: Number
    hourly_rate: Number
    amount: Number
    created_at: datetime
    generated_at: datetime | None
    mail_status: str
    """An extension: `pending`, `sent` or `failed` (then `mailError` says why)."""
    mail_error: str | None
    mailed_at: datetime | None

    @classmethod
    def of(cls, view: InvoiceView) -> InvoiceOut:
        i = view.invoice
        return cls(
            id=i.id,
            month=i.period.month,
            year=i.period.year,
            employee=EmployeeOut.of(view.employee),
            employee_id=i.employee_id,
            has_invoice_url=i.is_url_ready,
            is_url_ready=i.is_url_ready,
            number=str(i.number),
            status=i.status.value,
            error=i.error,
            total_hours=i.totals.total_hours,
            hourly_rate=i.totals.hourly_rate,
            amount=i.totals.amount.amount,
            created_at=i.created_at,
            generated_at=i.generated_at,
            mail_status=i.mail_status.value,
            mail_error=i.mail_error,
            mailed_at=i.mailed_at,
        )


class PageOut(Answer, Generic[ItemT]):
    items: list[ItemT]
    page_number: int
    page_size: int
    total_count: int

    @classmethod
    def of(cls, page: Page[Any], items: list[ItemT]) -> PageOut[ItemT]:
        return cls(
            items=items, page_number=page.number, page_size=page.size, total_count=page.total_count
        )


class MonthRunOut(Answer):
    """A month-end run's progress (an extension of the original's contract)."""

    id: UUID
    year: int
    month: int
    status: str
    """`running`, then `done` once every invoice is rendered and mailed, or has failed."""
    total: int
    created: int
    skipped: int
    rendered: int
    mailed: int
    failed: int
    created_at: datetime

    @classmethod
    def of(cls, progress: BatchProgress) -> MonthRunOut:
        batch = progress.batch
        return cls(
            id=batch.id,
            year=batch.period.year,
            month=batch.period.month,
            status=progress.status.value,
            total=batch.total,
            created=progress.created,
            skipped=batch.skipped,
            rendered=progress.rendered,
            mailed=progress.mailed,
            failed=progress.failed,
            created_at=batch.created_at,
        )


class LoginAnswer(Answer):
    jwt_token: str


class Health(Answer):
    status: str
    checks: dict[str, str] = {}
