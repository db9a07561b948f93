"""A stateful test of the use cases, through the application over the in-memory adapters.

Random creates, changes and deletes of employees (salaries included), workdays and invoices run
against a small model of this file's own. Before each call the model decides what must happen:
which domain errors the call may raise (none, when it must succeed). A refused call must leave
everything as it was. After every step the stored state must equal the model, and the invoice
rules of the contract must hold:

(a) a closed month never changes: an active invoice's month has exactly the workdays (ids, dates,
    hours) it had when the invoice was issued or last revised;
(b) an invoice's totals are the calculation over those workdays and the salary of that moment;
(c) at most one active invoice per employee-month, one active workday per employee-date;
(d) invoice numbers are 2024-000001 .. 2024-n, with no gap or repeat (deleted ones included).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.memory.unit_of_work import InMemoryUnitOfWork
from billtrack.domain.model.errors import (
    DomainError,
    DuplicateEmail,
    DuplicateInvoice,
    DuplicateWorkday,
    MonthClosed,
    NotFound,
    ValidationFailed,
)
from billtrack.domain.model.invoice import Invoice
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.views import WorkdayView
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.ports.jobs import RenderJob
from billtrack.ports.queries import InvoiceQuery, PageRequest, WorkdayQuery
from tests.fakes.application import in_memory_application
from tests.fakes.clock import ManualClock
from tests.properties.strategies import brute_force_weekdays, cents, expected_amount, expected_rate

T = TypeVar("T")
NOW = datetime(2024, 11, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
ALL = PageRequest(1, 1000)

# --- inputs: small pools, so that collisions (same e-mail, same date, same month) are common ----

EMAILS = [
    "ann@example.com",
    "ANN@Example.com",  # the same person as ann@, ignoring case
    " bob@example.com ",  # stored trimmed
    "bob@example.com",
    "cy@example.org",
    "dee@example.net",
    "not-an-address",  # invalid
]
DAYS = [
    date(2024, 8, 1),
    date(2024, 8, 31),  # a Saturday: weekend days count too
    date(2024, 9, 30),
    date(2024, 10, 1),
    date(2024, 10, 31),
    date(2024, 11, 1),
    date(2024, 11, 15),  # today
    date(2024, 11, 16),  # after today
]
MONTHS = [YearMonth(2024, m) for m in range(8, 13)]  # December is after the current month

valid_salaries = cents(0, 2_000_000)
salaries = st.one_of(
    valid_salaries,
    valid_salaries,
    valid_salaries,
    st.sampled_from([Decimal("-0.01"), Decimal("1000.001")]),
)
hour_values = st.one_of(
    cents(1, 2400),
    st.sampled_from([Decimal("8"), Decimal("24"), Decimal("0.5")]),
    st.sampled_from([Decimal("7.5"), Decimal("0.01"), Decimal("12.25")]),
    st.sampled_from([Decimal("0"), Decimal("24.01"), Decimal("7.125"), Decimal("-1")]),
)


def email_ok(email: str) -> bool:
    return "@" in email


def email_key(email: str) -> str:
    return email.strip().lower()


def salary_ok(salary: Decimal) -> bool:
    return salary >= 0 and salary == salary.quantize(Decimal("0.01"))


def hours_ok(hours: Decimal) -> bool:
    return 0 < hours <= 24 and hours == hours.quantize(Decimal("0.01"))


# --- the model ----------------------------------------------------------------------------------


@dataclass
class ModelEmployee:
    email: str
    salary: Decimal
    active: bool = True


@dataclass
class ModelWorkday:
    employee_id: UUID
    day: date
    hours: Decimal
    active: bool = True

    @property
    def period(self) -> YearMonth:
        return YearMonth.of(self.day)


Snapshot = frozenset[tuple[UUID, date, Decimal]]


@dataclass
class ModelInvoice:
    employee_id: UUID
    period: YearMonth
    sequence: int
    workdays: Snapshot
    """The month's workdays when the invoice was issued or last revised."""
    salary: Decimal
    """The employee's salary at that moment."""
    active: bool = True


@dataclass
class Expected:
    """What a call must do: succeed (no errors listed) or raise one of `errors`."""

    errors: set[type[DomainError]] = field(default_factory=set)

    @classmethod
    def staged(
        cls,
        *,
        missing: bool = False,
        invalid: bool = False,
        conflicts: Iterable[type[DomainError]] = (),
    ) -> Expected:
        """A path id that names nothing is a 404 before anything else; then every field rule
        (400); only a well-formed request can conflict with the data (409, any that applies)."""
        if missing:
            return cls({NotFound})
        if invalid:
            return cls({ValidationFailed})
        return cls(set(conflicts))


