"""Every page of the interface over a company with history, checked by axe-core and photographed:
the demo company (names in Polish, Cyrillic and Greek) with half a year of invoices, a colleague
whose name is Chinese (whose PDF the builtin renderer cannot print: a failed render to attend
to), a month in progress; lists that sort and page; forms that fail and say why; and the
keyboard alone getting through the day."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from playwright.sync_api import Browser, expect

from billtrack.domain.model.invoice import InvoiceStatus
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import Hours
from billtrack.domain.model.workday import Workday
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.entrypoints.cli.demo_company import HOURS, demo_employees
from billtrack.entrypoints.worker.runner import drain
from billtrack.ports.queries import (
    EmployeeQuery,
    InvoiceQuery,
    NameQuery,
    PageRequest,
    WorkdayQuery,
)
from tests.web.conftest import NOW, Site, Tab, new_tab, running_site

TODAY = NOW.date()
OCTOBER = YearMonth(2024, 10)
NOVEMBER = YearMonth(2024, 11)
HISTORY = [YearMonth(2024, month) for month in range(7, 10)]
"""Months before October with invoices, for the dashboard's chart."""
EXTRA_PROJECTS = 24
"""Enough projects for a second page of them."""


def bulk_log(app: Application, employee_ids: list[UUID], month: YearMonth, seed: str) -> None:
    """Most weekdays of the month for each employee, in one transaction (seeding only)."""
    chance = random.Random(seed)
    last = min(month.last_day, TODAY)
    with app.new_uow() as uow:
        for employee_id in employee_ids:
            day = month.first_day
            while day <= last:
                if day.weekday() < 5 and chance.random() < 0.92:
                    uow.workdays.add(
                        Workday.log(
                            id=uuid4(),
                            employee_id=employee_id,
                            day=day,
                            hours=Hours(chance.choice(HOURS)),
                            today=TODAY,
                            now=NOW,
                        )
                    )
                day += timedelta(days=1)
        uow.commit()


def seed(app: Application) -> None:
    employees = demo_employees(app)
    departments = {str(d.name): d.id for d in app.departments.list(NameQuery()).items}
    projects = {str(p.name): p.id for p in app.projects.list(NameQuery()).items}
    ids = [e.id for e in employees]
    for month in HISTORY:
        bulk_log(app, ids, month, seed=str(month))
        app.run_month(year=month.year, month=month.month)
    bulk_log(app, ids, OCTOBER, seed=str(OCTOBER))
    app.run_month(year=OCTOBER.year, month=OCTOBER.month)
    # Joined after the runs: no invoices (and no empty ones) before October.
    li = app.create_employee(
        EmployeeDetails(
            email="li.xiaolong@example.com",
            firstname="小龍",
            lastname="李",
            salary=Decimal("5300.00"),
            department_id=departments["Engineering"],
            project_id=projects["Apollo"],
        )
    ).employee
    app.create_employee(
        EmployeeDetails(
            email="yamada.taro@example.com",
            firstname="太郎",
            lastname="山田",
            salary=Decimal("5050.00"),
            department_id=departments["Finance"],
            project_id=projects["Borealis"],
        )
    )
    # Li's October: invoiced, but the builtin renderer cannot print his name.
    bulk_log(app, [li.id], OCTOBER, seed="li")
    app.create_invoice(InvoiceDetails(year=2024, month=10, employee_id=li.id))
    # November so far, for most of the team (Yamada has not logged anything yet).
    bulk_log(app, [*ids[:9], li.id], NOVEMBER, seed="november")
    for number in range(1, EXTRA_PROJECTS + 1):
        app.projects.create(f"Client project {number:02d}")
    drain(app)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("every-page"), seed) as running:
        yield running


