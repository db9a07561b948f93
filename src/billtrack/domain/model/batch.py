"""A month-end run: every active employee of a month invoiced in one go, and its progress."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from billtrack.domain.model.invoice import Invoice, InvoiceStatus, MailStatus
from billtrack.domain.model.lifecycle import Entity
from billtrack.domain.model.period import YearMonth


class BatchStatus(enum.Enum):
    RUNNING = "running"
    DONE = "done"


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthBatch(Entity):
    period: YearMonth
    total: int = 0
    """The active employees the run considered."""
    skipped: int = 0
    """Those not invoiced by this run: no hours in the month, or an invoice already."""
    invoiced_at: datetime | None = None
    """When every employee had been considered; the invoices may still be rendering."""

    def invoiced(self, *, total: int, skipped: int, at: datetime) -> MonthBatch:
        return replace(self, total=total, skipped=skipped, invoiced_at=at)


@dataclass(frozen=True, slots=True)
class BatchProgress:
    batch: MonthBatch
    created: int
    rendered: int
    mailed: int
    failed: int
    status: BatchStatus

    @classmethod
    def of(cls, batch: MonthBatch, invoices: Iterable[Invoice]) -> BatchProgress:
        """Counted from the run's invoices: done once every employee was considered and each
        invoice has its PDF and its mail settled, or has failed."""
        active = [i for i in invoices if i.is_active]
        rendered = sum(i.status is InvoiceStatus.GENERATED for i in active)
        mailed = sum(i.mail_status is MailStatus.SENT for i in active)
        failed = sum(
            i.status is InvoiceStatus.FAILED or i.mail_status is MailStatus.FAILED for i in active
        )
        settled = all(
            i.status is InvoiceStatus.FAILED
            or (i.status is InvoiceStatus.GENERATED and i.mail_status is not MailStatus.PENDING)
            for i in active
        )
        done = batch.invoiced_at is not None and settled
        return cls(
            batch=batch,
            created=len(active),
            rendered=rendered,
            mailed=mailed,
            failed=failed,
            status=BatchStatus.DONE if done else BatchStatus.RUNNING,
        )
