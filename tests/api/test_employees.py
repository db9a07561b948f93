"""Employees, route by route, and money that keeps its decimal places."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from tests.api.helpers import (
    assert_invalid,
    created,
    employee_body,
    employee_fields,
    exact,
    listed,
    listed_ids,
    make_department,
    make_employee,
    make_invoice,
    make_project,
    make_workday,
    post_raw,
    problem,
    validation_errors,
)

EMPLOYEE_KEYS = {
    "id",
    "email",
    "firstname",
    "lastname",
    "salary",
    "department",
    "project",
    # Extensions (issue 13): the embedded rows' ids, flat.
    "departmentId",
    "projectId",
}


@dataclass(frozen=True)
class Made:
    employee: dict[str, Any]
    response: httpx.Response
    department: dict[str, Any]
    project: dict[str, Any]


def make_ada(api: httpx.Client) -> Made:
    """Ada in Finance on Apollo, created from untrimmed names."""
    department, project = make_department(api, "Finance"), make_project(api, "Apollo")
    fields = {
        "email": "ada@example.com",
        "firstname": "  Ada ",
        "lastname": " Lovelace\t",
        "salary": 4000,
        "departmentId": department["id"],
        "projectId": project["id"].upper(),
    }
    response = api.post("/employees", json=fields)
    return Made(created(response, "employees"), response, department, project)


# --- one employee, route by route ----------------------------------------------------------------


def test_create_answers_the_employee_with_their_department_and_project(api: httpx.Client) -> None:
    made = make_ada(api)
    employee, response, department, project = (
        made.employee,
        made.response,
        made.department,
        made.project,
    )
    assert set(employee) == EMPLOYEE_KEYS
    assert employee["id"] == str(uuid.UUID(employee["id"]))
    assert (employee["email"], employee["firstname"], employee["lastname"]) == (
        "ada@example.com",
        "Ada",
        "Lovelace",
    )
    assert '"salary":4000.00' in response.text
    assert employee["department"] == department
    assert employee["project"] == project
    assert api.get(f"/employees/{employee['id']}").json() == employee
    assert listed(api, "/employees")["items"] == [employee]


def test_change_answers_the_updated_employee(api: httpx.Client) -> None:
    employee = make_ada(api).employee
    # PUT: the id in the body must be the path's; the answer is the updated employee.
    other_department = make_department(api, "Research")
    changed = api.put(
        f"/employees/{employee['id']}",
        json=employee_body(
            employee, firstname=" Augusta ", salary="4100.10", departmentId=other_department["id"]
        ),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        **employee,
        "firstname": "Augusta",
        "salary": 4100.10,
        "department": other_department,
        "departmentId": other_department["id"],
    }
    assert '"salary":4100.10' in changed.text
    assert api.get(f"/employees/{employee['id']}").json() == changed.json()


def test_change_without_the_id_in_the_body_or_with_another_one(api: httpx.Client) -> None:
    employee = make_ada(api).employee
    without_id = employee_body(employee, lastname="King")
    del without_id["id"]
    assert api.put(f"/employees/{employee['id']}", json=without_id).json()["lastname"] == "King"
    mismatch = employee_body(employee, id=str(uuid.uuid4()), lastname="Byron")
    assert_invalid(api.put(f"/employees/{employee['id']}", json=mismatch), "id")
    assert api.get(f"/employees/{employee['id']}").json()["lastname"] == "King"


def test_unknown_ids_are_404_and_malformed_ones_400(api: httpx.Client) -> None:
    employee = make_employee(api)
    unknown = str(uuid.uuid4())
    problem(api.get(f"/employees/{unknown}"), 404)
    problem(api.put(f"/employees/{unknown}", json=employee_body(employee, id=unknown)), 404)
    problem(api.delete(f"/employees/{unknown}"), 404)
    for malformed in ["nope", "42"]:
        assert_invalid(api.get(f"/employees/{malformed}"), "id")
        assert_invalid(
            api.put(f"/employees/{malformed}", json=employee_body(employee, id=None)), "id"
        )
        assert_invalid(api.delete(f"/employees/{malformed}"), "id")


def test_delete_answers_204_then_the_employee_is_gone(api: httpx.Client) -> None:
    employee = make_employee(api)
    # DELETE: 204, then 404 and not listed; PUT does not revive it.
    deleted = api.delete(f"/employees/{employee['id']}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    problem(api.get(f"/employees/{employee['id']}"), 404)
    problem(api.put(f"/employees/{employee['id']}", json=employee_body(employee)), 404)
    problem(api.delete(f"/employees/{employee['id']}"), 404)
    assert listed(api, "/employees")["totalCount"] == 0


# --- e-mail addresses ----------------------------------------------------------------------------


def test_e_mails_are_unique_among_active_employees_ignoring_case(api: httpx.Client) -> None:
    # E-mail addresses are unique among active employees, ignoring case: 409.
    ada = make_employee(api, email="Ada@Example.com")
    assert ada["email"] == "Ada@Example.com"
    problem(api.post("/employees", json=employee_fields(api, email="ada@example.COM")), 409)
    problem(api.post("/employees", json=employee_fields(api, email="  ADA@EXAMPLE.COM ")), 409)

    grace = make_employee(api, email="grace@example.com", firstname="Grace", lastname="Hopper")
    problem(
        api.put(f"/employees/{grace['id']}", json=employee_body(grace, email="ADA@example.com")),
        409,
    )
    assert api.get(f"/employees/{grace['id']}").json()["email"] == "grace@example.com"


def test_an_employee_keeps_their_own_address_in_any_case(api: httpx.Client) -> None:
    ada = make_employee(api, email="Ada@Example.com")
    same = api.put(f"/employees/{ada['id']}", json=employee_body(ada, email="ADA@EXAMPLE.COM"))
    assert same.status_code == 200, same.text
    assert same.json()["email"] == "ADA@EXAMPLE.COM"


def test_a_deleted_employees_address_is_free_again(api: httpx.Client) -> None:
    # Unique among active employees only: once Ada is deleted, her address is free.
    ada = make_employee(api, email="ADA@EXAMPLE.COM")
    assert api.delete(f"/employees/{ada['id']}").status_code == 204
    reused = make_employee(api, email="ada@example.com")
    assert reused["id"] != ada["id"]


# --- field rules -----------------------------------------------------------------------------


BAD_FIELDS: list[tuple[str, Any]] = [
    ("email", "plainaddress"),
    ("email", "@example.com"),
    ("email", "ada@"),
    ("email", "ada@@example.com"),
    ("email", "ada@home@example.com"),
    ("email", "ada@example"),
    ("email", "ada lovelace@example.com"),
    ("email", ""),
    ("email", "   "),
    ("email", "a" * 89 + "@example.com"),  # 101 characters
    ("email", None),
    ("email", 42),
    ("firstname", ""),
    ("firstname", "   "),
    ("firstname", "x" * 101),
    ("firstname", None),
    ("lastname", ""),
    ("lastname", "\t"),
    ("lastname", "y" * 101),
    ("salary", -1),
    ("salary", "-0.01"),
    ("salary", 4000.505),
    ("salary", "4000.505"),
    ("salary", True),
    ("salary", "abc"),
    ("salary", ""),
    ("salary", None),
    ("salary", [4000]),
    ("departmentId", str(uuid.uuid4())),
    ("departmentId", "not-a-uuid"),
    ("departmentId", None),
    ("projectId", str(uuid.uuid4())),
    ("projectId", "not-a-uuid"),
]


def test_each_broken_rule_is_a_400_under_its_field(api: httpx.Client) -> None:
    valid = employee_fields(api)
    existing = make_employee(api)
    for field, value in BAD_FIELDS:
        body = {**valid, field: value}
        assert_invalid(api.post("/employees", json=body), field)
        assert_invalid(api.put(f"/employees/{existing['id']}", json=body), field)
    assert api.get(f"/employees/{existing['id']}").json() == existing
    assert listed(api, "/employees")["totalCount"] == 1


def test_every_missing_field_is_named_and_broken_rules_are_reported_together(
    api: httpx.Client,
) -> None:
    valid = employee_fields(api)
    # Every missing field is named, in camelCase.
    errors = validation_errors(api.post("/employees", json={}))
    assert set(errors) == {"email", "firstname", "lastname", "salary", "departmentId", "projectId"}
    # Several broken rules are reported together.
    errors = validation_errors(
        api.post(
            "/employees",
            json={
                **valid,
                "email": "nope",
                "firstname": "",
                "salary": -5,
                "projectId": str(uuid.uuid4()),
            },
        )
    )
    assert set(errors) == {"email", "firstname", "salary", "projectId"}


def test_a_soft_deleted_department_or_project_is_not_an_active_one(api: httpx.Client) -> None:
    valid = employee_fields(api)
    existing = make_employee(api)
    gone_department, gone_project = make_department(api), make_project(api)
    assert api.delete(f"/departments/{gone_department['id']}").status_code == 204
    assert api.delete(f"/projects/{gone_project['id']}").status_code == 204
    response = api.post("/employees", json={**valid, "departmentId": gone_department["id"]})
    assert_invalid(response, "departmentId")
    response = api.post("/employees", json={**valid, "projectId": gone_project["id"]})
    assert_invalid(response, "projectId")
    moved = employee_body(existing, departmentId=gone_department["id"])
    assert_invalid(api.put(f"/employees/{existing['id']}", json=moved), "departmentId")
    moved = employee_body(existing, projectId=gone_project["id"])
    assert_invalid(api.put(f"/employees/{existing['id']}", json=moved), "projectId")


def test_the_limits_themselves_are_fine_and_stored_trimmed(api: httpx.Client) -> None:
    valid = employee_fields(api)
    longest_email = "a" * 88 + "@example.com"  # 100 characters
    employee = created(
        api.post(
            "/employees",
            json={
                **valid,
                "email": longest_email,
                "firstname": "  " + "F" * 100 + "  ",
                "lastname": " " + "L" * 100,
                "salary": 0,
            },
        ),
        "employees",
    )
    assert (employee["email"], employee["firstname"], employee["lastname"]) == (
        longest_email,
        "F" * 100,
        "L" * 100,
    )
    assert exact(api.get(f"/employees/{employee['id']}"))["salary"] == Decimal("0.00")
    for email in ["a@b.co", "first.last+tag@sub.example.org", "O'Brien@example.ie"]:
        created(api.post("/employees", json={**valid, "email": email}), "employees")


# --- soft deletion ---------------------------------------------------------------------------


def deleted_with_a_workday_and_an_invoice(
    api: httpx.Client,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """An employee with a workday and an invoice, deleted; answers the three as they were."""
    department, project = make_department(api, "Finance"), make_project(api, "Apollo")
    employee = make_employee(api, departmentId=department["id"], projectId=project["id"])
    workday = make_workday(api, employee["id"], "2024-10-01", 8)
    invoice = make_invoice(api, employee["id"], 10, 2024)
    assert api.delete(f"/employees/{employee['id']}").status_code == 204
    return employee, workday, invoice


def test_soft_delete_keeps_workdays_and_invoices_readable(api: httpx.Client) -> None:
    employee, workday, invoice = deleted_with_a_workday_and_an_invoice(api)
    department, project = employee["department"], employee["project"]
    # With the employee gone, the department and project can go too.
    assert api.delete(f"/departments/{department['id']}").status_code == 204
    assert api.delete(f"/projects/{project['id']}").status_code == 204

    read_workday = api.get(f"/workdays/{workday['id']}")
    assert read_workday.status_code == 200, read_workday.text
    assert read_workday.json()["employee"] == employee
    assert read_workday.json()["employee"]["department"] == department
    read_invoice = api.get(f"/invoices/{invoice['id']}")
    assert read_invoice.status_code == 200, read_invoice.text
    assert read_invoice.json()["employee"] == employee
    assert read_invoice.json()["employee"]["project"] == project

    workdays = listed(api, "/workdays", filterByEmployee=employee["id"])["items"]
    assert [w["employee"] for w in workdays] == [employee]
    invoices = listed(api, "/invoices", filterByEmployee=employee["id"])["items"]
    assert [i["employee"] for i in invoices] == [employee]


def test_a_deleted_employee_takes_no_new_workdays_or_invoices_and_is_not_listed(
    api: httpx.Client,
) -> None:
    employee, _, _ = deleted_with_a_workday_and_an_invoice(api)
    response = api.post(
        "/workdays", json={"date": "2024-11-01", "hours": 8, "employeeId": employee["id"]}
    )
    assert_invalid(response, "employeeId")
    response = api.post("/invoices", json={"month": 11, "year": 2024, "employeeId": employee["id"]})
    assert_invalid(response, "employeeId")
    assert employee["id"] not in listed_ids(api, "/employees")


# --- lists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    ids: dict[str, str]
    """Employee ids by full name."""
    a_dept: dict[str, Any]
    b_dept: dict[str, Any]
    x_proj: dict[str, Any]
    y_proj: dict[str, Any]


def make_people(api: httpx.Client) -> People:
    """Six employees in two departments and two projects, and a seventh deleted."""
    a_dept, b_dept = make_department(api), make_department(api)
    x_proj, y_proj = make_project(api), make_project(api)
    people = [
        ("Ada", "Lovelace", a_dept, x_proj),
        ("Alan", "Turing", b_dept, x_proj),
        ("Grace", "Hopper", a_dept, y_proj),
        ("Bea", "Byron", b_dept, y_proj),
        ("Ada", "Byron", b_dept, x_proj),
        ("Zed", "Adams", a_dept, x_proj),
    ]
    ids: dict[str, str] = {}
    for first, last, department, project in people:
        employee = make_employee(
            api,
            firstname=first,
            lastname=last,
            departmentId=department["id"],
            projectId=project["id"],
        )
        ids[f"{first} {last}"] = employee["id"]
    gone = make_employee(
        api, firstname="Ada", lastname="Gone", departmentId=a_dept["id"], projectId=x_proj["id"]
    )
    assert api.delete(f"/employees/{gone['id']}").status_code == 204
    return People(ids, a_dept, b_dept, x_proj, y_proj)


def test_filters(api: httpx.Client) -> None:
    people = make_people(api)
    a_dept, b_dept, x_proj, y_proj = people.a_dept, people.b_dept, people.x_proj, people.y_proj

    def names(**params: Any) -> set[str]:
        page = listed(api, "/employees", pageSize=100, **params)
        assert page["totalCount"] == len(page["items"])
        return {f"{e['firstname']} {e['lastname']}" for e in page["items"]}

    assert names() == set(people.ids)
    assert names(filterByEmployeeName="ada") == {"Ada Lovelace", "Ada Byron", "Zed Adams"}
    assert names(filterByEmployeeName="LOVELACE") == {"Ada Lovelace"}
    assert names(filterByEmployeeName="ada love") == {"Ada Lovelace"}
    assert names(filterByEmployeeName="Grace Hopper") == {"Grace Hopper"}
    assert names(filterByEmployeeName="a byr") == {"Bea Byron", "Ada Byron"}
    assert names(filterByEmployeeName="%") == set()
    assert names(filterByEmployeeName="_") == set()
    assert names(filterByDepartment=a_dept["id"]) == {"Ada Lovelace", "Grace Hopper", "Zed Adams"}
    assert names(filterByProject=y_proj["id"]) == {"Grace Hopper", "Bea Byron"}
    assert names(filterByDepartment=b_dept["id"], filterByProject=x_proj["id"]) == {
        "Alan Turing",
        "Ada Byron",
    }
    assert names(filterByDepartment=a_dept["id"], filterByEmployeeName="ada") == {
        "Ada Lovelace",
        "Zed Adams",
    }
    assert names(filterByDepartment=str(uuid.uuid4())) == set()
    assert validation_errors(api.get("/employees", params={"filterByDepartment": "x"}))
    assert validation_errors(api.get("/employees", params={"filterByProject": "x"}))


def test_sort_by_name(api: httpx.Client) -> None:
    people = make_people(api)
    ascending = [
        "Zed Adams",
        "Ada Byron",
        "Bea Byron",
        "Grace Hopper",
        "Ada Lovelace",
        "Alan Turing",
    ]

    def ordered(direction: str, **params: Any) -> list[str]:
        page = listed(api, "/employees", sortByName=direction, pageSize=100, **params)
        return [f"{e['firstname']} {e['lastname']}" for e in page["items"]]

    assert ordered("asc") == ascending
    assert ordered("DESC") == ascending[::-1]
    assert ordered("desc") == ascending[::-1]
    assert ordered("whatever") == ascending
    assert ordered("desc", filterByProject=people.x_proj["id"]) == [
        "Alan Turing",
        "Ada Lovelace",
        "Ada Byron",
        "Zed Adams",
    ]
    page = listed(api, "/employees", sortByName="asc", page=2, pageSize=4)
    assert [e["id"] for e in page["items"]] == [
        people.ids["Ada Lovelace"],
        people.ids["Alan Turing"],
    ]
    assert (page["pageNumber"], page["pageSize"], page["totalCount"]) == (2, 4, 6)


# --- money -----------------------------------------------------------------------------------


SALARIES: list[tuple[str, str]] = [
    # (the JSON text sent, the number written back)
    ("4000", "4000.00"),
    ("4000.5", "4000.50"),
    ('"4000.50"', "4000.50"),
    ("0.1", "0.10"),
    ('"0.30"', "0.30"),
    ("1234567.89", "1234567.89"),
    ('"1234567.89"', "1234567.89"),
    ("0", "0.00"),
    ("4000.50", "4000.50"),
    ("999999999.99", "999999999.99"),
]


def salary_body(salary: str, email: str, department: str, project: str) -> str:
    """An employee's JSON with `salary` written exactly as given."""
    return (
        f'{{"email": "{email}", "firstname": "Ada", "lastname": "Lovelace", '
        f'"salary": {salary}, "departmentId": "{department}", "projectId": "{project}"}}'
    )


