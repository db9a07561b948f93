"""Invoices, route by route: totals, numbers, the PDF's life and its download link."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from billtrack.entrypoints.worker.runner import drain
from tests.api.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api
from tests.api.helpers import (
    assert_invalid,
    created,
    employee_body,
    exact,
    listed,
    listed_ids,
    make_employee,
    make_invoice,
    make_workday,
    problem,
    validation_errors,
)

INVOICE_KEYS = {
    "id",
    "month",
    "year",
    "employeeId",
    "employee",
    "hasInvoiceUrl",
    "isUrlReady",
    "number",
    "status",
    "error",
    "totalHours",
    "hourlyRate",
    "amount",
    "createdAt",
    "generatedAt",
    # The contract's extensions for the mail of the PDF.
    "mailStatus",
    "mailError",
    "mailedAt",
}
PUBLIC_ORIGIN = "http://127.0.0.1/api/files/"


# --- the contract's example ------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """The contract's example: 4000.00 a month, two days of 8 hours in October 2024, invoiced."""

    employee: dict[str, Any]
    response: httpx.Response
    invoice: dict[str, Any]
    path: str
    body: dict[str, Any]
    """A PUT body for the invoice (without its id)."""


def contract_example(api: httpx.Client) -> Example:
    employee = make_employee(api, salary="4000.00")
    make_workday(api, employee["id"], "2024-10-01", 8)
    make_workday(api, employee["id"], "2024-10-02", 8)
    body = {"month": 10, "year": 2024, "employeeId": employee["id"]}
    response = api.post("/invoices", json=body)
    invoice = created(response, "invoices")
    return Example(employee, response, invoice, f"/invoices/{invoice['id']}", body)


def test_the_contract_example_is_invoiced_as_the_contract_shows(api: httpx.Client) -> None:
    example = contract_example(api)
    invoice, response = example.invoice, example.response
    assert set(invoice) == INVOICE_KEYS
    assert invoice["id"] == str(uuid.UUID(invoice["id"]))
    assert (invoice["month"], invoice["year"]) == (10, 2024)
    assert invoice["employee"] == example.employee
    assert invoice["number"] == "2024-000001"
    assert (invoice["status"], invoice["error"]) == ("pending", None)
    assert invoice["hasInvoiceUrl"] is False
    assert invoice["isUrlReady"] is False
    assert invoice["createdAt"].startswith("2024-11-15T12:00:00")
    assert invoice["generatedAt"] is None
    # The numbers keep their decimal places on the wire.
    assert '"totalHours":16.00' in response.text
    assert '"hourlyRate":21.7391' in response.text
    assert '"amount":347.83' in response.text
    totals = exact(response)
    assert (totals["totalHours"], totals["hourlyRate"], totals["amount"]) == (
        Decimal("16.00"),
        Decimal("21.7391"),
        Decimal("347.83"),
    )
    assert api.get(example.path).json() == invoice
    assert listed(api, "/invoices")["items"] == [invoice]


def test_there_is_no_download_link_while_the_pdf_is_pending(api: httpx.Client) -> None:
    example = contract_example(api)
    # No download link while the PDF is pending: 409 with the status in the detail.
    not_ready = problem(api.get(f"{example.path}/pre-signed-url"), 409)
    assert "pending" in not_ready["detail"]


def test_the_rendered_pdf_makes_the_invoice_generated(running_api: Api) -> None:
    api = running_api.client
    example = contract_example(api)
    drain(running_api.application)

    ready = api.get(example.path)
    assert ready.status_code == 200
    generated = ready.json()
    assert (generated["status"], generated["error"]) == ("generated", None)
    assert generated["isUrlReady"] is True
    assert generated["hasInvoiceUrl"] is True
    assert generated["generatedAt"] is not None
    assert generated["number"] == "2024-000001"
    assert '"amount":347.83' in ready.text
    assert '"totalHours":16.00' in ready.text
    listed_invoice = listed(api, "/invoices")["items"][0]
    assert listed_invoice["isUrlReady"] is True
    assert listed_invoice["hasInvoiceUrl"] is True
    assert listed_invoice == generated


