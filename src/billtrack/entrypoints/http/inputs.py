"""Request bodies as the original's clients send them.

Property names match case-insensitively, unknown ones are ignored, every number may also come as
a numeric string, and money and hours become Decimals without passing through a float (the body
is parsed here with `parse_float=Decimal`, not by the framework).

Each field's schema states every rule of the field that the document can state (see `patterns`),
but the rules are enforced where they live, by the domain, in its words: the schema here only
says them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel

from billtrack.domain.model.employee import MAX_SALARY
from billtrack.domain.model.invoice import FIRST_INVOICE_YEAR
from billtrack.entrypoints.http import patterns
from billtrack.entrypoints.http.query import LAST_YEAR, Id, IsoDate

ModelT = TypeVar("ModelT", bound="Body")
PLACES = 2
"""The decimal places of money and hours (`exact_decimal`'s default)."""
MAX_HOURS = 24
"""The most hours one workday holds (`Hours`)."""


class BodyError(Exception):
    """The body is not JSON, or not an object: reported under `serializerErrors`."""


def _numeric(grammar: str, message: str) -> Callable[[Any], Any]:
    """A check that a number, when written as a string, is written as `grammar` says."""
    spelled = re.compile(grammar)

    def check(value: Any) -> Any:
        # A bool is an int to Python; to the contract it is not a number.
        if isinstance(value, bool):
            raise ValueError("must be a number")
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("must be a number")
            # Python would also read `1_000`, `١٢` or `1e1` here; the document promises the
            # plain decimal form only, so that its patterns can state each field's range.
            if not spelled.fullmatch(value):
                raise ValueError(message)
            return value.strip(" \t\n\r")
        return value

    return check


def _storable(value: str) -> str:
    # The domain judges the text itself (after trimming); these two no database stores and no
    # hash can encode, so they stop here, for every field (a password too).
    if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
        raise ValueError("must not contain NUL or lone surrogate characters")
    return value


def _text(pattern: str, **more: Any) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": pattern, **more})


def _number_or_text(number: dict[str, Any], pattern: str) -> WithJsonSchema:
    return WithJsonSchema({"anyOf": [number, {"type": "string", "pattern": pattern}]})


Text = Annotated[str, AfterValidator(_storable), _text(patterns.STORABLE_TEXT)]
"""A string that can be stored and hashed."""
NameText = Annotated[str, AfterValidator(_storable), _text(patterns.NAME)]
"""A name, as `Name` takes it."""
EmailText = Annotated[
    str,
    AfterValidator(_storable),
    _text(patterns.EMAIL, **{"not": {"pattern": patterns.EMAIL_TOO_LONG}}),
]
"""An e-mail address, as `Email` takes it."""

_decimal = BeforeValidator(_numeric(patterns.NUMBER_TEXT, "must be a number"))
_whole = BeforeValidator(_numeric(patterns.WHOLE_NUMBER_TEXT, "must be a whole number"))
_cents = {"multipleOf": 10**-PLACES}
Salary = Annotated[
    Decimal,
    _decimal,
    _number_or_text(
        {"type": "number", "minimum": 0, "maximum": int(MAX_SALARY), **_cents},
        patterns.decimal_text(int(MAX_SALARY), PLACES, zero=True),
    ),
]
HoursIn = Annotated[
    Decimal,
    _decimal,
    _number_or_text(
        {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_HOURS, **_cents},
        patterns.decimal_text(MAX_HOURS, PLACES, zero=False),
    ),
]
MonthIn = Annotated[
    int,
    _whole,
    _number_or_text({"type": "integer", "minimum": 1, "maximum": 12}, patterns.whole_text(1, 12)),
]
InvoiceYear = Annotated[
    int,
    _whole,
    _number_or_text(
        {"type": "integer", "minimum": FIRST_INVOICE_YEAR, "maximum": LAST_YEAR},
        patterns.whole_text(FIRST_INVOICE_YEAR, LAST_YEAR),
    ),
]


class Body(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", str_strip_whitespace=False
    )

    @classmethod
    def parse(cls: type[ModelT], raw: bytes) -> ModelT:
        """The body, or `BodyError` (not JSON) or `ValidationError` (wrong fields)."""
        try:
            data = json.loads(raw or b"null", parse_float=Decimal, parse_constant=_no_constants)
        except (ValueError, UnicodeDecodeError) as error:
            raise BodyError(f"the body is not valid JSON: {error}") from error
        except RecursionError as error:
            raise BodyError("the body is nested too deeply") from error
        if not isinstance(data, dict):
            raise BodyError("the body must be a JSON object")
        return cls.model_validate(cls._canonical_keys(data))

    @classmethod
    def _canonical_keys(cls, data: dict[str, Any]) -> dict[str, Any]:
        known = {(f.alias or name).lower(): f.alias or name for name, f in cls.model_fields.items()}
        return {known.get(str(key).lower(), key): value for key, value in data.items()}

    @classmethod
    def field_name(cls, location: str | int) -> str:
        """The camelCase name a validation error reports for `location`."""
        for name, field in cls.model_fields.items():
            if location in (name, field.alias):
                return field.alias or to_camel(name)
        return str(location)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


class PutBody(Body):
    id: Id | None = Field(default=None, description="When present, must equal the path's id.")


class NameBody(PutBody):
    name: NameText = Field(description="1 to 100 characters after trimming; stored trimmed.")


class EmployeeBody(PutBody):
    email: EmailText = Field(
        description="One @ not at either end, a dot after it, no white space; at most 100 "
        "characters after trimming. Unique among active employees, ignoring case (409)."
    )
    firstname: NameText = Field(description="1 to 100 characters after trimming.")
    lastname: NameText = Field(description="1 to 100 characters after trimming.")
    salary: Salary = Field(description="Monthly salary, 0 to 1000000000, at most 2 decimal places.")
    department_id: Id = Field(description="An active department (400 otherwise).")
    project_id: Id = Field(description="An active project (400 otherwise).")


class WorkdayBody(PutBody):
    date: IsoDate = Field(description="Not after today (400 otherwise).")
    hours: HoursIn = Field(description="More than 0, at most 24, at most 2 decimal places.")
    employee_id: Id = Field(description="An active employee (400 otherwise).")


class InvoiceBody(PutBody):
    month: MonthIn = Field(description="Not after the current month (400 otherwise).")
    year: InvoiceYear = Field(description="From 2000.")
    employee_id: Id = Field(description="An active employee (400 otherwise).")


class MonthRunBody(Body):
    year: InvoiceYear = Field(description="From 2000.")
    month: MonthIn = Field(description="Not after the current month (400 otherwise).")


class LoginBody(Body):
    username: Text = Field(description="The user's e-mail address.")
    password: Text
