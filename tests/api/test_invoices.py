"""Invoices, route by route: totals, numbers, the PDF's life and its download link."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from billtrack.entrypoints.worker.local import drain
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
}
PUBLIC_ORIGIN = "http://127.0.0.1/api/files/"


def test_the_contract_example_end_to_end(running_api: Api) -> None:
    api = running_api.client
    employee = make_employee(api, salary="4000.00")
    make_workday(api, employee["id"], "2024-10-01", 8)
    make_workday(api, employee["id"], "2024-10-02", 8)

    response = api.post("/invoices", json={"month": 10, "year": 2024, "employeeId": employee["id"]})
    invoice = created(response, "invoices")
    assert set(invoice) == INVOICE_KEYS
    assert invoice["id"] == str(uuid.UUID(invoice["id"]))
    assert (invoice["month"], invoice["year"]) == (10, 2024)
    assert invoice["employee"] == employee
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
    path = f"/invoices/{invoice['id']}"
    assert api.get(path).json() == invoice
    assert listed(api, "/invoices")["items"] == [invoice]

    # No download link while the PDF is pending: 409 with the status in the detail.
    not_ready = problem(api.get(f"{path}/pre-signed-url"), 409)
    assert "pending" in not_ready["detail"]

    drain(running_api.services)

    ready = api.get(path)
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

    # Totals are a snapshot: a later salary change does not rewrite the invoice.
    raise_ = api.put(f"/employees/{employee['id']}", json=employee_body(employee, salary="8000.00"))
    assert raise_.status_code == 200, raise_.text
    after_raise = api.get(path)
    assert '"amount":347.83' in after_raise.text
    assert '"hourlyRate":21.7391' in after_raise.text

    link = api.get(f"{path}/pre-signed-url")
    assert link.status_code == 200, link.text
    assert link.headers["Content-Type"].startswith("application/json")
    url = link.json()
    assert isinstance(url, str)
    assert url.startswith(PUBLIC_ORIGIN)
    local_url = url.replace("http://127.0.0.1", running_api.base_url, 1)

    download = httpx.get(local_url)  # no token: the signature is the permission
    assert download.status_code == 200, download.text
    assert download.headers["Content-Type"].startswith("application/pdf")
    assert download.content.startswith(b"%PDF-")
    assert running_api.anonymous.get(local_url).content == download.content

    tampered = local_url[:-1] + ("0" if local_url[-1] != "0" else "1")
    problem(httpx.get(tampered), 403)

    running_api.clock.advance(timedelta(minutes=14))
    assert httpx.get(local_url).status_code == 200
    running_api.clock.advance(timedelta(minutes=2))  # 16 minutes after the link was made
    problem(httpx.get(local_url), 403)
    # A new link works again.
    fresh = api.get(f"{path}/pre-signed-url").json()
    assert httpx.get(fresh.replace("http://127.0.0.1", running_api.base_url, 1)).status_code == 200

    # Unknown ids are a 404, malformed ones a 400 under `id`.
    body = {"month": 10, "year": 2024, "employeeId": employee["id"]}
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

    # DELETE: 204, then 404 everywhere and not listed.
    deleted = api.delete(path)
    assert (deleted.status_code, deleted.content) == (204, b"")
    problem(api.get(path), 404)
    problem(api.get(f"{path}/pre-signed-url"), 404)
    problem(api.put(path, json={**body, "id": invoice["id"]}), 404)
    problem(api.delete(path), 404)
    assert invoice["id"] not in listed_ids(api, "/invoices")
    assert listed(api, "/invoices")["totalCount"] == 0

    # The month is open again: workdays change, and a new invoice gets the next number.
    make_workday(api, employee["id"], "2024-10-03", 8)
    again = api.post("/invoices", json=body)
    assert created(again, "invoices")["number"] == "2024-000002"
    assert '"totalHours":24.00' in again.text
    assert '"amount":1043.48' in again.text  # 8000.00 * 24 / 184, with the salary of today


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

    # Hours with cents: 4000.00 * 7.26 / 168 (November 2024 has 21 weekdays) = 172.857...
    other = make_employee(api, salary="4000.00")
    make_workday(api, other["id"], "2024-11-01", "7.25")
    make_workday(api, other["id"], "2024-11-02", "0.01")
    response = api.post("/invoices", json={"month": 11, "year": 2024, "employeeId": other["id"]})
    created(response, "invoices")
    assert '"totalHours":7.26' in response.text
    assert '"hourlyRate":23.8095' in response.text
    assert '"amount":172.86' in response.text


def test_field_rules(running_api: Api) -> None:
    api = running_api.client
    employee = make_employee(api)
    valid: dict[str, Any] = {"month": 10, "year": 2024, "employeeId": employee["id"]}
    existing = make_invoice(api, employee["id"], 1, 2020)
    bad: list[tuple[str, Any, str]] = [
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
    for field, value, reported in bad:
        body = {**valid, field: value}
        assert_invalid(api.post("/invoices", json=body), reported)
        assert_invalid(api.put(f"/invoices/{existing['id']}", json=body), reported)
    assert api.get(f"/invoices/{existing['id']}").json() == existing
    assert listed(api, "/invoices")["totalCount"] == 1

    errors = validation_errors(api.post("/invoices", json={}))
    assert set(errors) == {"month", "year", "employeeId"}
    errors = validation_errors(
        api.post("/invoices", json={"month": 13, "year": 1999, "employeeId": str(uuid.uuid4())})
    )
    assert set(errors) == {"month", "year", "employeeId"}

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

    # A year far in the future is a month after the current one: reported under `month`.
    response = api.post("/invoices", json={**valid, "year": 10000})
    assert "month" in validation_errors(response), response.text


def test_duplicates_and_moving_an_invoice(running_api: Api) -> None:
    api = running_api.client
    ada = make_employee(api, salary=4000)
    grace = make_employee(api, salary="3000.00")
    make_workday(api, ada["id"], "2024-10-01", 8)
    make_workday(api, ada["id"], "2024-10-02", 8)
    make_workday(api, ada["id"], "2024-09-02", 8)
    invoice = make_invoice(api, ada["id"], 10, 2024)
    path = f"/invoices/{invoice['id']}"

    # One active invoice per employee and month.
    duplicate = {"month": 10, "year": 2024, "employeeId": ada["id"]}
    problem(api.post("/invoices", json=duplicate), 409)
    problem(api.post("/invoices", json={**duplicate, "month": "10", "year": "2024"}), 409)
    other = make_invoice(api, grace["id"], 10, 2024)
    august = make_invoice(api, ada["id"], 8, 2024)

    drain(running_api.services)
    generated = api.get(path).json()
    assert generated["isUrlReady"] is True

    # The same month and employee again changes nothing: the stored PDF stays.
    running_api.clock.advance(timedelta(minutes=5))
    same = api.put(
        path, json={"id": invoice["id"], "month": 10, "year": 2024, "employeeId": ada["id"]}
    )
    assert same.status_code == 200, same.text
    assert same.json() == generated
    assert api.get(f"{path}/pre-signed-url").status_code == 200

    # Moving onto a month the employee already has an invoice for: 409.
    problem(
        api.put(
            path, json={"id": invoice["id"], "month": 8, "year": 2024, "employeeId": ada["id"]}
        ),
        409,
    )
    assert_invalid(
        api.put(
            path, json={"id": str(uuid.uuid4()), "month": 9, "year": 2024, "employeeId": ada["id"]}
        ),
        "id",
    )
    assert_invalid(
        api.put(
            path, json={"id": invoice["id"], "month": 12, "year": 2024, "employeeId": ada["id"]}
        ),
        "month",
    )
    assert api.get(path).json()["isUrlReady"] is True

    # To September 2024 (21 weekdays): same number, new totals, a new PDF owed.
    moved = api.put(
        path, json={"id": invoice["id"], "month": 9, "year": 2024, "employeeId": ada["id"]}
    )
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

    # To another employee (Grace has no invoice for September): her salary, her hours.
    to_grace = api.put(path, json={"month": 9, "year": 2024, "employeeId": grace["id"]})
    assert to_grace.status_code == 200, to_grace.text
    assert to_grace.json()["employee"] == grace
    assert to_grace.json()["number"] == invoice["number"]
    assert '"totalHours":0.00' in to_grace.text
    assert '"hourlyRate":17.8571' in to_grace.text

    drain(running_api.services)
    final = api.get(path).json()
    assert (final["status"], final["isUrlReady"], final["number"]) == (
        "generated",
        True,
        "2024-000001",
    )
    assert api.get(f"{path}/pre-signed-url").status_code == 200
    assert api.get(f"/invoices/{other['id']}").json()["number"] == "2024-000002"
    assert api.get(f"/invoices/{august['id']}").json()["number"] == "2024-000003"


def test_filters_and_sort_by_date(api: httpx.Client) -> None:
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

    ascending = [(2023, 1), (2023, 12), (2024, 9), (2024, 10), (2024, 10)]

    def periods_sorted(direction: str, **params: Any) -> list[tuple[int, int]]:
        page = listed(api, "/invoices", sortByDate=direction, pageSize=100, **params)
        return [(i["year"], i["month"]) for i in page["items"]]

    assert periods_sorted("asc") == ascending
    assert periods_sorted("Asc") == ascending
    assert periods_sorted("desc") == ascending[::-1]
    assert periods_sorted("DESC") == ascending[::-1]
    assert periods_sorted("newest-first") == ascending
    assert periods_sorted("desc", filterByEmployee=ada["id"]) == [(2024, 10), (2024, 9), (2023, 12)]

    page = listed(api, "/invoices", sortByDate="asc", page=2, pageSize=2)
    assert [(i["year"], i["month"]) for i in page["items"]] == ascending[2:4]
    assert (page["pageNumber"], page["pageSize"], page["totalCount"]) == (2, 2, 5)
    numbers = sorted(i["number"] for i in listed(api, "/invoices")["items"])
    assert numbers == [f"2024-00000{n}" for n in range(1, 6)]

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
