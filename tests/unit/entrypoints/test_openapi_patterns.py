"""The rules the OpenAPI document states for a field are exactly the rules the API enforces:
every value the field's schema admits, the body's parsing and the domain accept, and every value
it refuses, they refuse (so a schema-valid request is refused only for what the data decides).

The schemas are judged by jsonschema-rs, the validator schemathesis judges requests with. And each
pattern reads the same in the three engines that read it: Python's `re` (the server, which
matches whole values), Rust's `regex` (jsonschema-rs) and ECMA-262's (the standard's, run here in
the Node.js that Playwright ships).
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from billtrack.domain.model.employee import salary
from billtrack.domain.model.errors import ValidationFailed
from billtrack.domain.model.invoice import invoice_period
from billtrack.domain.model.values import Email, Hours, InvalidValue, Name
from billtrack.entrypoints.http import patterns
from billtrack.entrypoints.http.inputs import (
    Body,
    EmployeeBody,
    InvoiceBody,
    LoginBody,
    NameBody,
    WorkdayBody,
)

SOME_ID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
LAST_DAY = date(9999, 12, 31)
"""'Today' for the month rules, so that only the rules a schema can state are left."""
EXAMPLES = settings(max_examples=300, deadline=None)

WHITE_SPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]
CONTROLS = ["\x00", "\x01", "\x08", "\x1b", "\x7f", "\x80", "\x9f"]
LETTERS = [*"aZ9łŁśŻЖжωΩ日-'.", "\u00e9", "\u0301", "\U0001f600"]


def refused(parse: Callable[[], object]) -> bool:
    try:
        parse()
    except (ValidationError, InvalidValue, ValidationFailed):
        return True
    return False


def property_schema(model: type[BaseModel], name: str) -> dict[str, Any]:
    return model.model_json_schema(by_alias=True)["properties"][name]  # type: ignore[no-any-return]


def admits(schema: dict[str, Any], value: object) -> bool:
    return bool(jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(value))


def parsed(model: type[Body], **fields: object) -> Any:
    return model.parse(json.dumps(fields).encode())


def raw_parsed(model: type[Body], fields: Mapping[str, object], name: str, text: str) -> Any:
    """The body with `name` written as the JSON text `text` (a number exactly as written)."""
    others = json.dumps(fields)[1:-1]
    return model.parse(f'{{{others}, "{name}": {text}}}'.encode())


# --- the checks of one field, as the server makes them ------------------------------------------


def name_refused(value: str) -> bool:
    return refused(lambda: Name(parsed(NameBody, name=value).name))


EMPLOYEE = {
    "email": "a@b.c",
    "firstname": "A",
    "lastname": "B",
    "salary": 1,
    "departmentId": SOME_ID,
    "projectId": SOME_ID,
}


def email_refused(value: str) -> bool:
    return refused(lambda: Email(parsed(EmployeeBody, **{**EMPLOYEE, "email": value}).email))


def salary_refused(text: str) -> bool:
    fields = {k: v for k, v in EMPLOYEE.items() if k != "salary"}
    return refused(lambda: salary(raw_parsed(EmployeeBody, fields, "salary", text).salary))


def login_text_refused(value: str) -> bool:
    return refused(lambda: parsed(LoginBody, username=value, password=value))


def hours_refused(text: str) -> bool:
    fields = {"date": "2024-10-01", "employeeId": SOME_ID}
    return refused(lambda: Hours(raw_parsed(WorkdayBody, fields, "hours", text).hours))


def month_refused(text: str) -> bool:
    def check() -> None:
        body = raw_parsed(InvoiceBody, {"year": 2024, "employeeId": SOME_ID}, "month", text)
        invoice_period(body.year, body.month, LAST_DAY)

    return refused(check)


def year_refused(text: str) -> bool:
    def check() -> None:
        body = raw_parsed(InvoiceBody, {"month": 1, "employeeId": SOME_ID}, "year", text)
        invoice_period(body.year, body.month, LAST_DAY)

    return refused(check)


# --- values near every rule's edges ---------------------------------------------------------------

blanks = st.text(st.sampled_from([" ", "\t", "\n", "\r", "\xa0", "\u2003"]), max_size=2)
signs = st.sampled_from(["", "", "+", "-"])
digit_runs = st.one_of(
    st.integers(0, 30).map(str),
    st.integers(0, 10**10).map(str),
    st.sampled_from(
        ["", "0", "00", "24", "0024", "1000000000", "999999999", "1_0", "\u0661\u0662", "\uff11"]
    ),
)
fractions = st.sampled_from(["", ".", ".0", ".00", ".000", ".5", ".50", ".500", ".05", ".005"])
exponents = st.sampled_from(["", "", "", "e0", "E1", "e-2"])
numeric_texts = st.builds(
    lambda *parts: "".join(parts), blanks, signs, digit_runs, fractions, exponents, blanks
)
json_numbers = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.decimals(-2000, 2 * 10**9, places=2).map(str),
    st.decimals(-1, 30, places=3).map(str),
    st.floats(-1e10, 1e10, allow_nan=False).map(json.dumps),
    st.sampled_from(["0", "-0", "-0.0", "24", "24.00", "24.01", "1e2", "1E-2", "0.001", "2e3"]),
)


def texts(alphabet: list[str], *, near: int) -> st.SearchStrategy[str]:
    """Text of `alphabet`, short or near `near` characters long, white space around it."""
    around = st.text(st.sampled_from(WHITE_SPACE), max_size=3)
    core = st.one_of(
        st.text(st.sampled_from(alphabet), max_size=8),
        st.text(st.sampled_from(alphabet), min_size=near - 3, max_size=near + 2),
    )
    return st.builds(lambda *parts: "".join(parts), around, core, around)


name_texts = texts([*LETTERS, " ", "\xa0", "\u2028", "\t", *CONTROLS], near=100)
email_texts = st.one_of(
    texts([*LETTERS, "@", ".", ".", " ", "\t", "\x00", "\x85"], near=100),
    st.builds(
        lambda local, domain, tld, pad: f"{pad}{local}@{domain}.{tld}{pad}",
        st.text(st.sampled_from([*LETTERS, "@", " "]), max_size=60),
        st.text(st.sampled_from([*LETTERS, "@", " "]), max_size=40),
        st.text(st.sampled_from(LETTERS), max_size=4),
        st.sampled_from(["", " ", "\n\t"]),
    ),
)


# --- the tests ------------------------------------------------------------------------------------


def test_whole_numbers_are_the_range_and_nothing_else() -> None:
    for low in range(1, 60):
        for high in range(low, 2100, 37):
            written = re.compile(f"(?:{patterns.whole_numbers(low, high)})")
            for number in range(2200):
                assert bool(written.fullmatch(str(number))) == (low <= number <= high), (low, high)
            assert not written.fullmatch(f"0{low}")


@EXAMPLES
@given(name_texts)
def test_a_name_is_admitted_exactly_when_it_is_accepted(value: str) -> None:
    schema = property_schema(NameBody, "name")
    assert admits(schema, value) == (not name_refused(value)), repr(value)
    for field in ("firstname", "lastname"):
        assert property_schema(EmployeeBody, field)["pattern"] == schema["pattern"]


@EXAMPLES
@given(email_texts)
def test_an_email_is_admitted_exactly_when_it_is_accepted(value: str) -> None:
    assert admits(property_schema(EmployeeBody, "email"), value) == (not email_refused(value)), (
        repr(value)
    )


@EXAMPLES
@given(st.one_of(numeric_texts.map(json.dumps), json_numbers))
def test_a_salary_is_admitted_exactly_when_it_is_accepted(text: str) -> None:
    schema = property_schema(EmployeeBody, "salary")
    assert admits(schema, json.loads(text)) == (not salary_refused(text)), text


@EXAMPLES
@given(st.one_of(numeric_texts.map(json.dumps), json_numbers))
def test_hours_are_admitted_exactly_when_they_are_accepted(text: str) -> None:
    schema = property_schema(WorkdayBody, "hours")
    assert admits(schema, json.loads(text)) == (not hours_refused(text)), text


@EXAMPLES
@given(st.one_of(numeric_texts.map(json.dumps), json_numbers, st.integers(-5, 10100).map(str)))
def test_a_month_and_a_year_are_admitted_exactly_when_they_are_accepted(text: str) -> None:
    value = json.loads(text)
    assert admits(property_schema(InvoiceBody, "month"), value) == (not month_refused(text)), text
    assert admits(property_schema(InvoiceBody, "year"), value) == (not year_refused(text)), text


DATES = [
    "2024-10-14",
    "2024-02-29",
    "2023-02-29",
    "2024-02-30",
    "2024-13-01",
    "2024-00-10",
    "2024-10-00",
    "2024-10-32",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "2024-1-14",
    "20241014",
    "2024-10-14T00:00:00",
    "2024-10-14\n",
    " 2024-10-14",
    "٢٠٢٤-10-14",
    "",
]
IDS = [
    SOME_ID,
    SOME_ID.upper(),
    SOME_ID.replace("-", ""),
    "{" + SOME_ID + "}",
    "urn:uuid:" + SOME_ID,
    SOME_ID + "\n",
    SOME_ID[:-1],
    SOME_ID[:-1] + "g",
    "",
]


@pytest.mark.parametrize("text", DATES)
def test_a_date_is_admitted_exactly_when_it_is_accepted(text: str) -> None:
    schema = property_schema(WorkdayBody, "date")
    fields = {"hours": 1, "employeeId": SOME_ID}
    assert admits(schema, text) == (not refused(lambda: parsed(WorkdayBody, date=text, **fields)))


@pytest.mark.parametrize("text", IDS)
def test_an_id_is_admitted_exactly_when_it_is_accepted(text: str) -> None:
    schema = property_schema(WorkdayBody, "employeeId")
    fields = {"hours": 1, "date": "2024-10-01"}
    assert admits(schema, text) == (
        not refused(lambda: parsed(WorkdayBody, employeeId=text, **fields))
    )


# --- the same in every engine ---------------------------------------------------------------------

PATTERNS = {
    "uuid": patterns.UUID,
    "date": patterns.DATE,
    "name": patterns.NAME,
    "email": patterns.EMAIL,
    "email too long": patterns.EMAIL_TOO_LONG,
    "storable": patterns.STORABLE_TEXT,
    "number": patterns.NUMBER_TEXT,
    "whole number": patterns.WHOLE_NUMBER_TEXT,
    "hours": patterns.decimal_text(24, 2, zero=False),
    "salary": patterns.decimal_text(1_000_000_000, 2, zero=True),
    "month": patterns.whole_text(1, 12),
    "year": patterns.whole_text(2000, 9999),
}


def samples() -> list[str]:
    """Values near the patterns' edges, the same on every run."""
    chance = random.Random(13)
    drawn: list[str] = []
    pieces = [*LETTERS, *WHITE_SPACE, *CONTROLS, "@", ".", "0", "1", "9", "+", "-", "e", "_"]
    for length in [*range(6), 95, 98, 99, 100, 101, 102, 103]:
        for _ in range(12):
            drawn.append("".join(chance.choice(pieces) for _ in range(length)))
    drawn += ["a" * 99 + "@b.c", "a" * 96 + "@b.c", " " * 5 + "a" * 100 + "\t", "a@b.c\n"]
    drawn += ["24", "24.0", "24.01", "23.99", "0.01", "0.001", "1000000000.00", "1000000000.01"]
    drawn += ["-0", "-0.00", "+.5", "1.", ".", "2000", "1999", "9999", "10000", "012", "13"]
    return drawn + DATES + IDS


