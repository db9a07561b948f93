"""`billtrack invoices run`: the month-end run, followed with progress bars until it is done."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from uuid import UUID

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from billtrack.domain.model.batch import BatchProgress, BatchStatus
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.invoices import MonthRun

POLL_SECONDS = 0.2


def follow_month_run(
    app: Application,
    batch_id: UUID,
    *,
    console: Console | None,
    work_done: Callable[[], bool],
    failed: Callable[[], bool] = lambda: False,
    timeout_seconds: float | None = None,
) -> BatchProgress:
    """Poll the run's progress until it is done (or `timeout_seconds` pass), drawing bars for
    the invoices created and rendered on `console` (none with `console=None`). `work_done` says
    whether this process's own part (issuing the invoices) has finished, `failed` whether it
    ended with an error (then the run will not be done, and waiting is over)."""
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    progress = app.month_run_progress(batch_id)
    bars = None if console is None else _bars(console)
    with bars if bars is not None else nullcontext():
        created = rendered = None
        if bars is not None:
            created = bars.add_task("invoices created", total=progress.batch.total or None)
            rendered = bars.add_task("PDFs rendered", total=None)
        while True:
            progress = app.month_run_progress(batch_id)
            if bars is not None and created is not None and rendered is not None:
                considered = progress.created + progress.batch.skipped
                bars.update(created, completed=considered, total=progress.batch.total or None)
                settled = progress.rendered + progress.failed
                bars.update(rendered, completed=settled, total=progress.created or None)
            if work_done() and (progress.status is BatchStatus.DONE or failed()):
                return progress
            if deadline is not None and time.monotonic() > deadline:
                return progress
            time.sleep(POLL_SECONDS)


def summary_table(progress: BatchProgress) -> Table:
    table = Table(title=f"Month-end run {progress.batch.period}")
    for column in ("created", "skipped", "rendered", "mailed", "failed"):
        table.add_column(column.capitalize(), justify="right")
    table.add_row(
        str(progress.created),
        str(progress.batch.skipped),
        str(progress.rendered),
        str(progress.mailed),
        str(progress.failed),
    )
    return table


def run_in_thread(
    work: Callable[[], MonthRun],
) -> tuple[threading.Thread, list[MonthRun], list[BaseException]]:
    """`work` on a thread of its own; its result or its error land in the lists answered."""
    results: list[MonthRun] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(work())
        except BaseException as error:  # handed to the caller, who raises it
            errors.append(error)

    thread = threading.Thread(target=target, name="billtrack-month-run", daemon=True)
    thread.start()
    return thread, results, errors


def _bars(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
