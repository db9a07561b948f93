"""What of a text the builtin renderer can print, and `UnsupportedText` for what it cannot.

A character is printed only if the shipped font draws it; anything else stops the render with
`UnsupportedText`, naming the field and the characters, rather than coming out as "?" or as an
empty box. Before that check, text is put into the form a font's character map expects: composed
(NFC, so "e" followed by a combining circumflex and tilde is the one letter "ễ" the font has), with
line breaks, tabs and other spaces as plain spaces (every field is drawn on one line), and with
invisible formatting characters (zero-width joiners, direction marks, soft hyphens) left out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from billtrack.adapters.builtin_pdf.truetype import TrueTypeFont
from billtrack.ports.errors import PermanentFailure

_SHOWN_VALUE_LENGTH = 60


def printable(text: str) -> str:
    """`text` composed, its whitespace and control characters as spaces, its format characters
    dropped; one line, ready to be checked against a font."""
    if text.isascii() and text.isprintable():
        return text
    text = unicodedata.normalize("NFC", text)
    kept = []
    for character in text:
        category = unicodedata.category(character)
        if category == "Cf":
            continue
        kept.append(" " if character.isspace() or category == "Cc" else character)
    return "".join(kept)


@dataclass(frozen=True, slots=True)
class UnprintableField:
    field: str
    """What the text is, as a person calls it: "employee name", "project"."""
    value: str
    characters: str
    """The characters that cannot be printed, each once, in the order they occur."""


class UnsupportedText(ValueError, PermanentFailure):
    """An invoice has text that the builtin renderer's font does not cover (Chinese, Japanese,
    Korean, Arabic, ...). The message names each field and character, for the invoice's reason."""

    def __init__(self, invoice_number: str, fields: Sequence[UnprintableField]) -> None:
        self.invoice_number = invoice_number
        self.fields = tuple(fields)
        problems = "; ".join(
            f"the {field.field} {_shown(field.value)} has "
            + ", ".join(f"{character} (U+{ord(character):04X})" for character in field.characters)
            for field in self.fields
        )
        super().__init__(
            f"invoice {invoice_number} cannot be printed with the builtin PDF renderer: "
            f"{problems}. Its font covers Latin, Greek and Cyrillic letters only; the Chromium "
            f"renderer (BILLTRACK_PDF_RENDERER=chromium) prints other scripts"
        )


def check_printable(invoice_number: str, fields: Iterable[tuple[str, str, TrueTypeFont]]) -> None:
    """Raise `UnsupportedText` unless each (field, printable text, font) is covered by its font."""
    unprintable = []
    for field, text, font in fields:
        missing = "".join(c for c in dict.fromkeys(text) if not font.covers(c))
        if missing:
            unprintable.append(UnprintableField(field, text, missing))
    if unprintable:
        raise UnsupportedText(invoice_number, unprintable)


def _shown(value: str) -> str:
    if len(value) > _SHOWN_VALUE_LENGTH:
        value = value[: _SHOWN_VALUE_LENGTH - 1] + "\u2026"
    return f"\u201c{value}\u201d"
