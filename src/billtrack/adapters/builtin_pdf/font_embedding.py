"""`DocumentFont`: a TrueType font as one PDF uses it, embedded as a Type 0 font.

Each distinct character a document draws gets the next character id (CID 1, 2, ...) in the order
it is first drawn, and the font's subset is written so that glyph n draws CID n. The PDF objects
are then the standard ones for extractable Unicode text (PDF 1.7, 9.7):

- a Type 0 font with the `Identity-H` encoding (text is shown as 2-byte CIDs) and a `ToUnicode`
  CMap from each CID back to its character, which is what copy and paste, search and text
  extraction read;
- its CIDFontType2 descendant with `/CIDToGIDMap /Identity` and a `/W` array of the advances
  the layout was computed with;
- a font descriptor with the subset embedded as `FontFile2`.

Numbering by first use (rather than by the font's glyph numbers) keeps the subset, the `/W` array
and the CMap as small as the text, and gives two characters that share a glyph each their own
CID, so both read back as what they are.
"""

from __future__ import annotations

import hashlib
from string import ascii_uppercase

from billtrack.adapters.builtin_pdf.pdf_objects import PdfObjects
from billtrack.adapters.builtin_pdf.truetype import TrueTypeFont

# A CMap's bfchar sections hold at most 100 entries each (Adobe technical note 5411).
_BFCHAR_SECTION = 100
# Font descriptor flag "Symbolic": the font has glyphs outside Adobe's standard Latin set (Greek,
# Cyrillic), which PDF 1.7, 9.8.2 says to state; viewers pick glyphs by CID here either way.
_SYMBOLIC = 4


class DocumentFont:
    """The characters one document draws in one font, and the PDF objects that embed them."""

    def __init__(self, font: TrueTypeFont, resource_name: bytes) -> None:
        self.font = font
        self.resource_name = resource_name
        self._codes: dict[str, bytes] = {}
        """Each character drawn so far: its CID as 4 hex digits, as the content stream shows it."""

    def show(self, text: str) -> bytes:
        """`text` as a hex string of CIDs, for the `Tj` operator."""
        codes = self._codes
        try:
            return b"<" + b"".join(map(codes.__getitem__, text)) + b">"
        except KeyError:
            pass  # a character drawn for the first time: number it, then show the text again
        for character in text:
            if character not in codes:
                if not self.font.covers(character):
                    raise ValueError(
                        f"{self.font.postscript_name} has no glyph for {character!r} "
                        f"(U+{ord(character):04X})"
                    )
                codes[character] = b"%04X" % (len(codes) + 1)
        return b"<" + b"".join(map(codes.__getitem__, text)) + b">"

    def write(self, objects: PdfObjects) -> int:
        """Add the font's objects; returns the number of the Type 0 font to name in resources."""
        characters = list(self._codes)  # in CID order: dicts keep insertion order
        base_font = b"%s+%s" % (self._subset_tag(characters), self.font.postscript_name.encode())
        program = self.font.subset(characters)
        font_file = objects.add_stream(program, b"/Length1 %d" % len(program))
        metrics = self.font.metrics
        descriptor = objects.add(
            b"<< /Type /FontDescriptor /FontName /%s /Flags %d /FontBBox [%d %d %d %d] "
            b"/ItalicAngle %d /Ascent %d /Descent %d /CapHeight %d /StemV %d /FontFile2 %d 0 R >>"
            % (
                base_font,
                _SYMBOLIC,
                *metrics.bounding_box,
                round(metrics.italic_angle),
                metrics.ascent,
                metrics.descent,
                metrics.cap_height,
                metrics.stem_v,
                font_file,
            )
        )
        widths = b" ".join(b"%d" % self.font.widths[character] for character in characters)
        descendant = objects.add(
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            b"/FontDescriptor %d 0 R /DW 1000 /W [1 [%s]] /CIDToGIDMap /Identity >>"
            % (base_font, descriptor, widths)
        )
        to_unicode = objects.add_stream(_to_unicode_cmap(self._codes, self.font.utf16_hex))
        return objects.add(
            b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H "
            b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (base_font, descendant, to_unicode)
        )

    def _subset_tag(self, characters: list[str]) -> bytes:
        """Six capital letters naming this subset (PDF 1.7, 9.6.4): derived from its characters,
        so the same text gives the same name and a different subset, almost surely, another."""
        digest = hashlib.sha256("".join(characters).encode("utf-8", "surrogatepass")).digest()
        return "".join(ascii_uppercase[byte % 26] for byte in digest[:6]).encode("ascii")


def _to_unicode_cmap(codes: dict[str, bytes], utf16_hex: dict[str, bytes]) -> bytes:
    """The CMap from each CID (as `codes` gives it, 4 hex digits) to its character in UTF-16BE."""
    entries = [b"<%s> <%s>" % (code, utf16_hex[character]) for character, code in codes.items()]
    sections = []
    for start in range(0, len(entries), _BFCHAR_SECTION):
        chunk = entries[start : start + _BFCHAR_SECTION]
        sections.append(b"%d beginbfchar\n%s\nendbfchar" % (len(chunk), b"\n".join(chunk)))
    return b"\n".join(
        [
            b"/CIDInit /ProcSet findresource begin",
            b"12 dict begin",
            b"begincmap",
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            b"/CMapName /Adobe-Identity-UCS def",
            b"/CMapType 2 def",
            b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange",
            *sections,
            b"endcmap",
            b"CMapName currentdict /CMap defineresource pop",
            b"end",
            b"end",
        ]
    )
