"""`PlaywrightPdfRenderer` against a real Chromium: what the PDF says (names in every script,
escaped HTML, exact money), one page for the longest month, renders from several threads, a
browser killed under load, a clean close; and how a Chromium is found.

The PDFs are read back with pypdf. Noto Sans CJK draws some ideographs with a glyph it shares
with a radical (小 and ⼩, 長 and ⻑); the glyph's text in Chromium's PDF is then the radical, and
an /ActualText span around it says which ideograph it stands for. Readers that honour those (as
poppler's pdftotext does) copy the right text; pypdf does not, so `pdf_text` applies them.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pypdf
import pytest
from pypdf.generic import ContentStream, DictionaryObject, StreamObject

from billtrack.adapters.playwright.discovery import (
    ChromiumSource,
    find_chromium,
    playwright_missing,
)
from billtrack.adapters.playwright.errors import ChromiumNotFound, RenderFailed
from billtrack.adapters.playwright.renderer import PlaywrightPdfRenderer
from billtrack.entrypoints import bootstrap
from billtrack.entrypoints.settings import Settings
from billtrack.ports.rendering import InvoiceDocument, Issuer
from tests.support.chromium import (
    chromium_browser_pids,
    descendants,
    still_running,
)

NAMES = (
    "Дмитро Łukasiewicz",
    "Γιώργος Παπαδόπουλος",
    "Zażółć Gęślą Jaźń",
    "李小龍",
    "山田太郎",
    "김민준",
)
ISSUER = Issuer(
    name="Nordlicht Beratung GmbH",
    address="Friedrichstraße 123\n10117 Berlin\nDeutschland",
    currency="CHF",
)


@pytest.fixture(scope="module")
def renderer(chromium_path: Path) -> Iterator[PlaywrightPdfRenderer]:
    """One renderer shared by the tests that only print: a launch costs more than many prints."""
    with PlaywrightPdfRenderer(chromium_path, pool_size=2) as shared:
        yield shared


def october(**changes: Any) -> InvoiceDocument:
    """An invoice for October 2024: 31 days, every one of them logged."""
    first = date(2024, 10, 1)
    workdays = tuple(
        (first + timedelta(days=offset), Decimal("7.75") if offset % 3 else Decimal("8"))
        for offset in range(31)
    )
    document = InvoiceDocument(
        number="2024-000042",
        issue_date=date(2024, 11, 1),
        period_label="October 2024",
        employee_name="Ada Lovelace",
        employee_email="ada@example.com",
        department="Analytical Engines",
        project="Bernoulli Numbers",
        salary=Decimal("12345.67"),
        weekdays=23,
        total_hours=sum((hours for _, hours in workdays), Decimal(0)),
        hourly_rate=Decimal("67.0960"),
        amount=Decimal("16304.33"),
        workdays=workdays,
        issuer=ISSUER,
    )
    return replace(document, **changes)


# Reading the text back ---------------------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    """The text of every page as pypdf lays it out, with what /ActualText spans say in place of
    the characters their glyphs map to."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = []
    for page in reader.pages:
        text = page.extract_text()
        for mapped, actual in actual_texts(page, reader).items():
            text = text.replace(mapped, actual)
        pages.append(text)
    return "\n".join(pages)


def actual_texts(page: pypdf.PageObject, reader: pypdf.PdfReader) -> dict[str, str]:
    """For each /ActualText span of the page: the text its glyphs map to, and the text it says."""
    resources = cast(DictionaryObject, page["/Resources"])
    font_resources = cast(DictionaryObject, resources["/Font"])
    fonts = {
        name: _Font(cast(DictionaryObject, ref.get_object()))
        for name, ref in font_resources.items()
    }
    found: dict[str, str] = {}
    font: _Font | None = None
    spans: list[tuple[str, list[str]]] = []  # (actual text, what the glyphs inside map to)
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"Tf":
            font = fonts[operands[0]]
        elif operator == b"BDC":
            properties = operands[1] if len(operands) > 1 else None
            if isinstance(properties, DictionaryObject) and "/ActualText" in properties:
                spans.append((str(properties["/ActualText"]), []))
        elif operator == b"EMC" and spans:
            actual, mapped = spans.pop()
            if "".join(mapped) not in ("", actual):
                found["".join(mapped)] = actual
        elif operator in (b"Tj", b"TJ") and font is not None and spans:
            strings = operands[0] if operator == b"TJ" else [operands[0]]
            spans[-1][1].extend(font.decode(s) for s in strings if not isinstance(s, int | float))
    return found


