"""The builtin renderer's PDF, read back the way PDF readers read it.

pypdf (strict) reads the file, its fonts and the page's text; the page's content stream is then
interpreted here as well, so that each string drawn is known with its position, its size and its
width, taken from the `/W` array of the font it is drawn in and decoded through that font's
`ToUnicode` CMap: what a reader shows, measured with what a reader uses. The embedded font
programs are opened with fontTools.
"""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # fontTools ships no types
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DictionaryObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from billtrack.adapters.builtin_pdf import shipped_fonts
from billtrack.adapters.builtin_pdf.printable_text import UnsupportedText
from billtrack.adapters.builtin_pdf.renderer import BuiltinPdfRenderer
from billtrack.domain.model.presentation import format_money
from billtrack.ports.rendering import InvoiceDocument, Issuer

# What a printer can reliably print: nothing should be drawn closer to the edge than this.
PRINTABLE_MARGIN = 36.0
A4_POINTS = (595, 842)
ISSUER = Issuer(
    name="Zażółć Gęślą Jaźń sp. z o.o.",
    address="ul. Marszałkowska 84/92\n00-514 Warszawa\nPolska",
    currency="PLN",
)


def _document(workday_count: int = 3, **changes: Any) -> InvoiceDocument:
    first = date(2024, 10, 1)
    workdays = tuple(
        (first + timedelta(days=offset), Decimal("7.50") if offset % 2 else Decimal("8.00"))
        for offset in range(workday_count)
    )
    document = InvoiceDocument(
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
        hourly_rate=Decimal("21.7391"),
        amount=Decimal("510.87"),
        workdays=workdays,
    )
    return replace(document, **changes)


def _render(document: InvoiceDocument) -> bytes:
    return BuiltinPdfRenderer().render(document)


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


def _reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf), strict=True)


def _dictionary(value: PdfObject) -> DictionaryObject:
    resolved = value.get_object()
    assert isinstance(resolved, DictionaryObject), resolved
    return resolved


def _array(value: PdfObject) -> ArrayObject:
    resolved = value.get_object()
    assert isinstance(resolved, ArrayObject), resolved
    return resolved


def _stream_data(value: PdfObject) -> bytes:
    resolved = value.get_object()
    assert isinstance(resolved, StreamObject), resolved
    return resolved.get_data()


def _content(pdf: bytes) -> ContentStream:
    contents = _reader(pdf).pages[0].get_contents()
    assert contents is not None, "the page has no content stream"
    return contents


@dataclass(frozen=True)
class EmbeddedFont:
    base_font: str
    to_unicode: dict[int, str]
    widths: dict[int, float]
    """Advance of each CID in 1/1000 text space units, from the `/W` array."""
    program: bytes
    type0: DictionaryObject
    descendant: DictionaryObject


def _fonts(pdf: bytes) -> dict[str, EmbeddedFont]:
    """The page's fonts by resource name."""
    page = _reader(pdf).pages[0]
    fonts = {}
    for name, reference in _dictionary(_dictionary(page["/Resources"])["/Font"]).items():
        type0 = _dictionary(reference)
        descendant = _dictionary(_array(type0["/DescendantFonts"])[0])
        cmap = _stream_data(type0["/ToUnicode"]).decode("ascii")
        sections = re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.DOTALL)
        to_unicode = {
            int(cid, 16): bytes.fromhex(text).decode("utf-16-be")
            for section in sections
            for cid, text in re.findall(r"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>", section)
        }
        program = _stream_data(_dictionary(descendant["/FontDescriptor"])["/FontFile2"])
        fonts[name] = EmbeddedFont(
            base_font=str(type0["/BaseFont"]),
            to_unicode=to_unicode,
            widths=_widths(_array(descendant["/W"])),
            program=program,
            type0=type0,
            descendant=descendant,
        )
    return fonts


def _widths(array: ArrayObject) -> dict[int, float]:
    """A CIDFont's `/W` array read in both of its forms: `c [w1 w2 ...]` and `c_first c_last w`."""
    widths: dict[int, float] = {}
    index = 0
    while index < len(array):
        first = int(array[index])
        if isinstance(array[index + 1], ArrayObject):
            for offset, width in enumerate(array[index + 1]):
                widths[first + offset] = float(width)
            index += 2
        else:
            for cid in range(first, int(array[index + 1]) + 1):
                widths[cid] = float(array[index + 2])
            index += 3
    return widths


@dataclass(frozen=True)
class ShownText:
    x: float
    y: float
    size: float
    text: str
    width: float
    font: str

    @property
    def right(self) -> float:
        return self.x + self.width


