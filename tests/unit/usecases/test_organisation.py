"""Departments and projects: create, get, list, rename and delete, through the application
over the in-memory adapters."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from billtrack.domain.model.errors import Conflict, NotFound, StillReferenced, ValidationFailed
from billtrack.domain.usecases.application import Units
from billtrack.ports.queries import MAX_PAGE_SIZE, NameQuery, PageRequest, SortDirection
from tests.unit.usecases.fixtures import World

BOTH = pytest.mark.parametrize("kind", ["departments", "projects"])


def units_of(world: World, kind: str) -> Units[Any]:
    """`world.app.departments` or `world.app.projects`: the same five operations."""
    units: Units[Any] = getattr(world.app, kind)
    return units


def names(units: Units[Any], query: NameQuery) -> list[str]:
    return [u.name.value for u in units.list(query).items]


# -- create ------------------------------------------------------------------------------------


@BOTH
def test_create_trims_the_name_and_get_answers_it(kind: str) -> None:
    world = World()
    units = units_of(world, kind)

    created = units.create("  Finance \t")

    assert created.name.value == "Finance"
    assert created.created_at == world.clock.now()
    assert units.get(created.id).name.value == "Finance"
    assert world.uow.commits == 1


@BOTH
def test_a_name_of_100_characters_is_fine(kind: str) -> None:
    world = World()
    units = units_of(world, kind)

    created = units.create(" " + "x" * 100 + " ")

    assert created.name.value == "x" * 100


@BOTH
@pytest.mark.parametrize("name", ["", "   ", "\t\n", "x" * 101])
def test_create_refuses_a_bad_name_under_name(kind: str, name: str) -> None:
    world = World()
    units = units_of(world, kind)

    with pytest.raises(ValidationFailed) as failure:
        units.create(name)

    assert set(failure.value.errors) == {"name"}
    assert world.uow.commits == 0
    assert units.list(NameQuery()).total_count == 0


# -- get, rename, delete of what is not there -------------------------------------------------------


@BOTH
def test_get_rename_delete_of_an_unknown_id_are_not_found(kind: str) -> None:
    world = World()
    units = units_of(world, kind)
    unknown = uuid4()

    with pytest.raises(NotFound):
        units.get(unknown)
    with pytest.raises(NotFound):
        units.rename(unknown, "New")
    with pytest.raises(NotFound):
        units.delete(unknown)
    assert world.uow.commits == 0


@BOTH
def test_a_deleted_unit_is_not_found_and_cannot_be_renamed_or_deleted_again(kind: str) -> None:
    world = World()
    units = units_of(world, kind)
    unit = units.create("Finance")
    units.delete(unit.id)
    commits = world.uow.commits

    with pytest.raises(NotFound):
        units.get(unit.id)
    with pytest.raises(NotFound):
        units.rename(unit.id, "Revived")
    with pytest.raises(NotFound):
        units.delete(unit.id)
    assert world.uow.commits == commits
    assert units.list(NameQuery()).total_count == 0


@BOTH
def test_rename_trims_and_is_what_get_answers(kind: str) -> None:
    world = World()
    units = units_of(world, kind)
    unit = units.create("Finance")

    renamed = units.rename(unit.id, "  Accounting  ")

    assert renamed.name.value == "Accounting"
    again = units.get(unit.id)
    assert again.name.value == "Accounting"
    assert again.created_at == unit.created_at


@BOTH
@pytest.mark.parametrize("name", ["", "  ", "y" * 101])
def test_rename_refuses_a_bad_name_and_keeps_the_old_one(kind: str, name: str) -> None:
    world = World()
    units = units_of(world, kind)
    unit = units.create("Finance")

    with pytest.raises(ValidationFailed) as failure:
        units.rename(unit.id, name)

    assert set(failure.value.errors) == {"name"}
    assert units.get(unit.id).name.value == "Finance"


# -- delete while referenced -----------------------------------------------------------------------


def test_a_department_with_an_active_employee_cannot_be_deleted_until_the_employee_is() -> None:
    world = World()
    employee = world.employee()
    department_id = employee.department.id
    commits = world.uow.commits

    with pytest.raises(StillReferenced) as refused:
        world.app.departments.delete(department_id)

    assert isinstance(refused.value, Conflict)
    assert world.uow.commits == commits
    assert world.app.departments.get(department_id).is_active

    world.app.delete_employee(employee.employee.id)
    world.app.departments.delete(department_id)

    with pytest.raises(NotFound):
        world.app.departments.get(department_id)


def test_a_project_with_an_active_employee_cannot_be_deleted_until_the_employee_is() -> None:
    world = World()
    employee = world.employee()
    project_id = employee.project.id

    with pytest.raises(StillReferenced):
        world.app.projects.delete(project_id)
    assert world.app.projects.get(project_id).is_active

    world.app.delete_employee(employee.employee.id)
    world.app.projects.delete(project_id)

    with pytest.raises(NotFound):
        world.app.projects.get(project_id)


def test_an_employee_of_another_department_does_not_hold_this_one() -> None:
    world = World()
    world.employee()
    empty = world.department("Empty")

    world.app.departments.delete(empty.id)

    with pytest.raises(NotFound):
        world.app.departments.get(empty.id)


# -- list: filter ----------------------------------------------------------------------------------

TRICKY = ["100% done", "100 done", "a_b", "axb", "back\\slash", "backslash", "Alpha"]


@BOTH
@pytest.mark.parametrize(
    ("needle", "expected"),
    [
        ("%", ["100% done"]),
        ("100%", ["100% done"]),
        ("_", ["a_b"]),
        ("a_b", ["a_b"]),
        ("\\", ["back\\slash"]),
        ("k\\s", ["back\\slash"]),
        ("ALPHA", ["Alpha"]),
        ("lph", ["Alpha"]),
        ("done", ["100% done", "100 done"]),
        ("nothing", []),
    ],
)
def test_the_name_filter_is_a_literal_case_insensitive_substring(
    kind: str, needle: str, expected: list[str]
) -> None:
    world = World()
    units = units_of(world, kind)
    for name in TRICKY:
        units.create(name)
        world.tick()

    page = units.list(NameQuery(name=needle))

    assert [u.name.value for u in page.items] == expected
    assert page.total_count == len(expected)


@BOTH
def test_an_empty_filter_is_no_filter(kind: str) -> None:
    world = World()
    units = units_of(world, kind)
    for name in TRICKY:
        units.create(name)

    assert units.list(NameQuery(name="")).total_count == len(TRICKY)


@BOTH
def test_the_list_leaves_out_deleted_units(kind: str) -> None:
    world = World()
    units = units_of(world, kind)
    kept = units.create("Kept")
    gone = units.create("Gone")
    units.delete(gone.id)

    page = units.list(NameQuery())

    assert [u.id for u in page.items] == [kept.id]
    assert page.total_count == 1


# -- list: sort -----------------------------------------------------------------------------------


@BOTH
def test_sort_by_name_is_case_insensitive_in_both_directions(kind: str) -> None:
    world = World()
    units = units_of(world, kind)
    for name in ["beta", "Charlie", "alpha", "Delta"]:
        units.create(name)
        world.tick()

    assert names(units, NameQuery(sort_by_name=SortDirection.ASC)) == [
        "alpha",
        "beta",
        "Charlie",
        "Delta",
    ]
    assert names(units, NameQuery(sort_by_name=SortDirection.DESC)) == [
        "Delta",
        "Charlie",
        "beta",
        "alpha",
    ]


@BOTH
def test_without_a_sort_the_order_is_creation_time(kind: str) -> None:
    world = World()
    units = units_of(world, kind)
    for name in ["c", "a", "b"]:
        units.create(name)
        world.tick()

    assert names(units, NameQuery()) == ["c", "a", "b"]


@BOTH
def test_ties_keep_creation_order_then_id_in_both_directions(kind: str) -> None:
    world = World()
    units = units_of(world, kind)
    first = units.create("Same")
    world.tick()
    second = units.create("SAME")
    # Two created in the same instant: the id decides.
    world.tick()
    third = units.create("same")
    fourth = units.create("same")
    simultaneous = sorted([third, fourth], key=lambda u: u.id)
    expected = [first.id, second.id, *(u.id for u in simultaneous)]

    for direction in (None, SortDirection.ASC, SortDirection.DESC):
        page = units.list(NameQuery(sort_by_name=direction))
        assert [u.id for u in page.items] == expected, direction


@BOTH
def test_sort_direction_parse_treats_anything_else_as_ascending(kind: str) -> None:
    world = World()
    units = units_of(world, kind)
    for name in ["b", "a"]:
        units.create(name)

    for text in ["asc", "ASC", "sideways"]:
        query = NameQuery(sort_by_name=SortDirection.parse(text))
        assert names(units, query) == ["a", "b"], text
    assert names(units, NameQuery(sort_by_name=SortDirection.parse("DeSc"))) == ["b", "a"]


# -- list: paging -----------------------------------------------------------------------------------


@BOTH
def test_paging_answers_the_page_its_size_and_the_total(kind: str) -> None:
    world = World()
    units = units_of(world, kind)
    for n in range(25):
        units.create(f"unit {n:02d}")
        world.tick()

    first = units.list(NameQuery(page=PageRequest(1, 10)))
    third = units.list(NameQuery(page=PageRequest(3, 10)))
    beyond = units.list(NameQuery(page=PageRequest(4, 10)))

    assert [u.name.value for u in first.items] == [f"unit {n:02d}" for n in range(10)]
    assert (first.number, first.size, first.total_count) == (1, 10, 25)
    assert [u.name.value for u in third.items] == [f"unit {n:02d}" for n in range(20, 25)]
    assert (third.number, third.size, third.total_count) == (3, 10, 25)
    assert beyond.items == ()
    assert beyond.total_count == 25


@BOTH
def test_paging_with_a_filter_counts_only_the_matches(kind: str) -> None:
    world = World()
    units = units_of(world, kind)
    for n in range(12):
        units.create(f"{'even' if n % 2 == 0 else 'odd'} {n}")
        world.tick()

    page = units.list(NameQuery(page=PageRequest(2, 4), name="EVEN"))

    assert [u.name.value for u in page.items] == ["even 8", "even 10"]
    assert page.total_count == 6


@BOTH
def test_a_page_size_above_1000_is_served_as_1000(kind: str) -> None:
    world = World()
    units = units_of(world, kind)
    for n in range(1001):
        units.create(f"u{n}")

    page = units.list(NameQuery(page=PageRequest(1, 5000)))

    assert page.size == MAX_PAGE_SIZE == 1000
    assert len(page.items) == 1000
    assert page.total_count == 1001


def test_page_request_defaults_and_cap() -> None:
    assert PageRequest() == PageRequest(1, 10)
    assert PageRequest(2, 1001).size == 1000
    assert PageRequest(2, 1000).size == 1000


@pytest.mark.parametrize(
    ("number", "size", "fields"),
    [(0, 10, {"page"}), (1, 0, {"page_size"}), (-1, -5, {"page", "page_size"})],
)
def test_a_page_or_size_below_1_is_invalid(number: int, size: int, fields: set[str]) -> None:
    with pytest.raises(ValidationFailed) as failure:
        PageRequest(number, size)

    assert set(failure.value.errors) == fields
