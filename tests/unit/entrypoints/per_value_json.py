"""The per-value JSON encoder billtrack used before msgspec: the oracle of test_json_encoding."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID


def encode(value: Any, indent: int | None = None) -> str:
    """`value` as JSON text; with `indent`, one member per line, as `json.dumps` would lay it out."""
    parts: list[str] = []
    _encode(value, parts, indent, 0)
    return "".join(parts)


def _encode(value: Any, out: list[str], indent: int | None, level: int) -> None:
    if value is None or isinstance(value, bool | int | str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} has no JSON form")
        out.append(f"{value:f}")
    elif isinstance(value, float):
        raise TypeError("floats have no place in billtrack's answers: use Decimal")
    elif isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        out.append(json.dumps(value.astimezone(UTC).isoformat().replace("+00:00", "Z")))
    elif isinstance(value, date):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, UUID):
        out.append(f'"{value}"')
    elif isinstance(value, enum.Enum):
        _encode(value.value, out, indent, level)
    elif isinstance(value, Mapping):
        _container("{", "}", list(value.items()), out, indent, level)
    elif isinstance(value, list | tuple):
        _container("[", "]", list(value), out, indent, level)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _container(
    opening: str, closing: str, members: list[Any], out: list[str], indent: int | None, level: int
) -> None:
    if not members:
        out.append(opening + closing)
        return
    inner = "" if indent is None else "\n" + " " * (indent * (level + 1))
    outer = "" if indent is None else "\n" + " " * (indent * level)
    out.append(opening)
    for index, member in enumerate(members):
        out.append(("," if index else "") + inner)
        if opening == "{":
            key, member = member
            out.append(
                json.dumps(str(key), ensure_ascii=False) + (": " if indent is not None else ":")
            )
        _encode(member, out, indent, level + 1)
    out.append(outer + closing)