def _shown_texts(pdf: bytes) -> list[ShownText]:
    """Every string the page shows: where it starts, its size, its text and its width."""
    fonts = _fonts(pdf)
    shown = []
    x = y = size = 0.0
    font = ""
    for operands, operator in _content(pdf).operations:
        if operator == b"BT":
            x = y = 0.0
        elif operator == b"Td":
            x, y = x + float(operands[0]), y + float(operands[1])
        elif operator == b"Tf":
            font, size = str(operands[0]), float(operands[1])
        elif operator == b"Tj":
            # pypdf turns a hex string into text when its bytes happen to decode as text.
            (string,) = operands
            codes = string.original_bytes if isinstance(string, TextStringObject) else bytes(string)
            cids = [int.from_bytes(codes[i : i + 2], "big") for i in range(0, len(codes), 2)]
            text = "".join(fonts[font].to_unicode[cid] for cid in cids)
            width = sum(fonts[font].widths[cid] for cid in cids) * size / 1000
            shown.append(ShownText(x, y, size, text, width, font))
        else:
            # A positioning operator this reader does not follow would make its coordinates lie.
            assert operator not in {b"Tm", b"TD", b"T*", b"'", b'"', b"TJ", b"cm", b"Tc", b"Tw"}
    return shown


def _texts(pdf: bytes) -> list[str]:
    return [shown.text for shown in _shown_texts(pdf)]


def _the(pdf: bytes, text: str) -> ShownText:
    (found,) = (shown for shown in _shown_texts(pdf) if shown.text == text)
    return found


def _extracted_lines(pdf: bytes) -> list[str]:
    """The page's text as pypdf extracts it, line by line."""
    return _reader(pdf).pages[0].extract_text().splitlines()


# --- the file ---------------------------------------------------------------------------------


def test_the_output_is_a_pdf_whose_cross_reference_offsets_point_at_their_objects() -> None:
    pdf = _render(_document())

    assert pdf.startswith(b"%PDF-1.")
    assert pdf.endswith(b"%%EOF\n")
    offsets = _xref_offsets(pdf)
    assert offsets, "the cross-reference table lists no objects"
    for number, offset in offsets.items():
        assert pdf[offset:].startswith(b"%d 0 obj" % number), (number, offset)
    trailer = re.search(rb"trailer\s*<<(.*?)>>\s*startxref", pdf, re.DOTALL)
    assert trailer is not None
    assert re.search(rb"/Size %d\b" % (max(offsets) + 1), trailer.group(1))
    reader = _reader(pdf)
    assert str(_dictionary(reader.trailer["/Root"])["/Type"]) == "/Catalog"
    assert reader.metadata is not None
    assert reader.metadata.title == "Invoice 2024-000042"


def test_each_font_is_an_embedded_unicode_font_with_only_the_glyphs_the_page_draws() -> None:
    pdf = _render(_document(employee_name="Дмитро Łukasiewicz"))

    fonts = _fonts(pdf)
    assert sorted(re.sub(r"^/[A-Z]{6}\+", "/", f.base_font) for f in fonts.values()) == [
        "/DejaVuSans",
        "/DejaVuSans-Bold",
    ]
    for font in fonts.values():
        assert re.fullmatch(r"/[A-Z]{6}\+DejaVuSans(-Bold)?", font.base_font)
        assert str(font.type0["/Subtype"]) == "/Type0"
        assert str(font.type0["/Encoding"]) == "/Identity-H"
        assert str(font.descendant["/Subtype"]) == "/CIDFontType2"
        assert str(font.descendant["/CIDToGIDMap"]) == "/Identity"
        program = TTFont(io.BytesIO(font.program))
        glyph_order = program.getGlyphOrder()
        drawn = set(font.to_unicode)
        # Glyph n draws CID n; after them come only the parts of composite glyphs (accents).
        assert drawn == set(range(1, len(drawn) + 1))
        assert len(glyph_order) < len(drawn) + 30, "the subset holds glyphs the page never draws"
        units_per_em = program["head"].unitsPerEm
        for cid, character in font.to_unicode.items():
            advance = program["hmtx"][glyph_order[cid]][0]
            assert font.widths[cid] == round(advance * 1000 / units_per_em), character
            assert program.getBestCmap()[ord(character)] == glyph_order[cid], character
        checksum = sum(struct.unpack(f">{len(font.program) // 4}I", font.program)) & 0xFFFFFFFF
        assert checksum == 0xB1B0AFBA, "the font file's checksum adjustment is wrong"


# --- what the page shows ---------------------------------------------------------------------


