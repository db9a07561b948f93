"""Users: managed from the CLI, logging in over the API."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID, uuid4

from billtrack.domain.model.errors import AuthenticationFailed, DuplicateUser, NotFound
from billtrack.domain.model.user import User
from billtrack.domain.model.values import Email, FieldErrors, email_key, parse_field
from billtrack.ports.clock import Clock
from billtrack.ports.security import PasswordHasher, TokenIssuer
from billtrack.ports.unit_of_work import UnitOfWork

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


def _check_password(errors: FieldErrors, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.add("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    elif len(password) > MAX_PASSWORD_LENGTH:
        errors.add("password", f"must be at most {MAX_PASSWORD_LENGTH} characters")


def add_user(
    email: str, password: str, *, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock
) -> User:
    errors = FieldErrors()
    address = parse_field(errors, "email", Email, email)
    _check_password(errors, password)
    errors.raise_if_any()
    assert address is not None
    with uow:
        if uow.users.with_email(address.key) is not None:
            raise DuplicateUser(address.value)
        user = User(
            id=uuid4(), created_at=clock.now(), email=address, password_hash=hasher.hash(password)
        )
        uow.users.add(user)
        uow.commit()
    return user


def add_first_user(
    email: str, password: str, *, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock
) -> User | None:
    """The first user, created at start when there is none yet; None when users exist."""
    with uow:
        if uow.users.all():
            return None
    return add_user(email, password, uow=uow, hasher=hasher, clock=clock)


def change_password(email: str, password: str, *, uow: UnitOfWork, hasher: PasswordHasher) -> User:
    errors = FieldErrors()
    _check_password(errors, password)
    errors.raise_if_any()
    with uow:
        user = uow.users.with_email(email_key(email))
        if user is None:
            raise NotFound("user", email.strip())
        user = user.with_password_hash(hasher.hash(password))
        uow.users.update(user)
        uow.commit()
    return user


def list_users(*, uow: UnitOfWork) -> Sequence[User]:
    with uow:
        return sorted(uow.users.all(), key=lambda u: u.email.key)


def log_in(
    email: str,
    password: str,
    *,
    uow: UnitOfWork,
    hasher: PasswordHasher,
    tokens: TokenIssuer,
    reader: UnitOfWork | None = None,
) -> str:
    """A token for the right e-mail and password. An unknown e-mail costs a hash as a wrong
    password does, and both fail alike, so an answer tells nothing about which accounts exist.

    The password is checked in `reader` (by default `uow`), a transaction that only reads, so
    the time a hash takes holds no write lock; `uow` writes only an old hash's replacement."""
    with reader if reader is not None else uow as reading:
        user = reading.users.with_email(email_key(email))
    if user is None or not user.is_active:
        hasher.hash(password)
        raise AuthenticationFailed
    if not hasher.verify(password, user.password_hash):
        raise AuthenticationFailed
    if hasher.needs_rehash(user.password_hash):
        # An imported hash in an older format becomes a current one while we know the password.
        rehashed = user.with_password_hash(hasher.hash(password))
        with uow:
            current = uow.users.get(user.id)
            if current is not None and current.password_hash == user.password_hash:
                uow.users.update(rehashed)
                uow.commit()
    return tokens.issue(user.id)


def get_user(user_id: UUID, *, uow: UnitOfWork) -> User | None:
    """The user of the id, active or not; None when there is none."""
    with uow:
        return uow.users.get(user_id)


def authenticate(token: str, *, uow: UnitOfWork, tokens: TokenIssuer) -> User:
    """The user a bearer token stands for, if it is valid and the user still exists."""
    user_id = tokens.verify(token)
    with uow:
        user = uow.users.get(user_id)
    if user is None or not user.is_active:
        raise AuthenticationFailed("the token's user no longer exists")
    return user
