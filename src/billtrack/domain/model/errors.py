"""Domain errors. Each carries a kind, so an entrypoint maps every error in one place."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from uuid import UUID


class ErrorKind(enum.Enum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNAUTHORIZED = "unauthorized"


class DomainError(Exception):
    """A rule of the domain refused an operation."""

    kind: ErrorKind = ErrorKind.INVALID

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ValidationFailed(DomainError):
    """Input broke field rules; `errors` maps each field (snake_case) to its messages."""

    kind = ErrorKind.INVALID

    def __init__(self, errors: Mapping[str, tuple[str, ...]]) -> None:
        self.errors: dict[str, tuple[str, ...]] = dict(errors)
        fields = ", ".join(sorted(self.errors))
        super().__init__(f"invalid {fields}: " + "; ".join(m for ms in errors.values() for m in ms))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls({field: (message,)})


class NotFound(DomainError):
    kind = ErrorKind.NOT_FOUND

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key} does not exist")
        self.entity = entity
        self.key = key


class Conflict(DomainError):
    """The operation is well formed but clashes with data that exists."""

    kind = ErrorKind.CONFLICT


class DuplicateEmail(Conflict):
    def __init__(self, email: str) -> None:
        super().__init__(f"an active employee already has the e-mail {email}")


class DuplicateWorkday(Conflict):
    def __init__(self, employee_id: UUID, day: object) -> None:
        super().__init__(f"employee {employee_id} already logged a workday on {day}")


class DuplicateInvoice(Conflict):
    def __init__(self, employee_id: UUID, period: object) -> None:
        super().__init__(f"employee {employee_id} already has an invoice for {period}")


class MonthClosed(Conflict):
    def __init__(self, employee_id: UUID, period: object) -> None:
        super().__init__(
            f"{period} is closed for employee {employee_id}: an invoice exists "
            "(delete the invoice to reopen the month)"
        )


class StillReferenced(Conflict):
    def __init__(self, entity: str, entity_id: UUID, by: str) -> None:
        super().__init__(f"{entity} {entity_id} is still used by active {by}")


class NotReady(Conflict):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)


class DuplicateUser(Conflict):
    def __init__(self, email: str) -> None:
        super().__init__(f"a user with the e-mail {email} exists")


class AuthenticationFailed(DomainError):
    """Wrong e-mail or password, or a bad token: deliberately says nothing about which."""

    kind = ErrorKind.UNAUTHORIZED

    def __init__(self, detail: str = "invalid credentials") -> None:
        super().__init__(detail)