def test_the_page_shows_the_invoice_its_workdays_and_its_totals() -> None:
    document = _document(workday_count=5)

    texts = _texts(_render(document))

    assert "Invoice" in texts
    for expected in (
        "2024-000042",
        "2024-11-04",
        "October 2024",
        "Ada Lovelace",
        "ada@example.com",
        "Engineering",
        "Analytical Engine",
        "4,000.00 EUR",
        "23",
        "21.7391 EUR",
        "23.50",
        "510.87 EUR",
    ):
        assert expected in texts, expected
    for day, hours in document.workdays:
        assert day.isoformat() in texts
        assert str(hours) in texts
    weekdays = [text for text in texts if text.endswith("day") and text != "Day"]
    assert weekdays == ["Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    assert "2024-10-06" not in texts


@pytest.mark.parametrize(
    "name",
    [
        "Дмитро Łukasiewicz",
        "Γιώργος Παπαδόπουλος",
        "Zażółć Gęślą Jaźń",
        "Nguyễn Thị Minh Khai",
        "Ђорђе Балашевић",
        "Şükrü İlkay Çağlayan",
        "Antonín Dvořák",
        "Олександра Ґалаґан-Їжак",
        "Søren Ærø Ångström",
    ],
)
def test_names_in_latin_greek_and_cyrillic_read_back_exactly(name: str) -> None:
    pdf = _render(_document(employee_name=name, department=name, project=f"Project {name}"))

    texts = _texts(pdf)
    assert texts.count(name) == 2  # the employee, in bold, and the department
    assert f"Project {name}" in texts
    lines = _extracted_lines(pdf)
    assert name in lines
    assert f"Department {name}" in lines
    assert f"Project Project {name}" in lines


def test_text_is_composed_put_on_one_line_and_stripped_of_invisible_characters() -> None:
    decomposed = "Nguye\u0302\u0303n Thi\u0323"  # "Nguyễn Thị" as e + circumflex + tilde
    pdf = _render(
        _document(
            employee_name=decomposed,
            department="Research\nand\tDevelopment",
            project="Zero\u200bwidth\u00ad joiner",
        )
    )

    texts = _texts(pdf)
    assert "Nguyễn Thị" in texts
    assert "Research and Development" in texts
    assert "Zerowidth joiner" in texts


def test_parentheses_and_backslashes_read_back_as_they_are() -> None:
    name = r"Ann (O'Brien) \ Smith)"
    texts = _texts(_render(_document(employee_name=name, project="(unbalanced")))

    assert name in texts
    assert "(unbalanced" in texts


def test_the_issuer_is_printed_at_the_top_with_its_address_and_currency() -> None:
    pdf = _render(_document(issuer=ISSUER))

    issuer = [_the(pdf, line) for line in (ISSUER.name, *ISSUER.address.splitlines())]
    employee = _the(pdf, "Ada Lovelace")
    assert all(line.y > employee.y + 50 for line in issuer), "the issuer is not above the parties"
    assert [line.y for line in issuer] == sorted((line.y for line in issuer), reverse=True)
    assert {line.x for line in issuer} == {employee.x}, "the issuer is not aligned on the left"
    assert _the(pdf, ISSUER.name).font != _the(pdf, "00-514 Warszawa").font, "name not in bold"
    texts = _texts(pdf)
    for amount in ("4,000.00 PLN", "21.7391 PLN", "510.87 PLN"):
        assert amount in texts
    assert not [text for text in texts if "EUR" in text]
    lines = _extracted_lines(pdf)
    assert ISSUER.name in lines
    assert "Amount 510.87 PLN" in lines


def test_an_empty_issuer_prints_nothing_in_its_place() -> None:
    with_issuer = _texts(_render(_document(issuer=ISSUER)))
    without = _texts(_render(_document()))

    assert set(with_issuer) - set(without) == {
        ISSUER.name,
        *ISSUER.address.splitlines(),
        "4,000.00 PLN",
        "21.7391 PLN",
        "510.87 PLN",
    }
    assert "" not in without


def test_an_address_of_many_lines_keeps_to_four_and_skips_blank_ones() -> None:
    issuer = Issuer(name="Acme", address="Street 1\n\n  Building B  \nFloor 3\n12345 Town\nLand")

    texts = _texts(_render(_document(issuer=issuer)))

    address = [
        text for text in texts if text in {"Street 1", "Building B", "Floor 3"} or "Town" in text
    ]
    assert address == ["Street 1", "Building B", "Floor 3", "12345 Town, Land"]


# --- what the builtin renderer cannot print ---------------------------------------------------


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("employee name", {"employee_name": "李小龍"}),
        ("department", {"department": "山田太郎"}),
        ("project", {"project": "김민준"}),
        ("issuer name", {"issuer": Issuer(name="株式会社山田")}),
        ("issuer address", {"issuer": Issuer(address="Berlin\n東京都渋谷区")}),
        ("employee name", {"employee_name": "محمد"}),
    ],
)
def test_characters_outside_the_font_fail_the_render_naming_the_field_and_characters(
    field: str, changes: dict[str, Any]
) -> None:
    with pytest.raises(UnsupportedText) as raised:
        _render(_document(**changes))

    (problem,) = raised.value.fields
    assert problem.field == field
    message = str(raised.value)
    assert "invoice 2024-000042" in message
    assert f"the {field} " in message
    for character in problem.characters:
        assert f"{character} (U+{ord(character):04X})" in message
    assert isinstance(raised.value, ValueError), "a reason the worker records as `failed`"


