"""The builtin renderer's PDF, read back with a small parser of its own (no PDF library needed).

The parser reads the file the way a PDF reader starts to: the cross-reference table through
`startxref`, the objects at the offsets it lists, and the page's content stream, whose text
operators are interpreted to learn what is drawn where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from billtrack.adapters.builtin_pdf.renderer import BuiltinPdfRenderer
from billtrack.ports.rendering import InvoiceDocument

# What a printer can reliably print: nothing should be drawn closer to the edge than this.
PRINTABLE_MARGIN = 36.0


def _document(workday_count: int = 3) -> InvoiceDocument:
    first = date(2024, 10, 1)
    workdays = tuple(
        (first + timedelta(days=offset), Decimal("7.50") if offset % 2 else Decimal("8.00"))
        for offset in range(workday_count)
    )
    return InvoiceDocument(
        number="2024-000042",
        issue_date=date(2024, 11, 4),
        period_label="October 2024",
        employee_name="Ada Lovelace",
        employee_email="ada@example.com",
        department="Engineering",
        project="Analytical Engine",
        salary=Decimal("4000.00"),
        weekdays=23,
        total_hours=Decimal("23.50"),
        hourly_rate=Decimal("21.7400"),
        amount=Decimal("510.90"),
        workdays=workdays,
    )


# --- reading the file -------------------------------------------------------------------------


def _xref_offsets(pdf: bytes) -> dict[int, int]:
    """Object number to byte offset, from the cross-reference table `startxref` points at."""
    startxref = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", pdf)
    assert startxref is not None, "no startxref before %%EOF at the end of the file"
    position = int(startxref.group(1))
    section = re.compile(rb"xref\r?\n0 (\d+)\r?\n").match(pdf, position)
    assert section is not None, f"startxref {position} does not point at an xref table"
    count = int(section.group(1))
    entries = pdf[section.end() : section.end() + 20 * count]
    offsets = {}
    for number in range(count):
        entry = entries[20 * number : 20 * (number + 1)]
        assert re.fullmatch(rb"\d{10} \d{5} [nf](?: \n|\r\n| \r)", entry), entry
        if entry[17:18] == b"n":
            offsets[number] = int(entry[:10])
    return offsets


def _objects(pdf: bytes) -> dict[int, bytes]:
    """Each object's body, found through the cross-reference table (never by scanning)."""
    bodies = {}
    for number, offset in _xref_offsets(pdf).items():
        found = re.compile(rb"(\d+) 0 obj\s(.*?)\sendobj", re.DOTALL).match(pdf, offset)
        assert found is not None, f"offset {offset} of object {number} is not an object"
        assert int(found.group(1)) == number
        bodies[number] = found.group(2)
    return bodies


def _stream_data(body: bytes) -> bytes:
    found = re.match(rb"<<\s*/Length (\d+)\s*>>\s*stream\r?\n", body)
    assert found is not None, "not an uncompressed stream with a direct /Length"
    data = body[found.end() : found.end() + int(found.group(1))]
    assert re.fullmatch(rb"\r?\nendstream", body[found.end() + len(data) :]), "wrong /Length"
    return data


def _pages(pdf: bytes) -> list[bytes]:
    return [body for body in _objects(pdf).values() if re.search(rb"/Type\s*/Page\b", body)]


def _content_stream(pdf: bytes) -> bytes:
    (page,) = _pages(pdf)
    contents = re.search(rb"/Contents (\d+) 0 R", page)
    assert contents is not None
    return _stream_data(_objects(pdf)[int(contents.group(1))])


def _media_box(pdf: bytes) -> tuple[float, float, float, float]:
    (page,) = _pages(pdf)
    box = re.search(rb"/MediaBox \[([-\d. ]+)\]", page)
    assert box is not None
    left, bottom, right, top = (float(value) for value in box.group(1).split())
    return left, bottom, right, top


# --- reading the content stream -----------------------------------------------------------------