@pytest.fixture(scope="module")
def tab(browser: Browser, site: Site, artifacts: Path, axe_script: Path) -> Iterator[Tab]:
    """One signed-in tab for the whole module: these tests look, and change little."""
    opened = new_tab(browser, site, artifacts, axe_script)
    opened.goto("/login")
    opened.check("login")
    opened.sign_in()
    yield opened
    opened.page.context.close()


def employee_named(site: Site, name: str) -> UUID:
    found = site.application.list_employees(EmployeeQuery(name=name)).items
    assert len(found) == 1, name
    return found[0].employee.id


def invoice_of(site: Site, employee_id: UUID, month: YearMonth) -> UUID:
    query = InvoiceQuery(employee_id=employee_id, year=month.year, month=month.month)
    (view,) = site.application.list_invoices(query).items
    return view.invoice.id


def test_the_dashboard_shows_both_months_the_chart_and_what_needs_attention(tab: Tab) -> None:
    page = tab.page
    tab.goto("/")
    this_month = page.get_by_role("region", name=re.compile("November 2024"))
    expect(this_month).to_contain_text("by 10 of 14 employees")
    last_month = page.get_by_role("region", name=re.compile("October 2024"))
    expect(last_month).to_contain_text("13 invoices, 12 mailed")
    expect(last_month).to_contain_text("PDF ready: 12")
    expect(last_month).to_contain_text("Failed: 1")
    attention = page.get_by_role("region", name="Needs attention")
    expect(attention).to_contain_text("PDF of invoice 2024-000049 failed")
    expect(attention).to_contain_text("小龍 李")
    expect(attention).to_contain_text("logged no hours in November 2024")
    expect(attention.get_by_role("link", name="太郎 山田")).to_have_count(2)  # both months
    chart = page.get_by_role("img", name="Invoiced totals by month")
    expect(chart).to_be_visible()
    expect(chart.locator(".bar rect")).to_have_count(12)
    page.get_by_text("Show the figures as a table").click()
    expect(page.get_by_role("row", name=re.compile("^October 2024"))).to_be_visible()
    tab.check("dashboard")


def test_the_timesheets_list_everyone_with_their_hours(tab: Tab) -> None:
    tab.goto("/timesheet")
    expect(tab.page.get_by_role("rowheader", name="Γιώργος Παπαδόπουλος")).to_be_visible()
    expect(tab.page.get_by_role("link", name="太郎 山田, November 2024: no hours")).to_be_visible()
    tab.check("timesheets")


def test_a_month_in_progress_and_a_closed_one(tab: Tab, site: Site) -> None:
    page = tab.page
    zofia = employee_named(site, "Łukasiewicz")
    tab.goto(f"/employees/{zofia}/timesheet/2024-11")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zofia Łukasiewicz · November 2024")
    expect(page.locator("#h-2024-11-16")).to_be_disabled()  # after today
    expect(page.locator("td.today")).to_contain_text("15")
    tab.check("timesheet-november")
    page.get_by_role("link", name="← October 2024").click()
    expect(page.locator(".locked")).to_contain_text("October 2024 is closed.")
    tab.check("timesheet-october-locked")


def test_a_timesheet_refuses_what_are_not_hours_and_saves_nothing(tab: Tab, site: Site) -> None:
    page = tab.page
    dmytro = employee_named(site, "Шевченко")
    tab.goto(f"/employees/{dmytro}/timesheet/2024-11")
    before = page.locator("#h-2024-11-04").input_value()
    page.locator("#h-2024-11-04").fill("acht")
    page.locator("#h-2024-11-05").fill("7.555")
    page.get_by_role("button", name="Save hours").click()
    expect(page.locator("#error-h-2024-11-04")).to_have_text(
        "must be a number of hours, such as 7.5"
    )
    expect(page.locator("#error-h-2024-11-05")).to_have_text("must have at most 2 decimal places")
    tab.check("timesheet-errors")
    tab.goto(f"/employees/{dmytro}/timesheet/2024-11")
    expect(page.locator("#h-2024-11-04")).to_have_value(before)