def test_every_field_with_unprintable_characters_is_named_once_in_one_error() -> None:
    with pytest.raises(UnsupportedText) as raised:
        _render(_document(employee_name="Ada 李小龍 李", project="김민준 Project"))

    assert [(p.field, p.characters) for p in raised.value.fields] == [
        ("employee name", "李小龍"),
        ("project", "김민준"),
    ]
    assert "李 (U+674E), 小 (U+5C0F), 龍 (U+9F8D)" in str(raised.value)


def test_the_shipped_fonts_cover_the_scripts_and_their_license_ships_beside_them() -> None:
    scripts = "AZaz ÀÿĀžƀɏ ḀỹΑωάΐ ἀ АяЁїҐґЂџ Ԁԥ –—‘’“”„…€₽₴₺№™−"  # noqa: RUF001 (on purpose)
    for font in (shipped_fonts.regular(), shipped_fonts.bold()):
        assert [c for c in scripts if not font.covers(c)] == []
        assert not font.covers("李")
    folder = shipped_fonts.FONT_FOLDER
    assert "Bitstream Vera Fonts Copyright" in (folder / "LICENSE").read_text(encoding="utf-8")
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        assert (folder / name).read_bytes()[:4] == b"\0\1\0\0"


# --- layout -----------------------------------------------------------------------------------


def test_a_31_day_month_fits_on_one_a4_page_within_the_margins_and_under_100_kb() -> None:
    document = _document(workday_count=31, issuer=ISSUER, employee_name="Γιώργος Παπαδόπουλος")

    pdf = _render(document)

    assert len(pdf) < 100_000
    reader = _reader(pdf)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4_POINTS
    shown = _shown_texts(pdf)
    for text in shown:
        assert PRINTABLE_MARGIN <= text.y <= float(box.height) - PRINTABLE_MARGIN, text
        assert text.x >= PRINTABLE_MARGIN, text
        assert text.right <= float(box.width) - PRINTABLE_MARGIN, text
    dates = [text for text in shown if re.fullmatch(r"2024-10-\d\d", text.text)]
    assert [text.text for text in dates] == [day.isoformat() for day, _ in document.workdays]
    gaps = [upper.y - lower.y for upper, lower in pairwise(dates)]
    assert min(gaps) >= max(text.size for text in dates), "rows overlap"
    assert "510.87 PLN" in _texts(pdf)


def test_no_two_texts_on_a_line_overlap() -> None:
    pdf = _render(
        _document(
            workday_count=31,
            issuer=ISSUER,
            employee_name="Maximiliane " * 8,
            department="Forschung und Entwicklung " * 5,
            period_label="Septembre et octobre " * 4,
        )
    )

    shown = _shown_texts(pdf)
    for first, second in pairwise(sorted(shown, key=lambda s: (round(s.y), s.x))):
        if round(first.y) == round(second.y):
            assert first.right + 5 <= second.x, (first, second)


def test_amounts_and_hours_are_right_aligned_on_one_edge() -> None:
    pdf = _render(_document(workday_count=31, issuer=ISSUER))

    shown = _shown_texts(pdf)
    hours = [text for text in shown if re.fullmatch(r"\d+\.\d\d", text.text)]
    totals = [text for text in shown if text.text.endswith(" PLN") or text.text == "23"]
    assert len(hours) == 32  # 31 days and the total
    assert len(totals) == 4
    edge = _the(pdf, "Hours").right
    for text in hours + totals:
        # Positions are written with two decimals: right edges agree to a hundredth of a point.
        assert text.right == pytest.approx(edge, abs=0.011), text


