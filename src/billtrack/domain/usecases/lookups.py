"""Loading what an operation needs, with the contract's answers for what is missing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from billtrack.domain.model.employee_month import EmployeeMonth
from billtrack.domain.model.errors import NotFound
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.lifecycle import Entity
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import FieldErrors
from billtrack.ports.unit_of_work import UnitOfWork

E = TypeVar("E", bound=Entity)
V = TypeVar("V")


def require_active(entity: E | None, kind: str, entity_id: UUID) -> E:
    """The entity a path names: unknown or soft-deleted is a 404."""
    if entity is None or not entity.is_active:
        raise NotFound(kind, entity_id)
    return entity


def require_view(view: V | None, kind: str, entity_id: UUID) -> V:
    """The view of the entity a path names (views are of active entities only): else a 404."""
    if view is None:
        raise NotFound(kind, entity_id)
    return view


def referenced(entity: E | None, errors: FieldErrors, field: str, kind: str) -> E | None:
    """An entity a body refers to: unknown or soft-deleted is a 400 on that field."""
    if entity is None or not entity.is_active:
        errors.add(field, f"must name an active {kind}")
        return None
    return entity


def locked(
    uow: UnitOfWork,
    read: Callable[[], E],
    month_of: Callable[[E], tuple[UUID, YearMonth]],
    *other_months: tuple[UUID, YearMonth],
) -> tuple[E, tuple[EmployeeMonth, ...]]:
    """The entity `read` answers, read again once the month it is in (and `other_months`) is
    locked: a concurrent change that moved or deleted it while this waited for the lock is seen,
    and the month it moved to is locked in turn. Answers the entity and the months, its own first.
    """
    entity = read()
    while True:
        months = uow.months.lock(month_of(entity), *other_months)
        current = read()
        if month_of(current) == month_of(entity):
            return current, months
        entity = current


def locked_invoice(uow: UnitOfWork, invoice_id: UUID) -> Invoice | None:
    """The invoice, read again once its month is locked (None when there is none). A change
    written back from it then cannot undo a concurrent edit or deletion, which takes the same
    lock: the workers write invoices back whole. Only the lock is taken, the month is not
    loaded; and where the transaction already keeps other writers out, the invoice is read once."""
    invoice = uow.invoices.get(invoice_id)
    while invoice is not None:
        if not uow.months.hold((invoice.employee_id, invoice.period)):
            return invoice
        current = uow.invoices.get(invoice_id)
        if current is None or (current.employee_id, current.period) == (
            invoice.employee_id,
            invoice.period,
        ):
            return current
        invoice = current
    return None