def _literal_string(data: bytes, start: int) -> tuple[bytes, int]:
    """The string that opens at `data[start] == "("`, unescaped, and the index after it."""
    escapes = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
    out = bytearray()
    depth, index = 1, start + 1
    while True:
        byte = data[index]
        if byte == ord("\\"):
            octal = re.compile(rb"[0-7]{1,3}").match(data, index + 1)
            if octal:
                out.append(int(octal.group(), 8) & 0xFF)
                index = octal.end()
                continue
            following = data[index + 1]
            out += escapes.get(following, bytes([following]))
            index += 2
            continue
        if byte == ord("("):
            depth += 1
        elif byte == ord(")"):
            depth -= 1
            if depth == 0:
                return bytes(out), index + 1
        out.append(byte)
        index += 1


Operand = float | str | bytes
_TOKEN = re.compile(
    rb"\s*(?:(?P<number>[-+]?(?:\d+\.?\d*|\.\d+))"
    rb"|/(?P<name>[^\s/()<>\[\]]+)"
    rb"|(?P<operator>[A-Za-z*'\"]+)"
    rb"|(?P<string>\())"
)


def _operations(stream: bytes) -> list[tuple[str, list[Operand]]]:
    operations: list[tuple[str, list[Operand]]] = []
    operands: list[Operand] = []
    index = 0
    while stream[index:].strip():
        token = _TOKEN.match(stream, index)
        assert token is not None, (
            f"cannot read the content stream at {stream[index : index + 30]!r}"
        )
        index = token.end()
        if token.group("number"):
            operands.append(float(token.group("number")))
        elif token.group("name"):
            operands.append("/" + token.group("name").decode("ascii"))
        elif token.group("string"):
            text, index = _literal_string(stream, token.start("string"))
            operands.append(text)
        else:
            operations.append((token.group("operator").decode("ascii"), operands))
            operands = []
    return operations


@dataclass(frozen=True)
class ShownText:
    x: float
    y: float
    size: float
    text: str


def _shown_texts(pdf: bytes) -> list[ShownText]:
    """Every string the page shows, where it starts and at what size; WinAnsi decoded."""
    shown = []
    x = y = size = 0.0
    for operator, operands in _operations(_content_stream(pdf)):
        if operator == "BT":
            x = y = 0.0
        elif operator == "Td":
            tx, ty = operands
            assert isinstance(tx, float)
            assert isinstance(ty, float)
            x, y = x + tx, y + ty
        elif operator == "Tf":
            assert isinstance(operands[1], float)
            size = operands[1]
        elif operator == "Tj":
            (raw,) = operands
            assert isinstance(raw, bytes)
            shown.append(ShownText(x, y, size, raw.decode("cp1252")))
        else:
            # A positioning operator the parser does not follow would make its coordinates lie.
            assert operator not in {"Tm", "TD", "T*", "'", '"', "TJ", "cm"}, operator
    return shown


def _texts(pdf: bytes) -> list[str]:
    return [shown.text for shown in _shown_texts(pdf)]


# --- the tests ------------------------------------------------------------------------------


def test_the_output_is_a_pdf_whose_cross_reference_offsets_point_at_their_objects() -> None:
    pdf = BuiltinPdfRenderer().render(_document())

    assert pdf.startswith(b"%PDF-1.")
    assert pdf.endswith((b"%%EOF\n", b"%%EOF"))
    offsets = _xref_offsets(pdf)
    assert offsets, "the cross-reference table lists no objects"
    for number, offset in offsets.items():
        assert pdf[offset:].startswith(b"%d 0 obj" % number), (number, offset)
    trailer = re.search(rb"trailer\s*<<(.*?)>>\s*startxref", pdf, re.DOTALL)
    assert trailer is not None
    assert re.search(rb"/Size %d\b" % (max(offsets) + 1), trailer.group(1))
    root = re.search(rb"/Root (\d+) 0 R", trailer.group(1))
    assert root is not None
    assert b"/Type /Catalog" in _objects(pdf)[int(root.group(1))]