def test_money_round_trips(api: httpx.Client) -> None:
    department, project = make_department(api)["id"], make_project(api)["id"]

    def body(salary: str, email: str) -> str:
        return salary_body(salary, email, department, project)

    for number, (sent, written) in enumerate(SALARIES):
        email = f"money{number}@example.com"
        response = post_raw(api, "/employees", body(sent, email))
        employee = created(response, "employees")
        assert f'"salary":{written}' in response.text, (sent, response.text)
        answered = exact(response)["salary"]
        assert isinstance(answered, Decimal)
        assert str(answered) == written
        read = api.get(f"/employees/{employee['id']}")
        assert f'"salary":{written}' in read.text
        assert str(exact(read)["salary"]) == written
        assert f'"salary":{written}' in api.get("/employees", params={"pageSize": 1000}).text

        # A PUT keeps the places too.
        put = api.put(
            f"/employees/{employee['id']}",
            content=body(sent, email).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert put.status_code == 200, put.text
        assert str(exact(put)["salary"]) == written


BAD_SALARIES = [
    "4000.505",
    '"4000.505"',
    "0.001",
    "-0.01",
    '"-0.01"',
    "-1",
    "true",
    "false",
    "null",
    "[]",
    "{}",
    '"abc"',
    '""',
    '" "',
    '"4000,50"',
    '"NaN"',
    '"Infinity"',
    "1e400000",
]


def test_salaries_that_are_not_money_are_refused(api: httpx.Client) -> None:
    department, project = make_department(api)["id"], make_project(api)["id"]
    for number, (sent, _) in enumerate(SALARIES):
        email = f"money{number}@example.com"
        created(
            post_raw(api, "/employees", salary_body(sent, email, department, project)), "employees"
        )
    for salary in BAD_SALARIES:
        response = post_raw(
            api, "/employees", salary_body(salary, "bad@example.com", department, project)
        )
        assert_invalid(response, "salary")
    assert listed(api, "/employees")["totalCount"] == len(SALARIES)


def test_minus_zero_is_zero(api: httpx.Client) -> None:
    department, project = make_department(api)["id"], make_project(api)["id"]
    # Minus zero is zero: the creation answer is what a read answers afterwards.
    for number, sent in enumerate(["-0", "-0.0", '"-0.00"']):
        response = post_raw(
            api, "/employees", salary_body(sent, f"zero{number}@example.com", department, project)
        )
        employee = created(response, "employees")
        read = api.get(f"/employees/{employee['id']}")
        assert '"salary":0.00' in read.text
        assert '"salary":0.00' in response.text, (sent, response.text)
