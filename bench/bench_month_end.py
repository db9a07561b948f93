"""The month end on the embedded default against its renderer alone printing the same documents.

billtrack is bootstrapped with default settings in a temporary folder (SQLite, the local folder
storage, the in-process queues, the folder mailer; only the renderer is chosen) and hires the
employees, each with every day of a 31-day month logged per round (names in Latin, Cyrillic and
Greek). Each round times one month end as `billtrack invoices run` does it: a worker started in
the background (`start_in_background`), `start_month_run` and `continue_month_run`, until the
worker has drained the render and mail queues, so every invoice is issued, rendered, stored and
mailed (the command's progress bars, which poll, are left out). Right after, the same renderer,
warm, prints the same documents alone with the same parallelism: one thread for the builtin
renderer, for Chromium as many threads as its page pool has pages.

Reported: for the builtin renderer the pipeline's own cost per invoice, (end to end - renderer
alone) / invoices, against the goal of 3 ms; for Chromium PDFs per second both ways and their
ratio, against the goal of 0.9. Both from the fastest month end and the fastest renderer alone
(the harness's rule), with the median of each round's own pair beside them (on a shared machine
the load drifts between rounds); and the transactions (BEGINs), statements and CPU per invoice,
counted with SQLAlchemy events and `time.process_time`.

`python -m bench month` runs it in `python -m bench`; `python -m bench.bench_month_end` takes
`--renderer`, `--invoices`, `--rounds` and `--profile` (cProfile of one month end, every thread,
merged).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import Engine, event

from bench.bench_builtin_renderer import documents
from bench.figures import Figure
from billtrack.domain.model.employee import Employee, salary
from billtrack.domain.model.invoice import InvoiceStatus, MailStatus
from billtrack.domain.model.organisation import Department, Project
from billtrack.domain.model.period import YearMonth
from billtrack.domain.model.values import Email, Hours, Name
from billtrack.domain.model.workday import Workday
from billtrack.domain.usecases import pipeline
from billtrack.domain.usecases.application import Application
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.settings import Settings
from billtrack.entrypoints.worker.runner import start_in_background
from billtrack.ports.rendering import InvoiceDocument

MONTHS = tuple(
    YearMonth(y, m) for y, m in ((2024, 10), (2024, 8), (2024, 7), (2024, 12), (2025, 1))
)
"""Months of 31 days, every one of them logged: one per round, so the rounds share a database."""
BUILTIN_INVOICES = 1000
CHROMIUM_INVOICES = 100
ROUNDS = 3
CHROMIUM_ROUNDS = 5
OWN_COST_GOAL_MS = 3.0
CHROMIUM_GOAL = 0.9
FIRST_NAMES = (
    ("Zofia", "Łukasiewicz"),
    ("Nguyễn", "Thị Minh Khai"),
    ("Łukasz", "Dvořák-Çelik"),
    ("Дмитро", "Шевченко"),
    ("Ђорђе", "Јовановић"),
    ("Анна", "Кузнецова"),
    ("Γιώργος", "Παπαδόπουλος"),
    ("Ελένη", "Κωνσταντίνου"),
    ("Νίκος", "Αλεξίου"),
)
DEPARTMENTS = ("Księgowość", "Бухгалтерія", "Λογιστήριο")
PROJECTS = ("Wdrożenie systemu", "Проєкт «Київ»", "Πλατφόρμα τιμολόγησης")


# -- counting what reaches the database -------------------------------------------------------


@dataclass
class DatabaseCounts:
    transactions: int = 0
    statements: int = 0
    counting: bool = False

    def reset(self) -> None:
        self.transactions = self.statements = 0


COUNTS = DatabaseCounts()
_count_lock = threading.Lock()


@event.listens_for(Engine, "begin")
def _count_begin(_connection: Any) -> None:
    if COUNTS.counting:
        with _count_lock:
            COUNTS.transactions += 1


@event.listens_for(Engine, "before_cursor_execute")
def _count_statement(*_args: Any) -> None:
    if COUNTS.counting:
        with _count_lock:
            COUNTS.statements += 1


@contextmanager
def counted() -> Iterator[DatabaseCounts]:
    COUNTS.reset()
    COUNTS.counting = True
    try:
        yield COUNTS
    finally:
        COUNTS.counting = False


# -- the embedded default, hired and run ------------------------------------------------------


def chromium_path() -> Path | None:
    from bench.bench_chromium_renderer import chromium

    location = chromium()
    return None if location is None else location.path


def embedded(folder: Path, renderer: str) -> Application:
    """billtrack as `billtrack invoices run` builds it from default settings in `folder`."""
    options: dict[str, Any] = {"data_dir": folder, "pdf_renderer": renderer}
    if renderer == "chromium":
        options["chromium_path"] = chromium_path()
    settings = Settings(_env_file=None, **options)  # type: ignore[call-arg]
    return bootstrap(settings)


def hire(app: Application, employees: int, months: int = 1) -> None:
    """`employees` employees, each with every day of `months` of `MONTHS` logged, in one
    transaction."""
    now = datetime.now(UTC) - timedelta(days=1)
    with app.new_uow() as uow:
        departments = [Department.create(id=uuid4(), name=Name(n), now=now) for n in DEPARTMENTS]
        projects = [Project.create(id=uuid4(), name=Name(n), now=now) for n in PROJECTS]
        for unit in departments:
            uow.departments.add(unit)
        for project in projects:
            uow.projects.add(project)
        for index in range(employees):
            first, last = FIRST_NAMES[index % len(FIRST_NAMES)]
            employee = Employee(
                id=uuid4(),
                created_at=now + timedelta(microseconds=index),
                email=Email(f"employee{index + 1}@example.com"),
                firstname=Name(first),
                lastname=Name(last),
                salary=salary(Decimal("4321.09") + index % 50),
                department_id=departments[index % 3].id,
                project_id=projects[index // 3 % 3].id,
            )
            uow.employees.add(employee)
            for period in MONTHS[:months]:
                for offset in range(31):
                    uow.workdays.add(
                        Workday(
                            id=uuid4(),
                            created_at=now,
                            employee_id=employee.id,
                            day=period.first_day + timedelta(days=offset),
                            hours=Hours(Decimal("7.50") if offset % 3 else Decimal("8.25")),
                        )
                    )
        uow.commit()


@dataclass(frozen=True)
class MonthEnd:
    invoices: int
    seconds: float
    cpu_seconds: float
    """CPU time of this process meanwhile, every thread (for Chromium, not the browser's)."""
    transactions: int
    statements: int
    documents: list[InvoiceDocument]


def month_end(
    app: Application, period: YearMonth, *, profile: cProfile.Profile | None = None
) -> MonthEnd:
    """Time the month end of `period` as `billtrack invoices run` does it, to the last mail."""
    queues: tuple[Any, ...] = (app.render_queue, app.mail_queue)
    with counted() as counts:
        start, cpu = time.perf_counter(), time.process_time()
        stop_worker = start_in_background(app)
        batch = app.start_month_run(year=period.year, month=period.month)
        run = app.continue_month_run(batch.id)
        while sum(len(queue) for queue in queues):
            time.sleep(0.001)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        transactions, statements = counts.transactions, counts.statements
    stop_worker()
    if profile is not None:
        profile.disable()
    progress = app.month_run_progress(batch.id)
    if not (progress.created == progress.rendered == progress.mailed == len(run.created)):
        raise RuntimeError(f"the month end did not finish: {progress}")
    with app.reader() as uow:
        issued = uow.invoices.of_batch(batch.id)
        assert all(i.status is InvoiceStatus.GENERATED for i in issued)
        assert all(i.mail_status is MailStatus.SENT for i in issued)
        documents = [pipeline.invoice_document(i, uow=uow, issuer=app.issuer) for i in issued]
    return MonthEnd(len(run.created), seconds, cpu, transactions, statements, documents)


def renderer_alone(app: Application, documents: list[InvoiceDocument]) -> float:
    """Seconds the app's own renderer takes to print `documents` with the worker's parallelism."""
    render = app.renderer.render
    threads = app.render_parallelism
    start = time.perf_counter()
    if threads <= 1:
        for document in documents:
            render(document)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(render, documents))
    return time.perf_counter() - start


