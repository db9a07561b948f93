"""Workdays, route by route; the server's today is 2024-11-15."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

from tests.api.conftest import Api
from tests.api.helpers import (
    assert_invalid,
    created,
    exact,
    listed,
    listed_ids,
    make_employee,
    make_invoice,
    make_workday,
    problem,
    validation_errors,
)

# --- one workday, route by route -----------------------------------------------------------------


def test_create_answers_the_workday_with_its_employee(api: httpx.Client) -> None:
    employee = make_employee(api)
    response = api.post(
        "/workdays", json={"date": "2024-11-15", "hours": 8, "employeeId": employee["id"].upper()}
    )
    workday = created(response, "workdays")
    assert set(workday) == {"id", "date", "hours", "employee", "employeeId"}
    assert workday["employeeId"] == workday["employee"]["id"]
    assert workday["id"] == str(uuid.UUID(workday["id"]))
    assert workday["date"] == "2024-11-15"
    assert exact(response)["hours"] == Decimal(8)
    assert workday["employee"] == employee
    assert isinstance(workday["employee"]["department"], dict)
    assert isinstance(workday["employee"]["project"], dict)
    assert api.get(f"/workdays/{workday['id']}").json() == workday
    assert listed(api, "/workdays")["items"] == [workday]


def a_workday(api: httpx.Client) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """An employee's workday: the employee, the workday's path, and a PUT body for it."""
    employee = make_employee(api)
    workday = make_workday(api, employee["id"], "2024-11-15", 8)
    path = f"/workdays/{workday['id']}"
    body = {"id": workday["id"], "date": "2024-11-14", "hours": 7.5, "employeeId": employee["id"]}
    return employee, path, body


def test_change_answers_the_updated_workday(api: httpx.Client) -> None:
    employee, path, body = a_workday(api)
    changed = api.put(path, json=body)
    assert changed.status_code == 200, changed.text
    assert changed.json()["date"] == "2024-11-14"
    assert exact(changed)["hours"] == Decimal("7.5")
    assert changed.json()["id"] == body["id"]
    assert changed.json()["employee"] == employee
    assert api.get(path).json() == changed.json()


def test_another_employee_may_take_the_workday_over(api: httpx.Client) -> None:
    _, path, body = a_workday(api)
    # Another employee may take the workday over; no id in the body is fine too.
    other = make_employee(api)
    moved = api.put(path, json={"date": "2024-11-14", "hours": 6, "employeeId": other["id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["employee"] == other

    mismatch = {**body, "id": str(uuid.uuid4())}
    assert_invalid(api.put(path, json=mismatch), "id")
    assert api.get(path).json() == moved.json()


def test_unknown_ids_are_404_and_malformed_ones_400(api: httpx.Client) -> None:
    _, _, body = a_workday(api)
    unknown = str(uuid.uuid4())
    problem(api.get(f"/workdays/{unknown}"), 404)
    problem(api.put(f"/workdays/{unknown}", json={**body, "id": unknown}), 404)
    problem(api.delete(f"/workdays/{unknown}"), 404)
    for malformed in ["yesterday", "1"]:
        assert_invalid(api.get(f"/workdays/{malformed}"), "id")
        assert_invalid(api.put(f"/workdays/{malformed}", json={**body, "id": None}), "id")
        assert_invalid(api.delete(f"/workdays/{malformed}"), "id")


def test_delete_answers_204_then_the_workday_is_gone(api: httpx.Client) -> None:
    _, path, body = a_workday(api)
    deleted = api.delete(path)
    assert (deleted.status_code, deleted.content) == (204, b"")
    problem(api.get(path), 404)
    problem(api.put(path, json=body), 404)
    problem(api.delete(path), 404)
    assert listed(api, "/workdays")["totalCount"] == 0


# --- one workday per employee and date -------------------------------------------------------


def test_a_second_workday_of_an_employee_on_a_date_is_a_conflict(api: httpx.Client) -> None:
    # One workday per employee and date: 409 for a second.
    ada, grace = make_employee(api), make_employee(api)
    make_workday(api, ada["id"], "2024-11-01", 8)
    body = {"date": "2024-11-01", "hours": 4, "employeeId": ada["id"]}
    problem(api.post("/workdays", json=body), 409)
    # Another employee on the same date is fine.
    make_workday(api, grace["id"], "2024-11-01", 8)


def test_moving_a_workday_onto_a_taken_date_is_a_conflict(api: httpx.Client) -> None:
    ada = make_employee(api)
    first = make_workday(api, ada["id"], "2024-11-01", 8)
    body = {"date": "2024-11-01", "hours": 4, "employeeId": ada["id"]}
    # Moving another of Ada's workdays onto that date is a conflict too.
    second = make_workday(api, ada["id"], "2024-11-04", 8)
    problem(api.put(f"/workdays/{second['id']}", json={**body, "id": second["id"]}), 409)
    # Changing the hours of the workday on that date is not.
    same = api.put(f"/workdays/{first['id']}", json={**body, "id": first["id"]})
    assert same.status_code == 200, same.text


def test_a_deleted_workdays_date_is_free_again(api: httpx.Client) -> None:
    ada = make_employee(api)
    first = make_workday(api, ada["id"], "2024-11-01", 8)
    make_workday(api, ada["id"], "2024-11-04", 8)
    # Once deleted, the date is free again.
    assert api.delete(f"/workdays/{first['id']}").status_code == 204
    make_workday(api, ada["id"], "2024-11-01", 8)
    assert listed(api, "/workdays", filterByEmployee=ada["id"])["totalCount"] == 2


# --- field rules -----------------------------------------------------------------------------

BAD_FIELDS: list[tuple[str, Any]] = [
    ("date", "2024-11-16"),  # tomorrow
    ("date", "2025-01-01"),
    ("date", "2024-13-01"),
    ("date", "2024-02-30"),
    ("date", "15.11.2024"),
    ("date", "yesterday"),
    ("date", ""),
    ("date", None),
    ("hours", 0),
    ("hours", "0"),
    ("hours", 0.0),
    ("hours", -1),
    ("hours", 24.01),
    ("hours", "24.01"),
    ("hours", 25),
    ("hours", 7.555),
    ("hours", "7.555"),
    ("hours", 0.001),
    ("hours", True),
    ("hours", "eight"),
    ("hours", ""),
    ("hours", None),
    ("employeeId", str(uuid.uuid4())),
    ("employeeId", "not-a-uuid"),
    ("employeeId", None),
]


def test_each_broken_rule_is_a_400_under_its_field(api: httpx.Client) -> None:
    employee = make_employee(api)
    existing = make_workday(api, employee["id"], "2024-11-01", 8)
    valid: dict[str, Any] = {"date": "2024-11-04", "hours": 8, "employeeId": employee["id"]}
    for field, value in BAD_FIELDS:
        body = {**valid, field: value}
        assert_invalid(api.post("/workdays", json=body), field)
        assert_invalid(api.put(f"/workdays/{existing['id']}", json=body), field)
    assert api.get(f"/workdays/{existing['id']}").json() == existing
    assert listed(api, "/workdays")["totalCount"] == 1


def test_every_missing_field_is_named_and_broken_rules_are_reported_together(
    api: httpx.Client,
) -> None:
    errors = validation_errors(api.post("/workdays", json={}))
    assert set(errors) == {"date", "hours", "employeeId"}
    errors = validation_errors(
        api.post(
            "/workdays", json={"date": "2024-12-01", "hours": 30, "employeeId": str(uuid.uuid4())}
        )
    )
    assert set(errors) == {"date", "hours", "employeeId"}


def test_the_limits_themselves_are_fine(api: httpx.Client) -> None:
    employee = make_employee(api)
    # The limits themselves: today, 24 hours, 0.01 hours, two places.
    for day, hours, written in [
        ("2024-11-15", 24, Decimal(24)),
        ("2024-11-14", "0.01", Decimal("0.01")),
        ("2024-11-13", 7.25, Decimal("7.25")),
        ("2024-11-12", "23.99", Decimal("23.99")),
        ("2024-11-09", 5, Decimal(5)),  # a Saturday is a day like any other
    ]:
        response = api.post(
            "/workdays", json={"date": day, "hours": hours, "employeeId": employee["id"]}
        )
        created(response, "workdays")
        assert exact(response)["hours"] == written
    assert '"hours":24' in api.get("/workdays", params={"filterByDate": "2024-11-15"}).text


def test_today_is_evaluated_at_each_request(running_api: Api) -> None:
    api = running_api.client
    employee = make_employee(api)
    tomorrow = {"date": "2024-11-16", "hours": 8, "employeeId": employee["id"]}
    assert_invalid(api.post("/workdays", json=tomorrow), "date")
    running_api.clock.advance(timedelta(hours=12))  # 2024-11-16 00:00 UTC
    created(api.post("/workdays", json=tomorrow), "workdays")
    assert_invalid(api.post("/workdays", json={**tomorrow, "date": "2024-11-17"}), "date")


# --- a month with an invoice ---------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedMonth:
    """Ada's October 2024, invoiced: a workday in it and one in November; Grace has none."""

    ada: dict[str, Any]
    grace: dict[str, Any]
    october: dict[str, Any]
    november: dict[str, Any]
    invoice: dict[str, Any]

    def workday(self, day: str, employee: str | None = None, **extra: Any) -> dict[str, Any]:
        """A workday body of 4 hours, Ada's unless `employee` is given."""
        return {"date": day, "hours": 4, "employeeId": employee or self.ada["id"], **extra}


