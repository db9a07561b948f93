"""The API as the original React front end calls it: its bodies, its queries, its error reading."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
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

# --- the screens -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Screens:
    """What the screens show: Finance and Research, Apollo, an employee of Finance on Apollo
    with a workday and an invoice in October 2024."""

    finance: dict[str, Any]
    project: dict[str, Any]
    employee: dict[str, Any]
    workday: dict[str, Any]
    invoice: dict[str, Any]


def screens(api: httpx.Client) -> Screens:
    finance = make_department(api, "Finance")
    make_department(api, "Research")
    project = make_project(api, "Apollo")
    employee = make_employee(api, departmentId=finance["id"], projectId=project["id"])
    workday = make_workday(api, employee["id"], "2024-10-01", 8)
    invoice = make_invoice(api, employee["id"], 10, 2024)
    return Screens(finance, project, employee, workday, invoice)


def test_filter_lists_load_everything_at_once(api: httpx.Client) -> None:
    shown = screens(api)
    # Filter lists: everything at once, with pageSize=1000.
    departments = listed(api, "/departments", page=1, pageSize=1000)
    assert (departments["pageSize"], departments["totalCount"]) == (1000, 2)
    assert listed(api, "/projects", page=1, pageSize=1000)["items"] == [shown.project]
    assert listed(api, "/employees", page=1, pageSize=1000)["items"] == [shown.employee]


def test_empty_filter_and_sort_values_are_absent(api: httpx.Client) -> None:
    shown = screens(api)
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
    assert raw.json()["items"][0]["id"] == shown.workday["id"]


def test_put_bodies_carry_the_id_and_whatever_else_the_form_holds(api: httpx.Client) -> None:
    shown = screens(api)
    finance, employee = shown.finance, shown.employee
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


def edit_form(row: dict[str, Any], *fields: str) -> dict[str, Any]:
    """What an edit dialog prefills from a list row and sends back: only the row's own flat
    fields, the ids of what it embeds among them, never the embedded objects."""
    return {name: row[name] for name in ("id", *fields)}


def test_edit_dialogs_prefill_with_the_flat_ids_and_send_them_back(api: httpx.Client) -> None:
    shown = screens(api)
    rows = {
        resource: listed(api, f"/{resource}", page=1, pageSize=10)["items"]
        for resource in ("employees", "workdays", "invoices")
    }
    (employee,) = rows["employees"]
    assert (employee["departmentId"], employee["projectId"]) == (
        shown.finance["id"],
        shown.project["id"],
    )
    form = edit_form(
        employee, "email", "firstname", "lastname", "salary", "departmentId", "projectId"
    )
    saved = api.put(f"/employees/{employee['id']}", json=form)
    assert saved.status_code == 200, saved.text
    assert saved.json() == employee

    (workday,) = rows["workdays"]
    assert workday["employeeId"] == shown.employee["id"]
    form = {**edit_form(workday, "date", "employeeId"), "hours": "7.50"}
    saved = api.put(f"/workdays/{workday['id']}", json=form)
    assert saved.status_code == 409, saved.text  # October is invoiced: the dialog's ids were right

    (invoice,) = rows["invoices"]
    assert invoice["employeeId"] == shown.employee["id"]
    saved = api.put(
        f"/invoices/{invoice['id']}", json=edit_form(invoice, "month", "year", "employeeId")
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["number"] == invoice["number"]


def test_the_invoice_screen_tells_whether_the_pdf_can_be_downloaded(api: httpx.Client) -> None:
    shown = screens(api)
    # The invoice screen: the list says whether the PDF can be downloaded.
    assert listed(api, "/invoices", page=1, pageSize=10)["items"][0]["isUrlReady"] is False
    assert api.get(f"/invoices/{shown.invoice['id']}/pre-signed-url").status_code == 409


# --- bodies and queries in any form --------------------------------------------------------------


def test_property_names_in_any_case_and_unknown_properties_ignored(api: httpx.Client) -> None:
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


def test_numbers_as_numbers_and_as_numeric_strings(api: httpx.Client) -> None:
    employee = make_employee(api)
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


def test_query_parameter_names_in_any_case(api: httpx.Client) -> None:
    finance_eu = make_department(api, "Finance EU")
    employee = make_employee(
        api, firstname="Ada", lastname="Lovelace", departmentId=finance_eu["id"]
    )
    make_workday(api, employee["id"], "2024-10-01", "7.5")
    make_workday(api, employee["id"], "2024-10-02", "8.5")
    make_invoice(api, employee["id"], 10, 2024)
    make_invoice(api, employee["id"], 9, 2024)
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


# --- errors, request ids and tokens ------------------------------------------------------------


def _jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def invoiced(api: httpx.Client) -> tuple[dict[str, Any], dict[str, Any]]:
    """An employee with a workday in October 2024, and its invoice."""
    employee = make_employee(api)
    make_workday(api, employee["id"], "2024-10-01", 8)
    return employee, make_invoice(api, employee["id"], 10, 2024)


def test_validation_failures_are_400_problems_as_the_front_end_reads_them(
    api: httpx.Client,
) -> None:
    employee, invoice = invoiced(api)
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


def test_other_errors_are_problems_without_errors(running_api: Api) -> None:
    api, anonymous = running_api.client, running_api.anonymous
    employee, invoice = invoiced(api)
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


def test_routes_and_methods_that_do_not_exist_answer_problems(api: httpx.Client) -> None:
    problem(api.get("/no-such-route"), 404)
    problem(api.request("PATCH", "/departments"), 405)


def test_every_answer_carries_a_request_id_of_its_own(running_api: Api) -> None:
    api, anonymous = running_api.client, running_api.anonymous
    _, invoice = invoiced(api)
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


NOT_JSON = [
    b"name=Finance",
    b"{",
    b"{'name': 'Finance'}",
    b"",
    b'{"name": "x",}',
    b'{"salary": NaN}',
]


def test_a_body_that_is_not_json_is_a_400_with_serializer_errors(api: httpx.Client) -> None:
    employee = make_employee(api)
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
    for method, path in targets:
        for content in NOT_JSON:
            response = api.request(
                method, path, content=content, headers={"Content-Type": "application/json"}
            )
            errors = validation_errors(response)
            assert "serializerErrors" in errors, (method, path, content, errors)
    # JSON, but not an object: a 400 as well.
    for text in ["[]", '"Finance"', "42", "null"]:
        assert post_raw(api, "/departments", text).status_code == 400, text
    assert listed(api, "/departments")["totalCount"] == departments
    assert api.get(f"/departments/{department['id']}").json() == department


def test_json_nested_deeper_than_any_parser_goes_is_a_400_not_a_crash(api: httpx.Client) -> None:
    department = make_department(api)
    departments = listed(api, "/departments")["totalCount"]
    deep = [
        post_raw(api, "/departments", '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        post_raw(api, "/departments", "[" * 100_000 + "]" * 100_000),
    ]
    # The API still answers, and nothing was stored; then the answers to JSON nested too deep.
    assert listed(api, "/departments")["totalCount"] == departments
    assert api.get(f"/departments/{department['id']}").json() == department
    assert [r.status_code for r in deep] == [400, 400], [r.text for r in deep]


def front_end_login(anonymous: httpx.Client) -> str:
    """Log in as the front end does (its property names); answers the token."""
    login = anonymous.post(
        "/login", json={"Username": ADMIN_EMAIL.upper(), "Password": ADMIN_PASSWORD}
    )
    assert login.status_code == 200, login.text
    token: str = login.json()["jwtToken"]
    return token


def test_logging_in_as_the_front_end_does_answers_a_token_whose_exp_it_can_read(
    anonymous: httpx.Client,
) -> None:
    claims = _jwt_claims(front_end_login(anonymous))
    assert claims["exp"] - claims["iat"] == 24 * 3600
    assert {"sub", "iat", "nbf", "exp"} <= claims.keys()


def test_a_tampered_token_is_refused_with_a_401(anonymous: httpx.Client) -> None:
    token = front_end_login(anonymous)
    claims = _jwt_claims(token)
    header, _, signature = token.split(".")
    forged = base64.urlsafe_b64encode(
        json.dumps({**claims, "exp": claims["exp"] + 10**6}).encode()
    ).rstrip(b"=")
    tampered = f"{header}.{forged.decode()}.{signature}"
    problem(anonymous.get("/departments", headers={"Authorization": f"Bearer {tampered}"}), 401)


def test_an_expired_token_is_refused_with_a_401_beyond_the_leeway(running_api: Api) -> None:
    anonymous = running_api.anonymous
    bearer = {"Authorization": f"Bearer {front_end_login(anonymous)}"}
    running_api.clock.advance(timedelta(hours=24, seconds=30))
    assert anonymous.get("/departments", headers=bearer).status_code == 200
    running_api.clock.advance(timedelta(seconds=31))
    expired = anonymous.get("/departments", headers=bearer)
    problem(expired, 401)
    assert expired.headers["WWW-Authenticate"].startswith("Bearer")
