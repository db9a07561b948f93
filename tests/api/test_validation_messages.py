"""Validation messages are plain sentences about the field, never a library's internals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers import SOME_ID, validation_errors

QUERIES = [
    ("/invoices?pageSize=abc", "pageSize", "must be a whole number"),
    ("/invoices?page=0", "page", "must be 1 or more"),
    ("/invoices?filterByMonth=13", "filterByMonth", "must be at most 12"),
    ("/invoices?filterByYear=abc", "filterByYear", "must be a whole number"),
    ("/workdays?filterByDate=2024-13-01", "filterByDate", "must be a date like 2024-10-14"),
    ("/employees?filterByDepartment=nope", "filterByDepartment", "must be a UUID like"),
    ("/invoices/not-a-uuid", "id", "must be a UUID like"),
]


@pytest.mark.parametrize(("url", "field", "message"), QUERIES)
def test_a_bad_query_or_path_value_is_named_in_a_sentence(
    api: httpx.Client, url: str, field: str, message: str
) -> None:
    response = api.get(url)
    errors = validation_errors(response)
    assert list(errors) == [field]
    (said,) = errors[field]
    assert said.startswith(message)
    assert "Input should" not in response.text


BODIES: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    (
        "/invoices",
        {"month": "x", "year": 2024, "employeeId": SOME_ID},
        {"month": "must be a whole number"},
    ),
    ("/invoices", {"month": 1}, {"year": "is required", "employeeId": "is required"}),
    (
        "/invoices",
        {"month": 1.5, "year": 2024, "employeeId": SOME_ID},
        {"month": "must be a whole number"},
    ),
    (
        "/workdays",
        {"date": "2024-02-30", "hours": "abc", "employeeId": SOME_ID},
        {"date": "must be a date like 2024-10-14", "hours": "must be a number"},
    ),
]


@pytest.mark.parametrize(("path", "body", "expected"), BODIES)
def test_a_bad_body_field_is_named_in_a_sentence(
    api: httpx.Client, path: str, body: dict[str, Any], expected: dict[str, str]
) -> None:
    response = api.post(path, json=body)
    errors = validation_errors(response)
    assert {field: messages[0] for field, messages in errors.items()} == expected
    assert "Input should" not in response.text
    assert "Value error" not in response.text