def close_october(api: httpx.Client) -> ClosedMonth:
    ada, grace = make_employee(api), make_employee(api)
    october = make_workday(api, ada["id"], "2024-10-01", 8)
    november = make_workday(api, ada["id"], "2024-11-01", 8)
    invoice = make_invoice(api, ada["id"], 10, 2024)
    return ClosedMonth(ada, grace, october, november, invoice)


def test_a_month_with_an_invoice_is_closed(api: httpx.Client) -> None:
    month = close_october(api)
    october, november, workday = month.october, month.november, month.workday
    closed = [
        api.post("/workdays", json=workday("2024-10-02")),  # create in
        api.put(f"/workdays/{october['id']}", json=workday("2024-10-01")),  # change
        api.put(f"/workdays/{october['id']}", json=workday("2024-11-02")),  # move out
        api.put(
            f"/workdays/{october['id']}", json=workday("2024-10-01", month.grace["id"])
        ),  # give away
        api.put(f"/workdays/{november['id']}", json=workday("2024-10-03")),  # move in
        api.delete(f"/workdays/{october['id']}"),  # delete
    ]
    for response in closed:
        body = problem(response, 409)
        assert "2024-10" in body["detail"]
    assert api.get(f"/workdays/{october['id']}").json() == october
    assert api.get(f"/workdays/{november['id']}").json() == november
    assert listed(api, "/workdays")["totalCount"] == 2