class InvoiceMachine(RuleBasedStateMachine):
    employees = Bundle("employees")
    workdays = Bundle("workdays")
    invoices = Bundle("invoices")

    def __init__(self) -> None:
        super().__init__()
        self.uow = InMemoryUnitOfWork()
        self.clock = ManualClock(NOW)
        self.queue = InMemoryQueue[RenderJob]("invoices")
        self.app = in_memory_application(lambda: self.uow, self.clock, render_queue=self.queue)
        self.model_employees: dict[UUID, ModelEmployee] = {}
        self.model_workdays: dict[UUID, ModelWorkday] = {}
        self.model_invoices: dict[UUID, ModelInvoice] = {}
        self._rows: tuple[int, list[Invoice], list[WorkdayView]] | None = None
        self.department_id = self.app.departments.create("Engineering").id
        self.project_id = self.app.projects.create("Billing").id

    # --- what the model knows ---------------------------------------------------------------

    def employee_active(self, employee_id: UUID) -> bool:
        employee = self.model_employees.get(employee_id)
        return employee is not None and employee.active

    def email_taken(self, email: str, *, by_other_than: UUID | None = None) -> bool:
        return any(
            e.active and email_key(e.email) == email_key(email) and i != by_other_than
            for i, e in self.model_employees.items()
        )

    def invoice_for(self, employee_id: UUID, period: YearMonth) -> UUID | None:
        matches = [
            i
            for i, inv in self.model_invoices.items()
            if inv.active and inv.employee_id == employee_id and inv.period == period
        ]
        assert len(matches) <= 1
        return matches[0] if matches else None

    def day_taken(self, employee_id: UUID, day: date, *, by_other_than: UUID | None = None) -> bool:
        return any(
            w.active and w.employee_id == employee_id and w.day == day and i != by_other_than
            for i, w in self.model_workdays.items()
        )

    def month_snapshot(self, employee_id: UUID, period: YearMonth) -> Snapshot:
        return frozenset(
            (i, w.day, w.hours)
            for i, w in self.model_workdays.items()
            if w.active and w.employee_id == employee_id and w.period == period
        )

    def employee_details(self, email: str, salary: Decimal) -> EmployeeDetails:
        return EmployeeDetails(
            email=email,
            firstname="Grace",
            lastname="Hopper",
            salary=salary,
            department_id=self.department_id,
            project_id=self.project_id,
        )

    def attempt(self, label: str, expected: Expected, call: Callable[[], T]) -> T | None:
        """Run `call`; it must raise one of the expected errors, or succeed when none is
        expected. A refused call commits nothing (the invariants then check the whole state)."""
        commits = self.uow.commits
        refused: DomainError | None = None
        result: T | None = None
        try:
            result = call()
        except DomainError as error:
            refused = error
        event(f"{label}: {type(refused).__name__ if refused else 'ok'}")
        if refused is None:
            assert not expected.errors, f"succeeded, expected one of {expected.errors}"
            return result
        assert expected.errors, f"refused unexpectedly: {refused!r}"
        assert type(refused) in expected.errors, f"{refused!r}, expected one of {expected.errors}"
        assert self.uow.commits == commits, "a refused call committed"
        return None

    @initialize(target=employees)
    def hire_two(self) -> object:
        """Two employees from the start, so that workdays and invoices come early."""
        ids = []
        for email, salary in [("eve@example.com", "4000.00"), ("fay@example.com", "0.00")]:
            details = self.employee_details(email, Decimal(salary))
            ids.append(self.app.create_employee(details).employee.id)
            self.model_employees[ids[-1]] = ModelEmployee(email, Decimal(salary))
        return multiple(*ids)

    def active_employee_count(self) -> int:
        return sum(1 for e in self.model_employees.values() if e.active)

    # --- employees --------------------------------------------------------------------------

    @rule(target=employees, email=st.sampled_from(EMAILS), salary=salaries)
    def create_employee(self, email: str, salary: Decimal) -> object:
        expected = Expected.staged(
            invalid=not (email_ok(email) and salary_ok(salary)),
            conflicts=[DuplicateEmail] if self.email_taken(email) else [],
        )
        details = self.employee_details(email, salary)
        view = self.attempt("create_employee", expected, lambda: self.app.create_employee(details))
        if view is None:
            return multiple()
        self.model_employees[view.employee.id] = ModelEmployee(email.strip(), salary)
        return view.employee.id

    @rule(employee_id=employees, email=st.sampled_from(EMAILS), salary=salaries)
    def change_employee(self, employee_id: UUID, email: str, salary: Decimal) -> None:
        expected = Expected.staged(
            missing=not self.employee_active(employee_id),
            invalid=not (email_ok(email) and salary_ok(salary)),
            conflicts=[DuplicateEmail]
            if self.email_taken(email, by_other_than=employee_id)
            else [],
        )
        details = self.employee_details(email, salary)
        if (
            self.attempt(
                "change_employee", expected, lambda: self.app.change_employee(employee_id, details)
            )
            is not None
        ):
            self.model_employees[employee_id] = ModelEmployee(email.strip(), salary)

    @rule(employee_id=employees, salary=salaries)
    def change_salary(self, employee_id: UUID, salary: Decimal) -> None:
        employee = self.model_employees[employee_id]
        self.change_employee(employee_id, employee.email, salary)

    @precondition(lambda self: self.active_employee_count() >= 2)
    @rule(employee_id=employees)
    def delete_employee(self, employee_id: UUID) -> None:
        expected = Expected.staged(missing=not self.employee_active(employee_id))
        self.attempt("delete_employee", expected, lambda: self.app.delete_employee(employee_id))
        if not expected.errors:
            self.model_employees[employee_id].active = False

    # --- workdays ---------------------------------------------------------------------------

    @rule(target=workdays, employee_id=employees, day=st.sampled_from(DAYS), hours=hour_values)
    def log_workday(self, employee_id: UUID, day: date, hours: Decimal) -> object:
        period = YearMonth.of(day)
        conflicts: list[type[DomainError]] = []
        if self.invoice_for(employee_id, period) is not None:
            conflicts.append(MonthClosed)
        if self.day_taken(employee_id, day):
            conflicts.append(DuplicateWorkday)
        expected = Expected.staged(
            invalid=not hours_ok(hours) or day > TODAY or not self.employee_active(employee_id),
            conflicts=conflicts,
        )
        details = WorkdayDetails(day=day, hours=hours, employee_id=employee_id)
        view = self.attempt("log_workday", expected, lambda: self.app.log_workday(details))
        if view is None:
            return multiple()
        self.model_workdays[view.workday.id] = ModelWorkday(employee_id, day, hours)
        return view.workday.id

    @rule(
        workday_id=workdays,
        employee_id=st.one_of(st.none(), employees),
        day=st.one_of(st.none(), st.sampled_from(DAYS)),
        hours=st.one_of(st.none(), hour_values),
    )
    def change_workday(
        self,
        workday_id: UUID,
        employee_id: UUID | None,
        day: date | None,
        hours: Decimal | None,
    ) -> None:
        """Change any of date, hours and employee (None keeps what the workday has)."""
        current = self.model_workdays[workday_id]
        new = ModelWorkday(
            employee_id if employee_id is not None else current.employee_id,
            day if day is not None else current.day,
            hours if hours is not None else current.hours,
        )
        conflicts: list[type[DomainError]] = []
        if (
            self.invoice_for(current.employee_id, current.period) is not None
            or self.invoice_for(new.employee_id, new.period) is not None
        ):
            conflicts.append(MonthClosed)
        if self.day_taken(new.employee_id, new.day, by_other_than=workday_id):
            conflicts.append(DuplicateWorkday)
        expected = Expected.staged(
            missing=not current.active,
            invalid=(
                not hours_ok(new.hours)
                or new.day > TODAY
                or not self.employee_active(new.employee_id)
            ),
            conflicts=conflicts,
        )
        details = WorkdayDetails(day=new.day, hours=new.hours, employee_id=new.employee_id)
        view = self.attempt(
            "change_workday",
            expected,
            lambda: self.app.change_workday(workday_id, details),
        )
        if view is not None:
            assert (view.workday.employee_id, view.workday.day) == (new.employee_id, new.day)
            self.model_workdays[workday_id] = new

    @rule(workday_id=workdays, day=st.sampled_from(DAYS))
    def move_workday(self, workday_id: UUID, day: date) -> None:
        """Only the date: into another month, or out of a closed one."""
        self.change_workday(workday_id, None, day, None)

    @rule(workday_id=workdays, employee_id=employees)
    def reassign_workday(self, workday_id: UUID, employee_id: UUID) -> None:
        """Only the employee: the same date in someone else's month."""
        self.change_workday(workday_id, employee_id, None, None)

    def workdays_in_closed_months(self) -> list[UUID]:
        """In creation order (not by id, which is random), so a replay draws the same one."""
        return [
            i
            for i, w in self.model_workdays.items()
            if w.active and self.invoice_for(w.employee_id, w.period) is not None
        ]

    @precondition(lambda self: bool(self.workdays_in_closed_months()))
    @rule(data=st.data())
    def touch_a_closed_month(self, data: st.DataObject) -> None:
        """Try to take a workday out of its closed month, or change or delete it there."""
        workday_id = data.draw(st.sampled_from(self.workdays_in_closed_months()))
        action = data.draw(st.sampled_from(["move", "reassign", "hours", "delete"]))
        if action == "move":
            self.change_workday(workday_id, None, data.draw(st.sampled_from(DAYS)), None)
        elif action == "reassign":
            self.change_workday(workday_id, data.draw(self.employees), None, None)
        elif action == "hours":
            self.change_workday(workday_id, None, None, data.draw(hour_values))
        else:
            self.delete_workday(workday_id)

    @rule(workday_id=workdays)
    def delete_workday(self, workday_id: UUID) -> None:
        current = self.model_workdays[workday_id]
        expected = Expected.staged(
            missing=not current.active,
            conflicts=[MonthClosed]
            if self.invoice_for(current.employee_id, current.period) is not None
            else [],
        )
        self.attempt("delete_workday", expected, lambda: self.app.delete_workday(workday_id))
        if not expected.errors:
            current.active = False

    # --- invoices ---------------------------------------------------------------------------

    @rule(target=invoices, employee_id=employees, period=st.sampled_from(MONTHS))
    def create_invoice(self, employee_id: UUID, period: YearMonth) -> object:
        expected = Expected.staged(
            invalid=period > YearMonth.of(TODAY) or not self.employee_active(employee_id),
            conflicts=[DuplicateInvoice]
            if self.invoice_for(employee_id, period) is not None
            else [],
        )
        details = InvoiceDetails(year=period.year, month=period.month, employee_id=employee_id)
        view = self.attempt(
            "create_invoice",
            expected,
            lambda: self.app.create_invoice(details),
        )
        if view is None:
            return multiple()
        self.model_invoices[view.invoice.id] = ModelInvoice(
            employee_id,
            period,
            sequence=len(self.model_invoices) + 1,
            workdays=self.month_snapshot(employee_id, period),
            salary=self.model_employees[employee_id].salary,
        )
        return view.invoice.id

    @rule(target=invoices, workday_id=workdays)
    def invoice_a_workdays_month(self, workday_id: UUID) -> object:
        """Issue the invoice that closes a month with workdays in it (the interesting case)."""
        workday = self.model_workdays[workday_id]
        return self.create_invoice(workday.employee_id, workday.period)

    @rule(invoice_id=invoices, workday_id=workdays)
    def move_invoice_onto_a_workdays_month(self, invoice_id: UUID, workday_id: UUID) -> None:
        workday = self.model_workdays[workday_id]
        self.change_invoice(invoice_id, workday.employee_id, workday.period)

    @rule(
        invoice_id=invoices,
        employee_id=st.one_of(st.none(), employees),
        period=st.one_of(st.none(), st.sampled_from(MONTHS)),
    )
    def change_invoice(
        self, invoice_id: UUID, employee_id: UUID | None, period: YearMonth | None
    ) -> None:
        """Move an invoice to another month or employee (None keeps what it has)."""
        current = self.model_invoices[invoice_id]
        new_employee = employee_id if employee_id is not None else current.employee_id
        new_period = period if period is not None else current.period
        holder = self.invoice_for(new_employee, new_period)
        expected = Expected.staged(
            missing=not current.active,
            invalid=new_period > YearMonth.of(TODAY) or not self.employee_active(new_employee),
            conflicts=[DuplicateInvoice] if holder not in (None, invoice_id) else [],
        )
        details = InvoiceDetails(
            year=new_period.year, month=new_period.month, employee_id=new_employee
        )
        view = self.attempt(
            "change_invoice",
            expected,
            lambda: self.app.change_invoice(invoice_id, details),
        )
        if view is None:
            return
        assert view.invoice.number.sequence == current.sequence
        if (new_employee, new_period) != (current.employee_id, current.period):
            # Totals are computed again, from the target month and today's salary.
            current.employee_id, current.period = new_employee, new_period
            current.workdays = self.month_snapshot(new_employee, new_period)
            current.salary = self.model_employees[new_employee].salary

    @rule(invoice_id=invoices)
    def delete_invoice(self, invoice_id: UUID) -> None:
        current = self.model_invoices[invoice_id]
        expected = Expected.staged(missing=not current.active)
        self.attempt("delete_invoice", expected, lambda: self.app.delete_invoice(invoice_id))
        if not expected.errors:
            current.active = False

    # --- the stored state equals the model ----------------------------------------------------

    @invariant()
    def stored_state_is_the_model(self) -> None:
        for employee_id, employee in self.model_employees.items():
            if employee.active:
                stored = self.app.get_employee(employee_id).employee
                assert (stored.email.value, stored.salary.amount) == (
                    employee.email,
                    employee.salary,
                )
            else:
                with pytest.raises(NotFound):
                    self.app.get_employee(employee_id)
        for workday_id, workday in self.model_workdays.items():
            if workday.active:
                stored_day = self.app.get_workday(workday_id).workday
                assert (stored_day.employee_id, stored_day.day, stored_day.hours.value) == (
                    workday.employee_id,
                    workday.day,
                    workday.hours,
                )
            else:
                with pytest.raises(NotFound):
                    self.app.get_workday(workday_id)
        for invoice_id, invoice in self.model_invoices.items():
            if invoice.active:
                stored_invoice = self.app.get_invoice(invoice_id).invoice
                assert (stored_invoice.employee_id, stored_invoice.period) == (
                    invoice.employee_id,
                    invoice.period,
                )
            else:
                with pytest.raises(NotFound):
                    self.app.get_invoice(invoice_id)
        assert {w.workday.id for w in self.active_workdays()} == {
            i for i, w in self.model_workdays.items() if w.active
        }
        assert {i.id for i in self.active_invoices()} == {
            i for i, inv in self.model_invoices.items() if inv.active
        }

    # --- the contract's invoice rules, on the stored state -------------------------------------

    @invariant()
    def closed_months_never_change(self) -> None:
        """(a) An active invoice's month still has the workdays it was computed from."""
        for invoice in self.active_invoices():
            page = self.app.list_workdays(WorkdayQuery(page=ALL, employee_id=invoice.employee_id))
            stored = frozenset(
                (v.workday.id, v.workday.day, v.workday.hours.value)
                for v in page.items
                if invoice.period.contains(v.workday.day)
            )
            assert stored == self.model_invoices[invoice.id].workdays

    @invariant()
    def totals_are_the_snapshot_calculation(self) -> None:
        """(b) Totals = the calculation over the snapshot's hours and salary."""
        for invoice in self.active_invoices():
            model = self.model_invoices[invoice.id]
            hours = sum((h for _, _, h in model.workdays), Decimal(0))
            totals = invoice.totals
            assert totals.salary.amount == model.salary
            assert totals.weekdays == brute_force_weekdays(model.period)
            assert totals.total_hours == hours
            assert totals.hourly_rate == expected_rate(model.salary, model.period)
            assert totals.amount.amount == expected_amount(model.salary, model.period, hours)

    @invariant()
    def one_invoice_per_employee_month_and_one_workday_per_date(self) -> None:
        """(c)"""
        months = Counter((i.employee_id, i.period) for i in self.active_invoices())
        assert all(count == 1 for count in months.values()), months
        dates = Counter((v.workday.employee_id, v.workday.day) for v in self.active_workdays())
        assert all(count == 1 for count in dates.values()), dates

    @invariant()
    def numbers_are_gapless(self) -> None:
        """(d) Every invoice ever committed, deleted ones too, in the order issued."""
        numbers = []
        with self.uow:  # a repository's `get` answers soft-deleted rows too
            for invoice_id in self.model_invoices:
                invoice = self.uow.invoices.get(invoice_id)
                assert invoice is not None
                numbers.append(str(invoice.number))
        assert numbers == [f"2024-{n:06d}" for n in range(1, len(self.model_invoices) + 1)]

    # --- helpers ------------------------------------------------------------------------------

    def active_invoices(self) -> list[Invoice]:
        return self.active_rows()[0]

    def active_workdays(self) -> list[WorkdayView]:
        return self.active_rows()[1]

    def active_rows(self) -> tuple[list[Invoice], list[WorkdayView]]:
        """The active invoices and workdays as the list use cases answer them; read again only
        after a commit (nothing else changes the store), so the invariants share one reading."""
        if self._rows is None or self._rows[0] != self.uow.commits:
            invoices = self.app.list_invoices(InvoiceQuery(page=ALL))
            workdays = self.app.list_workdays(WorkdayQuery(page=ALL))
            assert invoices.total_count == len(invoices.items)
            assert workdays.total_count == len(workdays.items)
            rows = ([v.invoice for v in invoices.items], list(workdays.items))
            self._rows = (self.uow.commits, *rows)
        return self._rows[1], self._rows[2]


def test_use_cases_keep_the_invoice_rules() -> None:
    run_state_machine_as_test(
        InvoiceMachine,
        settings=settings(max_examples=100, stateful_step_count=30, deadline=None),
    )