@dataclass(frozen=True)
class Round:
    end_to_end: MonthEnd
    alone_seconds: float
    parallelism: int

    @property
    def ratio(self) -> float:
        """End to end over alone, in seconds."""
        return self.end_to_end.seconds / self.alone_seconds


def rounds_of(
    renderer: str, invoices: int, rounds: int, profile: cProfile.Profile | None = None
) -> list[Round]:
    """`rounds` month ends, each followed by the renderer alone printing its documents, over one
    database (a month of its own per round): each pair is measured under the same load, which
    on a shared machine drifts from one minute to the next."""
    if not 1 <= rounds <= len(MONTHS):
        raise ValueError(f"from 1 to {len(MONTHS)} rounds")
    with tempfile.TemporaryDirectory(prefix="billtrack-bench-month-") as folder:
        app = embedded(Path(folder), renderer)
        try:
            hire(app, invoices, rounds)
            start = getattr(app.renderer, "start", None)
            if start is not None:
                start()  # the browser's launch is counted in neither figure
            # Warm, as the renderer alone is when it is timed: fonts read, every page used once.
            renderer_alone(app, documents("latin") * app.render_parallelism)
            done = []
            for period in MONTHS[:rounds]:
                if profile is not None:
                    profile.enable()
                measured = month_end(app, period, profile=profile)
                alone = renderer_alone(app, measured.documents)
                done.append(Round(measured, alone, app.render_parallelism))
            return done
        finally:
            app.close()


