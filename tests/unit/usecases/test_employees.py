"""Employees: create, get, list, change and soft-delete over the in-memory adapters."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from billtrack.domain.model.errors import Conflict, DuplicateEmail, NotFound, ValidationFailed
from billtrack.domain.model.views import EmployeeView
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.ports.queries import (
    EmployeeQuery,
    InvoiceQuery,
    PageRequest,
    SortDirection,
    WorkdayQuery,
)
from tests.unit.usecases.fixtures import World


def details_in(department_id: UUID, project_id: UUID, **changes: object) -> EmployeeDetails:
    """Valid details of an employee of that department and project, then `changes`."""
    base = EmployeeDetails(
        email="ada@example.com",
        firstname="Ada",
        lastname="Lovelace",
        salary=Decimal("4000.00"),
        department_id=department_id,
        project_id=project_id,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def details(world: World, **changes: object) -> EmployeeDetails:
    """Valid details of a new employee, with a new department and project, then `changes`."""
    return details_in(world.department().id, world.project().id, **changes)


def in_place_of(view: EmployeeView, **changes: object) -> EmployeeDetails:
    """Valid details in the department and project of `view`, then `changes`."""
    return details_in(view.department.id, view.project.id, **changes)


def errors_of(world: World, d: EmployeeDetails) -> set[str]:
    with pytest.raises(ValidationFailed) as failure:
        world.app.create_employee(d)
    return set(failure.value.errors)


# -- create ------------------------------------------------------------------------------------


def test_create_answers_the_employee_with_its_department_and_project() -> None:
    world = World()
    d = details(world, firstname="  Ada ", lastname=" Lovelace  ", email=" Ada@Example.com ")

    view = world.app.create_employee(d)

    assert view.employee.email.value == "Ada@Example.com"
    assert view.employee.firstname.value == "Ada"
    assert view.employee.lastname.value == "Lovelace"
    assert view.employee.salary.amount == Decimal("4000.00")
    assert view.department.id == d.department_id
    assert view.project.id == d.project_id
    assert world.app.get_employee(view.employee.id) == view


def test_every_invalid_field_is_reported_at_once() -> None:
    world = World()
    bad = EmployeeDetails(
        email="not-an-address",
        firstname="   ",
        lastname="x" * 101,
        salary=Decimal("-1"),
        department_id=uuid4(),
        project_id=uuid4(),
    )
    commits = world.uow.commits

    assert errors_of(world, bad) == {
        "email",
        "firstname",
        "lastname",
        "salary",
        "department_id",
        "project_id",
    }
    assert world.uow.commits == commits
    assert world.app.list_employees(EmployeeQuery()).total_count == 0


@pytest.mark.parametrize(
    "email",
    [
        "",
        "plain",
        "@example.com",
        "ada@",
        "ada@@example.com",
        "ada@exa@mple.com",
        "ada@localhost",
        "ada lovelace@example.com",
        "a" * 89 + "@example.com",  # 101 characters
    ],
)
def test_a_bad_email_is_refused_under_email(email: str) -> None:
    world = World()

    assert errors_of(world, details(world, email=email)) == {"email"}


def test_an_email_of_100_characters_is_fine() -> None:
    world = World()
    email = "a" * 88 + "@example.com"
    assert len(email) == 100

    view = world.app.create_employee(details(world, email=email))

    assert view.employee.email.value == email


@pytest.mark.parametrize("field", ["firstname", "lastname"])
@pytest.mark.parametrize("value", ["", "  ", "n" * 101])
def test_bad_names_are_refused_under_their_field(field: str, value: str) -> None:
    world = World()

    assert errors_of(world, details(world, **{field: value})) == {field}


@pytest.mark.parametrize(
    "salary", [Decimal("-0.01"), Decimal("4000.505"), Decimal("0.001"), Decimal("NaN")]
)
def test_a_bad_salary_is_refused_under_salary(salary: Decimal) -> None:
    world = World()

    assert errors_of(world, details(world, salary=salary)) == {"salary"}


@pytest.mark.parametrize(
    ("salary", "stored"),
    [
        (Decimal("4000.500"), "4000.50"),
        (Decimal("0"), "0.00"),
        (Decimal("4000"), "4000.00"),
        (Decimal("0.1") + Decimal("0.2"), "0.30"),
    ],
)
def test_a_good_salary_is_kept_exactly_with_two_places(salary: Decimal, stored: str) -> None:
    world = World()

    view = world.app.create_employee(details(world, salary=salary))

    kept = world.app.get_employee(view.employee.id).employee.salary.amount
    assert kept == Decimal(stored)
    assert str(kept) == stored


def test_a_huge_salary_is_a_validation_failure_or_kept_never_a_crash() -> None:
    """The contract puts no upper bound on a salary; what comes in must be stored exactly or
    refused as a bad field (400), never an arithmetic error (500)."""
    world = World()
    huge = Decimal("1E+30")

    d = details(world, salary=huge)

    def attempt() -> EmployeeView | ValidationFailed:
        try:
            return world.app.create_employee(d)
        except ValidationFailed as failure:
            return failure

    outcome = attempt()

    if isinstance(outcome, ValidationFailed):
        assert set(outcome.errors) == {"salary"}
    else:
        assert outcome.employee.salary.amount == huge


def test_a_deleted_department_or_project_cannot_be_referenced() -> None:
    world = World()
    d = details(world)
    world.app.departments.delete(d.department_id)
    world.app.projects.delete(d.project_id)

    assert errors_of(world, d) == {"department_id", "project_id"}


# -- unique e-mail ------------------------------------------------------------------------------


def test_a_duplicate_email_ignoring_case_is_a_conflict() -> None:
    world = World()
    world.employee(email="ada@example.com")
    commits = world.uow.commits

    with pytest.raises(DuplicateEmail) as refused:
        world.app.create_employee(details(world, email="ADA@Example.COM"))

    assert isinstance(refused.value, Conflict)
    assert world.uow.commits == commits + 2  # only the department and project of `details`
    assert world.app.list_employees(EmployeeQuery()).total_count == 1


def test_the_email_of_a_deleted_employee_can_be_used_again() -> None:
    world = World()
    first = world.employee(email="ada@example.com")
    world.app.delete_employee(first.employee.id)

    second = world.app.create_employee(details(world, email="Ada@example.com"))

    assert second.employee.id != first.employee.id
    assert world.app.get_employee(second.employee.id).employee.email.value == "Ada@example.com"


def test_change_keeps_its_own_email_in_another_case() -> None:
    world = World()
    view = world.employee(email="ada@example.com")
    d = in_place_of(view, email="ADA@example.com", lastname="King", salary=Decimal("5000"))

    changed = world.app.change_employee(view.employee.id, d)

    assert changed.employee.email.value == "ADA@example.com"
    assert world.app.get_employee(view.employee.id).employee.lastname.value == "King"


def test_change_to_an_email_another_active_employee_has_is_a_conflict() -> None:
    world = World()
    world.employee(email="grace@example.com")
    ada = world.employee(email="ada@example.com")
    d = in_place_of(ada, email="Grace@Example.com", salary=Decimal("4000"))

    with pytest.raises(DuplicateEmail):
        world.app.change_employee(ada.employee.id, d)

    assert world.app.get_employee(ada.employee.id).employee.email.value == "ada@example.com"


# -- get, change, delete ----------------------------------------------------------------------------


def test_get_of_an_unknown_employee_is_not_found() -> None:
    world = World()

    with pytest.raises(NotFound):
        world.app.get_employee(uuid4())


def test_change_answers_and_stores_every_field() -> None:
    world = World()
    view = world.employee()
    department = world.department("Research")
    project = world.project("Gemini")
    d = EmployeeDetails(
        email="countess@example.org",
        firstname=" Augusta ",
        lastname=" King ",
        salary=Decimal("5123.45"),
        department_id=department.id,
        project_id=project.id,
    )

    changed = world.app.change_employee(view.employee.id, d)

    again = world.app.get_employee(view.employee.id)
    assert again == changed
    assert again.employee.email.value == "countess@example.org"
    assert (again.employee.firstname.value, again.employee.lastname.value) == ("Augusta", "King")
    assert again.employee.salary.amount == Decimal("5123.45")
    assert again.department == department
    assert again.project == project
    assert again.employee.created_at == view.employee.created_at


def test_change_reports_every_bad_field_and_changes_nothing() -> None:
    world = World()
    view = world.employee()
    bad = EmployeeDetails(
        email="nope",
        firstname="",
        lastname="",
        salary=Decimal("1.234"),
        department_id=uuid4(),
        project_id=uuid4(),
    )

    with pytest.raises(ValidationFailed) as failure:
        world.app.change_employee(view.employee.id, bad)

    assert set(failure.value.errors) == {
        "email",
        "firstname",
        "lastname",
        "salary",
        "department_id",
        "project_id",
    }
    assert world.app.get_employee(view.employee.id) == view


def test_change_or_delete_of_a_deleted_employee_is_not_found() -> None:
    world = World()
    view = world.employee()
    world.app.delete_employee(view.employee.id)
    d = in_place_of(view, email="back@example.com", salary=Decimal("1"))

    with pytest.raises(NotFound):
        world.app.change_employee(view.employee.id, d)
    with pytest.raises(NotFound):
        world.app.delete_employee(view.employee.id)
    with pytest.raises(NotFound):
        world.app.get_employee(view.employee.id)


def test_a_deleted_employee_is_gone_from_lists_but_embedded_in_its_workdays_and_invoices() -> None:
    world = World()
    view = world.employee()
    workday = world.workday(view.employee.id, date(2024, 10, 1))
    invoice = world.invoice(view.employee.id, 2024, 10)

    world.app.delete_employee(view.employee.id)

    with pytest.raises(NotFound):
        world.app.get_employee(view.employee.id)
    assert world.app.list_employees(EmployeeQuery()).total_count == 0
    embedded_in_workday = world.app.get_workday(workday.workday.id).employee
    embedded_in_invoice = world.app.get_invoice(invoice.invoice.id).employee
    for embedded in (embedded_in_workday, embedded_in_invoice):
        assert embedded.employee.id == view.employee.id
        assert embedded.employee.email == view.employee.email
        assert not embedded.employee.is_active
        assert embedded.department == view.department
        assert embedded.project == view.project
    listed_workdays = world.app.list_workdays(WorkdayQuery(employee_id=view.employee.id))
    assert [w.employee.employee.id for w in listed_workdays.items] == [view.employee.id]
    listed_invoices = world.app.list_invoices(InvoiceQuery(employee_id=view.employee.id))
    assert [i.employee.employee.id for i in listed_invoices.items] == [view.employee.id]


def test_a_deleted_department_and_project_are_still_embedded_in_workdays_and_invoices() -> None:
    world = World()
    view = world.employee()
    workday = world.workday(view.employee.id, date(2024, 10, 1))
    invoice = world.invoice(view.employee.id, 2024, 10)
    world.app.delete_employee(view.employee.id)
    world.app.departments.delete(view.department.id)
    world.app.projects.delete(view.project.id)

    for embedded in (
        world.app.get_workday(workday.workday.id).employee,
        world.app.get_invoice(invoice.invoice.id).employee,
    ):
        assert embedded.department.id == view.department.id
        assert embedded.department.name == view.department.name
        assert not embedded.department.is_active
        assert embedded.project.id == view.project.id
        assert not embedded.project.is_active


def test_get_employee_embeds_a_department_and_project_deleted_after_it_was_created() -> None:
    """The use cases refuse to delete a unit an active employee belongs to, but rows written
    before that rule (imported from the original service) can name deleted ones: the answer
    still embeds them as objects."""
    world = World()
    view = world.employee()
    with world.uow:
        department = world.uow.departments.get(view.department.id)
        project = world.uow.projects.get(view.project.id)
        assert department is not None and project is not None  # noqa: PT018
        world.uow.departments.update(department.deleted(world.clock.now()))
        world.uow.projects.update(project.deleted(world.clock.now()))
        world.uow.commit()

    again = world.app.get_employee(view.employee.id)

    assert again.department.id == view.department.id
    assert again.department.name == view.department.name
    assert not again.department.is_active
    assert again.project.id == view.project.id
    assert not again.project.is_active
    listed = world.app.list_employees(EmployeeQuery(department_id=view.department.id))
    assert [e.department.id for e in listed.items] == [view.department.id]


# -- list -------------------------------------------------------------------------------------------


def make_people(world: World) -> dict[str, UUID]:
    department = world.department("D")
    project = world.project("P")
    other_department = world.department("Other D")
    other_project = world.project("Other P")
    people = [
        ("Ada", "Lovelace", department.id, project.id),
        ("Grace", "Hopper", department.id, other_project.id),
        ("Alan", "Turing", other_department.id, project.id),
        ("ada", "Byron", other_department.id, other_project.id),
        ("Zed", "Lovelace", department.id, project.id),
    ]
    ids = {"department": department.id, "project": project.id}
    for first, last, dep, proj in people:
        view = world.employee(firstname=first, lastname=last, department_id=dep, project_id=proj)
        ids[f"{first} {last}"] = view.employee.id
        world.tick()
    return ids


def full_names(world: World, query: EmployeeQuery) -> list[str]:
    page = world.app.list_employees(query)
    return [e.employee.full_name for e in page.items]


@pytest.mark.parametrize(
    ("needle", "expected"),
    [
        ("ada", ["Ada Lovelace", "ada Byron"]),
        ("LOVELACE", ["Ada Lovelace", "Zed Lovelace"]),
        ("ada lovelace", ["Ada Lovelace"]),
        ("a lov", ["Ada Lovelace"]),
        ("ing", ["Alan Turing"]),
        ("%", []),
    ],
)
def test_the_name_filter_matches_first_last_or_both(needle: str, expected: list[str]) -> None:
    world = World()
    make_people(world)

    assert full_names(world, EmployeeQuery(name=needle)) == expected


def test_filters_by_department_and_project_combine() -> None:
    world = World()
    ids = make_people(world)

    by_department = EmployeeQuery(department_id=ids["department"])
    by_project = EmployeeQuery(project_id=ids["project"])
    both = EmployeeQuery(department_id=ids["department"], project_id=ids["project"])

    assert full_names(world, by_department) == ["Ada Lovelace", "Grace Hopper", "Zed Lovelace"]
    assert full_names(world, by_project) == ["Ada Lovelace", "Alan Turing", "Zed Lovelace"]
    assert full_names(world, both) == ["Ada Lovelace", "Zed Lovelace"]
    assert full_names(world, EmployeeQuery(department_id=uuid4())) == []


def test_sort_by_name_is_last_name_then_first_name_in_both_directions() -> None:
    world = World()
    make_people(world)

    ascending = full_names(world, EmployeeQuery(sort_by_name=SortDirection.ASC))
    descending = full_names(world, EmployeeQuery(sort_by_name=SortDirection.DESC))

    assert ascending == [
        "ada Byron",
        "Grace Hopper",
        "Ada Lovelace",
        "Zed Lovelace",
        "Alan Turing",
    ]
    assert descending == [
        "Alan Turing",
        "Zed Lovelace",
        "Ada Lovelace",
        "Grace Hopper",
        "ada Byron",
    ]


def test_employee_list_pages_and_counts() -> None:
    world = World()
    make_people(world)

    page = world.app.list_employees(
        EmployeeQuery(page=PageRequest(2, 2), sort_by_name=SortDirection.ASC)
    )

    assert [e.employee.full_name for e in page.items] == ["Ada Lovelace", "Zed Lovelace"]
    assert (page.number, page.size, page.total_count) == (2, 2, 5)
    assert all(e.department.name.value in {"D", "Other D"} for e in page.items)


def test_employees_with_the_same_name_keep_creation_order_in_both_directions() -> None:
    world = World()
    views = []
    for _ in range(3):
        views.append(world.employee(firstname="Ada", lastname="Lovelace"))
        world.tick()
    expected = [v.employee.id for v in views]

    for direction in (SortDirection.ASC, SortDirection.DESC):
        page = world.app.list_employees(EmployeeQuery(sort_by_name=direction))
        assert [e.employee.id for e in page.items] == expected