def test_one_bad_day_leaves_the_whole_month_as_it_was(tab: Tab, site: Site) -> None:
    """Days 1 to 16 typed anew, one of them emptied, and day 17 wrong: the mistake is shown next
    to day 17, and not one day was saved, until it is put right and all are saved at once."""
    page = tab.page
    app, yamada = site.application, employee_named(site, "山田")
    app.save_timesheet(yamada, OCTOBER, {date(2024, 10, d): Decimal("6") for d in (1, 2, 3)})
    try:
        tab.goto(f"/employees/{yamada}/timesheet/2024-10")
        for day in range(1, 17):
            page.locator(f"#h-2024-10-{day:02d}").fill("8")
        page.locator("#h-2024-10-03").fill("")
        page.locator("#h-2024-10-17").fill("24.5")
        page.get_by_role("button", name="Save hours").click()
        expect(page.locator("#error-h-2024-10-17")).to_have_text(
            "must be more than 0 and at most 24"
        )
        expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
        expect(page.locator("#h-2024-10-16")).to_have_value("8")  # kept, to be saved with the fix
        tab.check("timesheet-one-bad-day")
        assert month_hours(site, yamada, OCTOBER) == dict.fromkeys((1, 2, 3), Decimal("6.00"))
        page.locator("#h-2024-10-17").fill("7.5")
        page.get_by_role("button", name="Save hours").click()
        expect(page.get_by_role("status")).to_have_text(
            "Saved: 14 logged, 2 changed, 1 removed. 太郎 山田 has 127.50 hours in October 2024."
        )
        assert sorted(month_hours(site, yamada, OCTOBER)) == [1, 2, *range(4, 18)]
    finally:
        # The rest of the module sees Yamada's October as it was: without hours.
        days = [date(2024, 10, d) for d in range(1, 32)]
        app.save_timesheet(yamada, OCTOBER, dict.fromkeys(days))


def month_hours(site: Site, employee_id: UUID, month: YearMonth) -> dict[int, Decimal]:
    query = WorkdayQuery(page=PageRequest(1, 100), employee_id=employee_id)
    return {
        w.workday.day.day: w.workday.hours.value
        for w in site.application.list_workdays(query).items
        if month.contains(w.workday.day)
    }


def test_employees_filter_and_sort(tab: Tab, site: Site) -> None:
    page = tab.page
    tab.goto("/employees")
    names = page.locator("tbody th .name")
    expect(names).to_have_count(14)
    expect(names.first).to_have_text("Dijkstra, Edsger")
    page.get_by_role("link", name=re.compile("^Name")).click()
    expect(names.first).to_have_text("李, 小龍")  # descending: CJK, Cyrillic, Greek, Latin
    tab.check("employees-descending")
    page.get_by_label("Department").select_option(label="Finance")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"department=.*sort=desc"))
    expect(names).to_have_count(5)
    page.get_by_label("Name contains").fill("ΠΑΠΑ")  # case-insensitive, in Greek
    page.get_by_role("button", name="Filter").click()
    expect(names).to_have_text(["Παπαδόπουλος, Γιώργος"])
    tab.check("employees-filtered")


def test_an_employee_is_changed_with_the_rules_shown_at_the_fields(tab: Tab, site: Site) -> None:
    page = tab.page
    radia = employee_named(site, "Perlman")
    tab.goto(f"/employees/{radia}")
    page.get_by_label("E-mail address").fill("ada.lovelace@example.com")  # Ada's
    page.get_by_label("Monthly salary").fill("4000.001")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#error-salary")).to_have_text(
        "Error: Monthly salary must have at most 2 decimal places."
    )
    page.get_by_label("Monthly salary").fill("4100")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#error-email")).to_have_text(
        "Error: Another active employee has the e-mail address ada.lovelace@example.com."
    )
    tab.check("employee-edit-errors")
    page.get_by_label("E-mail address").fill("radia.perlman@example.com")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Radia Perlman was saved.")
    assert site.application.get_employee(radia).employee.salary.amount == Decimal("4100.00")


