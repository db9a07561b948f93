"""Explicit conversion between the domain's entities and table rows.

Why not SQLAlchemy's imperative mapping: the entities are frozen, slotted dataclasses holding value
objects (Money, Name, YearMonth), which the ORM can neither instrument nor set attributes on. Two
small functions per entity keep the domain free of SQLAlchemy and make every column explicit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from billtrack.domain.model.batch import MonthBatch
from billtrack.domain.model.calculation import InvoiceTotals
from billtrack.domain.model.employee import Employee
from billtrack.domain.model.invoice import Invoice, InvoiceStatus
from billtrack.domain.model.numbering import InvoiceNumber
from billtrack.domain.model.organisation import OrganisationUnit
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.user import User
from billtrack.domain.model.values import Email, Hours, Money, Name, fold_name
from billtrack.domain.model.workday import Workday

Row = Mapping[Any, Any]
UnitT = TypeVar("UnitT", bound=OrganisationUnit)


def _lifecycle(row: Row) -> dict[str, Any]:
    return {"id": row["id"], "created_at": row["created_at"], "deleted_at": row["deleted_at"]}


def unit_row(unit: OrganisationUnit) -> dict[str, Any]:
    return {
        "id": unit.id,
        "name": unit.name.value,
        "name_folded": fold_name(unit.name.value),
        "created_at": unit.created_at,
        "deleted_at": unit.deleted_at,
    }


def unit_from_row(kind: type[UnitT], row: Row) -> UnitT:
    return kind(name=Name(row["name"]), **_lifecycle(row))


def employee_row(employee: Employee) -> dict[str, Any]:
    return {
        "id": employee.id,
        "email": employee.email.value,
        "email_key": employee.email.key,
        "firstname": employee.firstname.value,
        "lastname": employee.lastname.value,
        "firstname_folded": fold_name(employee.firstname.value),
        "lastname_folded": fold_name(employee.lastname.value),
        "full_name_folded": fold_name(employee.full_name),
        "salary": employee.salary.amount,
        "department_id": employee.department_id,
        "project_id": employee.project_id,
        "created_at": employee.created_at,
        "deleted_at": employee.deleted_at,
    }


def employee_from_row(row: Row) -> Employee:
    return Employee(
        email=Email(row["email"]),
        firstname=Name(row["firstname"]),
        lastname=Name(row["lastname"]),
        salary=Money(row["salary"]),
        department_id=row["department_id"],
        project_id=row["project_id"],
        **_lifecycle(row),
    )


def workday_row(workday: Workday) -> dict[str, Any]:
    return {
        "id": workday.id,
        "employee_id": workday.employee_id,
        "day": workday.day,
        "hours": workday.hours.value,
        "created_at": workday.created_at,
        "deleted_at": workday.deleted_at,
    }


def workday_from_row(row: Row) -> Workday:
    return Workday(
        employee_id=row["employee_id"], day=row["day"], hours=Hours(row["hours"]), **_lifecycle(row)
    )


def invoice_row(invoice: Invoice) -> dict[str, Any]:
    totals = invoice.totals
    return {
        "id": invoice.id,
        "employee_id": invoice.employee_id,
        "year": invoice.period.year,
        "month": invoice.period.month,
        "number_year": invoice.number.year,
        "number_sequence": invoice.number.sequence,
        "issued_on": invoice.issued_on,
        "salary": totals.salary.amount,
        "weekdays": totals.weekdays,
        "total_hours": totals.total_hours,
        "hourly_rate": totals.hourly_rate,
        "amount": totals.amount.amount,
        "status": invoice.status.value,
        "error": invoice.error,
        "revision": invoice.revision,
        "pdf_key": invoice.pdf_key,
        "generated_at": invoice.generated_at,
        "mailed_revision": invoice.mailed_revision,
        "mail_requested": invoice.mail_requested,
        "mail_sent": invoice.mail_sent,
        "mail_claimed_at": invoice.mail_claimed_at,
        "mail_asked_at": invoice.mail_asked_at,
        "mailed_at": invoice.mailed_at,
        "mail_error": invoice.mail_error,
        "batch_id": invoice.batch_id,
        "created_at": invoice.created_at,
        "deleted_at": invoice.deleted_at,
    }


def invoice_from_row(row: Row) -> Invoice:
    return Invoice(
        employee_id=row["employee_id"],
        period=YearMonth(row["year"], row["month"]),
        number=InvoiceNumber(row["number_year"], row["number_sequence"]),
        issued_on=row["issued_on"],
        totals=InvoiceTotals(
            salary=Money(row["salary"]),
            weekdays=row["weekdays"],
            total_hours=row["total_hours"],
            hourly_rate=row["hourly_rate"],
            amount=Money(row["amount"]),
        ),
        status=InvoiceStatus(row["status"]),
        error=row["error"],
        revision=row["revision"],
        pdf_key=row["pdf_key"],
        generated_at=row["generated_at"],
        mailed_revision=row["mailed_revision"],
        mail_requested=row["mail_requested"],
        mail_sent=row["mail_sent"],
        mail_claimed_at=row["mail_claimed_at"],
        mail_asked_at=row["mail_asked_at"],
        mailed_at=row["mailed_at"],
        mail_error=row["mail_error"],
        batch_id=row["batch_id"],
        **_lifecycle(row),
    )


def user_row(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email.value,
        "email_key": user.email.key,
        "password_hash": user.password_hash,
        "created_at": user.created_at,
        "deleted_at": user.deleted_at,
    }


def user_from_row(row: Row) -> User:
    return User(email=Email(row["email"]), password_hash=row["password_hash"], **_lifecycle(row))


def batch_row(batch: MonthBatch) -> dict[str, Any]:
    return {
        "id": batch.id,
        "year": batch.period.year,
        "month": batch.period.month,
        "total": batch.total,
        "skipped": batch.skipped,
        "invoiced_at": batch.invoiced_at,
        "created_at": batch.created_at,
        "deleted_at": batch.deleted_at,
    }


def batch_from_row(row: Row) -> MonthBatch:
    return MonthBatch(
        period=YearMonth(row["year"], row["month"]),
        total=row["total"],
        skipped=row["skipped"],
        invoiced_at=row["invoiced_at"],
        **_lifecycle(row),
    )