def comparison(renderer: str, invoices: int, rounds: int) -> Figure:
    """The fastest month end against the fastest renderer alone (this harness's rule), with the
    median of the rounds' own pairs beside it."""
    done = rounds_of(renderer, invoices, rounds)
    fastest = min(done, key=lambda r: r.end_to_end.seconds)
    measured = fastest.end_to_end
    n = measured.invoices
    alone = min(r.alone_seconds for r in done)
    paired = statistics.median(r.ratio for r in done)
    details = [
        f"round {number}: end to end {r.end_to_end.seconds:.2f} s, alone {r.alone_seconds:.2f} s"
        for number, r in enumerate(done, 1)
    ]
    details.append(
        f"per invoice: {measured.transactions / n:.2f} transactions, "
        f"{measured.statements / n:.1f} statements, "
        f"{measured.cpu_seconds / n * 1000:.1f} ms of this process's CPU"
    )
    if renderer == "builtin":
        own_ms = (measured.seconds - alone) / n * 1000
        paired_ms = statistics.median(
            (r.end_to_end.seconds - r.alone_seconds) / n * 1000 for r in done
        )
        verdict = "met" if own_ms <= OWN_COST_GOAL_MS else "missed"
        details.append(
            f"the pipeline's own cost: {own_ms:.2f} ms per invoice (rounds' median "
            f"{paired_ms:.2f}); goal at most {OWN_COST_GOAL_MS:g} ms: {verdict}"
        )
        return Figure(
            name=f"month end, builtin, {n:,}: {n / measured.seconds:,.0f} inv/s",
            baseline=f"builtin alone: {n / alone:,.0f} PDFs/s",
            ratio=measured.seconds / alone,
            details=tuple(details),
        )
    ratio = alone / measured.seconds
    verdict = "met" if ratio >= CHROMIUM_GOAL else "missed"
    details.append(
        f"PDFs/s end to end / alone: {ratio:.2f} (rounds' median {1 / paired:.2f}); "
        f"goal at least {CHROMIUM_GOAL}: {verdict}"
    )
    return Figure(
        name=f"month end, chromium, {n:,}: {n / measured.seconds:.1f} PDFs/s",
        baseline=f"alone, {fastest.parallelism} pages: {n / alone:.1f} PDFs/s",
        ratio=ratio,
        details=tuple(details),
    )


def run() -> list[Figure]:
    results = [comparison("builtin", BUILTIN_INVOICES, ROUNDS)]
    if chromium_path() is None:
        print("bench_month_end: no Chromium found, its month end not measured", file=sys.stderr)
    else:
        results.append(comparison("chromium", CHROMIUM_INVOICES, CHROMIUM_ROUNDS))
    return results


def profiled(renderer: str, invoices: int, top: int) -> None:
    """cProfile of one month end: a profile per thread (the caller's and every thread the worker
    starts), merged."""
    main_profile = cProfile.Profile(time.thread_time)
    profiles = [main_profile]

    def in_new_thread(*_: Any) -> None:
        sys.setprofile(None)
        profile = cProfile.Profile(time.thread_time)
        profiles.append(profile)
        profile.enable()

    threading.setprofile(in_new_thread)
    try:
        (result,) = rounds_of(renderer, invoices, 1, main_profile)
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
    measured = result.end_to_end
    n = measured.invoices
    print(
        f"{n} invoices in {measured.seconds:.2f} s (profiled), alone {result.alone_seconds:.2f} s; "
        f"{measured.transactions / n:.2f} transactions, {measured.statements / n:.1f} statements "
        "per invoice"
    )
    stats = pstats.Stats(profiles[0])
    for profile in profiles[1:]:
        stats.add(profile)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renderer", choices=("builtin", "chromium"), default="builtin")
    parser.add_argument("--invoices", type=int)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    options = parser.parse_args()
    default = BUILTIN_INVOICES if options.renderer == "builtin" else CHROMIUM_INVOICES
    invoices = options.invoices or default
    rounds = options.rounds or (ROUNDS if options.renderer == "builtin" else CHROMIUM_ROUNDS)
    if options.profile:
        profiled(options.renderer, invoices, options.top)
        return
    result = comparison(options.renderer, invoices, rounds)
    print(f"{result.name}, against {result.baseline}: {result.ratio:.2f}x")
    for line in result.details:
        print(f"    {line}")


if __name__ == "__main__":
    main()
