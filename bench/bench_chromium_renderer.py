"""What page reuse and the page pool buy: PDFs per second printed by `PlaywrightPdfRenderer`
(a browser launched once, pages reused) against a new page per PDF, and a pool printing from as
many threads as it has pages against one thread.

`python -m bench chromium` prints the ratios; `python -m bench.bench_chromium_renderer` prints the
rates themselves. Without a Chromium (see `find_chromium`) there is nothing to measure.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.harness import Comparison
from billtrack.adapters.playwright.discovery import ChromiumLocation, find_chromium
from billtrack.adapters.playwright.page_pool import LAUNCH_ARGUMENTS
from billtrack.adapters.playwright.renderer import PlaywrightPdfRenderer, default_pool_size
from billtrack.adapters.playwright.template import InvoiceHtml
from billtrack.ports.rendering import InvoiceDocument, Issuer

SECONDS = 3.0
ROUNDS = 3
NAMES = ("Ada Lovelace", "Дмитро Łukasiewicz", "Γιώργος Παπαδόπουλος", "李小龍", "김민준")


def chromium() -> ChromiumLocation | None:
    """The Chromium billtrack would use: BILLTRACK_CHROMIUM_PATH, else wherever one is found."""
    configured = os.environ.get("BILLTRACK_CHROMIUM_PATH")
    return find_chromium(Path(configured) if configured else None)


def invoices(count: int = 20) -> list[InvoiceDocument]:
    """Invoices for October 2024 (31 logged days each), the longest month there is."""
    first = date(2024, 10, 1)
    workdays = tuple(
        (first + timedelta(days=offset), Decimal("7.5") + offset % 3) for offset in range(31)
    )
    return [
        InvoiceDocument(
            number=f"2024-{n:06d}",
            issue_date=date(2024, 11, 1),
            period_label="October 2024",
            employee_name=NAMES[n % len(NAMES)],
            employee_email=f"employee{n}@example.com",
            department="Engineering",
            project="Apollo",
            salary=Decimal("4321.09") + n,
            weekdays=23,
            total_hours=sum((hours for _, hours in workdays), Decimal(0)),
            hourly_rate=Decimal("23.4842"),
            amount=Decimal("5678.90") + n,
            workdays=workdays,
            issuer=Issuer(name="Acme GmbH", address="Hauptstraße 1\n10115 Berlin", currency="EUR"),
        )
        for n in range(1, count + 1)
    ]


def pdfs_per_second(
    render: Callable[[InvoiceDocument], bytes],
    documents: Sequence[InvoiceDocument],
    seconds: float,
    threads: int,
) -> float:
    """How many PDFs `threads` threads calling `render` print per second, for `seconds`."""
    start = time.perf_counter()
    deadline = start + seconds

    def keep_rendering(offset: int) -> int:
        printed = 0
        for document in itertools.islice(itertools.cycle(documents), offset, None):
            if time.perf_counter() >= deadline:
                return printed
            render(document)
            printed += 1
        return printed

    with ThreadPoolExecutor(max_workers=threads) as pool:
        printed = sum(pool.map(keep_rendering, range(threads)))
    return printed / (time.perf_counter() - start)


def measure_chromium(documents: Sequence[InvoiceDocument], seconds: float, pool_size: int) -> float:
    """PDFs per second of a `PlaywrightPdfRenderer` with `pool_size` pages, rendering from as
    many threads; the launch and a first print on every page are not counted."""
    location = chromium()
    if location is None:
        raise RuntimeError("no Chromium found to measure")
    with PlaywrightPdfRenderer(location.path, pool_size=pool_size) as renderer:
        renderer.start()
        pdfs_per_second(renderer.render, documents, 0.5, pool_size)
        return pdfs_per_second(renderer.render, documents, seconds, pool_size)


def measure_new_page_per_pdf(documents: Sequence[InvoiceDocument], seconds: float) -> float:
    """PDFs per second from one thread when every PDF gets a page of its own (the browser is still
    launched once): what printing costs without the pool."""
    location = chromium()
    if location is None:
        raise RuntimeError("no Chromium found to measure")
    html = InvoiceHtml()
    # Playwright's sync objects belong to the thread that made them: one thread does it all.
    rate: list[float] = []

    def in_one_thread() -> None:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=location.path, headless=True, args=list(LAUNCH_ARGUMENTS)
            )
            context = browser.new_context(java_script_enabled=False)

            def render(document: InvoiceDocument) -> bytes:
                page = context.new_page()
                try:
                    page.set_content(html.render(document), wait_until="load")
                    return page.pdf(format="A4", print_background=True)
                finally:
                    page.close()

            for document in documents[:2]:
                render(document)
            start, printed = time.perf_counter(), 0
            for document in itertools.cycle(documents):
                if time.perf_counter() - start >= seconds:
                    break
                render(document)
                printed += 1
            rate.append(printed / (time.perf_counter() - start))
            browser.close()

    worker = threading.Thread(target=in_one_thread)
    worker.start()
    worker.join()
    return rate[0]


def rates(seconds: float = SECONDS, rounds: int = ROUNDS) -> dict[str, float]:
    """The best rate of each way of printing over `rounds` interleaved rounds, in PDFs/s."""
    documents, pool = invoices(), default_pool_size()
    ways: dict[str, Callable[[], float]] = {
        "new page per PDF, 1 thread": lambda: measure_new_page_per_pdf(documents, seconds),
        "reused page, 1 thread": lambda: measure_chromium(documents, seconds, 1),
        f"pool of {pool} pages, {pool} threads": lambda: measure_chromium(documents, seconds, pool),
    }
    best = dict.fromkeys(ways, 0.0)
    for _ in range(rounds):
        for name, measure in ways.items():
            best[name] = max(best[name], measure())
    return best


def run() -> list[Comparison]:
    if chromium() is None:
        print("bench_chromium_renderer: no Chromium found, nothing measured", file=sys.stderr)
        return []
    measured = rates()
    new_page, reused, pooled = measured.values()
    pool_name = list(measured)[2]
    # Ratios of seconds per PDF, as every benchmark here reports: below 1 is faster.
    return [
        Comparison("chromium, reused page", "chromium, new page per PDF", 1 / new_page, 1 / reused),
        Comparison(
            f"chromium, {pool_name}", "chromium, reused page, 1 thread", 1 / reused, 1 / pooled
        ),
    ]


if __name__ == "__main__":
    if chromium() is None:
        sys.exit("no Chromium found")
    for name, rate in rates().items():
        print(f"{name:32} {rate:7.1f} PDFs/s  ({1000 / rate:6.1f} ms per PDF)")
