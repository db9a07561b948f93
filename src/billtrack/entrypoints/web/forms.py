"""Errors next to the fields they concern: the domain names fields in snake_case (`department_id`,
`employee_id`, `date`); each form says which of its fields shows which."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from billtrack.domain.model.errors import ValidationFailed

FieldErrors = dict[str, list[str]]
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
FORM = ""
"""Where an error that concerns no one field goes: the summary above the form."""


def field_errors(failure: ValidationFailed, fields: Mapping[str, str] | None = None) -> FieldErrors:
    """`failure`'s messages by form field (`fields` maps domain names to form names; a domain
    name the form does not show goes to the form as a whole)."""
    fields = fields or {}
    found: FieldErrors = {}
    for name, messages in failure.errors.items():
        found.setdefault(fields.get(name, name), []).extend(messages)
    return found


def add(errors: FieldErrors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def parse_amount(text: str) -> Decimal | None:
    """A number as people type it: `4200`, `4200.50`, `4,200.50`, `4200,50`, `7,5`; None when it is
    not one."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(",", "")  # 4,200.50: the comma groups thousands
    elif cleaned.count(",") == 1 and len(cleaned.split(",")[1]) != 3:
        cleaned = cleaned.replace(",", ".")  # 7,5 or 4200,50: a decimal comma
    elif "," in cleaned:
        cleaned = cleaned.replace(",", "")  # 4,200 or 1,000,000
    if not _NUMBER.fullmatch(cleaned):
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def about(messages: list[str], label: str) -> str:
    """A field's messages as sentences: a rule (`must not be empty`) follows the field's label,
    a sentence of its own (`Ada Lovelace already has ...`) stands alone."""
    sentences = [m if m[:1].isupper() else f"{label} {m}" for m in messages]
    return "; ".join(s.rstrip(".") for s in sentences) + "."
