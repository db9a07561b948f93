"""Request bodies as the original's clients send them.

Property names match case-insensitively, unknown ones are ignored, every number may also come as
a numeric string, and money and hours become Decimals without passing through a float (the body
is parsed here with `parse_float=Decimal`, not by the framework).
"""

from __future__ import annotations

import json
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

from billtrack.entrypoints.http.query import Id, IsoDate

ModelT = TypeVar("ModelT", bound="Body")
NUMERIC_STRING = r"^\s*-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"


class BodyError(Exception):
    """The body is not JSON, or not an object: reported under `serializerErrors`."""


def _number(value: Any) -> Any:
    # A bool is an int to Python; to the contract it is not a number.
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, str) and not value.strip():
        raise ValueError("must be a number")
    return value


def _storable(value: str) -> str:
    # The domain judges the text itself (after trimming); these two no database stores and no
    # hash can encode, so they stop here, for every field (a password too).
    if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
        raise ValueError("must not contain NUL or lone surrogate characters")
    return value


Text = Annotated[str, AfterValidator(_storable)]
"""A string that can be stored and hashed."""

DecimalIn = Annotated[
    Decimal,
    BeforeValidator(_number),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "pattern": NUMERIC_STRING}]}),
]
IntIn = Annotated[
    int,
    BeforeValidator(_number),
    WithJsonSchema(
        {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^\s*-?\d+\s*$"}]}
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
    name: Text = Field(description="1 to 100 characters after trimming.")


class EmployeeBody(PutBody):
    email: Text
    firstname: Text
    lastname: Text
    salary: DecimalIn = Field(description="Monthly salary, 0 or more, at most 2 decimal places.")
    department_id: Id
    project_id: Id


class WorkdayBody(PutBody):
    date: IsoDate
    hours: DecimalIn = Field(description="More than 0, at most 24, at most 2 decimal places.")
    employee_id: Id


class InvoiceBody(PutBody):
    month: IntIn
    year: IntIn
    employee_id: Id


class MonthRunBody(Body):
    year: IntIn
    month: IntIn


class LoginBody(Body):
    username: Text = Field(description="The user's e-mail address.")
    password: Text
