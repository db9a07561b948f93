"""`EventLoopThread`: an asyncio event loop running in a thread of its own, to which any other
thread can hand a coroutine and wait for its result.

Playwright's objects belong to the event loop they were made on, and its sync API pins them to a
single thread as well; keeping every Playwright call on this one loop lets plain threads share a
single browser.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

ResultT = TypeVar("ResultT")


class EventLoopTimeout(Exception):
    """A coroutine handed to the loop did not finish in time (it has been cancelled)."""


class EventLoopThread:
    def __init__(self, name: str) -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread and its loop (nothing happens if they run already)."""
        with self._lock:
            if self._thread is not None:
                return
            loop = asyncio.new_event_loop()
            ready = threading.Event()
            # A daemon thread, so that a program that forgets to close its renderer still exits.
            thread = threading.Thread(
                target=self._run, args=(loop, ready), name=self._name, daemon=True
            )
            thread.start()
            ready.wait()
            self._loop, self._thread = loop, thread

    def run(self, coroutine: Coroutine[Any, Any, ResultT], timeout: float) -> ResultT:
        """Run `coroutine` on the loop and wait up to `timeout` seconds for its result; its
        exception is raised here. A coroutine that runs out of time is cancelled."""
        loop = self._loop
        if loop is None or not self.running:
            coroutine.close()
            raise RuntimeError(f"the event loop thread {self._name} is not running")
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("waiting on the event loop from its own thread would deadlock")
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise EventLoopTimeout(f"no result within {timeout:g} s") from None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the loop, cancelling what still runs on it, and wait for the thread to end."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            # Whatever still runs is cancelled, so that no thread waits forever on its result.
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
