"""Invoice numbers (contract, "Invoices"): `YYYY-NNNNNN`, YYYY the issue year in the business
time zone, NNNNNN counting from 000001 each year without gaps or repeats between committed
invoices, whatever fails, is deleted, moved or published late along the way."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.memory.repositories import InMemoryInvoiceRepository
from billtrack.adapters.memory.unit_of_work import InMemoryUnitOfWork
from billtrack.domain.model.errors import DuplicateInvoice, ValidationFailed
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.period import YearMonth
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.ports.jobs import RenderJob
from billtrack.ports.queries import InvoiceQuery, PageRequest
from tests.fakes.application import in_memory_application
from tests.fakes.clock import ManualClock

NUMBER_PATTERN = re.compile(r"(\d{4})-(\d{6})")
EMPLOYEES = 4
NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
# The months an invoice may cover on NOW, from January 2023: 18 months x 4 employees = 72 pairs.
OPEN_MONTHS = [YearMonth(2023, m) for m in range(1, 13)] + [YearMonth(2024, m) for m in range(1, 7)]
FUTURE_MONTHS = [YearMonth(2024, 7), YearMonth(2024, 12), YearMonth(2025, 1)]
NOW_MONTH = YearMonth.of(NOW.date())

Pair = tuple[UUID, YearMonth]


class RaceLosingUnitOfWork(InMemoryUnitOfWork):
    """The in-memory unit of work, except that the next `races_to_lose` invoice inserts hit the
    unique rule of the table, as when a concurrent transaction committed the same employee-month
    first. The insert comes after the number is drawn, so the number must be given back."""

    def __init__(self) -> None:
        super().__init__()
        self.races_to_lose = 0

    def _begin(self) -> None:
        super()._begin()
        self.invoices = RaceLosingInvoices(self)


class RaceLosingInvoices(InMemoryInvoiceRepository):
    def __init__(self, uow: RaceLosingUnitOfWork) -> None:
        assert uow._working is not None
        super().__init__(uow._working.invoices)
        self._uow = uow

    def add(self, row: Invoice, /) -> None:
        if self._uow.races_to_lose > 0:
            self._uow.races_to_lose -= 1
            raise DuplicateInvoice(row.employee_id, row.period)
        super().add(row)


@dataclass
class Books:
    uow: RaceLosingUnitOfWork
    clock: ManualClock
    queue: InMemoryQueue[RenderJob]
    employee_ids: list[UUID] = field(default_factory=list)
    committed: list[UUID] = field(default_factory=list)
    """Every invoice committed so far (deleted ones too), in the order they were issued."""
    app: Application = field(init=False)

    def __post_init__(self) -> None:
        self.app = in_memory_application(lambda: self.uow, self.clock, render_queue=self.queue)

    def create(self, employee_id: UUID, period: YearMonth) -> Invoice:
        details = InvoiceDetails(year=period.year, month=period.month, employee_id=employee_id)
        invoice = self.app.create_invoice(details).invoice
        self.committed.append(invoice.id)
        return invoice

    def stored(self, invoice_id: UUID) -> Invoice:
        """The stored row, soft-deleted or not (a repository's `get` answers both)."""
        with self.uow:
            invoice = self.uow.invoices.get(invoice_id)
        assert invoice is not None
        return invoice

    def active(self) -> list[Invoice]:
        page = self.app.list_invoices(InvoiceQuery(page=PageRequest(1, 1000)))
        assert page.total_count == len(page.items)
        return [view.invoice for view in page.items]


def open_books(now: datetime = NOW, zone: tzinfo = UTC) -> Books:
    books = Books(
        RaceLosingUnitOfWork(), ManualClock(now, zone), InMemoryQueue[RenderJob]("invoices")
    )
    department = books.app.departments.create("Accounting")
    project = books.app.projects.create("Ledger")
    for i in range(EMPLOYEES):
        details = EmployeeDetails(
            email=f"e{i}@example.com",
            firstname="Erin",
            lastname=f"Number{i}",
            salary=Decimal(1000 * (i + 1)),
            department_id=department.id,
            project_id=project.id,
        )
        books.employee_ids.append(books.app.create_employee(details).employee.id)
    return books


def parse(text: str) -> tuple[int, int]:
    match = NUMBER_PATTERN.fullmatch(text)
    assert match is not None, text
    return int(match[1]), int(match[2])


def assert_gapless(books: Books, year: int) -> None:
    """The committed invoices, deleted ones included, are numbered 1..n in the order issued."""
    numbers = [str(books.stored(invoice_id).number) for invoice_id in books.committed]
    assert numbers == [f"{year:04d}-{seq:06d}" for seq in range(1, len(numbers) + 1)]
    assert [parse(text) for text in numbers] == [(year, s) for s in range(1, len(numbers) + 1)]
    active = {str(invoice.number) for invoice in books.active()}
    assert active <= set(numbers)


Step = tuple[str, int]
OTHER_ACTIONS = ["duplicate", "future", "unknown", "race", "delete", "move", "queue"]


@st.composite
def sessions(draw: st.DrawFn) -> list[Step]:
    """A session at the accounting desk: n creations (n drawn, up to 40) shuffled among failing
    creations (lost races among them), deletes, moves and queue outages. The int picks among what a step can act on."""
    n = draw(st.integers(0, 40))
    picks = st.integers(0, 10_000)
    creations = [("create", pick) for pick in draw(st.lists(picks, min_size=n, max_size=n))]
    others = draw(st.lists(st.tuples(st.sampled_from(OTHER_ACTIONS), picks), max_size=40))
    return draw(st.permutations(creations + others))


@settings(max_examples=60, deadline=None)
@given(plan=sessions())
def test_committed_numbers_of_a_year_are_1_to_n(plan: list[Step]) -> None:
    books = open_books()
    pair_of: dict[UUID, Pair] = {}  # active invoices
    all_pairs = [(e, m) for e in books.employee_ids for m in OPEN_MONTHS]

    for action, pick in plan:
        taken = set(pair_of.values())
        free = [p for p in all_pairs if p not in taken]
        active_ids = list(pair_of)  # in creation order: ids are random, a replay must match
        if action == "create" and free:
            employee_id, period = free[pick % len(free)]
            invoice = books.create(employee_id, period)
            assert invoice.number.sequence == len(books.committed)
            pair_of[invoice.id] = (employee_id, period)
        elif action == "duplicate" and active_ids:
            employee_id, period = pair_of[active_ids[pick % len(active_ids)]]
            with pytest.raises(DuplicateInvoice):
                books.create(employee_id, period)
        elif action in ("future", "unknown"):
            employee_id = books.employee_ids[pick % EMPLOYEES] if action == "future" else uuid4()
            period = FUTURE_MONTHS[pick % len(FUTURE_MONTHS)] if action == "future" else NOW_MONTH
            with pytest.raises(ValidationFailed) as failure:
                books.create(employee_id, period)
            assert set(failure.value.errors) == {"month" if action == "future" else "employee_id"}
        elif action == "race" and free:
            # Refused after its number was drawn: the rollback gives the number back.
            books.uow.races_to_lose = 1
            with pytest.raises(DuplicateInvoice):
                books.create(*free[pick % len(free)])
            assert books.uow.races_to_lose == 0
        elif action == "delete" and active_ids:
            invoice_id = active_ids[pick % len(active_ids)]
            books.app.delete_invoice(invoice_id)
            del pair_of[invoice_id]
        elif action == "move" and active_ids and free:
            invoice_id = active_ids[pick % len(active_ids)]
            employee_id, period = free[pick % len(free)]
            number = books.stored(invoice_id).number
            details = InvoiceDetails(year=period.year, month=period.month, employee_id=employee_id)
            moved = books.app.change_invoice(invoice_id, details)
            assert moved.invoice.number == number
            pair_of[invoice_id] = (employee_id, period)
        elif action == "queue":
            # A queue that is down loses no number: the render waits in the outbox.
            books.queue.available = not books.queue.available
        assert_gapless(books, 2024)

    assert_gapless(books, 2024)
    assert {books.stored(i).id for i in pair_of} == {i.id for i in books.active()}


# Instants around two new years; each zone decides which year "today" is in.
INSTANTS = [
    datetime(2024, 12, 31, 22, 30, tzinfo=UTC),
    datetime(2024, 12, 31, 23, 30, tzinfo=UTC),
    datetime(2025, 1, 1, 0, 30, tzinfo=UTC),
    datetime(2025, 1, 1, 4, 30, tzinfo=UTC),
    datetime(2025, 7, 1, 12, 0, tzinfo=UTC),
    datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 30, tzinfo=UTC),
]
ZONES: list[tzinfo] = [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")]


@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(ZONES), instants=st.lists(st.sampled_from(INSTANTS), max_size=40))
def test_each_year_counts_from_000001(zone: tzinfo, instants: list[datetime]) -> None:
    books = open_books(INSTANTS[0], zone)
    # 48 distinct employee-months of 2024, none after the current month at any instant above.
    pairs = iter([(e, YearMonth(2024, m)) for m in range(1, 13) for e in books.employee_ids])
    issued_per_year: dict[int, int] = {}

    for instant in instants:
        books.clock.set(instant)
        year = instant.astimezone(zone).year
        employee_id, period = next(pairs)
        invoice = books.create(employee_id, period)
        issued_per_year[year] = issued_per_year.get(year, 0) + 1
        assert str(invoice.number) == f"{year:04d}-{issued_per_year[year]:06d}"
        assert invoice.issued_on == instant.astimezone(zone).date()

    numbers = [parse(str(books.stored(i).number)) for i in books.committed]
    for year, count in issued_per_year.items():
        assert sorted(s for y, s in numbers if y == year) == list(range(1, count + 1))
    assert len(numbers) == len(set(numbers))


def test_a_new_year_restarts_at_000001_even_after_failures_and_deletes() -> None:
    books = open_books(datetime(2024, 12, 31, 12, 0, tzinfo=UTC))
    first, second = books.employee_ids[:2]
    last_of_2024 = books.create(first, YearMonth(2024, 11))
    assert str(last_of_2024.number) == "2024-000001"
    books.create(second, YearMonth(2024, 11))
    books.app.delete_invoice(last_of_2024.id)

    books.clock.set(datetime(2025, 1, 1, 0, 0, tzinfo=UTC))
    with pytest.raises(DuplicateInvoice):
        books.create(second, YearMonth(2024, 11))
    assert str(books.create(first, YearMonth(2024, 12)).number) == "2025-000001"
    assert str(books.create(first, YearMonth(2025, 1)).number) == "2025-000002"

    books.clock.set(datetime(2024, 12, 31, 18, 0, tzinfo=UTC))  # a clock put back goes on in 2024
    assert str(books.create(second, YearMonth(2024, 10)).number) == "2024-000003"