class _Font:
    """A font's /ToUnicode map: which text each character code of a Tj string stands for."""

    def __init__(self, font: DictionaryObject) -> None:
        self.code_bytes = 2 if str(font["/Subtype"]) == "/Type0" else 1
        self.unicode: dict[int, str] = {}
        to_unicode = cast(StreamObject, font["/ToUnicode"].get_object())
        cmap = to_unicode.get_data().decode("latin-1")
        for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
            for source, target in re.findall(r"<(\w+)>\s*<(\w+)>", block):
                self.unicode[int(source, 16)] = _utf16(target)
        for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
            for low, high, target in re.findall(r"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
                first = _utf16(target)
                for offset in range(int(high, 16) - int(low, 16) + 1):
                    self.unicode[int(low, 16) + offset] = first[:-1] + chr(ord(first[-1]) + offset)

    def decode(self, string: Any) -> str:
        data = string.original_bytes if hasattr(string, "original_bytes") else bytes(string)
        codes = (
            int.from_bytes(data[i : i + self.code_bytes], "big")
            for i in range(0, len(data), self.code_bytes)
        )
        return "".join(self.unicode.get(code, "\ufffd") for code in codes)


def _utf16(hex_text: str) -> str:
    return bytes.fromhex(hex_text).decode("utf-16-be")


def page_count(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


# What the PDF shows ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_names_in_every_script_come_out_exactly(renderer: PlaywrightPdfRenderer, name: str) -> None:
    pdf = renderer.render(october(employee_name=name, department=f"Abteilung {name}"))

    lines = pdf_text(pdf).splitlines()
    assert name in lines
    assert f"Department Abteilung {name}" in lines


def test_latin_greek_and_cyrillic_need_no_actual_text(renderer: PlaywrightPdfRenderer) -> None:
    """For these scripts even a reader that ignores /ActualText gets the names right."""
    pdf = renderer.render(october(employee_name=NAMES[0], project=NAMES[1], department=NAMES[2]))

    plain = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert all(name in plain for name in NAMES[:3])


def test_the_invoice_shows_its_number_dates_issuer_and_exact_money(
    renderer: PlaywrightPdfRenderer,
) -> None:
    document = october()

    lines = pdf_text(renderer.render(document)).splitlines()

    expected = [
        "Invoice",
        "Invoice number 2024-000042",
        "Issue date 2024-11-01",
        "Period October 2024",
        "Nordlicht Beratung GmbH",
        "Friedrichstraße 123",
        "10117 Berlin",
        "Deutschland",
        "Ada Lovelace",
        "ada@example.com",
        "Department Analytical Engines",
        "Project Bernoulli Numbers",
        "2024-10-01 Tuesday 8.00",
        "2024-10-31 Thursday 8.00",
        "Monthly salary 12,345.67 CHF",
        "Weekdays in month 23",
        "Total hours 243.00",
        "Hourly rate 67.0960 CHF",
        "Amount 16,304.33 CHF",
        "Nordlicht Beratung GmbH · Invoice 2024-000042 · All amounts in CHF",
    ]
    assert [line for line in expected if line not in lines] == []
    assert (
        sum(re.fullmatch(r"2024-10-\d\d \w+day \d+\.\d\d", line) is not None for line in lines)
        == 31
    )


def test_the_pdf_is_titled_with_the_invoice_number(renderer: PlaywrightPdfRenderer) -> None:
    reader = pypdf.PdfReader(io.BytesIO(renderer.render(october())))

    assert reader.metadata is not None
    assert reader.metadata.title == "Invoice 2024-000042"


def test_a_31_day_month_with_long_details_is_one_a4_page(renderer: PlaywrightPdfRenderer) -> None:
    long = "Maximilian-Alexander von Hohenzollern-Sigmaringen-Württemberg " * 3
    document = october(
        employee_name=long,
        employee_email="maximilian.alexander." * 4 + "@example.com",
        department=long,
        project=long,
        period_label="October 2024 " * 5,
        issuer=Issuer(
            name=long,
            address="\n".join(f"Address line {n} {long}" for n in range(1, 10)),
            currency="EUR",
        ),
    )

    pdf = renderer.render(document)

    assert page_count(pdf) == 1
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) in {
        (595, 842),
        (596, 843),
    }  # A4 in points, as Chromium rounds it
    text = pdf_text(pdf)
    assert "2024-10-31" in text
    assert "16,304.33 EUR" in text


def test_a_month_without_workdays_says_so(renderer: PlaywrightPdfRenderer) -> None:
    pdf = renderer.render(october(workdays=(), total_hours=Decimal(0), amount=Decimal("0.00")))

    assert "No workdays logged in this month." in pdf_text(pdf)


def test_html_in_user_input_is_printed_literally(renderer: PlaywrightPdfRenderer) -> None:
    name = "<script>alert(1)</script>"

    lines = pdf_text(
        renderer.render(october(employee_name=name, project="<b>Co</b> & Co"))
    ).splitlines()

    assert name in lines
    assert "Project <b>Co</b> & Co" in lines


def test_more_workdays_than_a_month_has_is_refused(renderer: PlaywrightPdfRenderer) -> None:
    workdays = october().workdays
    with pytest.raises(ValueError, match="at most 31"):
        renderer.render(october(workdays=(*workdays, workdays[-1])))


# Threads, crashes, closing -----------------------------------------------------------------------


def test_renders_from_four_threads_at_once_each_get_their_own_invoice(
    renderer: PlaywrightPdfRenderer,
) -> None:
    documents = [
        october(number=f"2024-{n:06d}", employee_name=NAMES[n % len(NAMES)]) for n in range(1, 9)
    ]

    with ThreadPoolExecutor(max_workers=4) as threads:
        pdfs = list(threads.map(renderer.render, documents))

    for document, pdf in zip(documents, pdfs, strict=True):
        lines = pdf_text(pdf).splitlines()
        assert f"Invoice number {document.number}" in lines
        assert document.employee_name in lines


def test_a_killed_browser_is_relaunched_and_renders_carry_on(chromium_path: Path) -> None:
    with PlaywrightPdfRenderer(chromium_path, pool_size=2) as own:
        before = chromium_browser_pids()
        own.start()
        (browser_pid,) = chromium_browser_pids() - before

        # Killed between renders: the next render finds the browser gone and relaunches it.
        os.kill(browser_pid, signal.SIGKILL)
        assert "2024-000042" in pdf_text(own.render(october()))

        # Killed while four threads keep rendering: prints in flight are retried.
        (browser_pid,) = chromium_browser_pids() - before
        rendered, kill_now = [], threading.Event()

        def keep_rendering(worker: int) -> None:
            for n in range(3):
                document = october(number=f"2024-{worker}{n:05d}")
                rendered.append((document.number, own.render(document)))
                kill_now.set()

        with ThreadPoolExecutor(max_workers=4) as threads:
            running = [threads.submit(keep_rendering, worker) for worker in range(4)]
            assert kill_now.wait(timeout=60)
            os.kill(browser_pid, signal.SIGKILL)
            for thread in running:
                thread.result()  # raises if any render failed

        assert len(rendered) == 12
        # The title (from the page's <title>) names the invoice; cheaper to read than the page.
        assert all(f"/Title (Invoice {number})".encode() in pdf for number, pdf in rendered)
        assert own.launches == 3


def test_a_print_that_fails_again_after_its_retry_raises_render_failed(chromium_path: Path) -> None:
    """No page can print within a millisecond: the first failure is retried on a new page, the
    second is given up with an error the queue can redeliver on."""
    with (
        PlaywrightPdfRenderer(chromium_path, pool_size=1, print_timeout=0.001) as hopeless,
        pytest.raises(RenderFailed, match="invoice 2024-000042: printing failed twice"),
    ):
        hopeless.render(october())


def test_a_browser_that_cannot_start_fails_the_render_clearly(tmp_path: Path) -> None:
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)

    with (
        PlaywrightPdfRenderer(broken, pool_size=1, launch_timeout=20) as failing,
        pytest.raises(RenderFailed, match="did not start"),
    ):
        failing.render(october())


