"""`ChromiumPagePool`: one headless Chromium and a fixed number of its pages, reused from one print
to the next (a reused page prints several times faster than a new one, and a new browser is slower
still). A browser that dies is launched again and the print that met it is tried once more.

Everything here runs on one asyncio event loop; `PlaywrightPdfRenderer` is the thread-safe face.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from billtrack.adapters.playwright.errors import RenderFailed

log = logging.getLogger(__name__)

# Headless and offline: without the networking flags Chromium keeps trying (and, on a machine
# without internet access, failing noisily) to reach Google's update, sync and QUIC services.
LAUNCH_ARGUMENTS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
CLOSE_TIMEOUT_SECONDS = 10.0
# How long a print waits for a free page before it looks again whether the browser is still there.
IDLE_POLL_SECONDS = 1.0


@dataclass(eq=False)
class _PooledPage:
    page: Page
    generation: int
    """The launch of the browser the page belongs to; pages of an earlier launch are dead."""
    prints: int = 0


class ChromiumPagePool:
    """Prints HTML to A4 PDFs on `size` reused pages of one Chromium at `executable`.

    Pages are renewed after `pages_renewed_after` prints, so that whatever a long-lived page may
    accumulate stays bounded.
    """

    def __init__(
        self,
        executable: Path,
        *,
        size: int,
        print_timeout: float = 30.0,
        launch_timeout: float = 30.0,
        pages_renewed_after: int = 1000,
    ) -> None:
        if size < 1:
            raise ValueError(f"a page pool needs at least one page, not {size}")
        self._executable = executable
        self._size = size
        self._print_timeout = print_timeout
        self._launch_timeout = launch_timeout
        self._pages_renewed_after = pages_renewed_after
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._generation = 0
        self._idle: asyncio.Queue[_PooledPage] = asyncio.Queue()
        self._launch_lock = asyncio.Lock()
        self._closing = False
        self._background: set[asyncio.Task[None]] = set()

    @property
    def launches(self) -> int:
        """How many times a browser has been launched (a relaunch after a crash counts too)."""
        return self._generation

    async def open(self) -> None:
        """Start Playwright and launch the browser, unless they run already."""
        self._refuse_if_closing()
        if self._playwright is None:
            self._playwright = await _start_playwright()
        await self._ensure_browser()

    async def print_pdf(self, html: str) -> bytes:
        """`html` printed to an A4 PDF. A failed print is tried once more, on a new page or, when
        the browser died, in a new browser; a second failure raises `RenderFailed`."""
        await self.open()
        first_failure: Exception | None = None
        for _attempt in range(2):
            pooled = await self._acquire()
            try:
                pdf = await asyncio.wait_for(self._print(pooled.page, html), self._print_timeout)
            except (PlaywrightError, TimeoutError) as error:
                self._refuse_if_closing()
                again = "; trying again" if first_failure is None else ", twice"
                log.warning("Chromium failed to print a PDF (%s)%s", _reason(error), again)
                first_failure = first_failure or error
                await self._discard(pooled)
                continue
            except BaseException:
                # Cancelled in the middle of a print: the page's state is unknown.
                self._in_background(self._discard(pooled))
                raise
            self._release(pooled)
            return pdf
        assert first_failure is not None
        raise RenderFailed(
            f"printing failed twice, also after a retry ({_reason(first_failure)})"
        ) from first_failure

    async def close(self) -> None:
        """Close the browser and stop Playwright; renders still running fail with
        `RenderFailed`. Closing twice does nothing more."""
        self._closing = True
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        async with self._launch_lock:  # a launch in progress finishes first, then is closed
            browser, self._browser, self._context = self._browser, None, None
            while not self._idle.empty():
                self._idle.get_nowait()
            if browser is not None:
                await _quietly(browser.close(), "closing Chromium")
            playwright, self._playwright = self._playwright, None
            if playwright is not None:
                await _quietly(playwright.stop(), "stopping Playwright")

    async def _print(self, page: Page, html: str) -> bytes:
        timeout_ms = self._print_timeout * 1000
        await page.set_content(html, wait_until="load", timeout=timeout_ms)
        return await page.pdf(format="A4", print_background=True)

    async def _acquire(self) -> _PooledPage:
        """A page of the current browser, waiting for one to be free."""
        while True:
            await self._ensure_browser()
            try:
                pooled = await asyncio.wait_for(self._idle.get(), IDLE_POLL_SECONDS)
            except TimeoutError:
                continue  # all busy, or the browser died meanwhile: look at it again
            if pooled.generation == self._generation and not pooled.page.is_closed():
                return pooled
            await self._discard(pooled)

    def _release(self, pooled: _PooledPage) -> None:
        pooled.prints += 1
        if pooled.generation != self._generation or self._closing:
            self._in_background(_close_page(pooled.page))
        elif pooled.prints >= self._pages_renewed_after:
            self._in_background(self._discard(pooled))
        else:
            self._idle.put_nowait(pooled)

    async def _discard(self, pooled: _PooledPage) -> None:
        """Close a page that failed (or is due for renewal) and put a new one in its place; when
        no page can be made, the browser is relaunched, which refills the whole pool."""
        await _close_page(pooled.page)
        if self._closing or pooled.generation != self._generation:
            return  # a relaunch has filled the pool with pages of the new browser already
        try:
            page = await self._new_page()
        except PlaywrightError:
            await self._relaunch(broken_generation=pooled.generation)
            return
        self._idle.put_nowait(_PooledPage(page, pooled.generation))

    async def _ensure_browser(self) -> None:
        self._refuse_if_closing()
        if self._browser is None or not self._browser.is_connected():
            await self._relaunch(broken_generation=None)

    async def _relaunch(self, *, broken_generation: int | None) -> None:
        """Launch a browser and fill the pool with its pages, replacing the current browser if it
        is gone or, when `broken_generation` is the current one, known to be broken although
        still connected. Callers that lose the race find the new browser and return."""
        async with self._launch_lock:
            self._refuse_if_closing()
            connected = self._browser is not None and self._browser.is_connected()
            if connected and broken_generation != self._generation:
                return
            old_browser, self._browser, self._context = self._browser, None, None
            self._generation += 1
            generation = self._generation
            while not self._idle.empty():
                await _close_page(self._idle.get_nowait().page)
            if old_browser is not None:
                log.info("replacing a Chromium that is gone or broken (launch %d)", generation)
                await _quietly(old_browser.close(), "closing a broken Chromium")
            browser = await self._launch()
            try:
                context = await browser.new_context(java_script_enabled=False)
                pages = [await context.new_page() for _ in range(self._size)]
            except PlaywrightError as error:
                await _quietly(browser.close(), "closing a Chromium that opened no pages")
                raise RenderFailed(f"Chromium opened no pages: {_reason(error)}") from error
            self._browser, self._context = browser, context
            for page in pages:
                self._watch(page)
                self._idle.put_nowait(_PooledPage(page, generation))

    async def _launch(self) -> Browser:
        assert self._playwright is not None
        try:
            browser = await self._launch_with(self._playwright)
        except PlaywrightError as first_error:
            # Playwright's driver process may have died with the browser (killed along with its
            # process group, say): a new driver gets a second chance.
            log.warning("Chromium did not start (%s); restarting Playwright", _reason(first_error))
            await _quietly(self._playwright.stop(), "stopping Playwright")
            self._playwright = None
            self._playwright = await _start_playwright()
            try:
                browser = await self._launch_with(self._playwright)
            except PlaywrightError as error:
                raise RenderFailed(
                    f"Chromium at {self._executable} did not start: {_reason(error)}"
                ) from error
        browser.on("disconnected", self._on_disconnected)
        log.info("Chromium %s started from %s", browser.version, self._executable)
        return browser

    async def _launch_with(self, playwright: Playwright) -> Browser:
        return await playwright.chromium.launch(
            executable_path=self._executable,
            headless=True,
            args=list(LAUNCH_ARGUMENTS),
            timeout=self._launch_timeout * 1000,
        )

    async def _new_page(self) -> Page:
        if self._context is None:
            raise PlaywrightError("no browser to open a page in")
        page = await self._context.new_page()
        self._watch(page)
        return page

    def _watch(self, page: Page) -> None:
        page.on("crash", lambda _: log.warning("a Chromium page crashed; it will be replaced"))

    def _on_disconnected(self, browser: Browser) -> None:
        if self._closing or browser is not self._browser:
            return  # closed on purpose
        log.warning("Chromium disconnected (crashed or killed); relaunching it")
        # Relaunched now rather than by the next print, which then finds a working browser.
        self._in_background(self._relaunch_quietly())

    async def _relaunch_quietly(self) -> None:
        try:
            await self._relaunch(broken_generation=None)
        except RenderFailed as failure:
            log.error("relaunching Chromium failed; the next print tries again: %s", failure)

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        # The loop keeps only weak references to tasks; this set keeps them until they finish.
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _refuse_if_closing(self) -> None:
        if self._closing:
            raise RenderFailed("the renderer is closed")


async def _start_playwright() -> Playwright:
    try:
        return await async_playwright().start()
    except Exception as error:
        raise RenderFailed(f"Playwright did not start: {_reason(error)}") from error


async def _close_page(page: Page) -> None:
    await _quietly(page.close(), "closing a page")


async def _quietly(work: Coroutine[Any, Any, None], what: str) -> None:
    """Await clean-up work that may fail because its browser is gone already, bounded in time."""
    try:
        await asyncio.wait_for(work, CLOSE_TIMEOUT_SECONDS)
    except (PlaywrightError, TimeoutError) as error:
        log.debug("%s failed: %s", what, _reason(error))


def _reason(error: BaseException) -> str:
    """The first line of an error: Playwright's messages go on with a long call log."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
