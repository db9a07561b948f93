"""Value objects: money, hours, names and e-mail addresses.

Amounts are `Decimal`, never `float`: a float cannot hold 0.1 exactly, and an invoice must. A value
object refuses a bad value with `InvalidValue`; the caller names the field (see `FieldErrors`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from billtrack.domain.model.errors import ValidationFailed

T = TypeVar("T")
CENT = Decimal("0.01")
MAX_TEXT_LENGTH = 100


class InvalidValue(ValueError):
    """A value broke its own rule; the message is written for the person who typed it."""


def exact_decimal(value: Decimal | int, places: int = 2) -> Decimal:
    """`value` with exactly `places` decimal places, refusing anything that would round."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected Decimal or int, got {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise InvalidValue("must be a finite number")
    quantum = Decimal(1).scaleb(-places)
    try:
        quantized = number.quantize(quantum)
    except InvalidOperation:
        # More digits than the decimal context holds: no amount of money or hours is that large.
        raise InvalidValue("is far too large") from None
    if quantized != number:
        raise InvalidValue(f"must have at most {places} decimal places")
    return quantized


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """A non-negative amount with exactly two decimal places."""

    amount: Decimal

    def __post_init__(self) -> None:
        amount = exact_decimal(self.amount)
        if amount < 0:
            raise InvalidValue("must be 0 or more")
        # -0.00 equals 0 but prints with its sign: keep the one zero an invoice should show.
        object.__setattr__(self, "amount", abs(amount) if amount == 0 else amount)

    def __str__(self) -> str:
        return str(self.amount)


@dataclass(frozen=True, slots=True, order=True)
class Hours:
    """The hours of one workday: more than 0, at most 24, at most two decimal places."""

    value: Decimal

    def __post_init__(self) -> None:
        value = exact_decimal(self.value)
        if not Decimal(0) < value <= Decimal(24):
            raise InvalidValue("must be more than 0 and at most 24")
        object.__setattr__(self, "value", value)

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True, order=True)
class Name:
    """A name of 1 to 100 characters, stored without surrounding white space."""

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str):
            raise TypeError(f"expected str, got {type(self.value).__name__}")
        value = check_text(self.value.strip())
        if not value:
            raise InvalidValue("must not be empty")
        if len(value) > MAX_TEXT_LENGTH:
            raise InvalidValue(f"must be at most {MAX_TEXT_LENGTH} characters")
        object.__setattr__(self, "value", value)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Email:
    """An e-mail address: one `@` not at either end, a dot in the domain part, no white space.

    Two addresses that differ only in case are the same person (`key`).
    """

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str):
            raise TypeError(f"expected str, got {type(self.value).__name__}")
        value = check_text(self.value.strip())
        local, at, domain = value.partition("@")
        if not value:
            raise InvalidValue("must not be empty")
        if len(value) > MAX_TEXT_LENGTH:
            raise InvalidValue(f"must be at most {MAX_TEXT_LENGTH} characters")
        if not at or not local or not domain or "@" in domain:
            raise InvalidValue("must be an e-mail address with one @ between a name and a domain")
        if "." not in domain:
            raise InvalidValue("must have a dot in its domain part")
        if len(value.split(maxsplit=1)) > 1:  # stripped already: a split means white space inside
            raise InvalidValue("must not contain white space")
        object.__setattr__(self, "value", value)

    @property
    def key(self) -> str:
        """What uniqueness compares: the address folded to lower case."""
        return email_key(self.value)

    def __str__(self) -> str:
        return self.value


def email_key(address: str) -> str:
    """How e-mail addresses are compared: accounts and employees are unique by this key, and a
    login finds its user by it."""
    return address.strip().lower()


def fold_name(text: str) -> str:
    """How names are compared by filters and sorting, in every adapter alike."""
    return text.lower()


def check_text(value: str) -> str:
    """Refuse characters no database stores as text: NUL and other control characters, and
    lone surrogates (halves of a UTF-16 pair, which no UTF-8 text can hold)."""
    # `isprintable` (in C) is true of nearly every name and address and excludes both
    # categories; only what it finds unprintable is looked at character by character.
    if not value.isprintable() and any(unicodedata.category(c) in {"Cc", "Cs"} for c in value):
        raise InvalidValue("must not contain control characters")
    return value


class FieldErrors:
    """Collects the errors of several fields, so one answer names every bad field at once."""

    def __init__(self) -> None:
        self._errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self._errors.setdefault(field, []).append(message)

    def absorb(self, failure: ValidationFailed) -> None:
        for field, messages in failure.errors.items():
            self._errors.setdefault(field, []).extend(messages)

    def __bool__(self) -> bool:
        return bool(self._errors)

    def raise_if_any(self) -> None:
        if self._errors:
            raise ValidationFailed({f: tuple(ms) for f, ms in self._errors.items()})


def parse_field(errors: FieldErrors, field: str, parse: Callable[[Any], T], raw: Any) -> T | None:
    """`parse(raw)`, or None with the reason recorded under `field`."""
    try:
        return parse(raw)
    except InvalidValue as exc:
        errors.add(field, str(exc))
        return None
