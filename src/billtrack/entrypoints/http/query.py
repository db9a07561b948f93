"""Query parameter types as the contract reads them, and as the OpenAPI document states them.

An empty value (`filterByName=`) means the parameter is absent (the `ContractQueryString`
middleware drops it before validation), so each optional parameter's schema admits "" too.
Ids and dates are held to their canonical text forms, the patterns the document states, so what
it calls invalid is refused rather than guessed at.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal, TypeVar
from uuid import UUID

from pydantic import BeforeValidator, Field, WithJsonSchema

from billtrack.entrypoints.http import patterns
from billtrack.ports.queries import MAX_PAGE_NUMBER

T = TypeVar("T")
Blank = Literal[""]
LAST_YEAR = 9999
"""The last year a month (`YearMonth`) can be in."""
_UUID_TEXT = re.compile(patterns.UUID)
_DATE_TEXT = re.compile(patterns.DATE)


def _uuid_text(value: object) -> object:
    if isinstance(value, str) and not _UUID_TEXT.fullmatch(value):
        raise ValueError("must be a UUID like 3f2504e0-4f89-11d3-9a0c-0305e82c3301")
    return value


def _date_text(value: object) -> object:
    if isinstance(value, str) and not _DATE_TEXT.fullmatch(value):
        raise ValueError("must be a date like 2024-10-14")
    return value


Id = Annotated[
    UUID,
    BeforeValidator(_uuid_text),
    WithJsonSchema({"type": "string", "format": "uuid", "pattern": patterns.UUID}),
]
IsoDate = Annotated[
    dt.date,
    BeforeValidator(_date_text),
    WithJsonSchema({"type": "string", "format": "date", "pattern": patterns.DATE}),
]
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE_NUMBER)]
PageSize = Annotated[int, Field(ge=1)]
Month = Annotated[int, Field(ge=1, le=12)]
Year = Annotated[int, Field(ge=1, le=LAST_YEAR)]


def present(value: T | Blank | None) -> T | None:
    """The parameter's value, None when it was absent or blank."""
    if value is None or value == "":
        return None
    return value
