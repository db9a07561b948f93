"""A tiny PDF writer: one page of text in embedded TrueType fonts, thin lines and grey bands.

Only what an invoice needs. Text is drawn in fonts the caller has read (`TrueTypeFont`); each
font is embedded as a subset of the glyphs the page draws, with what makes the text extractable
(see `font_embedding`). Content streams are left uncompressed, as every other stream, so the
bytes do not depend on the zlib build (and a test can read the page without decoding anything).
"""

from __future__ import annotations

from typing import Literal

from billtrack.adapters.builtin_pdf.font_embedding import DocumentFont
from billtrack.adapters.builtin_pdf.pdf_objects import PdfObjects, number, text_string
from billtrack.adapters.builtin_pdf.truetype import TrueTypeFont

A4_WIDTH = 595.28
A4_HEIGHT = 841.89

Align = Literal["left", "right"]


class PageContent:
    """The drawing operators of one page, in PDF user space (points, origin bottom left)."""

    def __init__(self) -> None:
        self._operators: list[bytes] = []
        self._fonts: dict[TrueTypeFont, DocumentFont] = {}

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        font: TrueTypeFont,
        size: float,
        gray: float = 0.0,
        align: Align = "left",
    ) -> None:
        """Draw one line of text; with `align="right"`, `x` is where the text ends. Every
        character must be one the font covers (`TrueTypeFont.covers`), else ValueError."""
        if align == "right":
            x -= font.width(text, size)
        used = self._fonts.get(font)
        if used is None:
            used = self._fonts[font] = DocumentFont(font, f"F{len(self._fonts) + 1}".encode())
        self._operators.append(
            b"BT %s g /%s %s Tf %s %s Td %s Tj ET"
            % (
                number(gray),
                used.resource_name,
                number(size),
                number(x),
                number(y),
                used.show(text),
            )
        )

    def line(
        self, x1: float, y1: float, x2: float, y2: float, *, width: float, gray: float = 0.0
    ) -> None:
        self._operators.append(
            b"q %s w %s G %s %s m %s %s l S Q"
            % (number(width), number(gray), number(x1), number(y1), number(x2), number(y2))
        )

    def fill_rect(self, x: float, y: float, width: float, height: float, *, gray: float) -> None:
        self._operators.append(
            b"q %s g %s %s %s %s re f Q"
            % (number(gray), number(x), number(y), number(width), number(height))
        )

    @property
    def fonts(self) -> list[DocumentFont]:
        """The fonts the page draws with, in the order it first used them."""
        return list(self._fonts.values())

    def to_bytes(self) -> bytes:
        return b"\n".join(self._operators) + b"\n"


def write_single_page_pdf(
    content: PageContent,
    *,
    title: str,
    width: float = A4_WIDTH,
    height: float = A4_HEIGHT,
) -> bytes:
    """A complete PDF file of one page showing `content`."""
    objects = PdfObjects()
    catalog = objects.reserve()
    pages = objects.reserve()
    page = objects.reserve()
    stream = objects.add_stream(content.to_bytes())
    fonts = [(font.resource_name, font.write(objects)) for font in content.fonts]
    info = objects.add(b"<< /Title %s /Producer (billtrack) >>" % text_string(title))
    font_entries = b" ".join(b"/%s %d 0 R" % (name, ref) for name, ref in fonts)
    objects.put(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % pages)
    objects.put(pages, b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page)
    objects.put(
        page,
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] "
        b"/Resources << /Font << %s >> >> /Contents %d 0 R >>"
        % (
            pages,
            number(width),
            number(height),
            font_entries,
            stream,
        ),
    )
    return objects.serialise(root=catalog, info=info)
