"""PDF renderers: the same tests for every renderer billtrack ships (builtin and Chromium).

Each prints a one-page A4 invoice whose text, read back, holds what the document says: names in
every Latin, Greek and Cyrillic spelling, the number, the amounts with their currency, the issuer.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest

from billtrack.adapters.builtin_pdf.renderer import BuiltinPdfRenderer
from billtrack.adapters.playwright.renderer import PlaywrightPdfRenderer
from billtrack.ports.rendering import PdfRenderer
from tests.integration.test_chromium_renderer import october, pdf_text

NAMES = [
    "Дмитро Łukasiewicz",
    "Γιώργος Παπαδόπουλος",
    "Zażółć Gęślą Jaźń",
    "Nguyễn Thị Minh Khai",
    "Ђорђе Јовановић",
    "Søren Kierkegaard-Ødegård",
]


@pytest.fixture(scope="module")
def chromium_renderer(chromium_path: Path) -> Iterator[PlaywrightPdfRenderer]:
    with PlaywrightPdfRenderer(chromium_path, pool_size=1) as renderer:
        yield renderer


@pytest.fixture(params=["builtin", "chromium"])
def renderer(request: pytest.FixtureRequest) -> PdfRenderer:
    if request.param == "chromium":
        chromium: PdfRenderer = request.getfixturevalue("chromium_renderer")
        return chromium
    return BuiltinPdfRenderer()


def flat(text: str) -> str:
    """The text with every run of white space as one space: layouts break lines differently."""
    return " ".join(text.split())


def pages(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("name", NAMES)
def test_every_name_comes_out_as_it_is_spelled(renderer: PdfRenderer, name: str) -> None:
    pdf = renderer.render(october(employee_name=name, department=name, project=name))
    assert pdf.startswith(b"%PDF-")
    assert flat(name) in flat(pdf_text(pdf))


def test_a_31_day_month_is_one_page_with_the_number_amounts_and_issuer(
    renderer: PdfRenderer,
) -> None:
    document = october()
    pdf = renderer.render(document)
    assert pages(pdf) == 1
    text = flat(pdf_text(pdf))
    assert document.number in text
    assert "16,304.33 CHF" in text
    assert "12,345.67 CHF" in text
    assert document.issuer.name in text


def test_a_month_without_workdays_still_renders(renderer: PdfRenderer) -> None:
    pdf = renderer.render(october(workdays=(), total_hours=Decimal("0.00"), amount=Decimal("0.00")))
    assert pages(pdf) == 1
    assert october().number in flat(pdf_text(pdf))


def test_more_workdays_than_a_month_has_are_refused(renderer: PdfRenderer) -> None:
    first = date(2024, 10, 1)
    too_many = tuple((first + timedelta(days=i), october().workdays[0][1]) for i in range(32))
    with pytest.raises(ValueError, match="31"):
        renderer.render(replace(october(), workdays=too_many))


def test_the_same_document_prints_the_same_text(renderer: PdfRenderer) -> None:
    document = october(employee_name=NAMES[0])
    assert pdf_text(renderer.render(document)) == pdf_text(renderer.render(document))