def test_the_page_shows_the_invoice_its_workdays_and_its_totals() -> None:
    document = _document(workday_count=5)

    texts = _texts(BuiltinPdfRenderer().render(document))

    assert "Invoice" in texts
    for expected in (
        "2024-000042",
        "2024-11-04",
        "October 2024",
        "Ada Lovelace",
        "ada@example.com",
        "Engineering",
        "Analytical Engine",
        "4000.00",
        "23",
        "21.7400",
        "23.50",
        "510.90",
    ):
        assert expected in texts, expected
    for day, hours in document.workdays:
        assert day.isoformat() in texts
        assert str(hours) in texts
    assert "2024-10-06" not in texts


def test_parentheses_and_backslashes_in_text_are_escaped() -> None:
    name = r"Ann (O'Brien) \ Smith)"
    pdf = BuiltinPdfRenderer().render(
        replace(_document(), employee_name=name, project="(unbalanced")
    )

    stream = _content_stream(pdf)
    assert rb"(Ann \(O'Brien\) \\ Smith\))" in stream
    assert rb"(\(unbalanced)" in stream
    texts = _texts(pdf)
    assert name in texts
    assert "(unbalanced" in texts


def test_characters_outside_winansi_become_question_marks_instead_of_failing() -> None:
    pdf = BuiltinPdfRenderer().render(
        replace(
            _document(),
            employee_name="Zoë Łukasiewicz 山田",
            department="Forschung & Entwicklung €",
        )
    )

    texts = _texts(pdf)
    assert "Zoë ?ukasiewicz ??" in texts
    assert "Forschung & Entwicklung €" in texts


def test_a_name_too_long_for_its_column_is_cut_with_an_ellipsis() -> None:
    name = "Maximiliane " * 10 + "Long"
    texts = _texts(BuiltinPdfRenderer().render(replace(_document(), employee_name=name)))

    assert name not in texts
    (shown,) = (text for text in texts if text.startswith("Maximiliane"))
    assert shown.endswith("\u2026")
    assert len(shown) < len(name)


def test_a_31_day_month_fits_on_one_a4_page_within_the_margins() -> None:
    document = _document(workday_count=31)

    pdf = BuiltinPdfRenderer().render(document)

    (pages_tree,) = (body for body in _objects(pdf).values() if b"/Type /Pages" in body)
    assert re.search(rb"/Count 1\b", pages_tree)
    assert len(_pages(pdf)) == 1
    left, bottom, right, top = _media_box(pdf)
    assert (round(right - left), round(top - bottom)) == (595, 842)
    shown = _shown_texts(pdf)
    for text in shown:
        assert bottom + PRINTABLE_MARGIN <= text.y <= top - PRINTABLE_MARGIN, text
        assert left + PRINTABLE_MARGIN <= text.x <= right - PRINTABLE_MARGIN, text
    dates = [text for text in shown if re.fullmatch(r"2024-10-\d\d", text.text)]
    assert [text.text for text in dates] == [day.isoformat() for day, _ in document.workdays]
    gaps = [upper.y - lower.y for upper, lower in pairwise(dates)]
    assert min(gaps) >= max(text.size for text in dates), "rows overlap"
    assert "510.90" in _texts(pdf)


def test_more_workdays_than_a_month_has_are_refused_rather_than_drawn_off_the_page() -> None:
    with pytest.raises(ValueError, match="at most 31"):
        BuiltinPdfRenderer().render(_document(workday_count=32))


def test_a_month_without_workdays_still_renders_its_totals() -> None:
    texts = _texts(BuiltinPdfRenderer().render(_document(workday_count=0)))

    assert "No workdays logged in this month." in texts
    assert "510.90" in texts


def test_rendering_the_same_document_twice_gives_identical_bytes() -> None:
    document = _document(workday_count=31)

    first = BuiltinPdfRenderer().render(document)
    second = BuiltinPdfRenderer().render(replace(document))

    assert first == second
    assert BuiltinPdfRenderer().render(replace(document, number="2024-000043")) != first
