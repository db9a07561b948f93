"""Filtering, sorting and paging a table in Python, with the contract's ordering rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from billtrack.domain.model.lifecycle import Entity
from billtrack.ports.queries import Page, PageRequest, SortDirection

E = TypeVar("E", bound=Entity)


def page_of(
    rows: Iterable[E],
    request: PageRequest,
    sort_key: Callable[[E], Any] | None = None,
    direction: SortDirection | None = None,
) -> Page[E]:
    """Active rows, in creation order (then id); then by `sort_key` in `direction` when given.

    Sorting is stable, so rows that tie on the key keep creation order in either direction.
    """
    ordered = sorted((r for r in rows if r.is_active), key=lambda r: (r.created_at, r.id))
    if sort_key is not None and direction is not None:
        ordered.sort(key=sort_key, reverse=direction is SortDirection.DESC)
    items = tuple(ordered[request.offset : request.offset + request.size])
    return Page(items, request.number, request.size, len(ordered))
