"""The repositories' query language: paging, filters and sorting, as the HTTP contract has them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar
from uuid import UUID

from billtrack.domain.model.values import FieldErrors, fold_name

T = TypeVar("T")
MAX_PAGE_SIZE = 1000
MAX_PAGE_NUMBER = 1_000_000_000
DEFAULT_PAGE_SIZE = 10


class SortDirection(enum.Enum):
    ASC = "asc"
    DESC = "desc"

    @classmethod
    def parse(cls, text: str | None) -> SortDirection | None:
        """`asc` or `desc` in any case; any other value sorts ascending, as the original did."""
        if text is None or text == "":
            return None
        return cls.DESC if text.strip().lower() == "desc" else cls.ASC


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Page numbers start at 1; a page size above 1000 is served as 1000."""

    number: int = 1
    size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        errors = FieldErrors()
        if not 1 <= self.number <= MAX_PAGE_NUMBER:
            errors.add("page", f"must be from 1 to {MAX_PAGE_NUMBER}")
        if self.size < 1:
            errors.add("page_size", "must be 1 or more")
        errors.raise_if_any()
        object.__setattr__(self, "size", min(self.size, MAX_PAGE_SIZE))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    number: int
    size: int
    total_count: int


def matches_name(needle: str | None, *haystacks: str) -> bool:
    """The contract's name filter: a case-insensitive substring match in which every character,
    `%`, `_` and `\\` among them, matches itself."""
    if not needle:
        return True
    folded = fold_name(needle)
    return any(folded in fold_name(haystack) for haystack in haystacks)


@dataclass(frozen=True, slots=True)
class NameQuery:
    """Departments and projects."""

    page: PageRequest = field(default_factory=PageRequest)
    name: str | None = None
    sort_by_name: SortDirection | None = None


@dataclass(frozen=True, slots=True)
class EmployeeQuery:
    page: PageRequest = field(default_factory=PageRequest)
    name: str | None = None
    """Matches the first name, the last name, or "first last"."""
    department_id: UUID | None = None
    project_id: UUID | None = None
    sort_by_name: SortDirection | None = None
    """Last name, then first name, both in this direction."""


@dataclass(frozen=True, slots=True)
class WorkdayQuery:
    page: PageRequest = field(default_factory=PageRequest)
    day: date | None = None
    employee_id: UUID | None = None
    sort_by_date: SortDirection | None = None
    from_day: date | None = None
    """With `to_day`: only workdays dated in this range, both ends included (the web pages')."""
    to_day: date | None = None


@dataclass(frozen=True, slots=True)
class InvoiceQuery:
    page: PageRequest = field(default_factory=PageRequest)
    employee_id: UUID | None = None
    month: int | None = None
    year: int | None = None
    sort_by_date: SortDirection | None = None
    """Year, then month."""
