"""Invoice numbers: `YYYY-NNNNNN`, counted from 1 each year without gaps or repeats."""

from __future__ import annotations

import re
from dataclasses import dataclass

from billtrack.domain.model.values import InvalidValue

_PATTERN = re.compile(r"(\d{4})-(\d{6})")
MAX_SEQUENCE = 999_999


@dataclass(frozen=True, slots=True, order=True)
class InvoiceNumber:
    year: int
    sequence: int

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9999:
            raise InvalidValue("the year of an invoice number must have four digits")
        if not 1 <= self.sequence <= MAX_SEQUENCE:
            raise InvalidValue(f"an invoice number counts from 1 to {MAX_SEQUENCE} in a year")

    @classmethod
    def parse(cls, text: str) -> InvoiceNumber:
        match = _PATTERN.fullmatch(text)
        if match is None:
            raise InvalidValue("an invoice number looks like 2024-000017")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.sequence:06d}"