def test_a_department_in_use_is_not_deleted_and_says_why(tab: Tab) -> None:
    page = tab.page
    tab.goto("/departments")
    expect(page.get_by_role("row", name=re.compile("^Finance"))).to_contain_text("5")
    tab.check("departments")
    page.get_by_role("link", name="Edit Finance").click()
    page.get_by_role("button", name="Delete Finance").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Finance still has active employees: move them to another department (or delete them) "
        "before deleting it."
    )
    tab.check("department-in-use")
    page.get_by_label("Name", exact=True).fill("Finance & Controlling")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Department Finance & Controlling saved.")


def test_projects_page_and_an_unused_one_is_deleted(tab: Tab, site: Site) -> None:
    page = tab.page
    tab.goto("/projects")
    expect(page.get_by_text("27 projects · page 1 of 2")).to_be_visible()
    rows = page.locator("tbody th .name")
    expect(rows).to_have_count(20)
    page.get_by_role("link", name="Next →").click()
    expect(page.get_by_text("page 2 of 2")).to_be_visible()
    expect(rows).to_have_count(7)
    expect(rows.last).to_have_text("Client project 24")
    tab.check("projects-page-2")
    page.get_by_role("link", name="Edit Client project 24").click()
    page.get_by_role("button", name="Delete Client project 24").click()
    expect(page.get_by_role("status")).to_have_text("Project Client project 24 deleted.")
    names = [str(p.name) for p in site.application.projects.list(NameQuery()).items]
    assert "Client project 24" not in names


def test_invoices_list_with_statuses(tab: Tab) -> None:
    page = tab.page
    tab.goto("/invoices?period=2024-10")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(13)
    failed = page.get_by_role("row", name=re.compile("2024-000049"))
    expect(failed).to_contain_text("Failed")
    expect(failed).to_contain_text("Not sent")
    tab.check("invoices-october")


def test_an_invoice_with_its_pdf_and_a_failed_one(tab: Tab, site: Site) -> None:
    page = tab.page
    ada = employee_named(site, "Lovelace")
    tab.goto(f"/invoices/{invoice_of(site, ada, OCTOBER)}")
    expect(page.locator("iframe.pdf-frame")).to_be_visible()
    tab.check("invoice", with_pdf=True)
    li = employee_named(site, "李")
    tab.goto(f"/invoices/{invoice_of(site, li, OCTOBER)}")
    expect(page.get_by_text("The PDF could not be rendered.")).to_be_visible()
    expect(page.get_by_role("button", name="Mail again")).to_have_count(0)
    tab.check("invoice-failed")
    # Moving it to another employee renders it again, with a name the renderer can print.
    page.get_by_label("Employee").select_option(label="Radia Perlman")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#error-month")).to_contain_text(
        "Radia Perlman already has an invoice for October 2024"
    )
    tab.check("invoice-change-refused")
    # Rendered again, it fails again (the same name), and the page follows it there.
    page.get_by_role("button", name="Render again").click()
    expect(page.get_by_role("status")).to_have_text(
        "The PDF of invoice 2024-000049 is being rendered again."
    )
    expect(page.get_by_text("The PDF could not be rendered.")).to_be_visible(timeout=15_000)


def test_the_month_end_run_shows_its_progress(tab: Tab, site: Site) -> None:
    page = tab.page
    tab.goto("/invoices")
    page.get_by_label("Month to invoice").fill("2024-12")
    page.get_by_role("button", name="Run the month end").click()
    expect(page.locator("#error-month")).to_contain_text("must not be after the current month")
    tab.check("month-end-run-refused")
    page.get_by_label("Month to invoice").fill("2024-11")
    page.get_by_role("button", name="Run the month end").click()
    status = page.locator("[data-field=summary]")
    expect(status).to_have_text(re.compile("^Done: 10 invoices created"), timeout=30_000)
    expect(page.locator("[data-field=skipped]")).to_have_text("4")
    tab.check("month-end-run")
    assert site.application.list_invoices(InvoiceQuery(year=2024, month=11)).total_count == 10
    views = site.application.list_invoices(InvoiceQuery(year=2024, month=11)).items
    assert sum(v.invoice.status is InvoiceStatus.FAILED for v in views) == 1  # Li again