def ecma_matches(pattern_by_name: dict[str, str], values: list[str]) -> dict[str, list[bool]]:
    node = shutil.which("node")
    if node is None:
        from playwright._impl._driver import compute_driver_executable

        node = compute_driver_executable()[0]
    program = (
        "const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const out = {};"
        "for (const [name, source] of Object.entries(input.patterns)) {"
        "  const pattern = new RegExp(source, 'u');"
        "  out[name] = input.values.map((v) => pattern.test(v));"
        "}"
        "process.stdout.write(JSON.stringify(out));"
    )
    run = subprocess.run(
        [node, "-e", program],
        input=json.dumps({"patterns": pattern_by_name, "values": values}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def test_each_pattern_reads_the_same_in_python_rust_and_ecmascript() -> None:
    values = samples()
    in_ecma = ecma_matches(PATTERNS, values)
    for name, pattern in PATTERNS.items():
        in_python = re.compile(pattern)
        in_rust = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
        # The server matches whole values: Python's `search` would let `$` match before a final
        # newline, which neither of the others does. (Only the too-long pattern is open-ended.)
        match = in_python.fullmatch if pattern.endswith("$") else in_python.search
        for value, ecma in zip(values, in_ecma[name], strict=True):
            python = match(value) is not None
            assert python == in_rust.is_valid(value) == ecma, (name, value)


@EXAMPLES
@given(name_texts)
def test_login_text_is_admitted_exactly_when_it_is_accepted(value: str) -> None:
    schema = property_schema(LoginBody, "password")
    assert admits(schema, value) == (not login_text_refused(value)), repr(value)