def test_totals_are_a_snapshot(running_api: Api) -> None:
    api = running_api.client
    example = contract_example(api)
    drain(running_api.application)
    # Totals are a snapshot: a later salary change does not rewrite the invoice.
    raise_ = api.put(
        f"/employees/{example.employee['id']}",
        json=employee_body(example.employee, salary="8000.00"),
    )
    assert raise_.status_code == 200, raise_.text
    after_raise = api.get(example.path)
    assert '"amount":347.83' in after_raise.text
    assert '"hourlyRate":21.7391' in after_raise.text


def download_link(running_api: Api) -> tuple[str, str]:
    """The rendered contract example's download link, and the same link on the served origin."""
    example = contract_example(running_api.client)
    drain(running_api.application)
    link = running_api.client.get(f"{example.path}/pre-signed-url")
    assert link.status_code == 200, link.text
    assert link.headers["Content-Type"].startswith("application/json")
    url = link.json()
    assert isinstance(url, str)
    assert url.startswith(PUBLIC_ORIGIN)
    return url, url.replace("http://127.0.0.1", running_api.base_url, 1)


@pytest.mark.sockets
def test_the_download_link_opens_the_pdf_without_a_token(running_api: Api) -> None:
    _, local_url = download_link(running_api)
    download = httpx.get(local_url)  # no token: the signature is the permission
    assert download.status_code == 200, download.text
    assert download.headers["Content-Type"].startswith("application/pdf")
    assert download.content.startswith(b"%PDF-")
    assert running_api.anonymous.get(local_url).content == download.content


@pytest.mark.sockets
def test_a_tampered_download_link_is_refused(running_api: Api) -> None:
    _, local_url = download_link(running_api)
    tampered = local_url[:-1] + ("0" if local_url[-1] != "0" else "1")
    problem(httpx.get(tampered), 403)


@pytest.mark.sockets
def test_a_download_link_expires_and_a_new_one_works(running_api: Api) -> None:
    _, local_url = download_link(running_api)
    running_api.clock.advance(timedelta(minutes=14))
    assert httpx.get(local_url).status_code == 200
    running_api.clock.advance(timedelta(minutes=2))  # 16 minutes after the link was made
    problem(httpx.get(local_url), 403)
    # A new link works again.
    [invoice] = listed(running_api.client, "/invoices")["items"]
    fresh = running_api.client.get(f"/invoices/{invoice['id']}/pre-signed-url").json()
    assert httpx.get(fresh.replace("http://127.0.0.1", running_api.base_url, 1)).status_code == 200


def test_unknown_ids_are_404_and_malformed_ones_400(api: httpx.Client) -> None:
    body = contract_example(api).body
    # Unknown ids are a 404, malformed ones a 400 under `id`.
    unknown = str(uuid.uuid4())
    problem(api.get(f"/invoices/{unknown}"), 404)
    problem(api.put(f"/invoices/{unknown}", json=body), 404)
    problem(api.delete(f"/invoices/{unknown}"), 404)
    problem(api.get(f"/invoices/{unknown}/pre-signed-url"), 404)
    for malformed in ["invoice", "2024-000001"]:
        assert_invalid(api.get(f"/invoices/{malformed}"), "id")
        assert_invalid(api.put(f"/invoices/{malformed}", json=body), "id")
        assert_invalid(api.delete(f"/invoices/{malformed}"), "id")
        assert_invalid(api.get(f"/invoices/{malformed}/pre-signed-url"), "id")


def test_delete_answers_204_then_the_invoice_is_gone(api: httpx.Client) -> None:
    example = contract_example(api)
    path, invoice = example.path, example.invoice
    # DELETE: 204, then 404 everywhere and not listed.
    deleted = api.delete(path)
    assert (deleted.status_code, deleted.content) == (204, b"")
    problem(api.get(path), 404)
    problem(api.get(f"{path}/pre-signed-url"), 404)
    problem(api.put(path, json={**example.body, "id": invoice["id"]}), 404)
    problem(api.delete(path), 404)
    assert invoice["id"] not in listed_ids(api, "/invoices")
    assert listed(api, "/invoices")["totalCount"] == 0