def test_close_leaves_no_process_behind_and_can_be_repeated(chromium_path: Path) -> None:
    before = {process.pid for process in descendants()}
    threads_before = set(threading.enumerate())
    renderer = PlaywrightPdfRenderer(chromium_path, pool_size=2)
    renderer.render(october())
    started = [process for process in descendants() if process.pid not in before]
    assert any(process.is_chromium_browser for process in started)

    renderer.close()
    renderer.close()

    def new_threads() -> list[threading.Thread]:
        return [thread for thread in threading.enumerate() if thread not in threads_before]

    deadline = time.monotonic() + 10
    while (still_running(started) or new_threads()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert still_running(started) == []
    assert new_threads() == []
    with pytest.raises(RenderFailed, match="closed"):
        renderer.render(october())


# Finding a Chromium ------------------------------------------------------------------------------


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_a_configured_chromium_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ChromiumNotFound, match="does not exist"):
        find_chromium(tmp_path / "missing", environ={"PATH": ""}, home=tmp_path)


def test_a_configured_chromium_that_is_not_executable_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "chrome").write_text("")
    with pytest.raises(ChromiumNotFound, match="not an executable"):
        find_chromium(tmp_path / "chrome", environ={"PATH": ""}, home=tmp_path)


def test_a_configured_chromium_wins(tmp_path: Path) -> None:
    configured = executable(tmp_path / "mine" / "chrome")
    executable(tmp_path / "bin" / "chromium")

    found = find_chromium(configured, environ={"PATH": str(tmp_path / "bin")}, home=tmp_path)

    assert found is not None
    assert (found.path, found.source) == (configured, ChromiumSource.CONFIGURED)


