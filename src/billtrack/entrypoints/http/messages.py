"""Validation messages as sentences about the field, never a library's words.

pydantic names what failed by an error type and its context (`int_parsing`, `less_than_equal`
with `le`); these are said here once, for the body and the query alike. A message billtrack wrote
itself (a `ValueError` in a validator) is kept, without pydantic's "Value error, " prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

_BY_TYPE = {
    "missing": "is required",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "decimal_parsing": "must be a number",
    "decimal_type": "must be a number",
    "float_parsing": "must be a number",
    "string_type": "must be text",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "date_type": "must be a date like 2024-10-14",
    "date_parsing": "must be a date like 2024-10-14",
    "date_from_datetime_parsing": "must be a date like 2024-10-14",
    "date_from_datetime_inexact": "must be a date like 2024-10-14",
    "uuid_type": "must be a UUID like 3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    "uuid_parsing": "must be a UUID like 3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "json_invalid": "must be valid JSON",
}


def plain_message(error: Mapping[str, Any]) -> str | None:
    """The sentence for one pydantic error; None for the branch of an optional query parameter
    that only admits the empty value (its other branch says what is wrong)."""
    kind = str(error.get("type", ""))
    context: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "literal_error" and context.get("expected") == "''":
        return None
    if kind == "value_error":
        return str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    bounds = {
        "greater_than_equal": ("ge", "must be {} or more"),
        "greater_than": ("gt", "must be more than {}"),
        "less_than_equal": ("le", "must be at most {}"),
        "less_than": ("lt", "must be less than {}"),
        "string_too_short": ("min_length", "must be at least {} characters"),
        "string_too_long": ("max_length", "must be at most {} characters"),
        "decimal_max_places": ("decimal_places", "must have at most {} decimal places"),
        "decimal_max_digits": ("max_digits", "must have at most {} digits"),
        "string_pattern_mismatch": ("pattern", "must match {}"),
    }
    if kind in bounds:
        name, sentence = bounds[kind]
        return sentence.format(context.get(name, "the limit"))
    return "is not valid"


def plain_messages(errors: Iterable[Mapping[str, Any]]) -> list[str]:
    """The sentences of several errors of one field, each once, in order."""
    said: list[str] = []
    for error in errors:
        message = plain_message(error)
        if message is not None and message not in said:
            said.append(message)
    return said or ["is not valid"]
