"""Timesheets: one employee's month as a grid of days, typed in place and saved together."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from fastapi import APIRouter, Response

from billtrack.domain.model.calculation import amount_for
from billtrack.domain.model.errors import MonthClosed, ValidationFailed
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import Hours, InvalidValue
from billtrack.domain.model.views import EmployeeView, InvoiceView, WorkdayView
from billtrack.domain.usecases.workdays import TimesheetSaved
from billtrack.entrypoints.web.formats import hours_input, month_name, parse_month
from billtrack.entrypoints.web.forms import parse_amount
from billtrack.entrypoints.web.listing import (
    all_employees,
    month_invoice,
    month_workdays,
    workdays_between,
)
from billtrack.entrypoints.web.pages import (
    PageError,
    PageRoute,
    PostedForm,
    SignedIn,
    Visit,
    parse_uuid,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@dataclass
class DayCell:
    day: date
    value: str
    was: str
    weekend: bool
    future: bool
    today: bool
    errors: list[str] = field(default_factory=list)

    @property
    def logged(self) -> bool:
        return self.was != ""

    @property
    def changed(self) -> bool:
        typed, saved = parse_amount(self.value), parse_amount(self.was)
        return (self.value.strip(), self.was) != ("", "") and (typed is None or typed != saved)

    @property
    def hours(self) -> Decimal | None:
        """What the field holds, as hours (None when empty or not a number)."""
        return parse_amount(self.value) if self.value.strip() else None

    @property
    def name(self) -> str:
        return f"h-{self.day.isoformat()}"

    @property
    def was_name(self) -> str:
        return f"was-{self.day.isoformat()}"


def timesheet_url(employee_id: UUID, period: YearMonth) -> str:
    return f"/employees/{employee_id}/timesheet/{period}"


def _period(text: str) -> YearMonth:
    period = parse_month(text)
    if period is None:
        raise PageError(404, "There is no such month: months are written like 2024-10.")
    return period


def _cells(period: YearMonth, workdays: list[WorkdayView], today: date) -> dict[date, DayCell]:
    logged = {w.workday.day: w.workday.hours.value for w in workdays}
    cells = {}
    for number in range(1, period.last_day.day + 1):
        day = date(period.year, period.month, number)
        shown = hours_input(logged.get(day))
        cells[day] = DayCell(
            day=day,
            value=shown,
            was=shown,
            weekend=day.weekday() >= 5,
            future=day > today,
            today=day == today,
        )
    return cells


def _weeks(period: YearMonth, cells: dict[date, DayCell]) -> list[list[DayCell | None]]:
    """Monday-first weeks; days outside the month are None."""
    weeks: list[list[DayCell | None]] = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(period.year, period.month):
        weeks.append([cells.get(day) if period.contains(day) else None for day in week])
    return weeks


def _render(
    visit: Visit,
    employee: EmployeeView,
    period: YearMonth,
    cells: dict[date, DayCell],
    workdays: list[WorkdayView],
    invoice: InvoiceView | None,
    *,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    today = visit.app.clock.today()
    this_month = YearMonth.of(today)
    # What the fields hold: the saved hours, or what was typed when the form came back, less
    # the mistakes (a total of 77.555 hours, or one with 25 in a day, could never be saved).
    typed = [c.hours for c in cells.values() if c.hours is not None and not c.errors]
    total = sum(typed, Decimal("0.00"))
    estimate = amount_for(employee.employee.salary.amount, period, total)
    errors = {c.name: c.errors for c in cells.values() if c.errors}
    return visit.render(
        "timesheet.html",
        {
            "section": "timesheet",
            "employee": employee,
            "employees": all_employees(visit.app),
            "period": period,
            "weeks": _weeks(period, cells),
            "weekday_names": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
            "invoice": invoice,
            "total": total,
            "days_logged": len(typed),
            "expected_hours": period.working_hours(),
            "weekdays": period.weekdays(),
            "estimate": estimate,
            "currency": visit.app.issuer.currency,
            "previous": period.previous(),
            "next": period.next() if period.next() <= this_month else None,
            "errors": errors,
            "problem": problem,
            "labels": {c.name: f"{c.day.day} {month_name(period)}" for c in cells.values()},
        },
        status=status,
    )


@router.get("/timesheet")
def pick_timesheet(
    visit: SignedIn, employee: str | None = None, month: str | None = None
) -> Response:
    today = visit.app.clock.today()
    chosen, period = parse_uuid(employee), parse_month(month)
    if chosen is not None:
        return visit.redirect(timesheet_url(chosen, period or YearMonth.of(today)))
    this = YearMonth.of(today)
    last = this.previous()
    employees = all_employees(visit.app)
    hours: dict[tuple[UUID, YearMonth], Decimal] = {}
    for w in workdays_between(visit.app, last.first_day, today):
        key = (w.workday.employee_id, YearMonth.of(w.workday.day))
        hours[key] = hours.get(key, Decimal("0.00")) + w.workday.hours.value
    rows = [
        (e, hours.get((e.employee.id, this)), hours.get((e.employee.id, last))) for e in employees
    ]
    return visit.render(
        "timesheet_pick.html",
        {"section": "timesheet", "rows": rows, "this": this, "last": last},
    )


@router.get("/employees/{employee_id}/timesheet/{month}")
def timesheet(visit: SignedIn, employee_id: UUID, month: str) -> Response:
    period = _period(month)
    app = visit.app
    employee = app.get_employee(employee_id)
    workdays = month_workdays(app, employee_id, period)
    cells = _cells(period, workdays, app.clock.today())
    return _render(
        visit, employee, period, cells, workdays, month_invoice(app, employee_id, period)
    )


@router.post("/employees/{employee_id}/timesheet/{month}")
def save_timesheet(visit: SignedIn, form: PostedForm, employee_id: UUID, month: str) -> Response:
    """Every changed day of the form, saved together by `Application.save_timesheet`: typed
    hours log or change a workday, an emptied day removes it. With one mistake, nothing is
    saved, and each mistake is shown next to its day."""
    period = _period(month)
    app = visit.app
    employee = app.get_employee(employee_id)
    workdays = month_workdays(app, employee_id, period)
    invoice = month_invoice(app, employee_id, period)
    cells = _cells(period, workdays, app.clock.today())

    def refused_as_closed(invoice: InvoiceView | None) -> Response:
        problem = _closed(period, invoice)
        return _render(
            visit, employee, period, cells, workdays, invoice, problem=problem, status=409
        )

    if invoice is not None:
        return refused_as_closed(invoice)
    changes = _changed_days(form, cells)
    if not any(cell.errors for cell in cells.values()):
        try:
            saved = app.save_timesheet(employee_id, period, changes)
        except ValidationFailed as refused:
            for field, messages in refused.errors.items():
                cells[date.fromisoformat(field)].errors.extend(messages)
        except MonthClosed:
            # Closed by an invoice while the form was being typed: nothing of it was saved.
            return refused_as_closed(month_invoice(app, employee_id, period))
        else:
            return visit.redirect(
                timesheet_url(employee_id, period),
                flash=_saved_message(saved, employee, period),
            )
    return _render(
        visit,
        employee,
        period,
        cells,
        workdays,
        invoice,
        problem="Nothing was saved: please correct the days marked below.",
        status=400,
    )


def _changed_days(form: PostedForm, cells: dict[date, DayCell]) -> dict[date, Decimal | None]:
    """The hours of every day whose field differs from what the page showed (None: emptied).
    What cannot be read as hours is marked on its cell instead; the domain judges the rest."""
    changes: dict[date, Decimal | None] = {}
    for day, cell in cells.items():
        if cell.name not in form.names():
            continue  # not in the form: a day after today
        typed, was = form.text(cell.name), form.text(cell.was_name)
        cell.value = typed
        hours = parse_amount(typed) if typed else None
        if typed and hours is None:
            cell.errors.append("must be a number of hours, such as 7.5")
            continue
        if hours is not None:
            # Checked here too, so that these mistakes show beside those above at once.
            try:
                Hours(hours)
            except InvalidValue as invalid:
                cell.errors.append(str(invalid))
                continue
        if hours != (parse_amount(was) if was else None):
            changes[day] = hours
    return changes


def _closed(period: YearMonth, invoice: InvoiceView | None) -> str:
    by = f" by invoice {invoice.invoice.number}" if invoice is not None else " by an invoice"
    return f"Nothing was saved: {month_name(period)} is closed{by}."


def _saved_message(saved: TimesheetSaved, employee: EmployeeView, period: YearMonth) -> str:
    parts = [
        f"{count} {what}"
        for count, what in (
            (saved.logged, "logged"),
            (saved.changed, "changed"),
            (saved.removed, "removed"),
        )
        if count
    ]
    done = ("Saved: " + ", ".join(parts) + ". ") if parts else "Nothing had changed. "
    return (
        f"{done}{employee.employee.full_name} has {saved.total_hours} hours in "
        f"{month_name(period)}."
    )
