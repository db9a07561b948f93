"""The embedded default under load: API threads and a worker writing one SQLite file at once.

WAL, busy_timeout and BEGIN IMMEDIATE are what keep this free of "database is locked"."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Engine

from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.memory.storage import InMemoryObjectStorage
from billtrack.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from billtrack.domain.model.invoice import InvoiceStatus
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.queries import InvoiceQuery, PageRequest
from tests.fakes.clock import ManualClock
from tests.fakes.rendering import RecordingPdfRenderer
from tests.integration.test_postgres_concurrency import application, hire

CLOCK = ManualClock(datetime(2024, 11, 15, 12, tzinfo=UTC))


def test_api_threads_and_a_worker_share_one_file(sqlite_engine: Engine) -> None:
    employees = hire(sqlite_engine, 16)
    render_queue = InMemoryQueue[RenderJob]("render")
    mail_queue = InMemoryQueue[MailJob]("mail")
    storage, renderer = InMemoryObjectStorage(CLOCK.now), RecordingPdfRenderer()
    app = application(
        sqlite_engine,
        render_queue=render_queue,
        mail_queue=mail_queue,
        storage=storage,
        renderer=renderer,
    )
    api_done = threading.Event()

    def api(slice_: list[UUID], seed: int) -> int:
        chance, created = random.Random(seed), 0
        for employee_id in slice_:
            for day in range(1, 4):
                app.log_workday(
                    WorkdayDetails(
                        day=date(2024, 10, day),
                        hours=Decimal(chance.choice(["4", "8"])),
                        employee_id=employee_id,
                    )
                )
            for month in (9, 10):
                app.create_invoice(InvoiceDetails(year=2024, month=month, employee_id=employee_id))
                created += 1
        return created

    def worker() -> int:
        rendered = 0
        while not (api_done.is_set() and not len(render_queue)):
            for delivery in render_queue.receive(max_jobs=1, wait_seconds=0.05):
                app.render(delivery.job)
                render_queue.acknowledge(delivery)
                rendered += 1
        return rendered

    with ThreadPoolExecutor(5) as pool:
        rendering = pool.submit(worker)
        apis = [pool.submit(api, employees[i::4], i) for i in range(4)]
        created = sum(f.result() for f in apis)
        api_done.set()
        rendered = rendering.result()

    assert created == rendered == 32
    with SqlAlchemyUnitOfWork(sqlite_engine) as uow:
        invoices = uow.invoices.list(InvoiceQuery(PageRequest(1, 100))).items
    assert sorted(i.number.sequence for i in invoices) == list(range(1, 33))
    assert {i.status for i in invoices} == {InvoiceStatus.GENERATED}
    assert len(mail_queue) == 32


def test_a_reader_reads_beside_a_writer_that_holds_the_write_lock(sqlite_engine: Engine) -> None:
    """WAL serves readers in parallel: a read-only unit of work does not queue behind a writer."""
    hire(sqlite_engine, 1)
    writing = SqlAlchemyUnitOfWork(sqlite_engine)
    with writing:  # BEGIN IMMEDIATE: the write lock is held until the block ends
        writing.employees.active_ids()
        started = threading.Event()
        finished = threading.Event()

        def read() -> None:
            started.set()
            with SqlAlchemyUnitOfWork(sqlite_engine, read_only=True) as reading:
                assert len(reading.employees.active_ids()) == 1
            finished.set()

        reader = threading.Thread(target=read)
        reader.start()
        assert started.wait(10)
        # Well inside SQLite's busy timeout (10 s): the reader did not wait for the writer.
        assert finished.wait(5), "the read-only transaction waited for the write lock"
    reader.join()


def test_a_second_writer_still_waits_for_the_first(sqlite_engine: Engine) -> None:
    first = SqlAlchemyUnitOfWork(sqlite_engine)
    second_began = threading.Event()
    with first:
        first.employees.active_ids()

        def write() -> None:
            with SqlAlchemyUnitOfWork(sqlite_engine) as second:
                second.employees.active_ids()
                second_began.set()

        writer = threading.Thread(target=write)
        writer.start()
        assert not second_began.wait(0.5), "two write transactions ran at once"
    assert second_began.wait(10)
    writer.join()
