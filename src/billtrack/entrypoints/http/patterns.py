"""The text forms the API reads, as the regular expressions its OpenAPI document states.

A JSON Schema `pattern` is read by three engines: ECMA-262's (the standard's), Python's `re`
(schemathesis draws requests from it) and Rust's `regex` (jsonschema-rs checks what is drawn). The
patterns here mean the same in all three: explicit character classes with `\\xHH` and `\\uHHHH`
escapes, never `\\d`, `\\s`, `\\w` or `.` (whose meanings differ between them), no lookaround
(Python's `re` reads it, but the request generator cannot draw from it), and anchored at both ends,
since a `pattern` otherwise matches anywhere in the value. (Python's `$` also matches before a
final newline; the server matches with `fullmatch`, which, like the other two, does not.)

Each one describes exactly what the server accepts, so that a value the document calls valid is
refused only for what the data decides (an unknown id, a date after today), and every value it
calls invalid is refused.
"""

from __future__ import annotations

from billtrack.domain.model.values import MAX_TEXT_LENGTH

UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
"""A UUID in its hyphenated form, in either case."""

DATE = (
    r"^(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
    r"-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$"
)
"""YYYY-MM-DD from year 0001 (there is no year 0); `format: date` adds the length of each month."""

_BLANK = r"[ \t\n\r]"
"""JSON's white space, which may stand around a number written as a string."""

NUMBER_TEXT = rf"^{_BLANK}*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+){_BLANK}*$"
"""A number written as a string: decimal digits with an optional point and sign, no exponent.

Without an exponent, a string's range and decimal places can be stated by a pattern (see
`decimal_text`); a JSON number's are stated by `minimum`, `maximum` and `multipleOf`."""

WHOLE_NUMBER_TEXT = rf"^{_BLANK}*[+-]?[0-9]+(?:\.0+)?{_BLANK}*$"
"""A whole number written as a string (a point and zeros after it leave it whole, as the
JSON number 1.0 is an integer to JSON Schema)."""

TRIMMED = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""What `str.strip()` removes around a name: the characters `str.isspace()` calls white space."""

CONTROL = r"\x00-\x1f\x7f-\x9f"
"""Unicode's control characters (category Cc), which the domain refuses in stored text."""

INNER_SPACE = r"\x20\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""The white space that is not a control character: a name may hold it between its words."""


def _name(max_length: int) -> str:
    around, edge, inner = f"[{TRIMMED}]", f"[^{CONTROL}{INNER_SPACE}]", f"[^{CONTROL}]"
    return rf"^{around}*{edge}(?:{inner}{{0,{max_length - 2}}}{edge})?{around}*$"


NAME = _name(MAX_TEXT_LENGTH)
"""A name: 1 to 100 characters once the white space around it is trimmed, none of them a control
character (which leaves white space at either end of what is kept impossible)."""

EMAIL = rf"^[{TRIMMED}]*[^{CONTROL}{INNER_SPACE}@]+@[^{CONTROL}{INNER_SPACE}@]*\.[^{CONTROL}{INNER_SPACE}@]*[{TRIMMED}]*$"
"""An e-mail address, once trimmed: one `@` with something before it, and a dot after it; no
white space or control character. Its length is bounded by `EMAIL_TOO_LONG`."""

EMAIL_TOO_LONG = rf"^[{TRIMMED}]*[^{TRIMMED}]{{{MAX_TEXT_LENGTH + 1}}}"
"""What an address longer than 100 characters once trimmed starts with: the document says `not`
this. (A second pattern rather than a lookahead in `EMAIL`, which the generator cannot draw from.)"""

STORABLE_TEXT = r"^[^\x00]*$"
"""Text without NUL, which no database stores. (Lone surrogates are refused too, but no pattern
can name them: a JSON text that holds one is not interoperable JSON in the first place.)"""


def whole_numbers(low: int, high: int) -> str:
    """A regular expression of the whole numbers from `low` to `high` (both 1 or more), written
    without leading zeros: alternatives, to be grouped by the caller."""
    if not 1 <= low <= high:
        raise ValueError(f"no whole numbers from {low} to {high}")
    parts: list[str] = []
    every_length: list[int] = []  # lengths of which every number is in the range
    for digits in range(len(str(low)), len(str(high)) + 1):
        first, last = max(low, 10 ** (digits - 1)), min(high, 10**digits - 1)
        if (first, last) == (10 ** (digits - 1), 10**digits - 1):
            every_length.append(digits)
        else:
            parts += _same_length(str(first), str(last))
    if every_length:
        parts.append("[1-9]" + _digits(every_length[0] - 1, every_length[-1] - 1))
    return "|".join(parts)


def _digits(fewest: int, most: int) -> str:
    """From `fewest` to `most` digits, as a pattern."""
    if most == 0:
        return ""
    if fewest == most:
        return "[0-9]" if most == 1 else f"[0-9]{{{most}}}"
    return "[0-9]?" if (fewest, most) == (0, 1) else f"[0-9]{{{fewest},{most}}}"


def _same_length(low: str, high: str) -> list[str]:
    """Alternatives for the digit strings from `low` to `high`, of one length (leading zeros
    allowed: this is a tail), split where their first digits part."""
    if low == high:
        return [low]
    if low[0] == high[0]:
        return [low[0] + rest for rest in _same_length(low[1:], high[1:])]
    tail = len(low) - 1
    parts: list[str] = []
    first, last = int(low[0]), int(high[0])
    if low[1:] != "0" * tail:
        parts += [low[0] + rest for rest in _same_length(low[1:], "9" * tail)]
        first += 1
    full_high = high[1:] == "9" * tail
    if not full_high:
        last -= 1
    if first <= last:
        parts.append((str(first) if first == last else f"[{first}-{last}]") + _digits(tail, tail))
    if not full_high:
        parts += [high[0] + rest for rest in _same_length("0" * tail, high[1:])]
    return parts


def decimal_text(maximum: int, places: int, *, zero: bool) -> str:
    """A number written as a string (`NUMBER_TEXT`) of at most `places` decimal places, above 0
    and at most `maximum`; 0 itself (with either sign, as -0 is 0) too when `zero`."""
    fraction = rf"(?:\.[0-9]{{0,{places}}}0*)?"
    below_one = "|".join(
        f"{'0' * leading}[1-9]{_digits(0, places - 1 - leading)}" for leading in range(places)
    )
    positive = [
        rf"0*(?:{whole_numbers(1, maximum - 1)}){fraction}",
        rf"0*{maximum}(?:\.0*)?",
        rf"0*\.(?:{below_one})0*",
    ]
    values = rf"\+?(?:{'|'.join(positive)})"
    if zero:
        values += r"|[+-]?(?:0+(?:\.0*)?|\.0+)"
    return rf"^{_BLANK}*(?:{values}){_BLANK}*$"


def whole_text(low: int, high: int) -> str:
    """A whole number written as a string (`WHOLE_NUMBER_TEXT`) from `low` to `high` (1 or more)."""
    return rf"^{_BLANK}*\+?0*(?:{whole_numbers(low, high)})(?:\.0+)?{_BLANK}*$"
