"""A PDF renderer for tests: records what it was asked to render and can be told to fail.

Its output only starts like a PDF: a header, then the document's fields as comment lines, so a
test can read what was rendered from what was stored. The real renderers (Chromium, builtin)
live in their own adapter families.
"""

from __future__ import annotations

from billtrack.ports.rendering import InvoiceDocument


class RenderFailed(RuntimeError):
    pass


class RecordingPdfRenderer:
    def __init__(self) -> None:
        self.rendered: list[InvoiceDocument] = []
        self.failures_left = 0
        """How many of the next renders fail (a crash of the browser, say)."""

    def render(self, document: InvoiceDocument, /) -> bytes:
        if self.failures_left > 0:
            self.failures_left -= 1
            raise RenderFailed(f"rendering {document.number} failed on purpose")
        self.rendered.append(document)
        lines = [f"% {name}: {value}" for name, value in _fields(document)]
        return ("%PDF-1.7\n" + "\n".join(lines) + "\n%%EOF\n").encode()


def _fields(document: InvoiceDocument) -> list[tuple[str, object]]:
    return [(name, getattr(document, name)) for name in document.__dataclass_fields__]
