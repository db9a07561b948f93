"""Departments and projects: the same routes over two collections, route by route."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.api.conftest import Api
from tests.api.helpers import (
    assert_invalid,
    created,
    listed,
    listed_ids,
    make_department,
    make_employee,
    make_project,
    post_raw,
    problem,
    validation_errors,
)

RESOURCES = ["departments", "projects"]
resources = pytest.mark.parametrize("resource", RESOURCES)


def make_unit(api: httpx.Client, resource: str, name: str) -> dict[str, Any]:
    return created(api.post(f"/{resource}", json={"name": name}), resource)


# --- one unit, route by route --------------------------------------------------------------------


@resources
def test_create_answers_the_unit_with_its_name_trimmed(api: httpx.Client, resource: str) -> None:
    unit = created(api.post(f"/{resource}", json={"name": "  Finance \t"}), resource)
    assert set(unit) == {"id", "name"}
    assert unit["name"] == "Finance"
    assert unit["id"] == str(uuid.UUID(unit["id"]))  # a lowercase UUID
    assert api.get(f"/{resource}/{unit['id']}").json() == unit
    assert api.get(f"/{resource}/{unit['id'].upper()}").json() == unit  # ids in any case
    assert unit["id"] in listed_ids(api, f"/{resource}")


@resources
def test_rename_with_the_paths_id_in_the_body_or_without_it(
    api: httpx.Client, resource: str
) -> None:
    unit = make_unit(api, resource, "Finance")
    # PUT with the path's id in the body, and without it: 200 with the updated body.
    renamed = api.put(f"/{resource}/{unit['id']}", json={"id": unit["id"], "name": " Accounts "})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {"id": unit["id"], "name": "Accounts"}
    renamed = api.put(f"/{resource}/{unit['id']}", json={"name": "Accounting"})
    assert renamed.json() == {"id": unit["id"], "name": "Accounting"}
    renamed = api.put(f"/{resource}/{unit['id']}", json={"id": unit["id"].upper(), "name": "Acc"})
    assert renamed.status_code == 200, renamed.text


@resources
def test_rename_with_another_id_in_the_body_is_refused(api: httpx.Client, resource: str) -> None:
    unit = make_unit(api, resource, "Acc")
    # PUT with another id in the body: 400 under `id`, nothing changed.
    other = api.put(f"/{resource}/{unit['id']}", json={"id": str(uuid.uuid4()), "name": "Other"})
    assert_invalid(other, "id")
    malformed_id = api.put(f"/{resource}/{unit['id']}", json={"id": "abc", "name": "Other"})
    assert_invalid(malformed_id, "id")
    assert api.get(f"/{resource}/{unit['id']}").json() == {"id": unit["id"], "name": "Acc"}


@resources
def test_delete_answers_204_then_the_unit_is_gone(api: httpx.Client, resource: str) -> None:
    unit = make_unit(api, resource, "Finance")
    # DELETE: 204 without a body, then 404 everywhere and no longer listed.
    deleted = api.delete(f"/{resource}/{unit['id']}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    problem(api.get(f"/{resource}/{unit['id']}"), 404)
    problem(api.put(f"/{resource}/{unit['id']}", json={"name": "Revived"}), 404)
    problem(api.delete(f"/{resource}/{unit['id']}"), 404)
    assert unit["id"] not in listed_ids(api, f"/{resource}")
    assert listed(api, f"/{resource}")["totalCount"] == 0


@resources
def test_names_are_1_to_100_characters_after_trimming(api: httpx.Client, resource: str) -> None:
    # Names: 1 to 100 characters after trimming, stored trimmed; the same rules on PUT.
    for name in ["", "   ", "\t\n", "x" * 101, " " + "y" * 101 + " "]:
        response = api.post(f"/{resource}", json={"name": name})
        assert_invalid(response, "name")
    for body in [{}, {"name": None}, {"name": 42}, {"name": ["Finance"]}]:
        assert_invalid(api.post(f"/{resource}", json=body), "name")

    longest = created(api.post(f"/{resource}", json={"name": "  " + "z" * 100 + "  "}), resource)
    assert longest["name"] == "z" * 100
    assert created(api.post(f"/{resource}", json={"name": "A"}), resource)["name"] == "A"

    for name in ["", " ", "x" * 101]:
        response = api.put(f"/{resource}/{longest['id']}", json={"name": name})
        assert_invalid(response, "name")
    assert api.get(f"/{resource}/{longest['id']}").json()["name"] == "z" * 100
    assert listed(api, f"/{resource}")["totalCount"] == 2


@resources
def test_unknown_ids_are_404_and_malformed_ones_400(api: httpx.Client, resource: str) -> None:
    # Unknown ids are a 404, malformed ones a 400 under `id`.
    unknown = str(uuid.uuid4())
    problem(api.get(f"/{resource}/{unknown}"), 404)
    problem(api.put(f"/{resource}/{unknown}", json={"name": "Finance"}), 404)
    problem(api.put(f"/{resource}/{unknown}", json={"id": unknown, "name": "Finance"}), 404)
    problem(api.delete(f"/{resource}/{unknown}"), 404)

    for malformed in ["not-a-uuid", "123", unknown[:-1]]:
        assert_invalid(api.get(f"/{resource}/{malformed}"), "id")
        assert_invalid(api.put(f"/{resource}/{malformed}", json={"name": "Finance"}), "id")
        assert_invalid(api.delete(f"/{resource}/{malformed}"), "id")


@resources
def test_a_unit_with_an_active_employee_cannot_be_deleted(api: httpx.Client, resource: str) -> None:
    # A department (project) with an active employee cannot be deleted: 409.
    department, project = make_department(api), make_project(api)
    unit = department if resource == "departments" else project
    employee = make_employee(api, departmentId=department["id"], projectId=project["id"])
    conflict = problem(api.delete(f"/{resource}/{unit['id']}"), 409)
    assert unit["id"] in conflict["detail"]
    assert api.get(f"/{resource}/{unit['id']}").status_code == 200
    # Once the employee is gone (soft-deleted), it can.
    assert api.delete(f"/employees/{employee['id']}").status_code == 204
    assert api.delete(f"/{resource}/{unit['id']}").status_code == 204
    problem(api.get(f"/{resource}/{unit['id']}"), 404)


@resources
def test_text_the_database_cannot_store_is_the_clients_error(
    api: httpx.Client, resource: str
) -> None:
    # Text the database cannot store (a NUL character, a lone surrogate escape) is the client's
    # error: accepted and stored, or a 400 under `name`; never a 500, and the same on every
    # database.
    failures = []
    for raw in ['{"name": "Fin\\u0000ance"}', '{"name": "Fin\\ud800ance"}']:
        response = post_raw(api, f"/{resource}", raw)
        if response.status_code == 400:
            assert "name" in validation_errors(response)
        elif response.status_code != 200:
            failures.append((f"POST {raw}", response.status_code))
    response = api.get(f"/{resource}", params={"filterByName": "Fin\x00"})
    if response.status_code not in (200, 400):
        failures.append(("GET filterByName=Fin%00", response.status_code))
    assert failures == []


# --- lists -----------------------------------------------------------------------------------


def make_twelve(running_api: Api, resource: str) -> list[str]:
    """Twelve units, a second apart; answers their ids in creation order."""
    made: list[str] = []
    for n in range(12):
        made.append(make_unit(running_api.client, resource, f"Unit {n:02d}")["id"])
        running_api.clock.advance(timedelta(seconds=1))
    return made


@resources
def test_without_a_sort_rows_come_in_creation_order(running_api: Api, resource: str) -> None:
    api = running_api.client
    made = make_twelve(running_api, resource)
    # Without a sort, rows come in creation order; a PUT does not reset the creation time.
    assert [item["id"] for item in listed(api, f"/{resource}", pageSize=12)["items"]] == made
    renamed = api.put(f"/{resource}/{made[0]}", json={"id": made[0], "name": "Unit 99"})
    assert renamed.status_code == 200, renamed.text
    assert [item["id"] for item in listed(api, f"/{resource}", pageSize=12)["items"]] == made


@resources
def test_pages_neither_repeat_nor_skip_a_row(running_api: Api, resource: str) -> None:
    api = running_api.client
    made = make_twelve(running_api, resource)
    first = listed(api, f"/{resource}")
    assert (first["pageNumber"], first["pageSize"], first["totalCount"]) == (1, 10, 12)
    assert len(first["items"]) == 10

    seen: list[str] = []
    for number, size in [(1, 5), (2, 5), (3, 5)]:
        page = listed(api, f"/{resource}", page=number, pageSize=size)
        assert (page["pageNumber"], page["pageSize"], page["totalCount"]) == (number, 5, 12)
        seen += [item["id"] for item in page["items"]]
    assert seen == made  # the default order is stable: no row repeated or skipped

    beyond = listed(api, f"/{resource}", page=4, pageSize=5)
    assert (beyond["items"], beyond["pageNumber"], beyond["totalCount"]) == ([], 4, 12)


@resources
def test_page_sizes_above_1000_are_served_as_1000(running_api: Api, resource: str) -> None:
    api = running_api.client
    make_twelve(running_api, resource)
    capped = listed(api, f"/{resource}", pageSize=5000)
    assert (capped["pageSize"], len(capped["items"])) == (1000, 12)
    assert listed(api, f"/{resource}", pageSize=1000)["pageSize"] == 1000


@resources
def test_a_bad_page_or_page_size_is_a_400_under_its_name(api: httpx.Client, resource: str) -> None:
    for field, value in [
        ("page", "0"),
        ("page", "-1"),
        ("page", "abc"),
        ("page", "1.5"),
        ("pageSize", "0"),
        ("pageSize", "-10"),
        ("pageSize", "ten"),
    ]:
        assert_invalid(api.get(f"/{resource}", params={field: value}), field)
    errors = validation_errors(api.get(f"/{resource}", params={"page": 0, "pageSize": 0}))
    assert set(errors) == {"page", "pageSize"}


@resources
def test_filter_by_name_matches_a_part_literally_and_in_any_case(
    api: httpx.Client, resource: str
) -> None:
    names = [
        "100% Sales",
        "100 Sales",
        "Dev_Ops",
        "DevXOps",
        "Back\\Office",
        "BackOffice",
        "Finance",
        "FINANCE Europe",
        "Großhandel Übersee",
        "Çağ Merkezi",
    ]
    for name in names:
        created(api.post(f"/{resource}", json={"name": name}), resource)

    def filtered(needle: str) -> set[str]:
        page = listed(api, f"/{resource}", filterByName=needle, pageSize=100)
        assert page["totalCount"] == len(page["items"])
        return {item["name"] for item in page["items"]}

    assert filtered("%") == {"100% Sales"}
    assert filtered("0%") == {"100% Sales"}
    assert filtered("_") == {"Dev_Ops"}
    assert filtered("v_o") == {"Dev_Ops"}
    assert filtered("\\") == {"Back\\Office"}
    assert filtered("finance") == {"Finance", "FINANCE Europe"}
    assert filtered("fInAnCe eU") == {"FINANCE Europe"}
    assert filtered("sales") == {"100% Sales", "100 Sales"}
    assert filtered("Übersee") == {"Großhandel Übersee"}
    assert filtered("groß") == {"Großhandel Übersee"}
    assert filtered("Çağ") == {"Çağ Merkezi"}
    assert filtered("nowhere") == set()

    # Mixed case beyond ASCII: the match ignores case there too.
    assert filtered("übersee") == {"Großhandel Übersee"}
    assert filtered("çAĞ") == {"Çağ Merkezi"}


@resources
def test_sort_by_name(api: httpx.Client, resource: str) -> None:
    sortable = ["Delta", "Alpha", "Charlie", "Bravo", "Echo"]
    for name in sortable:
        created(api.post(f"/{resource}", json={"name": f"Sorted {name}"}), resource)
    ascending = ["Sorted Alpha", "Sorted Bravo", "Sorted Charlie", "Sorted Delta", "Sorted Echo"]

    def sorted_names(direction: str) -> list[str]:
        params = {"filterByName": "sorted", "sortByName": direction}
        return [item["name"] for item in listed(api, f"/{resource}", **params)["items"]]

    assert sorted_names("asc") == ascending
    assert sorted_names("ASC") == ascending
    assert sorted_names("desc") == ascending[::-1]
    assert sorted_names("DESC") == ascending[::-1]
    assert sorted_names("Desc") == ascending[::-1]
    assert sorted_names("sideways") == ascending  # an unknown value sorts ascending
    assert sorted_names("descending") == ascending

    page = listed(api, f"/{resource}", sortByName="desc", page=2, pageSize=2, filterByName="SORTED")
    assert [item["name"] for item in page["items"]] == ascending[::-1][2:4]
    assert page["totalCount"] == 5


@resources
def test_a_page_far_beyond_the_end_is_never_a_server_error(
    api: httpx.Client, resource: str
) -> None:
    make_unit(api, resource, "Finance")
    # A page far beyond the end is an empty page (or a 400 under `page`), never a 500.
    failures = []
    for number in [10**12, 2**62, 2**63, 10**30]:
        response = api.get(f"/{resource}", params={"page": number})
        if response.status_code == 200:
            assert response.json()["items"] == []
        elif response.status_code == 400:
            assert "page" in validation_errors(response)
        else:
            failures.append((f"page={number}", response.status_code))
    assert failures == []
