"""The fonts billtrack ships for the builtin renderer (DejaVu Sans, see fonts/README.md).

Each is read the first time it is asked for and kept for the life of the process: the first read
takes about a tenth of a second (most of it importing fontTools), and every render afterwards
reuses what it measured.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from billtrack.adapters.builtin_pdf.truetype import TrueTypeFont

FONT_FOLDER = files("billtrack.adapters.builtin_pdf") / "fonts"
"""The font files and their LICENSE, inside the installed package."""


@cache
def regular() -> TrueTypeFont:
    return TrueTypeFont((FONT_FOLDER / "DejaVuSans.ttf").read_bytes())


@cache
def bold() -> TrueTypeFont:
    return TrueTypeFont((FONT_FOLDER / "DejaVuSans-Bold.ttf").read_bytes())
