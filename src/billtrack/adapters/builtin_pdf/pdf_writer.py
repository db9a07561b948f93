"""A tiny PDF writer: one page of text and thin lines in the standard Helvetica fonts.

Only what an invoice needs, and nothing that would make two renders of the same invoice differ:
no dates, no random ids, and content streams are left uncompressed so the bytes do not depend on
the zlib build (and a test can read the text without decoding anything).

The standard Type 1 fonts are not embedded; every PDF reader has them. Their glyph widths are
needed here to right-align numbers and to cut text that would not fit its column.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

A4_WIDTH = 595.28
A4_HEIGHT = 841.89

# Text is encoded as WinAnsi (cp1252), the one-byte encoding the standard fonts are declared with;
# a character outside it becomes "?" instead of failing the whole render.
TEXT_ENCODING = "cp1252"

# Advance widths (1/1000 em) of the printable ASCII characters, codes 32 to 126, from Adobe's
# Core 14 AFM files (WinAnsi code 39 is quotesingle, 96 is grave).
_HELVETICA_WIDTHS = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
)  # fmt: skip
_HELVETICA_BOLD_WIDTHS = (
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
)  # fmt: skip

# Accented Latin letters are about as wide as their base letters; measuring them all as a wide
# lowercase letter errs on the safe side when deciding whether text fits.
_FALLBACK_WIDTH = 611
_ELLIPSIS = "\u2026"  # in WinAnsi (0x85), so it survives encoding


@dataclass(frozen=True, slots=True)
class StandardFont:
    resource_name: str
    base_font: str
    widths: tuple[int, ...]

    def width(self, text: str, size: float) -> float:
        units = sum(self._glyph_width(code) for code in encode_text(text))
        return units * size / 1000

    def fit(self, text: str, size: float, max_width: float) -> str:
        """`text`, cut short with an ellipsis if it is wider than `max_width`."""
        if self.width(text, size) <= max_width:
            return text
        kept = text
        while kept and self.width(kept.rstrip() + _ELLIPSIS, size) > max_width:
            kept = kept[:-1]
        return kept.rstrip() + _ELLIPSIS

    def _glyph_width(self, code: int) -> int:
        if 32 <= code <= 126:
            return self.widths[code - 32]
        return _FALLBACK_WIDTH


HELVETICA = StandardFont("F1", "Helvetica", _HELVETICA_WIDTHS)
HELVETICA_BOLD = StandardFont("F2", "Helvetica-Bold", _HELVETICA_BOLD_WIDTHS)


def encode_text(text: str) -> bytes:
    return text.encode(TEXT_ENCODING, errors="replace")


def literal_string(text: str) -> bytes:
    """`text` as a PDF literal string, "(...)", kept to printable ASCII with escapes."""
    out = bytearray(b"(")
    for code in encode_text(text):
        if code in b"\\()":
            out += b"\\" + bytes([code])
        elif 32 <= code < 127:
            out.append(code)
        else:
            out += b"\\%03o" % code
    out += b")"
    return bytes(out)


def number(value: float) -> str:
    """A coordinate as PDF writes it: at most two decimals, no exponent, no "-0"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


Align = Literal["left", "right"]


class PageContent:
    """The drawing operators of one page, in PDF user space (points, origin bottom left)."""

    def __init__(self) -> None:
        self._operators: list[bytes] = []
        self._fonts: dict[str, StandardFont] = {}

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        font: StandardFont,
        size: float,
        gray: float = 0.0,
        align: Align = "left",
    ) -> None:
        """Draw one line of text; with `align="right"`, `x` is where the text ends."""
        if align == "right":
            x -= font.width(text, size)
        self._fonts[font.resource_name] = font
        operands = f"BT {number(gray)} g /{font.resource_name} {number(size)} Tf "
        operands += f"{number(x)} {number(y)} Td "
        self._operators.append(operands.encode("ascii") + literal_string(text) + b" Tj ET")

    def line(
        self, x1: float, y1: float, x2: float, y2: float, *, width: float, gray: float = 0.0
    ) -> None:
        self._append(
            f"q {number(width)} w {number(gray)} G "
            f"{number(x1)} {number(y1)} m {number(x2)} {number(y2)} l S Q"
        )

    def fill_rect(self, x: float, y: float, width: float, height: float, *, gray: float) -> None:
        self._append(
            f"q {number(gray)} g {number(x)} {number(y)} {number(width)} {number(height)} re f Q"
        )

    @property
    def fonts(self) -> list[StandardFont]:
        return [self._fonts[name] for name in sorted(self._fonts)]

    def to_bytes(self) -> bytes:
        return b"\n".join(self._operators) + b"\n"

    def _append(self, operator: str) -> None:
        self._operators.append(operator.encode("ascii"))


class _Objects:
    """Numbered indirect objects, serialised with a cross-reference table of byte offsets."""

    def __init__(self) -> None:
        self._bodies: list[bytes | None] = []

    def reserve(self) -> int:
        self._bodies.append(None)
        return len(self._bodies)

    def put(self, object_number: int, body: bytes) -> None:
        self._bodies[object_number - 1] = body

    def add(self, body: bytes) -> int:
        object_number = self.reserve()
        self.put(object_number, body)
        return object_number

    def add_stream(self, data: bytes) -> int:
        return self.add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data))

    def serialise(self, *, root: int, info: int) -> bytes:
        # The comment of high bytes tells transfer tools the file is binary (PDF 1.7, 7.5.2).
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for object_number, body in enumerate(self._bodies, start=1):
            if body is None:
                raise ValueError(f"object {object_number} was reserved but never written")
            offsets.append(len(out))
            out += b"%d 0 obj\n%s\nendobj\n" % (object_number, body)
        # A file identifier derived from the content: stable across renders, distinct per document.
        file_id = hashlib.sha256(out).hexdigest()[:32].encode("ascii")
        xref_offset = len(out)
        out += b"xref\n0 %d\n" % (len(offsets) + 1)
        out += b"0000000000 65535 f \n"  # each entry is exactly 20 bytes, EOL included
        for offset in offsets:
            out += b"%010d 00000 n \n" % offset
        out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n" % (
            len(offsets) + 1,
            root,
            info,
            file_id,
            file_id,
        )
        out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
        return bytes(out)


def write_single_page_pdf(
    content: PageContent,
    *,
    title: str,
    width: float = A4_WIDTH,
    height: float = A4_HEIGHT,
) -> bytes:
    """A complete PDF file of one page showing `content`."""
    objects = _Objects()
    catalog = objects.reserve()
    pages = objects.reserve()
    page = objects.reserve()
    fonts = [
        (
            font.resource_name,
            objects.add(
                b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
                % font.base_font.encode("ascii")
            ),
        )
        for font in content.fonts
    ]
    stream = objects.add_stream(content.to_bytes())
    info = objects.add(b"<< /Title %s /Producer (billtrack) >>" % literal_string(title))
    font_entries = b" ".join(b"/%s %d 0 R" % (name.encode("ascii"), ref) for name, ref in fonts)
    objects.put(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % pages)
    objects.put(pages, b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page)
    objects.put(
        page,
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] "
        b"/Resources << /Font << %s >> >> /Contents %d 0 R >>"
        % (
            pages,
            number(width).encode("ascii"),
            number(height).encode("ascii"),
            font_entries,
            stream,
        ),
    )
    return objects.serialise(root=catalog, info=info)