def test_a_running_month_end_is_followed_live_until_it_is_done(tab: Tab, site: Site) -> None:
    """The run's page, opened while the run is still going, follows it without a reload and
    shows the way to its invoices once it is done."""
    page = tab.page
    app = site.application
    # Recorded but not yet worked through (the worker only picks up runs stopped for minutes).
    batch = app.start_month_run(year=2024, month=6)
    tab.goto(f"/runs/{batch.id}")
    status = page.locator("[data-field=summary]")
    expect(status).to_have_text("Invoicing 14 employees: 0 invoices so far…")
    expect(page.locator("[data-field=skipped]")).to_have_text("…")
    invoices = page.get_by_role("link", name="See the invoices of June 2024")
    expect(invoices).to_be_hidden()
    tab.check("month-end-run-running")
    page.evaluate("window.stillTheSamePage = true")
    app.continue_month_run(batch.id)  # nobody logged hours in June: all are skipped
    expect(status).to_have_text("Done: 0 invoices created, 0 PDFs rendered, 0 mailed.")
    expect(page.locator("[data-field=skipped]")).to_have_text("14")
    expect(invoices).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True  # polled, not reloaded


def test_pages_that_are_not(tab: Tab) -> None:
    page = tab.page
    tab.goto("/no/such/page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not Found")
    tab.check("not-found")
    tab.goto(f"/invoices/{uuid4()}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not Found")
    expect(page.get_by_text("This invoice does not exist, or was deleted.")).to_be_visible()
    response = page.request.get(tab.site.url + "/api/no-such-route")
    assert response.status == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_keyboard_alone_logs_in_and_saves_a_day(
    browser: Browser, site: Site, artifacts: Path, axe_script: Path
) -> None:
    keys = new_tab(browser, site, artifacts, axe_script)
    page = keys.page
    try:
        keys.goto("/login")
        expect(page.get_by_label("E-mail address")).to_be_focused()
        page.keyboard.type("accounts@example.com")
        page.keyboard.press("Tab")
        page.keyboard.type("correct horse battery staple")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        assert (skip.bounding_box() or {"y": -1})["y"] >= 0  # shown when focused
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"
        keys.check("keyboard-focus")
        yamada = employee_named(site, "山田")
        keys.goto(f"/employees/{yamada}/timesheet/2024-11")
        page.locator("#h-2024-11-13").focus()
        page.keyboard.type("8")
        page.keyboard.press("Tab")
        expect(page.locator("#h-2024-11-14")).to_be_focused()  # the next day, in reading order
        page.keyboard.type("6,5")
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_have_text(
            "Saved: 2 logged. 太郎 山田 has 14.50 hours in November 2024."
        )
        keys.check("timesheet-by-keyboard")
    finally:
        page.context.close()


def test_the_day_after_today_cannot_be_typed(tab: Tab, site: Site) -> None:
    """What the page disables, a forged form cannot log either."""
    page = tab.page
    yamada = employee_named(site, "山田")
    tab.goto(f"/employees/{yamada}/timesheet/2024-11")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    response = page.request.post(
        f"{site.url}/employees/{yamada}/timesheet/2024-11",
        form={"csrf_token": token or "", f"h-{tomorrow}": "8", f"was-{tomorrow}": ""},
        max_redirects=0,
    )
    assert response.status == 400
    assert "must not be after today (2024-11-15)" in response.text()
    assert date.fromisoformat(tomorrow) > TODAY