def test_deleting_an_invoice_opens_its_month_again(api: httpx.Client) -> None:
    example = contract_example(api)
    employee = example.employee
    raise_ = api.put(f"/employees/{employee['id']}", json=employee_body(employee, salary="8000.00"))
    assert raise_.status_code == 200, raise_.text
    assert api.delete(example.path).status_code == 204
    # The month is open again: workdays change, and a new invoice gets the next number.
    make_workday(api, employee["id"], "2024-10-03", 8)
    again = api.post("/invoices", json=example.body)
    assert created(again, "invoices")["number"] == "2024-000002"
    assert '"totalHours":24.00' in again.text
    assert '"amount":1043.48' in again.text  # 8000.00 * 24 / 184, with the salary of today


# --- amounts ---------------------------------------------------------------------------------


def test_amounts_are_rounded_once_half_away_from_zero(api: httpx.Client) -> None:
    # The contract's example: salary 1005.00, a month of 21 weekdays (February 2024), 119 hours,
    # weekend days included: 1005 * 119 / 168 = 711.875, which is 711.88 (the original: 711.87).
    employee = make_employee(api, salary="1005.00")
    for day in ["2024-02-01", "2024-02-02", "2024-02-03", "2024-02-04", "2024-02-05"]:
        make_workday(api, employee["id"], day, "23.80")
    response = api.post("/invoices", json={"month": 2, "year": 2024, "employeeId": employee["id"]})
    created(response, "invoices")
    assert '"totalHours":119.00' in response.text
    assert '"hourlyRate":5.9821' in response.text
    assert '"amount":711.88' in response.text


def test_hours_with_cents_are_invoiced_to_the_cent(api: httpx.Client) -> None:
    # Hours with cents: 4000.00 * 7.26 / 168 (November 2024 has 21 weekdays) = 172.857...
    other = make_employee(api, salary="4000.00")
    make_workday(api, other["id"], "2024-11-01", "7.25")
    make_workday(api, other["id"], "2024-11-02", "0.01")
    response = api.post("/invoices", json={"month": 11, "year": 2024, "employeeId": other["id"]})
    created(response, "invoices")
    assert '"totalHours":7.26' in response.text
    assert '"hourlyRate":23.8095' in response.text
    assert '"amount":172.86' in response.text


# --- field rules -----------------------------------------------------------------------------

BAD_FIELDS: list[tuple[str, Any, str]] = [
    ("month", 13, "month"),
    ("month", 0, "month"),
    ("month", -1, "month"),
    ("month", "13", "month"),
    ("month", 10.5, "month"),
    ("month", "ten", "month"),
    ("month", "", "month"),
    ("month", True, "month"),
    ("month", None, "month"),
    ("year", 1999, "year"),
    ("year", "1999", "year"),
    ("year", 0, "year"),
    ("year", "twenty", "year"),
    ("year", None, "year"),
    ("year", 2025, "month"),  # a month after the current one, reported under month
    ("month", 12, "month"),  # December 2024: the current month is November
    ("employeeId", str(uuid.uuid4()), "employeeId"),
    ("employeeId", "not-a-uuid", "employeeId"),
    ("employeeId", None, "employeeId"),
]


def test_each_broken_rule_is_a_400_under_its_field(api: httpx.Client) -> None:
    employee = make_employee(api)
    valid: dict[str, Any] = {"month": 10, "year": 2024, "employeeId": employee["id"]}
    existing = make_invoice(api, employee["id"], 1, 2020)
    for field, value, reported in BAD_FIELDS:
        body = {**valid, field: value}
        assert_invalid(api.post("/invoices", json=body), reported)
        assert_invalid(api.put(f"/invoices/{existing['id']}", json=body), reported)
    assert api.get(f"/invoices/{existing['id']}").json() == existing
    assert listed(api, "/invoices")["totalCount"] == 1


def test_every_missing_field_is_named_and_broken_rules_are_reported_together(
    api: httpx.Client,
) -> None:
    errors = validation_errors(api.post("/invoices", json={}))
    assert set(errors) == {"month", "year", "employeeId"}
    errors = validation_errors(
        api.post("/invoices", json={"month": 13, "year": 1999, "employeeId": str(uuid.uuid4())})
    )
    assert set(errors) == {"month", "year", "employeeId"}


