"""The API answers on both databases."""

from __future__ import annotations

import httpx


def test_ready_and_a_department_round_trip(api: httpx.Client, anonymous: httpx.Client) -> None:
    assert anonymous.get("/health/ready").status_code == 200
    created = api.post("/departments", json={"name": "  Finance "})
    assert created.status_code == 200
    assert created.json()["name"] == "Finance"
    assert created.headers["Location"] == f"/api/departments/{created.json()['id']}"
    assert api.get(created.headers["Location"].removeprefix("/api")).json() == created.json()
    assert anonymous.get("/departments").status_code == 401
