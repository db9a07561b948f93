"""Small helpers shared by the route tests: create things through the API, read problems."""

from __future__ import annotations

import itertools
import json
import uuid
from decimal import Decimal
from typing import Any

import httpx

_numbers = itertools.count(1)
PROBLEM_KEYS = {"type", "title", "status", "detail"}
VALIDATION_MESSAGE = "One or more errors occurred!"


def unique(prefix: str) -> str:
    """`prefix` with a number no other call of this run answers."""
    return f"{prefix} {next(_numbers)}"


def created(response: httpx.Response, resource: str) -> dict[str, Any]:
    """The body of a creation answer, after checking its status and Location header."""
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["Location"] == f"/api/{resource}/{body['id']}"
    return body


def make_department(api: httpx.Client, name: str | None = None) -> dict[str, Any]:
    return created(
        api.post("/departments", json={"name": name or unique("Department")}), "departments"
    )


def make_project(api: httpx.Client, name: str | None = None) -> dict[str, Any]:
    return created(api.post("/projects", json={"name": name or unique("Project")}), "projects")


def employee_fields(api: httpx.Client, **overrides: Any) -> dict[str, Any]:
    """A valid employee body; a department and a project are created unless given."""
    body: dict[str, Any] = {
        "email": f"{uuid.uuid4().hex[:12]}@example.com",
        "firstname": "Ada",
        "lastname": "Lovelace",
        "salary": "4000.00",
        **overrides,
    }
    if "departmentId" not in body:
        body["departmentId"] = make_department(api)["id"]
    if "projectId" not in body:
        body["projectId"] = make_project(api)["id"]
    return body


def make_employee(api: httpx.Client, **overrides: Any) -> dict[str, Any]:
    return created(api.post("/employees", json=employee_fields(api, **overrides)), "employees")


def employee_body(employee: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A PUT body for `employee` (an answer), as the front end builds it: with the id."""
    return {
        "id": employee["id"],
        "email": employee["email"],
        "firstname": employee["firstname"],
        "lastname": employee["lastname"],
        "salary": str(employee["salary"]),
        "departmentId": employee["department"]["id"],
        "projectId": employee["project"]["id"],
        **overrides,
    }


def make_workday(
    api: httpx.Client, employee_id: str, date: str = "2024-10-01", hours: Any = 8
) -> dict[str, Any]:
    body = {"date": date, "hours": hours, "employeeId": employee_id}
    return created(api.post("/workdays", json=body), "workdays")


def make_invoice(
    api: httpx.Client, employee_id: str, month: int = 10, year: int = 2024
) -> dict[str, Any]:
    body = {"month": month, "year": year, "employeeId": employee_id}
    return created(api.post("/invoices", json=body), "invoices")


def post_raw(api: httpx.Client, path: str, text: str) -> httpx.Response:
    """POST `text` as a JSON body, verbatim (numbers exactly as written)."""
    return api.post(path, content=text.encode(), headers={"Content-Type": "application/json"})


def exact(response: httpx.Response) -> Any:
    """The answer's JSON with its numbers as Decimals, places kept."""
    return json.loads(response.text, parse_float=Decimal)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem+json body of an error answer that is not a validation failure."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["code"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["reason"] == body["detail"]
    return body


def validation_errors(response: httpx.Response) -> dict[str, list[str]]:
    """The `errors` of a 400 validation problem, after checking its shape."""
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == 400
    assert body["statusCode"] == 400
    assert body["message"] == VALIDATION_MESSAGE
    errors: dict[str, list[str]] = body["errors"]
    assert errors, body
    for messages in errors.values():
        assert messages
        assert all(isinstance(m, str) and m for m in messages)
    return errors


def assert_invalid(response: httpx.Response, *fields: str) -> None:
    """A 400 validation problem naming exactly `fields`."""
    errors = validation_errors(response)
    assert set(errors) == set(fields), errors


def listed(api: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    assert set(page) == {"items", "pageNumber", "pageSize", "totalCount"}
    return page


def listed_ids(api: httpx.Client, path: str, **params: Any) -> list[str]:
    return [item["id"] for item in listed(api, path, pageSize=1000, **params)["items"]]


SOME_ID = "3f2c1b7e-9a54-4d2e-8c61-0b7d5e4f3a21"
# Every route that needs a token, with a body it could take: for checks that apply to all.
EVERY_ROUTE: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/departments", None),
    ("POST", "/departments", {"name": "Finance"}),
    ("GET", f"/departments/{SOME_ID}", None),
    ("PUT", f"/departments/{SOME_ID}", {"name": "Finance"}),
    ("DELETE", f"/departments/{SOME_ID}", None),
    ("GET", "/projects", None),
    ("POST", "/projects", {"name": "Apollo"}),
    ("GET", f"/projects/{SOME_ID}", None),
    ("PUT", f"/projects/{SOME_ID}", {"name": "Apollo"}),
    ("DELETE", f"/projects/{SOME_ID}", None),
    ("GET", "/employees", None),
    (
        "POST",
        "/employees",
        {
            "email": "ada@example.com",
            "firstname": "Ada",
            "lastname": "Lovelace",
            "salary": 4000,
            "departmentId": SOME_ID,
            "projectId": SOME_ID,
        },
    ),
    ("GET", f"/employees/{SOME_ID}", None),
    (
        "PUT",
        f"/employees/{SOME_ID}",
        {
            "email": "ada@example.com",
            "firstname": "Ada",
            "lastname": "Lovelace",
            "salary": 4000,
            "departmentId": SOME_ID,
            "projectId": SOME_ID,
        },
    ),
    ("DELETE", f"/employees/{SOME_ID}", None),
    ("GET", "/workdays", None),
    ("POST", "/workdays", {"date": "2024-11-14", "hours": 8, "employeeId": SOME_ID}),
    ("GET", f"/workdays/{SOME_ID}", None),
    ("PUT", f"/workdays/{SOME_ID}", {"date": "2024-11-14", "hours": 8, "employeeId": SOME_ID}),
    ("DELETE", f"/workdays/{SOME_ID}", None),
    ("GET", "/invoices", None),
    ("POST", "/invoices", {"month": 10, "year": 2024, "employeeId": SOME_ID}),
    ("GET", f"/invoices/{SOME_ID}", None),
    ("PUT", f"/invoices/{SOME_ID}", {"month": 10, "year": 2024, "employeeId": SOME_ID}),
    ("DELETE", f"/invoices/{SOME_ID}", None),
    ("GET", f"/invoices/{SOME_ID}/pre-signed-url", None),
]