def test_amounts_at_their_limits_fit_their_columns_at_their_size() -> None:
    salary = Decimal("1000000000.00")
    document = _document(
        workday_count=31,
        issuer=Issuer(currency="EUR"),
        salary=salary,
        weekdays=21,
        total_hours=Decimal("744.00"),
        hourly_rate=Decimal("5952380.9524"),
        amount=Decimal("4428571428.57"),
        workdays=tuple((date(2025, 8, day), Decimal("24.00")) for day in range(1, 32)),
    )

    pdf = _render(document)

    texts = _texts(pdf)
    assert texts.count("24.00") == 31
    for label, value, size in (
        ("Monthly salary", "1,000,000,000.00 EUR", 9),
        ("Hourly rate", "5,952,380.9524 EUR", 9),
        ("Total hours", "744.00", 9),
        ("Amount", "4,428,571,428.57 EUR", 11),
    ):
        shown_label, shown_value = _the(pdf, label), _the(pdf, value)
        assert shown_value.y == shown_label.y
        assert shown_value.size == size, "the amount was set smaller to fit"
        assert shown_label.right + 10 <= shown_value.x, f"{value} runs into {label}"


def test_an_amount_beyond_any_limit_is_set_smaller_but_never_cut() -> None:
    amount = Decimal("123456789012345678901234.56")
    pdf = _render(_document(amount=amount))

    shown = _the(pdf, "123,456,789,012,345,678,901,234.56 EUR")
    assert shown.size < 11
    assert _the(pdf, "Amount").right + 10 <= shown.x


def test_a_name_too_long_for_its_column_is_cut_with_an_ellipsis_measured_by_its_glyphs() -> None:
    name = "Олександра " * 10 + "Long"
    pdf = _render(_document(employee_name=name))

    (shown,) = (text for text in _shown_texts(pdf) if text.text.startswith("Олександра"))
    assert shown.text.endswith("\u2026")
    assert name.startswith(shown.text[:-1])
    assert len(shown.text) < len(name)
    column_width = _the(pdf, "ASSIGNMENT").x - shown.x - 20
    assert column_width - 25 < shown.width <= column_width, "cut too much or too little"


def test_more_workdays_than_a_month_has_are_refused_rather_than_drawn_off_the_page() -> None:
    with pytest.raises(ValueError, match="at most 31"):
        _render(_document(workday_count=32))


def test_a_month_without_workdays_still_renders_its_totals() -> None:
    texts = _texts(_render(_document(workday_count=0)))

    assert "No workdays logged in this month." in texts
    assert "510.87 EUR" in texts


def test_rendering_the_same_document_twice_gives_identical_bytes() -> None:
    document = _document(workday_count=31, issuer=ISSUER, employee_name="Ђорђе Балашевић")

    first = _render(document)
    second = BuiltinPdfRenderer().render(replace(document))

    assert first == second
    assert _render(replace(document, number="2024-000043")) != first


def test_another_process_writes_the_same_bytes_whatever_its_hash_seed_and_clock() -> None:
    document = _document(workday_count=31, issuer=ISSUER, employee_name="Γιώργος Παπαδόπουλος")
    script = (
        "import sys\n"
        "from tests.unit.adapters.test_builtin_pdf_renderer import ISSUER, _document, _render\n"
        "document = _document(workday_count=31, issuer=ISSUER, "
        "employee_name='Γιώργος Παπαδόπουλος')\n"
        "sys.stdout.buffer.write(_render(document))\n"
    )

    for seed in ("1", "2"):
        other = subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=True,
            timeout=60,
        )
        assert other.stdout == _render(document)


# --- money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("4838.07", "EUR", "4,838.07 EUR"),
        ("0.00", "USD", "0.00 USD"),
        ("-0.00", "EUR", "0.00 EUR"),
        ("999.99", "CHF", "999.99 CHF"),
        ("1000000000.00", "EUR", "1,000,000,000.00 EUR"),
        ("21.7391", "PLN", "21.7391 PLN"),
        ("1234", "JPY", "1,234 JPY"),
        ("-1234.5", "EUR", "-1,234.5 EUR"),
    ],
)
def test_money_is_grouped_by_thousands_and_followed_by_its_currency_code(
    amount: str, currency: str, shown: str
) -> None:
    assert format_money(Decimal(amount), currency) == shown


def test_money_refuses_floats_non_numbers_and_what_is_not_a_currency_code() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        format_money(4838.07, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not an amount"):
        format_money(Decimal("NaN"), "EUR")
    for currency in ("eur", "EURO", "", "€"):
        with pytest.raises(ValueError, match="ISO 4217"):
            format_money(Decimal("1.00"), currency)