def test_a_month_is_closed_for_its_employee_and_that_month_only(api: httpx.Client) -> None:
    month = close_october(api)
    ada, grace = month.ada, month.grace
    # Closed for Ada only, and for October only.
    make_workday(api, grace["id"], "2024-10-02", 8)
    make_workday(api, ada["id"], "2024-11-04", 8)
    # Moving another employee's workday into Ada's closed month is refused as well.
    grace_november = make_workday(api, grace["id"], "2024-11-05", 8)
    problem(api.put(f"/workdays/{grace_november['id']}", json=month.workday("2024-10-09")), 409)


def test_deleting_the_invoice_reopens_the_month(api: httpx.Client) -> None:
    month = close_october(api)
    october, november, workday = month.october, month.november, month.workday
    assert api.delete(f"/invoices/{month.invoice['id']}").status_code == 204
    created(api.post("/workdays", json=workday("2024-10-02")), "workdays")
    changed = api.put(f"/workdays/{october['id']}", json=workday("2024-10-01"))
    assert changed.status_code == 200, changed.text
    moved_in = api.put(f"/workdays/{november['id']}", json=workday("2024-10-03"))
    assert moved_in.status_code == 200, moved_in.text
    moved_out = api.put(f"/workdays/{october['id']}", json=workday("2024-11-02"))
    assert moved_out.status_code == 200, moved_out.text
    assert api.delete(f"/workdays/{october['id']}").status_code == 204


