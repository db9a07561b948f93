"""`TrueTypeFont`: a TrueType font read once, measured per character, and cut down per document.

Reading a font (fontTools parses the tables) takes tens of milliseconds, so it happens once per
process; everything a render needs afterwards is precomputed here: each character's advance in
PDF units (1/1000 em), each glyph's outline bytes, and where composite glyphs name their parts.

`subset` then writes, in well under a millisecond, a TrueType program holding only the glyphs one
document draws. Its glyph numbers are the document's character ids (glyph 1 draws the first
character, glyph 2 the second, ...), so a PDF can show text by those ids with `/Identity` maps and
no lookup table; the parts of accented letters (composites) follow them. Glyphs are renumbered
rather than kept at their places so that `loca` and `hmtx` grow with the glyphs used, not with
the 1,851 glyphs of the font.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # fontTools ships no types

# Composite glyph component flags (OpenType `glyf` table, "Composite glyph description").
_ARG_1_AND_2_ARE_WORDS = 0x0001
_WE_HAVE_A_SCALE = 0x0008
_MORE_COMPONENTS = 0x0020
_WE_HAVE_AN_X_AND_Y_SCALE = 0x0040
_WE_HAVE_A_TWO_BY_TWO = 0x0080

_HEAD_CHECKSUM_ADJUSTMENT = 8
_HEAD_INDEX_TO_LOC_FORMAT = 50
_HHEA_NUMBER_OF_HMETRICS = 34
_MAXP_NUM_GLYPHS = 4
_CHECKSUM_MAGIC = 0xB1B0AFBA


@dataclass(frozen=True, slots=True)
class FontMetrics:
    """What a PDF font descriptor states about a font, in PDF glyph space (1/1000 em)."""

    ascent: int
    descent: int
    cap_height: int
    bounding_box: tuple[int, int, int, int]
    italic_angle: float
    stem_v: int


class TrueTypeFont:
    """A TrueType font ready to measure text and to embed a subset of; nothing of it changes
    once read, so one instance serves every render of the process (and its threads)."""

    def __init__(self, data: bytes) -> None:
        font = TTFont(io.BytesIO(data))
        # The tables as the file has them: `getTableData` would compile again the tables read
        # above, and compiling `head` stamps it with the time of day.
        raw = font.reader
        head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
        self._scale = 1000 / head.unitsPerEm
        self.postscript_name: str = font["name"].getDebugName(6) or "Font"
        glyph_order = font.getGlyphOrder()
        glyph_number = {name: number for number, name in enumerate(glyph_order)}
        horizontal_metrics = font["hmtx"].metrics

        self._glyph_of: dict[str, int] = {
            chr(code): glyph_number[name] for code, name in font.getBestCmap().items()
        }
        self._metrics_entry = tuple(
            struct.pack(">Hh", *horizontal_metrics[name]) for name in glyph_order
        )
        advances = [horizontal_metrics[name][0] for name in glyph_order]
        self.widths: dict[str, int] = {
            character: round(advances[number] * self._scale)
            for character, number in self._glyph_of.items()
        }
        """Each covered character's advance, in 1/1000 em: what the PDF's `/W` array states."""

        outlines = raw["glyf"]
        offsets = font["loca"].locations
        self._outlines = tuple(
            _padded(outlines[offsets[number] : offsets[number + 1]])
            for number in range(len(glyph_order))
        )
        self._component_references = tuple(_component_references(g) for g in self._outlines)
        # Every subset has long loca offsets, and its checksum adjustment is computed last.
        self._head = _patched(
            raw["head"],
            (_HEAD_CHECKSUM_ADJUSTMENT, ">I", 0),
            (_HEAD_INDEX_TO_LOC_FORMAT, ">h", 1),
        )
        self._hhea = raw["hhea"]
        self._maxp = raw["maxp"]
        self._post = raw["post"]
        self.utf16_hex: dict[str, bytes] = {
            character: character.encode("utf-16-be").hex().upper().encode("ascii")
            for character in self._glyph_of
        }
        """Each covered character in UTF-16BE, as hex digits: what a ToUnicode CMap maps to."""

        # A glyph's outline starts with its bounding box: xMin, yMin, xMax, yMax after the count.
        capital_h_top = struct.unpack_from(">h", self._outlines[self._glyph_of["H"]], 8)[0]
        self.metrics = FontMetrics(
            ascent=round(hhea.ascent * self._scale),
            descent=round(hhea.descent * self._scale),
            cap_height=round(capital_h_top * self._scale),
            bounding_box=(
                round(head.xMin * self._scale),
                round(head.yMin * self._scale),
                round(head.xMax * self._scale),
                round(head.yMax * self._scale),
            ),
            italic_angle=float(font["post"].italicAngle),
            # TrueType fonts do not state a stem width; this is the usual estimate from the
            # weight class (the one fpdf2 and others use), which viewers only use for fallbacks.
            stem_v=50 + round((os2.usWeightClass / 65) ** 2),
        )

    def covers(self, character: str) -> bool:
        return character in self._glyph_of

    def width(self, text: str, size: float) -> float:
        """How far `text` advances at `size` points; every character must be covered."""
        return sum(map(self.widths.__getitem__, text)) * size / 1000

    def fit(self, text: str, size: float, max_width: float, *, ellipsis: str = "\u2026") -> str:
        """`text`, cut short with an ellipsis if it is wider than `max_width`."""
        widths = self.widths
        limit = max_width * 1000 / size
        if sum(map(widths.__getitem__, text)) <= limit:
            return text
        room = limit - widths[ellipsis]
        used = 0
        kept = 0
        for character in text:
            used += widths[character]
            if used > room:
                break
            kept += 1
        return text[:kept].rstrip() + ellipsis

    def subset(self, characters: Sequence[str]) -> bytes:
        """A TrueType program whose glyph `n` draws `characters[n - 1]` (glyph 0 is .notdef);
        the parts of composite glyphs are appended after them. Characters must be distinct,
        covered, and in the Basic Multilingual Plane (the subset's cmap is format 4)."""
        sources = [0, *(self._glyph_of[character] for character in characters)]
        renumbered: dict[int, int] = {}
        for new, old in enumerate(sources):
            renumbered.setdefault(old, new)
        outlines: list[bytes] = []
        index = 0
        # `sources` grows while it is walked: each composite appends the parts not yet present.
        while index < len(sources):
            old = sources[index]
            outline = self._outlines[old]
            references = self._component_references[old]
            if references:
                patched = bytearray(outline)
                for offset, part in references:
                    if part not in renumbered:
                        renumbered[part] = len(sources)
                        sources.append(part)
                    struct.pack_into(">H", patched, offset, renumbered[part])
                outline = bytes(patched)
            outlines.append(outline)
            index += 1

        glyph_count = len(sources)
        locations = [0]
        for outline in outlines:
            locations.append(locations[-1] + len(outline))
        # What a PDF's embedded TrueType program needs (PDF 1.7, 9.9: glyf, head, hhea, hmtx, loca,
        # maxp), plus a cmap and a post table so that it is also a font any tool can open.
        tables = {
            "cmap": _format_4_cmap(characters),
            "glyf": b"".join(outlines),
            "head": self._head,
            "hhea": _patched(self._hhea, (_HHEA_NUMBER_OF_HMETRICS, ">H", glyph_count)),
            "hmtx": b"".join(self._metrics_entry[old] for old in sources),
            "loca": struct.pack(f">{len(locations)}I", *locations),
            "maxp": _patched(self._maxp, (_MAXP_NUM_GLYPHS, ">H", glyph_count)),
            "post": self._post,
        }
        return _sfnt(tables)


def _padded(data: bytes) -> bytes:
    """Table data and glyph outlines start on 4-byte boundaries."""
    return data + b"\0" * (-len(data) % 4)


def _component_references(outline: bytes) -> tuple[tuple[int, int], ...]:
    """Where a composite glyph names its parts: (byte offset of the glyph number, glyph number)."""
    if len(outline) < 10 or struct.unpack_from(">h", outline)[0] >= 0:
        return ()
    references = []
    offset = 10
    while True:
        flags, part = struct.unpack_from(">HH", outline, offset)
        references.append((offset + 2, part))
        offset += 4 + (4 if flags & _ARG_1_AND_2_ARE_WORDS else 2)
        if flags & _WE_HAVE_A_SCALE:
            offset += 2
        elif flags & _WE_HAVE_AN_X_AND_Y_SCALE:
            offset += 4
        elif flags & _WE_HAVE_A_TWO_BY_TWO:
            offset += 8
        if not flags & _MORE_COMPONENTS:
            return tuple(references)


def _patched(table: bytes, *fields: tuple[int, str, int]) -> bytes:
    out = bytearray(table)
    for offset, layout, value in fields:
        struct.pack_into(layout, out, offset, value)
    return bytes(out)


def _format_4_cmap(characters: Sequence[str]) -> bytes:
    """A Windows Unicode cmap mapping each character to its glyph in the subset: one segment
    per character (an invoice draws a hundred or so), then the required 0xFFFF segment."""
    by_code = sorted((ord(character), glyph) for glyph, character in enumerate(characters, 1))
    ends = [code for code, _ in by_code] + [0xFFFF]
    deltas = [(glyph - code) & 0xFFFF for code, glyph in by_code] + [1]
    segments = len(ends)
    search_range = 2 ** (segments.bit_length() - 1) * 2
    subtable_length = 16 + 8 * segments
    subtable = struct.pack(
        f">7H{segments}HH{segments}H{segments}H{segments}H",
        4,
        subtable_length,
        0,
        segments * 2,
        search_range,
        search_range.bit_length() - 2,
        segments * 2 - search_range,
        *ends,
        0,
        *ends,  # each segment starts where it ends: one character
        *deltas,
        *([0] * segments),
    )
    return struct.pack(">HHHHI", 0, 1, 3, 1, 12) + subtable


def _checksum(data: bytes) -> int:
    padded = _padded(data)
    words: tuple[int, ...] = struct.unpack(f">{len(padded) // 4}I", padded)
    return sum(words) & 0xFFFFFFFF


def _sfnt(tables: dict[str, bytes]) -> bytes:
    """The font file: table directory, then the tables in tag order, head's checksum fixed."""
    count = len(tables)
    search_range = 2 ** (count.bit_length() - 1) * 16
    directory = bytearray(
        struct.pack(
            ">IHHHH",
            0x00010000,
            count,
            search_range,
            search_range.bit_length() - 5,
            count * 16 - search_range,
        )
    )
    offset = len(directory) + 16 * count
    body = bytearray()
    head_offset = 0
    file_checksum = 0
    for tag in sorted(tables):
        data = tables[tag]
        if tag == "head":
            head_offset = offset + len(body)
        checksum = _checksum(data)
        file_checksum += checksum
        directory += struct.pack(
            ">4sIII", tag.encode("ascii"), checksum, offset + len(body), len(data)
        )
        body += _padded(data)
    # Every table starts on a 4-byte boundary, so the file's checksum is the directory's plus
    # the tables' (their padding is zeros): no second pass over the whole file.
    file_checksum += _checksum(bytes(directory))
    font = directory + body
    adjustment = (_CHECKSUM_MAGIC - file_checksum) & 0xFFFFFFFF
    struct.pack_into(">I", font, head_offset + _HEAD_CHECKSUM_ADJUSTMENT, adjustment)
    return bytes(font)
