"""The API as the original React front end calls it: its bodies, its queries, its error reading."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx

from tests.api.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Api
from tests.api.helpers import (
    PROBLEM_KEYS,
    VALIDATION_MESSAGE,
    created,
    employee_body,
    exact,
    listed,
    make_department,
    make_employee,
    make_invoice,
    make_project,
    make_workday,
    post_raw,
    problem,
    validation_errors,
)


def test_screens_as_the_front_end_loads_and_saves_them(api: httpx.Client) -> None:
    finance = make_department(api, "Finance")
    make_department(api, "Research")
    project = make_project(api, "Apollo")
    employee = make_employee(api, departmentId=finance["id"], projectId=project["id"])
    workday = make_workday(api, employee["id"], "2024-10-01", 8)
    invoice = make_invoice(api, employee["id"], 10, 2024)

    # Filter lists: everything at once, with pageSize=1000.
    departments = listed(api, "/departments", page=1, pageSize=1000)
    assert (departments["pageSize"], departments["totalCount"]) == (1000, 2)
    assert listed(api, "/projects", page=1, pageSize=1000)["items"] == [project]
    assert listed(api, "/employees", page=1, pageSize=1000)["items"] == [employee]

    # Empty filter and sort values are absent.
    everything = {
        "/departments": {"filterByName": "", "sortByName": ""},
        "/projects": {"filterByName": "", "sortByName": ""},
        "/employees": {
            "filterByEmployeeName": "",
            "filterByDepartment": "",
            "filterByProject": "",
            "sortByName": "",
        },
        "/workdays": {"filterByDate": "", "filterByEmployee": "", "sortByDate": ""},
        "/invoices": {
            "filterByEmployee": "",
            "filterByMonth": "",
            "filterByYear": "",
            "sortByDate": "",
        },
    }
    counts = {"/departments": 2, "/projects": 1, "/employees": 1, "/workdays": 1, "/invoices": 1}
    for path, params in everything.items():
        page = listed(api, path, page=1, pageSize=10, **params)
        assert (page["pageNumber"], page["pageSize"], page["totalCount"]) == (1, 10, counts[path])
    assert listed(api, "/departments", page="", pageSize="")["pageSize"] == 10
    raw = api.get("/workdays?filterByEmployee=&filterByDate=&page=1&pageSize=10")
    assert raw.json()["items"][0]["id"] == workday["id"]

    # PUT bodies carry the id, and whatever else the form holds.
    renamed = api.put(
        f"/departments/{finance['id']}", json={"id": finance["id"], "name": "Finance & Legal"}
    )
    assert renamed.status_code == 200, renamed.text
    form = {**employee, **employee_body(employee, salary=employee["salary"], firstname="Augusta")}
    saved = api.put(f"/employees/{employee['id']}", json=form)  # also `department`, `project`
    assert saved.status_code == 200, saved.text
    assert saved.json()["firstname"] == "Augusta"
    assert saved.json()["department"] == {"id": finance["id"], "name": "Finance & Legal"}
    assert '"salary":4000.00' in saved.text
    assert exact(saved)["salary"] == Decimal("4000.00")

    # The invoice screen: the list says whether the PDF can be downloaded.
    assert listed(api, "/invoices", page=1, pageSize=10)["items"][0]["isUrlReady"] is False
    assert api.get(f"/invoices/{invoice['id']}/pre-signed-url").status_code == 409


def test_numbers_names_and_unknown_properties_in_any_form(api: httpx.Client) -> None:
    # Property names in any case; unknown properties ignored.
    department = created(
        api.post("/departments", json={"Name": " Finance ", "colour": "blue", "id": None}),
        "departments",
    )
    assert department["name"] == "Finance"
    project = created(api.post("/projects", json={"NAME": "Apollo", "Budget": 10}), "projects")
    renamed = api.put(
        f"/departments/{department['id']}", json={"ID": department["id"], "nAmE": "Finance EU"}
    )
    assert renamed.json() == {"id": department["id"], "name": "Finance EU"}

    employee = created(
        api.post(
            "/employees",
            json={
                "Email": "ada@example.com",
                "FirstName": "Ada",
                "LASTNAME": "Lovelace",
                "Salary": "4000.50",
                "DEPARTMENTID": department["id"],
                "projectid": project["id"],
                "department": {"id": str(uuid.uuid4()), "name": "ignored"},
                "createdAt": "1999-01-01",
            },
        ),
        "employees",
    )
    assert (employee["firstname"], employee["lastname"]) == ("Ada", "Lovelace")
    assert employee["department"]["id"] == department["id"]
    assert employee["project"]["id"] == project["id"]

    # Numbers as numbers and as numeric strings.
    workday = api.post(
        "/workdays", json={"Date": "2024-10-01", "HOURS": "7.5", "EmployeeId": employee["id"]}
    )
    created(workday, "workdays")
    assert exact(workday)["hours"] == Decimal("7.5")
    second = api.post(
        "/workdays",
        json={"date": "2024-10-02", "hours": 8.5, "employeeID": employee["id"], "notes": "x"},
    )
    created(second, "workdays")
    assert exact(second)["hours"] == Decimal("8.5")
    invoice = api.post(
        "/invoices", json={"Month": "10", "YEAR": "2024", "employeeId": employee["id"]}
    )
    body = created(invoice, "invoices")
    assert (body["month"], body["year"]) == (10, 2024)
    assert exact(invoice)["totalHours"] == Decimal("16.00")
    september = created(
        api.post("/invoices", json={"month": 9, "year": "2024", "EMPLOYEEID": employee["id"]}),
        "invoices",
    )
    assert (september["month"], september["year"]) == (9, 2024)

    # Query parameter names in any case.
    for n in range(3):
        make_department(api, f"Finance {n}")
    page = listed(api, "/departments", pagesize=2, FILTERBYNAME="fin", Page=2, SORTBYNAME="DESC")
    assert (page["pageNumber"], page["pageSize"], page["totalCount"]) == (2, 2, 4)
    assert [d["name"] for d in page["items"]] == ["Finance 1", "Finance 0"]
    names = [
        d["name"]
        for d in listed(api, "/departments", filterbyname="FIN", sortbyname="asc", PAGESIZE="1000")[
            "items"
        ]
    ]
    assert names == ["Finance 0", "Finance 1", "Finance 2", "Finance EU"]
    assert (
        listed(api, "/invoices", FilterByEmployee=employee["id"], FILTERBYMONTH="9")["totalCount"]
        == 1
    )
    assert listed(api, "/workdays", filterbydate="2024-10-02")["totalCount"] == 1
    assert listed(api, "/employees", FILTERBYEMPLOYEENAME="ada lovelace")["totalCount"] == 1


def _jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def test_error_answers_request_ids_and_bodies_that_are_not_json(running_api: Api) -> None:
    api, anonymous = running_api.client, running_api.anonymous
    employee = make_employee(api)
    make_workday(api, employee["id"], "2024-10-01", 8)
    invoice = make_invoice(api, employee["id"], 10, 2024)

    validations = [
        api.post("/departments", json={"name": ""}),
        api.post("/employees", json={"email": "nope"}),
        api.post(
            "/workdays", json={"date": "2030-01-01", "hours": 8, "employeeId": employee["id"]}
        ),
        api.get("/departments", params={"page": 0}),
        api.get("/departments", params={"page": "abc"}),
        api.get("/invoices/not-a-uuid"),
        api.put(
            f"/invoices/{invoice['id']}",
            json={"id": str(uuid.uuid4()), "month": 10, "year": 2024, "employeeId": employee["id"]},
        ),
        api.post("/departments", content=b"{", headers={"Content-Type": "application/json"}),
    ]
    for response in validations:
        body = response.json()
        assert response.status_code == 400, response.text
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert PROBLEM_KEYS | {"errors", "statusCode", "message"} <= body.keys()
        assert (body["status"], body["statusCode"], body["message"]) == (
            400,
            400,
            VALIDATION_MESSAGE,
        )
        assert isinstance(body["type"], str)
        assert isinstance(body["title"], str)
        assert isinstance(body["detail"], str)
        assert isinstance(body["errors"], dict)
        assert body["errors"]
        assert response.headers["X-Request-Id"]

    others = [
        (api.get(f"/departments/{uuid.uuid4()}"), 404),
        (api.delete(f"/workdays/{uuid.uuid4()}"), 404),
        (
            api.post("/invoices", json={"month": 10, "year": 2024, "employeeId": employee["id"]}),
            409,
        ),
        (api.get(f"/invoices/{invoice['id']}/pre-signed-url"), 409),
        (anonymous.get("/departments"), 401),
        (anonymous.post("/employees", json={}), 401),
        (anonymous.get(f"/invoices/{invoice['id']}"), 401),
        (anonymous.get("/workdays", headers={"Authorization": "Bearer not.a.token"}), 401),
        (anonymous.get("/projects", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}), 401),
        (anonymous.post("/login", json={"username": ADMIN_EMAIL, "password": "wrong"}), 401),
    ]
    for response, status in others:
        body = problem(response, status)
        assert "errors" not in body
        assert response.headers["X-Request-Id"]
        if status == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")

    # Routes and methods that do not exist answer problems too.
    problem(api.get("/no-such-route"), 404)
    problem(api.request("PATCH", "/departments"), 405)

    # Every answer carries a request id, successes too.
    answers = [
        api.get("/departments"),
        api.get(f"/invoices/{invoice['id']}"),
        api.delete(f"/departments/{make_department(api)['id']}"),
        anonymous.get("/health/live"),
        anonymous.get("/health/ready"),
        api.post("/projects", json={"name": "Apollo"}),
    ]
    for response in answers:
        assert response.status_code in (200, 204), response.text
        assert response.headers["X-Request-Id"]
    ids = {r.headers["X-Request-Id"] for r in answers}
    assert len(ids) == len(answers)

    # A body that is not JSON: 400 with `serializerErrors`, on every route that reads one.
    department = make_department(api)
    workday = make_workday(api, employee["id"], "2024-11-01", 8)
    departments = listed(api, "/departments")["totalCount"]
    targets = [
        ("POST", "/departments"),
        ("PUT", f"/departments/{department['id']}"),
        ("POST", "/projects"),
        ("POST", "/employees"),
        ("PUT", f"/employees/{employee['id']}"),
        ("POST", "/workdays"),
        ("PUT", f"/workdays/{workday['id']}"),
        ("POST", "/invoices"),
    ]
    not_json = [
        b"name=Finance",
        b"{",
        b"{'name': 'Finance'}",
        b"",
        b'{"name": "x",}',
        b'{"salary": NaN}',
    ]
    for method, path in targets:
        for content in not_json:
            response = api.request(
                method, path, content=content, headers={"Content-Type": "application/json"}
            )
            errors = validation_errors(response)
            assert "serializerErrors" in errors, (method, path, content, errors)
    # JSON, but not an object: a 400 as well.
    for text in ["[]", '"Finance"', "42", "null"]:
        assert post_raw(api, "/departments", text).status_code == 400, text
    # JSON nested deeper than any parser goes: a 400 as well, not a crash (checked at the end).
    deep = [
        post_raw(api, "/departments", '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        post_raw(api, "/departments", "[" * 100_000 + "]" * 100_000),
    ]
    assert listed(api, "/departments")["totalCount"] == departments
    assert api.get(f"/departments/{department['id']}").json() == department

    # Logging in as the front end does: a token whose `exp` it can read.
    login = anonymous.post(
        "/login", json={"Username": ADMIN_EMAIL.upper(), "Password": ADMIN_PASSWORD}
    )
    assert login.status_code == 200, login.text
    token = login.json()["jwtToken"]
    claims = _jwt_claims(token)
    assert claims["exp"] - claims["iat"] == 24 * 3600
    assert {"sub", "iat", "nbf", "exp"} <= claims.keys()

    # A token tampered with, or expired (beyond the 60 s leeway), is refused with a 401.
    header, _, signature = token.split(".")
    forged = base64.urlsafe_b64encode(
        json.dumps({**claims, "exp": claims["exp"] + 10**6}).encode()
    ).rstrip(b"=")
    tampered = f"{header}.{forged.decode()}.{signature}"
    problem(anonymous.get("/departments", headers={"Authorization": f"Bearer {tampered}"}), 401)
    bearer = {"Authorization": f"Bearer {token}"}
    running_api.clock.advance(timedelta(hours=24, seconds=30))
    assert anonymous.get("/departments", headers=bearer).status_code == 200
    running_api.clock.advance(timedelta(seconds=31))
    expired = anonymous.get("/departments", headers=bearer)
    problem(expired, 401)
    assert expired.headers["WWW-Authenticate"].startswith("Bearer")

    # The answers to JSON nested too deep.
    assert [r.status_code for r in deep] == [400, 400], [r.text for r in deep]
