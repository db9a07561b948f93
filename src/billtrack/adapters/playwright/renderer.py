"""`PlaywrightPdfRenderer`: invoices printed to PDF by a headless Chromium, from any number of
threads at once.

One browser per renderer, launched on the first render (or by `start()`), with a pool of pages
that are reused; all Playwright calls run on an event loop in a thread the renderer owns, and
`render()` hands each print to it and waits.

Playwright itself (the page pool's module, 8 MB of a server's memory) is imported by that first
launch too, not when the renderer is chosen: a server that never prints does not pay for it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Coroutine
from concurrent.futures import CancelledError
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from billtrack.adapters.playwright.errors import RenderFailed
from billtrack.adapters.playwright.event_loop_thread import EventLoopThread, EventLoopTimeout
from billtrack.adapters.playwright.template import InvoiceHtml
from billtrack.ports.rendering import InvoiceDocument

if TYPE_CHECKING:
    from billtrack.adapters.playwright.page_pool import ChromiumPagePool

log = logging.getLogger(__name__)
ResultT = TypeVar("ResultT")

PRINT_TIMEOUT_SECONDS = 30.0
LAUNCH_TIMEOUT_SECONDS = 30.0
# Waiting for a free page, a failed print, a relaunch and the retry must all fit in this.
RENDER_TIMEOUT_SECONDS = 120.0
CLOSE_TIMEOUT_SECONDS = 30.0


def default_pool_size() -> int:
    """One page per CPU this process may run on: printing is CPU-bound in Chromium's renderer
    processes, and each page costs one of them."""
    if hasattr(os, "sched_getaffinity"):
        # Fewer than os.cpu_count() in a container or under taskset.
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


class PlaywrightPdfRenderer:
    """A `PdfRenderer` printing the invoice template with the Chromium at `executable_path`.

    `render()` may be called from several threads; up to `pool_size` print at the same time, the
    others wait for a page. A crashed or killed browser is relaunched and the print tried again
    once; what still fails raises `RenderFailed`. `close()` (or leaving a `with` block) ends the
    browser, Playwright and the thread; a closed renderer refuses to render.
    """

    def __init__(
        self,
        executable_path: Path,
        *,
        pool_size: int | None = None,
        render_timeout: float = RENDER_TIMEOUT_SECONDS,
        print_timeout: float = PRINT_TIMEOUT_SECONDS,
        launch_timeout: float = LAUNCH_TIMEOUT_SECONDS,
    ) -> None:
        self.executable_path = executable_path
        self.pool_size = default_pool_size() if pool_size is None else pool_size
        if self.pool_size < 1:
            raise ValueError(f"a page pool needs at least one page, not {self.pool_size}")
        self._render_timeout = render_timeout
        self._print_timeout = print_timeout
        self._launch_timeout = launch_timeout
        self._html = InvoiceHtml()
        self._pool: ChromiumPagePool | None = None
        self._loop = EventLoopThread(name="playwright-pdf-renderer")
        self._lock = threading.Lock()
        self._started = False
        self._closed = False

    @property
    def launches(self) -> int:
        """How many browsers this renderer has launched: 1 until one crashes."""
        return 0 if self._pool is None else self._pool.launches

    def start(self) -> None:
        """Launch the browser and open its pages now rather than on the first render; raises
        `RenderFailed` when Chromium does not start (the next call tries again)."""
        with self._lock:
            if self._closed:
                raise RenderFailed("the renderer is closed")
            if not self._started:
                pool = self._pool = self._pool or self._new_pool()
                self._loop.start()
                self._run(pool.open(), self._render_timeout)
                self._started = True

    def _new_pool(self) -> ChromiumPagePool:
        try:
            from billtrack.adapters.playwright.page_pool import ChromiumPagePool
        except ImportError as broken:
            log.error("Playwright cannot be imported: %s", broken)
            raise RenderFailed(f"Playwright cannot be imported ({broken})") from broken
        return ChromiumPagePool(
            self.executable_path,
            size=self.pool_size,
            print_timeout=self._print_timeout,
            launch_timeout=self._launch_timeout,
        )

    def render(self, document: InvoiceDocument, /) -> bytes:
        html = self._html.render(document)
        if self._closed:
            raise RenderFailed(f"invoice {document.number}: the renderer is closed")
        if not self._started:
            self.start()
        pool = self._pool
        if pool is None:  # started above, so only a close in between leaves no pool
            raise RenderFailed(f"invoice {document.number}: the renderer is closed")
        try:
            return self._run(pool.print_pdf(html), self._render_timeout)
        except RenderFailed as failure:
            raise RenderFailed(f"invoice {document.number}: {failure.detail}") from failure

    def close(self) -> None:
        """Stop the browser, Playwright and the event loop thread; calling it again is harmless."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if not self._loop.running:
                return
            try:
                if self._pool is not None:
                    self._loop.run(self._pool.close(), CLOSE_TIMEOUT_SECONDS)
            except Exception:
                log.exception("closing Chromium failed; its processes may outlive the renderer")
            finally:
                self._loop.stop()

    def __enter__(self) -> PlaywrightPdfRenderer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self, coroutine: Coroutine[Any, Any, ResultT], timeout: float) -> ResultT:
        """Run a coroutine of the pool on the loop; a call that runs out of time or meets a
        stopped loop raises `RenderFailed`, as Chromium's own failures do."""
        try:
            return self._loop.run(coroutine, timeout)
        except RenderFailed:
            raise
        except EventLoopTimeout as timeout_error:
            raise RenderFailed(f"Chromium did not finish: {timeout_error}") from timeout_error
        except (CancelledError, RuntimeError) as stopped:
            # The loop was stopped under the call: the renderer is closing.
            raise RenderFailed(
                f"the renderer was closed during the call ({stopped!r})"
            ) from stopped
