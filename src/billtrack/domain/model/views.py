"""What reads answer: an entity with the entities it embeds (even soft-deleted ones)."""

from __future__ import annotations

from dataclasses import dataclass

from billtrack.domain.model.employee import Employee
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.organisation import Department, Project
from billtrack.domain.model.workday import Workday


@dataclass(frozen=True, slots=True)
class EmployeeView:
    employee: Employee
    department: Department
    project: Project


@dataclass(frozen=True, slots=True)
class WorkdayView:
    workday: Workday
    employee: EmployeeView


@dataclass(frozen=True, slots=True)
class InvoiceView:
    invoice: Invoice
    employee: EmployeeView