def test_a_new_invoice_closes_the_month_again_with_the_hours_now_in_it(api: httpx.Client) -> None:
    month = close_october(api)
    october, november, workday = month.october, month.november, month.workday
    assert api.delete(f"/invoices/{month.invoice['id']}").status_code == 204
    # Reopened: October's workday down to 4 hours, November's moved in.
    assert api.put(f"/workdays/{october['id']}", json=workday("2024-10-01")).status_code == 200
    assert api.put(f"/workdays/{november['id']}", json=workday("2024-10-03")).status_code == 200
    # And a new invoice closes it again, with the hours now in it.
    reissued = make_invoice(api, month.ada["id"], 10, 2024)
    assert exact(api.get(f"/invoices/{reissued['id']}"))["totalHours"] == Decimal("8.00")
    problem(api.delete(f"/workdays/{november['id']}"), 409)


# --- lists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Days:
    ada: dict[str, Any]
    grace: dict[str, Any]
    days: set[tuple[str, str]]
    """(employee id, date) of every workday."""
    ids: dict[tuple[str, str], str]


def make_days(api: httpx.Client) -> Days:
    ada, grace = make_employee(api), make_employee(api)
    days = {
        (ada["id"], "2024-10-02"),
        (ada["id"], "2024-11-15"),
        (ada["id"], "2023-12-31"),
        (grace["id"], "2024-10-02"),
        (grace["id"], "2024-01-01"),
    }
    ids = {(e, d): make_workday(api, e, d, 8)["id"] for e, d in sorted(days)}
    return Days(ada, grace, days, ids)


def test_filters(api: httpx.Client) -> None:
    made = make_days(api)
    ada, grace, days = made.ada, made.grace, made.days

    def found(**params: Any) -> set[tuple[str, str]]:
        page = listed(api, "/workdays", pageSize=100, **params)
        assert page["totalCount"] == len(page["items"])
        return {(w["employee"]["id"], w["date"]) for w in page["items"]}

    assert found() == days
    assert found(filterByDate="2024-10-02") == {
        (ada["id"], "2024-10-02"),
        (grace["id"], "2024-10-02"),
    }
    assert found(filterByDate="2024-10-03") == set()
    assert found(filterByEmployee=grace["id"]) == {
        (grace["id"], "2024-10-02"),
        (grace["id"], "2024-01-01"),
    }
    assert found(filterByEmployee=ada["id"].upper(), filterByDate="2024-10-02") == {
        (ada["id"], "2024-10-02")
    }
    assert found(filterByEmployee=str(uuid.uuid4())) == set()
    for params in [
        {"filterByDate": "2024-10"},
        {"filterByDate": "02.10.2024"},
        {"filterByEmployee": "ada"},
    ]:
        assert validation_errors(api.get("/workdays", params=params))


def test_sort_by_date(api: httpx.Client) -> None:
    made = make_days(api)
    ascending = ["2023-12-31", "2024-01-01", "2024-10-02", "2024-10-02", "2024-11-15"]

    def dates(direction: str, **params: Any) -> list[str]:
        page = listed(api, "/workdays", sortByDate=direction, pageSize=100, **params)
        return [w["date"] for w in page["items"]]

    assert dates("asc") == ascending
    assert dates("ASC") == ascending
    assert dates("desc") == ascending[::-1]
    assert dates("dEsC") == ascending[::-1]
    assert dates("upwards") == ascending
    assert dates("desc", filterByEmployee=made.ada["id"]) == [
        "2024-11-15",
        "2024-10-02",
        "2023-12-31",
    ]


def test_paging_through_a_sorted_list_neither_repeats_nor_skips_a_row(api: httpx.Client) -> None:
    made = make_days(api)
    seen = []
    for number in (1, 2, 3):
        page = listed(api, "/workdays", sortByDate="desc", page=number, pageSize=2)
        assert (page["pageNumber"], page["pageSize"], page["totalCount"]) == (number, 2, 5)
        seen += [w["id"] for w in page["items"]]
    assert sorted(seen) == sorted(made.ids.values())
    assert set(listed_ids(api, "/workdays")) == set(made.ids.values())