def test_a_system_chromium_is_found_on_path(tmp_path: Path) -> None:
    chromium = executable(tmp_path / "bin" / "chromium-browser")
    environ = {"PATH": f"{tmp_path / 'empty'}:{tmp_path / 'bin'}"}

    found = find_chromium(None, environ=environ, home=tmp_path)

    assert found is not None
    assert (found.path, found.source) == (chromium, ChromiumSource.SYSTEM)
    assert "system PATH" in found.describe()


def test_playwrights_newest_download_comes_before_the_system_chromium(tmp_path: Path) -> None:
    browsers = tmp_path / "browsers"
    executable(browsers / "chromium-999" / "chrome-linux" / "chrome")
    newest = executable(browsers / "chromium-1200" / "chrome-linux64" / "chrome")
    executable(tmp_path / "bin" / "chromium")
    environ = {"PLAYWRIGHT_BROWSERS_PATH": str(browsers), "PATH": str(tmp_path / "bin")}

    found = find_chromium(None, environ=environ, home=tmp_path)

    assert found is not None
    assert (found.path, found.source) == (newest, ChromiumSource.PLAYWRIGHT_DOWNLOAD)


def test_playwrights_downloads_are_looked_for_in_the_home_cache(tmp_path: Path) -> None:
    shell = executable(
        tmp_path / ".cache/ms-playwright/chromium_headless_shell-1200/chrome-linux/headless_shell"
    )

    found = find_chromium(None, environ={"PATH": ""}, home=tmp_path)

    assert found is not None
    assert found.path == shell


def test_without_any_chromium_there_is_none(tmp_path: Path) -> None:
    assert find_chromium(None, environ={"PATH": str(tmp_path)}, home=tmp_path) is None


# Choosing Chromium without importing Playwright -------------------------------------------------


def test_choosing_chromium_logs_it_and_leaves_playwright_for_the_first_launch(
    tmp_path: Path,
) -> None:
    # In a process of its own: this one has imported Playwright already.
    chrome = executable(tmp_path / "bin" / "chromium")
    code = f"""
import logging, sys
from pathlib import Path
from billtrack.entrypoints.bootstrap import _renderer
from billtrack.entrypoints.settings import Settings
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
closers = []
settings = Settings(data_dir=Path({str(tmp_path / "data")!r}), pdf_renderer="auto",
                    chromium_path=Path({str(chrome)!r}))
renderer = _renderer(settings, closers)
print(type(renderer).__name__, renderer.launches)
print(sorted(name for name in sys.modules if name.split(".")[0] == "playwright"))
for close in closers:
    close()
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    assert f"PDF renderer: Chromium {chrome} (found through BILLTRACK_CHROMIUM_PATH)" in lines
    assert "PlaywrightPdfRenderer 0" in lines
    assert lines[-1] in ("[]", "['playwright']"), "only the package's __init__, found, not run"


def test_chromium_without_playwright_installed_refuses_to_start_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert playwright_missing() is None
    monkeypatch.setattr(bootstrap, "playwright_missing", lambda: "No module named 'playwright'")
    settings = Settings(
        data_dir=tmp_path / "data", chromium_path=executable(tmp_path / "bin" / "chromium")
    )
    with pytest.raises(ValueError, match="needs Playwright to print, which is not installed"):
        bootstrap._renderer(settings, [])


def test_a_renderer_with_no_pages_is_refused_before_anything_launches(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one page"):
        PlaywrightPdfRenderer(executable(tmp_path / "chrome"), pool_size=0)


def test_a_renderer_closed_before_its_first_render_never_launched(tmp_path: Path) -> None:
    renderer = PlaywrightPdfRenderer(executable(tmp_path / "chrome"), pool_size=1)
    renderer.close()
    assert renderer.launches == 0
    with pytest.raises(RenderFailed, match="closed"):
        renderer.render(october())
