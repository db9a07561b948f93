"""The PDF file format's lowest layer: numbered objects, strings, numbers, the cross-reference table.

Nothing here makes two writes of the same objects differ: no dates, no random ids, and streams are
left uncompressed, so the bytes do not depend on the zlib build either.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache


@lru_cache(maxsize=4096)
def number(value: float) -> bytes:
    """A coordinate as PDF writes it: at most two decimals, no exponent, no "-0".

    Cached: a page writes some 600 numbers, mostly the same few dozen coordinates and sizes."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return b"0" if text in ("-0", "") else text.encode("ascii")


def text_string(text: str) -> bytes:
    """`text` as a PDF text string (for the document information, not for page content):
    a literal string when it is printable ASCII, else UTF-16BE with a byte order mark."""
    if text.isascii() and text.isprintable():
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return b"(" + escaped.encode("ascii") + b")"
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


class PdfObjects:
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

    def add_stream(self, data: bytes, entries: bytes = b"") -> int:
        """A stream object; `entries` are further dictionary entries, e.g. b"/Length1 1234"."""
        separator = b" " if entries else b""
        return self.add(
            b"<< /Length %d%s%s >>\nstream\n%s\nendstream" % (len(data), separator, entries, data)
        )

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
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n" % (
            len(offsets) + 1,
            root,
            info,
            file_id,
            file_id,
        )
        out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
        return bytes(out)