def test_the_current_month_may_be_invoiced_and_numbers_count_up(api: httpx.Client) -> None:
    employee = make_employee(api)
    valid: dict[str, Any] = {"month": 10, "year": 2024, "employeeId": employee["id"]}
    make_invoice(api, employee["id"], 1, 2020)
    # The current month may be invoiced; a month without workdays has zero totals.
    response = api.post("/invoices", json={**valid, "month": 11})
    current = created(response, "invoices")
    assert (current["month"], current["year"]) == (11, 2024)
    assert '"totalHours":0.00' in response.text
    assert '"amount":0.00' in response.text
    first = created(api.post("/invoices", json={**valid, "month": 1, "year": 2000}), "invoices")
    assert (first["month"], first["year"]) == (1, 2000)
    # Numbers count up without gaps, in the year the invoices are issued.
    numbers = sorted(i["number"] for i in listed(api, "/invoices")["items"])
    assert numbers == ["2024-000001", "2024-000002", "2024-000003"]


def test_the_current_month_is_the_requests_and_numbers_start_again_each_year(
    running_api: Api,
) -> None:
    api = running_api.client
    employee = make_employee(api)
    valid: dict[str, Any] = {"month": 10, "year": 2024, "employeeId": employee["id"]}
    assert make_invoice(api, employee["id"], 1, 2020)["number"] == "2024-000001"
    # "The current month" is evaluated at each request, and numbers start again each year.
    running_api.clock.set(datetime(2025, 1, 1, 0, 0, 1, tzinfo=UTC))
    login = running_api.anonymous.post(
        "/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    api.headers["Authorization"] = f"Bearer {login.json()['jwtToken']}"
    december = created(api.post("/invoices", json={**valid, "month": 12}), "invoices")
    assert december["number"] == "2025-000001"
    january = created(api.post("/invoices", json={**valid, "month": 1, "year": 2025}), "invoices")
    assert january["number"] == "2025-000002"
    response = api.post("/invoices", json={**valid, "month": 2, "year": 2025})
    assert_invalid(response, "month")


def test_a_year_far_in_the_future_is_reported_under_month(api: httpx.Client) -> None:
    employee = make_employee(api)
    valid: dict[str, Any] = {"month": 10, "year": 2024, "employeeId": employee["id"]}
    # A year far in the future is a month after the current one: reported under `month`.
    response = api.post("/invoices", json={**valid, "year": 10000})
    assert "month" in validation_errors(response), response.text


# --- duplicates and moving an invoice ----------------------------------------------------------


@dataclass(frozen=True)
class Invoiced:
    """Ada (4000.00) with workdays on 1 and 2 October and 2 September 2024, invoiced for
    October (number 1) and August (3); Grace (3000.00) for October (2)."""

    ada: dict[str, Any]
    grace: dict[str, Any]
    invoice: dict[str, Any]
    """Ada's October."""
    path: str
    other: dict[str, Any]
    august: dict[str, Any]


def invoiced(api: httpx.Client) -> Invoiced:
    ada = make_employee(api, salary=4000)
    grace = make_employee(api, salary="3000.00")
    make_workday(api, ada["id"], "2024-10-01", 8)
    make_workday(api, ada["id"], "2024-10-02", 8)
    make_workday(api, ada["id"], "2024-09-02", 8)
    invoice = make_invoice(api, ada["id"], 10, 2024)
    other = make_invoice(api, grace["id"], 10, 2024)
    august = make_invoice(api, ada["id"], 8, 2024)
    return Invoiced(ada, grace, invoice, f"/invoices/{invoice['id']}", other, august)


def test_one_active_invoice_per_employee_and_month(api: httpx.Client) -> None:
    ada = make_employee(api, salary=4000)
    make_invoice(api, ada["id"], 10, 2024)
    duplicate = {"month": 10, "year": 2024, "employeeId": ada["id"]}
    problem(api.post("/invoices", json=duplicate), 409)
    problem(api.post("/invoices", json={**duplicate, "month": "10", "year": "2024"}), 409)


def test_a_put_of_the_same_month_and_employee_changes_nothing(running_api: Api) -> None:
    api = running_api.client
    made = invoiced(api)
    drain(running_api.application)
    generated = api.get(made.path).json()
    assert generated["isUrlReady"] is True

    # The same month and employee again changes nothing: the stored PDF stays.
    running_api.clock.advance(timedelta(minutes=5))
    same = api.put(
        made.path,
        json={"id": made.invoice["id"], "month": 10, "year": 2024, "employeeId": made.ada["id"]},
    )
    assert same.status_code == 200, same.text
    assert same.json() == generated
    assert api.get(f"{made.path}/pre-signed-url").status_code == 200


def test_a_refused_move_leaves_the_invoice_as_it_was(running_api: Api) -> None:
    api = running_api.client
    made = invoiced(api)
    drain(running_api.application)
    invoice_id, ada_id = made.invoice["id"], made.ada["id"]
    # Moving onto a month the employee already has an invoice for: 409.
    problem(
        api.put(made.path, json={"id": invoice_id, "month": 8, "year": 2024, "employeeId": ada_id}),
        409,
    )
    assert_invalid(
        api.put(
            made.path,
            json={"id": str(uuid.uuid4()), "month": 9, "year": 2024, "employeeId": ada_id},
        ),
        "id",
    )
    assert_invalid(
        api.put(
            made.path, json={"id": invoice_id, "month": 12, "year": 2024, "employeeId": ada_id}
        ),
        "month",
    )
    assert api.get(made.path).json()["isUrlReady"] is True


def move_to_september(api: httpx.Client, made: Invoiced) -> httpx.Response:
    return api.put(
        made.path,
        json={"id": made.invoice["id"], "month": 9, "year": 2024, "employeeId": made.ada["id"]},
    )


def test_a_moved_invoice_keeps_its_number_with_new_totals_and_a_new_pdf_owed(
    running_api: Api,
) -> None:
    api = running_api.client
    made = invoiced(api)
    invoice, path = made.invoice, made.path
    drain(running_api.application)
    # To September 2024 (21 weekdays): same number, new totals, a new PDF owed.
    moved = move_to_september(api, made)
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert set(body) == INVOICE_KEYS
    assert (body["id"], body["number"]) == (invoice["id"], invoice["number"])
    assert (body["month"], body["year"]) == (9, 2024)
    assert (body["status"], body["isUrlReady"], body["hasInvoiceUrl"]) == ("pending", False, False)
    assert body["createdAt"] == invoice["createdAt"]  # not reset by a PUT
    assert '"totalHours":8.00' in moved.text
    assert '"hourlyRate":23.8095' in moved.text
    assert '"amount":190.48' in moved.text
    assert api.get(path).json() == body
    problem(api.get(f"{path}/pre-signed-url"), 409)


def test_a_moved_invoice_closes_its_new_month_and_opens_its_old_one(api: httpx.Client) -> None:
    made = invoiced(api)
    ada = made.ada
    assert move_to_september(api, made).status_code == 200
    # September is closed now, October open again.
    problem(
        api.post("/workdays", json={"date": "2024-09-03", "hours": 8, "employeeId": ada["id"]}), 409
    )
    created(
        api.post("/workdays", json={"date": "2024-10-03", "hours": 8, "employeeId": ada["id"]}),
        "workdays",
    )
    # October can be invoiced again, under a new number.
    assert make_invoice(api, ada["id"], 10, 2024)["number"] == "2024-000004"


def test_an_invoice_moved_to_another_employee_takes_their_salary_and_hours(
    running_api: Api,
) -> None:
    api = running_api.client
    made = invoiced(api)
    grace, invoice, path = made.grace, made.invoice, made.path
    # To another employee (Grace has no invoice for September): her salary, her hours.
    to_grace = api.put(path, json={"month": 9, "year": 2024, "employeeId": grace["id"]})
    assert to_grace.status_code == 200, to_grace.text
    assert to_grace.json()["employee"] == grace
    assert to_grace.json()["number"] == invoice["number"]
    assert '"totalHours":0.00' in to_grace.text
    assert '"hourlyRate":17.8571' in to_grace.text

    drain(running_api.application)
    final = api.get(path).json()
    assert (final["status"], final["isUrlReady"], final["number"]) == (
        "generated",
        True,
        "2024-000001",
    )
    assert api.get(f"{path}/pre-signed-url").status_code == 200
    assert api.get(f"/invoices/{made.other['id']}").json()["number"] == "2024-000002"
    assert api.get(f"/invoices/{made.august['id']}").json()["number"] == "2024-000003"


# --- lists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Periods:
    ada: dict[str, Any]
    grace: dict[str, Any]
    periods: set[tuple[str, int, int]]
    """(employee id, year, month) of every invoice."""


def make_periods(api: httpx.Client) -> Periods:
    ada, grace = make_employee(api), make_employee(api)
    periods = {
        (ada["id"], 2024, 10),
        (ada["id"], 2024, 9),
        (ada["id"], 2023, 12),
        (grace["id"], 2024, 10),
        (grace["id"], 2023, 1),
    }
    for employee_id, year, month in sorted(periods):
        make_invoice(api, employee_id, month, year)
    return Periods(ada, grace, periods)


def test_filters(api: httpx.Client) -> None:
    made = make_periods(api)
    ada, grace, periods = made.ada, made.grace, made.periods

    def found(**params: Any) -> set[tuple[str, int, int]]:
        page = listed(api, "/invoices", pageSize=100, **params)
        assert page["totalCount"] == len(page["items"])
        return {(i["employee"]["id"], i["year"], i["month"]) for i in page["items"]}

    assert found() == periods
    assert found(filterByEmployee=ada["id"]) == {p for p in periods if p[0] == ada["id"]}
    assert found(filterByMonth=10) == {(ada["id"], 2024, 10), (grace["id"], 2024, 10)}
    assert found(filterByYear=2023) == {(ada["id"], 2023, 12), (grace["id"], 2023, 1)}
    assert found(filterByYear=2024, filterByMonth=9) == {(ada["id"], 2024, 9)}
    assert found(filterByEmployee=grace["id"], filterByYear="2024") == {(grace["id"], 2024, 10)}
    assert found(filterByMonth=11) == set()
    assert found(filterByEmployee=str(uuid.uuid4())) == set()
    for params in [{"filterByMonth": "oct"}, {"filterByYear": "last"}, {"filterByEmployee": "ada"}]:
        assert validation_errors(api.get("/invoices", params=params))


def test_sort_by_date(api: httpx.Client) -> None:
    made = make_periods(api)
    ascending = [(2023, 1), (2023, 12), (2024, 9), (2024, 10), (2024, 10)]

    def periods_sorted(direction: str, **params: Any) -> list[tuple[int, int]]:
        page = listed(api, "/invoices", sortByDate=direction, pageSize=100, **params)
        return [(i["year"], i["month"]) for i in page["items"]]

    assert periods_sorted("asc") == ascending
    assert periods_sorted("Asc") == ascending
    assert periods_sorted("desc") == ascending[::-1]
    assert periods_sorted("DESC") == ascending[::-1]
    assert periods_sorted("newest-first") == ascending
    assert periods_sorted("desc", filterByEmployee=made.ada["id"]) == [
        (2024, 10),
        (2024, 9),
        (2023, 12),
    ]

    page = listed(api, "/invoices", sortByDate="asc", page=2, pageSize=2)
    assert [(i["year"], i["month"]) for i in page["items"]] == ascending[2:4]
    assert (page["pageNumber"], page["pageSize"], page["totalCount"]) == (2, 2, 5)
    numbers = sorted(i["number"] for i in listed(api, "/invoices")["items"])
    assert numbers == [f"2024-00000{n}" for n in range(1, 6)]


def test_filter_values_too_large_for_a_month_or_a_year_are_no_server_error(
    api: httpx.Client,
) -> None:
    make_periods(api)
    # Filter values too large for a month or a year find nothing (or are a 400), never a 500.
    failures = []
    for name, value in [
        ("filterByMonth", 10**20),
        ("filterByYear", 10**20),
        ("filterByYear", 2**31),
        ("filterByMonth", -(2**63) - 1),
    ]:
        response = api.get("/invoices", params={name: value})
        if response.status_code == 200:
            assert response.json()["items"] == []
        elif response.status_code != 400:
            failures.append((f"{name}={value}", response.status_code))
    assert failures == []
