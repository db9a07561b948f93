"""A new member of the accounting team, in a browser: logs in, sets up a department, a project and
an employee, types a month of hours, runs the month end, opens the invoice's PDF, mails it again,
deletes it and sees the month reopen. And the ways in that must stay shut: a wrong password, a
form without its CSRF token, a session that has ended."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, expect

from billtrack.ports.queries import InvoiceQuery, NameQuery, WorkdayQuery
from tests.web.conftest import ADMIN_EMAIL, Site, Tab, new_tab, running_site

Form = dict[str, str | float | bool]
OCTOBER_WEEKDAYS = [
    date(2024, 10, day) for day in range(1, 32) if date(2024, 10, day).weekday() < 5
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("journey")) as running:
        yield running


@pytest.fixture
def tab(browser: Browser, site: Site, artifacts: Path, axe_script: Path) -> Iterator[Tab]:
    opened = new_tab(browser, site, artifacts, axe_script)
    yield opened
    opened.page.context.close()


def test_a_new_user_invoices_a_month_and_reopens_it(tab: Tab, site: Site) -> None:
    page = tab.page

    # Every page leads to the login first, and the login back to it.
    tab.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    tab.check("login")
    tab.log_in()
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    tab.check("dashboard-empty")

    # A department: an empty name is refused next to the field, then one is created.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Departments").click()
    page.get_by_role("button", name="Create department").click()
    expect(page.locator("#error-name")).to_have_text(re.compile("Name must not be empty"))
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    tab.check("department-error")
    page.get_by_label("Name", exact=True).fill("Księgowość")
    page.get_by_role("button", name="Create department").click()
    expect(page.get_by_role("status")).to_have_text("Department Księgowość created.")
    expect(page.get_by_role("rowheader", name="Księgowość")).to_be_visible()
    tab.check("departments")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    page.get_by_label("Name", exact=True).fill("Проект Аврора")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("rowheader", name="Проект Аврора")).to_be_visible()

    # An employee: the domain's messages appear next to the fields they concern.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Employees").click()
    page.get_by_role("link", name="Add an employee").click()
    page.get_by_label("First name").fill("Олена")
    page.get_by_label("Last name").fill("Ковальчук")
    page.get_by_label("E-mail address").fill("not an address")
    page.get_by_label("Monthly salary").fill("lots")
    page.get_by_role("button", name="Add employee").click()
    expect(page.locator("#error-email")).to_contain_text("E-mail address must")
    expect(page.locator("#error-salary")).to_contain_text("Monthly salary must be an amount")
    expect(page.locator("#error-department_id")).to_contain_text("Department must be chosen")
    expect(page.get_by_label("First name")).to_have_value("Олена")  # what was typed stays
    tab.check("employee-errors")
    page.get_by_label("E-mail address").fill("olena.kovalchuk@example.com")
    page.get_by_label("Monthly salary").fill("4,000.00")
    page.get_by_label("Department").select_option(label="Księgowość")
    page.get_by_label("Project").select_option(label="Проект Аврора")
    page.get_by_role("button", name="Add employee").click()
    expect(page.get_by_role("status")).to_have_text("Олена Ковальчук was added.")
    tab.check("employees")

    # A month of hours, typed into the grid: a mistake first (nothing is saved), then all.
    page.get_by_role("link", name="Timesheet of Олена Ковальчук").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("November 2024")
    page.get_by_role("link", name="← October 2024").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("October 2024")
    for day in OCTOBER_WEEKDAYS:
        page.locator(f"#h-{day.isoformat()}").fill("8")
    page.locator("#h-2024-10-31").fill("25")
    page.locator("#h-2024-10-12").fill("3,5")  # a Saturday, with a decimal comma
    # Added up as it is typed, the 25 hours left out: no day holds them.
    expect(page.locator("[data-total]")).to_have_text("179.50")
    page.get_by_role("button", name="Save hours").click()
    expect(page.locator("#error-h-2024-10-31")).to_have_text("must be more than 0 and at most 24")
    expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
    tab.check("timesheet-error")
    assert site.application.list_workdays(WorkdayQuery()).total_count == 0
    page.locator("#h-2024-10-31").fill("7.5")
    page.get_by_role("button", name="Save hours").click()
    expect(page.get_by_role("status")).to_have_text(
        "Saved: 24 logged. Олена Ковальчук has 187.00 hours in October 2024."
    )
    expect(page.locator("#h-2024-10-12")).to_have_value("3.5")
    tab.check("timesheet")

    # The month-end run, started from the invoices page, followed live until it is done.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
    expect(page.get_by_label("Month to invoice")).to_have_value("2024-10")
    page.get_by_role("button", name="Run the month end").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Month-end run")
    expect(page.locator("[data-field=summary]")).to_have_text(
        "Done: 1 invoice created, 1 PDF rendered, 1 mailed.", timeout=30_000
    )
    expect(page.locator("[data-field=skipped]")).to_have_text("0")
    tab.check("month-end-run")

    page.get_by_role("link", name="See the invoices of October 2024").click()
    row = page.get_by_role("row", name=re.compile("2024-000001"))
    expect(row).to_contain_text("Олена Ковальчук")
    expect(row).to_contain_text("187.00")
    expect(row).to_contain_text("4,065.22 EUR")  # 4000 * 187 / (23 * 8)
    expect(row).to_contain_text("Ready")
    expect(row).to_contain_text("Sent")
    tab.check("invoices")

    # The invoice, its PDF in the page and as a download.
    row.get_by_role("link", name="2024-000001").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice 2024-000001")
    frame = page.locator("iframe[title='PDF of invoice 2024-000001']")
    expect(frame).to_be_visible()
    source = frame.get_attribute("src")
    assert source is not None
    assert source.startswith("/invoices/")
    assert "/invoice-2024-000001.pdf" in source
    pdf = page.request.get(site.url + source)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")
    tab.check("invoice", with_pdf=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == "invoice-2024-000001.pdf"

    # Mailed again: the page follows the new mail until it is sent.
    assert len(list(site.mail_folder.glob("*.eml"))) == 1
    page.get_by_role("button", name="Mail again").click()
    expect(page.get_by_role("status")).to_have_text(
        "Invoice 2024-000001 is being mailed again to olena.kovalchuk@example.com."
    )
    expect(page.locator(".details").get_by_text("Sent", exact=True)).to_be_visible(timeout=15_000)
    assert len(list(site.mail_folder.glob("*.eml"))) == 2

    # The dashboard counts the month; the timesheet is locked, and says why.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    last_month = page.get_by_role("region", name=re.compile("October 2024"))
    expect(last_month).to_contain_text("187.00")
    expect(last_month).to_contain_text("4,065.22 EUR")
    tab.check("dashboard")
    page.go_back()
    page.locator(".details").get_by_role("link", name="October 2024").click()
    expect(page.locator(".locked")).to_contain_text("October 2024 is closed.")
    expect(page.locator("#h-2024-10-01")).to_be_disabled()
    expect(page.get_by_role("button", name="Save hours")).to_have_count(0)
    tab.check("timesheet-locked")

    # Deleted, the invoice reopens the month.
    page.locator(".locked").get_by_role("link", name="2024-000001").click()
    page.get_by_role("button", name="Delete invoice").click()  # the confirmation is accepted
    expect(page.get_by_role("status")).to_have_text(
        "Invoice 2024-000001 was deleted: October 2024 is open again for Олена Ковальчук."
    )
    expect(page.locator(".locked")).to_have_count(0)
    expect(page.locator("#h-2024-10-01")).to_be_enabled()
    expect(page.locator("#h-2024-10-01")).to_have_value("8")
    tab.check("timesheet-reopened")
    assert site.application.list_invoices(InvoiceQuery()).total_count == 0


def test_a_wrong_password_is_refused_with_a_message_and_no_session(tab: Tab) -> None:
    page = tab.page
    tab.goto("/login")
    tab.log_in(password="not the password")
    expect(page.get_by_role("alert")).to_have_text(
        "The e-mail address or the password is not right."
    )
    expect(page.get_by_label("E-mail address")).to_have_value(ADMIN_EMAIL)
    expect(page.get_by_label("Password")).to_have_value("")
    tab.check("login-refused")
    tab.goto("/employees")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Femployees$"))


def test_a_form_without_its_csrf_token_is_forbidden(tab: Tab, site: Site) -> None:
    page = tab.page
    tab.sign_in()
    url = site.url + "/departments"
    assert page.request.post(url, form={"name": "Forged"}, max_redirects=0).status == 403
    wrong: Form = {"name": "Forged", "csrf_token": "0" * 64}
    assert page.request.post(url, form=wrong, max_redirects=0).status == 403
    login: Form = {"email": ADMIN_EMAIL, "password": "x", "next": "/"}
    assert page.request.post(site.url + "/login", form=login, max_redirects=0).status == 403
    # A form another page builds, as a forging site would: refused, with a page that says why.
    tab.goto("/departments")
    page.evaluate(
        """() => {
          const form = document.createElement("form");
          form.method = "post";
          form.action = "/departments";
          const name = document.createElement("input");
          name.name = "name";
          name.value = "Forged";
          form.append(name);
          document.body.append(form);
          form.submit();
        }"""
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Forbidden")
    tab.check("csrf-forbidden")
    names = [str(d.name) for d in site.application.departments.list(NameQuery()).items]
    assert "Forged" not in names
    # With its token the same form goes through.
    tab.goto("/departments")
    page.get_by_label("Name", exact=True).fill("Controlling")
    page.get_by_role("button", name="Create department").click()
    expect(page.get_by_role("status")).to_have_text("Department Controlling created.")


def test_an_ended_session_leads_to_the_login_and_back_to_the_page_asked_for(
    tab: Tab, site: Site
) -> None:
    page = tab.page
    tab.sign_in()
    asked = "/invoices?period=2024-10&sort=asc"
    tab.goto(asked)
    expect(page.get_by_role("heading", name="Invoices", exact=True)).to_be_visible()
    site.clock.advance(timedelta(hours=8, minutes=1))
    try:
        tab.goto(asked)
        expect(page).to_have_url(re.compile(r"/login\?next=" + re.escape(quote(asked, safe=""))))
        expect(page.get_by_role("status")).to_have_text(
            "Your session has ended. Please log in again."
        )
        tab.check("session-ended")
        tab.log_in()
        expect(page).to_have_url(site.url + asked)
        expect(page.get_by_role("heading", name="Invoices", exact=True)).to_be_visible()
        # Logged out, the cookie no longer opens a page, even if it was kept.
        cookies = page.context.cookies()
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("status")).to_have_text("You have logged out.")
        page.context.add_cookies(cookies)  # type: ignore[arg-type]
        tab.goto("/employees")
        expect(page).to_have_url(re.compile(r"/login\?next=%2Femployees$"))
    finally:
        site.clock.advance(-timedelta(hours=8, minutes=1))


def test_a_local_next_is_followed_and_any_other_is_not(tab: Tab, site: Site) -> None:
    page = tab.page
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "/api/docs"):
        tab.goto("/login?next=" + quote(target, safe=""))
        tab.log_in()
        expect(page).to_have_url(site.url + "/")
        page.get_by_role("button", name="Log out").click()


def test_failed_logins_are_throttled_as_the_apis_are(tab: Tab, site: Site) -> None:
    """Pages and API count the same failures: ten for an account lock it for both."""
    site.application.add_user("temp@example.com", "a password for a while")
    page = tab.page
    tab.goto("/login")
    token = page.locator("input[name=csrf_token]").get_attribute("value") or ""
    wrong: Form = {
        "email": "temp@example.com",
        "password": "guess",
        "csrf_token": token,
        "next": "/",
    }
    statuses = [
        page.request.post(site.url + "/login", form=wrong, max_redirects=0).status
        for _ in range(11)
    ]
    assert statuses == [400] * 10 + [429]
    api = page.request.post(
        site.url + "/api/login",
        data={"username": "temp@example.com", "password": "a password for a while"},
    )
    assert api.status == 429
    tab.goto("/login")
    tab.log_in("temp@example.com", "a password for a while")
    expect(page.get_by_role("alert")).to_contain_text("Too many failed logins")


def test_the_accessibility_check_is_not_vacuous(tab: Tab) -> None:
    """axe really runs in these pages: a page of ours made inaccessible fails the check."""
    tab.goto("/login")
    tab.page.evaluate(
        """() => {
          const button = document.querySelector("button[type=submit]");
          button.textContent = "";
          document.querySelector("label[for=field-email]").remove();
        }"""
    )
    with pytest.raises(AssertionError, match="critical button-name") as failed:
        tab.check("axe-must-fail")
    assert "label" in str(failed.value)
