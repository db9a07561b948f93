"""Users: added and changed from the CLI, logging in over the API."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from billtrack.domain.model.errors import (
    AuthenticationFailed,
    Conflict,
    DuplicateUser,
    NotFound,
    ValidationFailed,
)
from billtrack.domain.model.user import User
from tests.fakes.security import FastPasswordHasher
from tests.unit.usecases.fixtures import World

PASSWORD = "correct horse"


def add(world: World, email: str = "admin@example.com", password: str = PASSWORD) -> User:
    return world.app.add_user(email=email, password=password)


def login(world: World, email: str = "admin@example.com", password: str = PASSWORD) -> str:
    return world.app.log_in(email=email, password=password)


def stored_user(world: World, user: User) -> User:
    with world.uow:
        found = world.uow.users.get(user.id)
    assert found is not None
    return found


# -- add ---------------------------------------------------------------------------------------


def test_add_user_stores_a_hash_not_the_password() -> None:
    world = World()

    user = add(world, email=" Admin@Example.com ")

    assert user.email.value == "Admin@Example.com"
    assert user.created_at == world.clock.now()
    assert PASSWORD not in user.password_hash
    assert world.hasher.verify(PASSWORD, user.password_hash)
    assert world.app.list_users() == [user]
    assert world.uow.commits == 1


@pytest.mark.parametrize(
    ("email", "password", "fields"),
    [
        ("not an address", PASSWORD, {"email"}),
        ("admin@localhost", PASSWORD, {"email"}),
        ("", PASSWORD, {"email"}),
        ("admin@example.com", "short", {"password"}),
        ("admin@example.com", "1234567", {"password"}),
        ("admin@example.com", "", {"password"}),
        ("admin@example.com", "x" * 1025, {"password"}),
        ("nope", "short", {"email", "password"}),
    ],
)
def test_add_user_refuses_a_bad_email_or_password(
    email: str, password: str, fields: set[str]
) -> None:
    world = World()

    with pytest.raises(ValidationFailed) as failure:
        add(world, email=email, password=password)

    assert set(failure.value.errors) == fields
    assert world.app.list_users() == []


def test_a_password_of_8_characters_is_enough() -> None:
    world = World()

    add(world, password="12345678")

    assert login(world, password="12345678")


def test_a_second_user_with_the_same_email_in_any_case_is_a_conflict() -> None:
    world = World()
    first = add(world, email="admin@example.com")

    with pytest.raises(DuplicateUser) as refused:
        add(world, email="ADMIN@example.COM", password="another password")

    assert isinstance(refused.value, Conflict)
    assert world.app.list_users() == [first]


def test_add_first_user_only_when_there_is_none() -> None:
    world = World()

    first = world.app.add_first_user(email="first@example.com", password=PASSWORD)
    second = world.app.add_first_user(email="second@example.com", password=PASSWORD)

    assert first is not None
    assert first.email.value == "first@example.com"
    assert second is None
    assert [u.email.value for u in world.app.list_users()] == ["first@example.com"]


def test_add_first_user_checks_what_it_creates() -> None:
    world = World()

    with pytest.raises(ValidationFailed):
        world.app.add_first_user(email="x", password=PASSWORD)

    assert world.app.list_users() == []


def test_list_users_is_sorted_by_email_ignoring_case() -> None:
    world = World()
    for email in ["carol@example.com", "Bob@example.com", "alice@example.com", "dave@example.com"]:
        add(world, email=email)

    assert [u.email.value for u in world.app.list_users()] == [
        "alice@example.com",
        "Bob@example.com",
        "carol@example.com",
        "dave@example.com",
    ]


# -- log in --------------------------------------------------------------------------------------


def test_log_in_gives_a_token_that_authenticates_the_user() -> None:
    world = World()
    user = add(world)

    token = login(world)

    assert world.app.authenticate(token) == user


def test_log_in_compares_emails_ignoring_case_and_surrounding_space() -> None:
    world = World()
    user = add(world, email="Admin@Example.com")

    token = login(world, email="  aDMIN@example.COM ")

    assert world.app.authenticate(token).id == user.id


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("admin@example.com", "wrong password"),
        ("admin@example.com", PASSWORD.upper()),
        ("admin@example.com", ""),
        ("nobody@example.com", PASSWORD),
        ("", PASSWORD),
    ],
)
def test_wrong_password_and_unknown_email_fail_alike(email: str, password: str) -> None:
    world = World()
    add(world)
    commits = world.uow.commits

    with pytest.raises(AuthenticationFailed) as failure:
        login(world, email=email, password=password)

    assert failure.value.detail == "invalid credentials"
    assert world.uow.commits == commits


def test_a_bad_or_expired_token_does_not_authenticate() -> None:
    world = World()
    add(world)
    token = login(world)

    with pytest.raises(AuthenticationFailed):
        world.app.authenticate(token + "x")
    with pytest.raises(AuthenticationFailed):
        world.app.authenticate("")

    world.clock.advance(timedelta(hours=24))
    with pytest.raises(AuthenticationFailed):
        world.app.authenticate(token)


def test_a_token_of_a_deleted_user_does_not_authenticate() -> None:
    world = World()
    user = add(world)
    token = login(world)
    with world.uow:
        world.uow.users.update(user.deleted(world.clock.now()))
        world.uow.commit()

    with pytest.raises(AuthenticationFailed):
        world.app.authenticate(token)
    with pytest.raises(AuthenticationFailed):
        login(world)


class UpgradingHasher(FastPasswordHasher):
    """A hasher that finds the stored hashes in an older format until it has rehashed one."""

    def __init__(self) -> None:
        self.outdated = True

    def needs_rehash(self, stored_hash: str, /) -> bool:
        return self.outdated

    def hash(self, password: str, /) -> str:
        self.outdated = False
        return super().hash(password)


def test_log_in_rehashes_a_hash_in_an_older_format() -> None:
    world = World()
    user = add(world)  # hashed by the plain FastPasswordHasher
    hasher = UpgradingHasher()
    commits = world.uow.commits

    token = replace(world.app, hasher=hasher).log_in(email="admin@example.com", password=PASSWORD)

    rehashed = stored_user(world, user)
    assert rehashed.password_hash != user.password_hash
    assert hasher.verify(PASSWORD, rehashed.password_hash)
    assert world.uow.commits == commits + 1
    assert world.app.authenticate(token).id == user.id

    # Up to date now: the next login writes nothing.
    replace(world.app, hasher=hasher).log_in(email="admin@example.com", password=PASSWORD)
    assert stored_user(world, user).password_hash == rehashed.password_hash
    assert world.uow.commits == commits + 1


def test_a_wrong_password_never_rehashes() -> None:
    world = World()
    user = add(world)
    hasher = UpgradingHasher()

    with pytest.raises(AuthenticationFailed):
        replace(world.app, hasher=hasher).log_in(email="admin@example.com", password="wrong!!!")

    assert stored_user(world, user).password_hash == user.password_hash


def test_a_current_hash_is_not_rewritten_at_login() -> None:
    world = World()
    user = add(world)
    commits = world.uow.commits

    login(world)

    assert stored_user(world, user).password_hash == user.password_hash
    assert world.uow.commits == commits


# -- change password ---------------------------------------------------------------------------


def test_change_password_lets_in_with_the_new_one_only() -> None:
    world = World()
    user = add(world, email="Admin@Example.com")

    changed = world.app.change_password(email=" admin@example.COM ", password="a new password")

    assert changed.id == user.id
    assert stored_user(world, user).password_hash == changed.password_hash
    assert login(world, email="admin@example.com", password="a new password")
    with pytest.raises(AuthenticationFailed):
        login(world, email="admin@example.com", password=PASSWORD)


def test_change_password_refuses_a_short_password_and_keeps_the_old_one() -> None:
    world = World()
    user = add(world)

    with pytest.raises(ValidationFailed) as failure:
        world.app.change_password(email="admin@example.com", password="short")

    assert set(failure.value.errors) == {"password"}
    assert stored_user(world, user).password_hash == user.password_hash
    assert login(world)


def test_change_password_of_an_unknown_user_is_not_found() -> None:
    world = World()
    add(world)

    with pytest.raises(NotFound):
        world.app.change_password(email="nobody@example.com", password=PASSWORD)
