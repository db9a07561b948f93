"""What a request costs the database: one connection, one transaction (the user's check in it),
and the statements pinned here, so a query added by a change shows as a failing test.

Lists embed each row's employee, department and project, read in the page's one joined query:
a list costs the user, the count and the page, whatever its size."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.conftest import Api
from tests.api.helpers import make_employee, make_invoice, make_workday
from tests.support.statements import DatabaseTraffic, database_traffic


@pytest.fixture
def company(running_api: Api) -> dict[str, Any]:
    """Three employees with a month of workdays each and an invoice each."""
    api = running_api.client
    employees = [
        make_employee(api, firstname=first, lastname=last)
        for first, last in [("Zofia", "Łukasiewicz"), ("Дмитро", "Шевченко"), ("Γιώργος", "Π")]
    ]
    workdays = [
        make_workday(api, e["id"], date=f"2024-10-{day:02}", hours="7.5")
        for e in employees
        for day in (1, 2, 31)
    ]
    invoices = [make_invoice(api, e["id"]) for e in employees]
    return {"employee": employees[0], "workday": workdays[0], "invoice": invoices[0]}


def traffic_of(api: httpx.Client, method: str, url: str, **options: Any) -> DatabaseTraffic:
    with database_traffic() as traffic:
        response = api.request(method, url, **options)
    assert response.status_code < 400, response.text
    return traffic


LISTS = [
    "/invoices?page=1&pageSize=100",
    "/workdays?page=1&pageSize=100&sortByDate=desc",
    "/employees?sortByName=asc",
    "/departments",
    "/projects?filterByName=a",
]


@pytest.mark.parametrize("url", LISTS)
def test_a_list_is_the_user_a_count_and_one_query(
    running_api: Api, company: dict[str, Any], url: str
) -> None:
    traffic = traffic_of(running_api.client, "GET", url)
    assert (traffic.checkouts, traffic.transactions) == (1, 1)
    assert len(traffic.statements) == 3, traffic.statements
    user, count, page = traffic.statements
    assert "FROM users" in user
    assert count.startswith("SELECT count(*)")
    assert "JOIN" in page or url.startswith(("/departments", "/projects"))


@pytest.mark.parametrize("kind", ["invoices", "workdays", "employees"])
def test_one_entity_is_the_user_and_one_query(
    running_api: Api, company: dict[str, Any], kind: str
) -> None:
    entity = company[kind.removesuffix("s")]
    traffic = traffic_of(running_api.client, "GET", f"/{kind}/{entity['id']}")
    assert (traffic.checkouts, traffic.transactions) == (1, 1)
    assert len(traffic.statements) == 2, traffic.statements


def test_a_write_and_its_users_check_share_one_transaction(
    running_api: Api, company: dict[str, Any]
) -> None:
    body = {"date": "2024-11-04", "hours": 8, "employeeId": company["employee"]["id"]}
    traffic = traffic_of(running_api.client, "POST", "/workdays", json=body)
    assert (traffic.checkouts, traffic.transactions) == (1, 1)
    assert "FROM users" in traffic.statements[0]
    # The employee, its month locked (on PostgreSQL `FOR UPDATE` is a statement of its own), the
    # month's workdays and invoice, the insert, and the answer's department and project.
    expected = 7 if running_api.settings.is_embedded_database else 8
    assert len(traffic.statements) == expected, traffic.statements


def test_a_request_without_a_token_opens_no_connection(running_api: Api) -> None:
    with database_traffic() as traffic:
        anonymous = running_api.anonymous.get("/invoices")
        live = running_api.anonymous.get("/health/live")
    assert (anonymous.status_code, live.status_code) == (401, 200)
    assert (traffic.checkouts, traffic.statements) == (0, [])


def test_a_refused_query_costs_only_the_users_check(running_api: Api) -> None:
    with database_traffic() as traffic:
        response = running_api.client.get("/invoices?pageSize=abc")
    assert response.status_code == 400
    assert (traffic.checkouts, len(traffic.statements)) == (1, 1)
