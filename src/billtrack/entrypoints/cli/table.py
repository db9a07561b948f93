"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Collection, Sequence


def render_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right_aligned: Collection[int] = (),
    footer: Sequence[str] | None = None,
) -> str:
    lines = [header, *rows, *([footer] if footer else [])]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def format_line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(w) if i in right_aligned else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [format_line(header), rule, *(format_line(r) for r in rows)]
    if footer:
        out += [rule, format_line(footer)]
    return "\n".join(out)
