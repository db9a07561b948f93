"""The tables behind the in-memory unit of work."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from billtrack.domain.model.batch import MonthBatch
from billtrack.domain.model.employee import Employee
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.organisation import Department, Project
from billtrack.domain.model.user import User
from billtrack.domain.model.workday import Workday
from billtrack.ports.jobs import RenderJob


@dataclass
class OwedRender:
    job: RenderJob
    published_at: datetime | None = None


@dataclass
class Tables:
    departments: dict[UUID, Department] = field(default_factory=dict)
    projects: dict[UUID, Project] = field(default_factory=dict)
    employees: dict[UUID, Employee] = field(default_factory=dict)
    workdays: dict[UUID, Workday] = field(default_factory=dict)
    invoices: dict[UUID, Invoice] = field(default_factory=dict)
    users: dict[UUID, User] = field(default_factory=dict)
    invoice_counters: dict[int, int] = field(default_factory=dict)
    outbox: dict[UUID, OwedRender] = field(default_factory=dict)
    batches: dict[UUID, MonthBatch] = field(default_factory=dict)

    def copy(self) -> Tables:
        """A working copy for one transaction. Entities are immutable, so copying the dicts is
        enough; outbox rows are mutable and copied one by one."""
        return Tables(
            departments=dict(self.departments),
            projects=dict(self.projects),
            employees=dict(self.employees),
            workdays=dict(self.workdays),
            invoices=dict(self.invoices),
            users=dict(self.users),
            invoice_counters=dict(self.invoice_counters),
            outbox={k: replace(v) for k, v in self.outbox.items()},
            batches=dict(self.batches),
        )


class InMemoryStore:
    """The committed state, shared by every unit of work made from it. One transaction at a time
    (serializable, like a database with a single writer)."""

    def __init__(self) -> None:
        self.committed = Tables()
        self.lock = threading.Lock()
