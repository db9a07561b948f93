"""The invoice pipeline on SQS, S3 (moto's server) and PostgreSQL, through the application and the
worker, when things go wrong: SQS down as an invoice is created, S3 down as it is stored, every
message twice and out of order, a worker killed in the middle of a batch, a renderer that always
fails, two workers handed the same mail job at once, a worker stopped while it sends a mail. Each
test counts the renders, the objects (every put is a version of the bucket), the mails and the
dead letters: nothing is lost and nothing is done twice."""

from __future__ import annotations

import contextlib
import json
import random
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from sqlalchemy import Engine

from billtrack.adapters.memory.mailer import InMemoryMailer
from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from billtrack.domain.model.invoice import Invoice, InvoiceStatus, MailStatus
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.mailing import CLAIM_LEASE, UNKNOWN_OUTCOME
from billtrack.entrypoints.http.app import create_app
from billtrack.entrypoints.worker.runner import OWED_AFTER, Worker
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.mail import MailMessage
from billtrack.ports.queries import InvoiceQuery, PageRequest
from billtrack.ports.queues import Delivery
from tests.fakes.rendering import RecordingPdfRenderer
from tests.integration.aws.pipeline_helpers import (
    MONTH,
    YEAR,
    CloudRig,
    RecordingQueue,
    StorageDownForFirstPuts,
    cli_process,
    create_invoices,
    folder_mails_by_number,
    invoices,
    mails_by_number,
    manual_clock,
    owed,
    s3_storage_at,
    seed_employees,
    statuses,
    unreachable_sqs_queue,
    wait_until,
    work_until_quiet,
)
from tests.support.moto_server import (
    MotoAws,
    RenderAndMailQueues,
    closed_endpoint,
    unavailable_endpoint,
)
from tests.support.server import in_process


def test_an_invoice_created_while_sqs_is_unreachable_is_owed_then_swept_and_generated(
    rig: CloudRig,
) -> None:
    clock = manual_clock()
    renderer = RecordingPdfRenderer()
    mailer = InMemoryMailer()
    offline = rig.app(
        clock=clock,
        renderer=renderer,
        mailer=mailer,
        render_queue=unreachable_sqs_queue(rig.queues.render, closed_endpoint()),
    )
    first, second = seed_employees(offline, 2)

    created = offline.create_invoice(InvoiceDetails(year=YEAR, month=MONTH, employee_id=first))

    assert created.invoice.status is InvoiceStatus.PENDING
    # The same over HTTP: the API answers 200 with the pending invoice.
    offline.add_user("ops@example.com", "a long password")
    with (
        in_process(create_app(rig.settings(), offline)) as transport,
        httpx.Client(base_url="http://127.0.0.1/api", transport=transport) as client,
    ):
        token = client.post(
            "/login", json={"username": "ops@example.com", "password": "a long password"}
        ).json()["jwtToken"]
        answer = client.post(
            "/invoices",
            json={"year": YEAR, "month": MONTH, "employeeId": str(second)},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "pending"
    ids = [created.invoice.id, UUID(answer.json()["id"])]
    assert statuses(offline, ids) == [InvoiceStatus.PENDING] * 2
    assert sorted(job.invoice_id for job in owed(offline)) == sorted(ids)
    assert rig.depth(rig.queues.render) == 0

    online = rig.app(clock=clock, renderer=renderer, mailer=mailer)
    assert online.republish_owed(older_than=timedelta(0)) == 2
    report = work_until_quiet(Worker(online))

    assert (report.rendered, report.mailed, report.given_up) == (2, 2, [])
    done = invoices(online, ids)
    assert [i.status for i in done] == [InvoiceStatus.GENERATED] * 2
    assert sorted(d.number for d in renderer.rendered) == sorted(str(i.number) for i in done)
    assert rig.puts_by_key() == {i.pdf_key_for(1): 1 for i in done}
    assert mails_by_number(mailer.sent) == {str(i.number): 1 for i in done}
    assert owed(online) == []
    assert rig.dead_letters(rig.queues.render) == []


def test_an_s3_outage_while_storing_is_retried_until_the_pdf_is_stored_once(
    rig: CloudRig,
) -> None:
    clock = manual_clock()
    renderer = RecordingPdfRenderer()
    mailer = InMemoryMailer()
    with unavailable_endpoint() as down:
        working = s3_storage_at(rig.aws.endpoint, rig.bucket)
        storage = StorageDownForFirstPuts(
            working,
            s3_storage_at(down, rig.bucket),
            failing_puts=rig.queues.render.max_receive_count - 1,
        )
        app = rig.app(clock=clock, renderer=renderer, mailer=mailer, storage=storage)
        ids = [v.invoice.id for v in create_invoices(app, seed_employees(app, 3))]

        report = work_until_quiet(Worker(app))

    assert len(storage.refused) == 2
    assert (report.rendered, report.mailed, report.given_up) == (3, 3, [])
    done = invoices(app, ids)
    assert [i.status for i in done] == [InvoiceStatus.GENERATED] * 3
    # Each refused put was a render that had to be done again: 3 invoices, 2 renders more.
    assert len(renderer.rendered) == 3 + 2
    assert {d.number for d in renderer.rendered} == {str(i.number) for i in done}
    assert rig.puts_by_key() == {i.pdf_key_for(1): 1 for i in done}
    assert [i.pdf_key for i in done] == [i.pdf_key_for(1) for i in done]
    assert mails_by_number(mailer.sent) == {str(i.number): 1 for i in done}
    assert rig.dead_letters(rig.queues.render) == []


def test_every_message_twice_and_out_of_order_renders_stores_and_mails_each_revision_once(
    rig: CloudRig,
) -> None:
    clock = manual_clock()
    renderer = RecordingPdfRenderer()
    mailer = InMemoryMailer()
    # Created without publishing (an in-process queue nobody reads): the test publishes itself.
    creating = rig.app(clock=clock, render_queue=InMemoryQueue[RenderJob]("nobody reads"))
    employees = seed_employees(creating, 10, periods=((YEAR, MONTH - 1), (YEAR, MONTH)))
    ids = [v.invoice.id for v in create_invoices(creating, employees)]
    # Three invoices move to the month before: revision 2, and revision 1 is stale.
    for invoice_id, employee_id in zip(ids[:3], employees[:3], strict=True):
        creating.change_invoice(
            invoice_id, InvoiceDetails(year=YEAR, month=MONTH - 1, employee_id=employee_id)
        )
    stale = [RenderJob(invoice_id, 1) for invoice_id in ids[:3]]
    current = [RenderJob(i.id, i.revision) for i in invoices(creating, ids)]
    mail_queue = RecordingQueue(rig.mail_queue())
    app = rig.app(clock=clock, renderer=renderer, mailer=mailer, mail_queue=mail_queue)
    messages = (current + stale) * 2
    random.Random(20241015).shuffle(messages)
    for job in messages:
        app.render_queue.publish(job)

    report = work_until_quiet(Worker(app))

    done = invoices(app, ids)
    assert [i.status for i in done] == [InvoiceStatus.GENERATED] * 10
    assert [i.revision for i in done] == [2] * 3 + [1] * 7
    assert report.given_up == []
    assert report.rendered == 10
    assert sorted(d.number for d in renderer.rendered) == sorted(str(i.number) for i in done)
    # One object per revision rendered, each put once; no object for the stale revisions.
    assert rig.puts_by_key() == {i.pdf_key_for(i.revision): 1 for i in done}
    # A duplicate that comes before the mail is sent asks for the mail again (the worker may
    # have died before asking): so at least one mail job per revision, and only of revisions
    # rendered; the mail step sends one mail per revision whatever the number of jobs.
    asked = {(job.invoice_id, job.revision) for job in mail_queue.published}
    assert asked == {(i.id, i.revision) for i in done}
    assert all(isinstance(job, MailJob) for job in mail_queue.published)
    assert mails_by_number(mailer.sent) == {str(i.number): 1 for i in done}
    assert report.mailed == 10
    assert [i.mailed_revision for i in done] == [i.revision for i in done]
    assert owed(app) == []
    assert rig.depth(rig.queues.render) == rig.depth(rig.queues.mail) == 0
    assert rig.dead_letters(rig.queues.render) == rig.dead_letters(rig.queues.mail) == []


def test_a_renderer_that_always_fails_leaves_the_invoice_failed_and_the_job_dead_lettered(
    rig: CloudRig,
) -> None:
    clock = manual_clock()
    renderer = RecordingPdfRenderer()
    renderer.failures_left = 1_000
    mailer = InMemoryMailer()
    app = rig.app(clock=clock, renderer=renderer, mailer=mailer)
    (created,) = create_invoices(app, seed_employees(app, 1))

    report = work_until_quiet(Worker(app))

    attempts = 1_000 - renderer.failures_left
    assert attempts == rig.queues.render.max_receive_count == 3
    (failed,) = invoices(app, [created.invoice.id])
    assert failed.status is InvoiceStatus.FAILED
    assert failed.error is not None
    assert f"rendering {created.invoice.number} failed on purpose" in failed.error
    assert "RenderFailed" in failed.error
    assert len(report.given_up) == 1
    (dead,) = rig.dead_letters(rig.queues.render)
    assert json.loads(dead["Body"])["invoiceId"] == str(created.invoice.id)
    assert int(dead["Attributes"]["ApproximateReceiveCount"]) > attempts - 1
    assert rig.stored_keys() == []
    assert mailer.sent == []
    assert owed(app) == []
    assert rig.depth(rig.queues.render) == 0


VISIBILITY_SECONDS = 4
"""The visibility timeout of the killed worker's queues: how long its batch stays hidden."""


def test_a_worker_killed_in_the_middle_of_a_batch_loses_nothing_and_duplicates_nothing(
    aws: MotoAws, s3_bucket: str, postgres_url: str, clean_postgres: Engine, tmp_path: Path
) -> None:
    queues = RenderAndMailQueues(
        render=aws.create_queue("render", visibility_timeout=VISIBILITY_SECONDS),
        mail=aws.create_queue("mail", visibility_timeout=VISIBILITY_SECONDS),
    )
    rig = CloudRig(aws, queues, s3_bucket, postgres_url, tmp_path)
    rig.enable_versioning()
    try:
        app = rig.app()  # the system clock, as the worker processes have
        # A dozen logged days each: a render takes long enough that a batch of ten is cut short.
        ids = [v.invoice.id for v in create_invoices(app, seed_employees(app, 10, workdays=12))]
        assert rig.depth(queues.render) == 10
        env = rig.process_environment()
        page = InvoiceQuery(PageRequest(size=100))

        def generated() -> int:
            found = app.list_invoices(page).items
            return sum(v.invoice.status is InvoiceStatus.GENERATED for v in found)

        with cli_process(["worker", "--sweep-seconds", "60"], env, tmp_path / "first.log") as first:
            wait_until(
                lambda: generated() >= 1 or first.process.poll() is not None,
                interval=0.01,
                message=first.output,
            )
            first.process.send_signal(signal.SIGKILL)
            assert first.stopped() == -signal.SIGKILL, first.output()
        at_kill = generated()
        assert 1 <= at_kill < 10, f"the kill came after the batch: {at_kill} generated"

        # The second worker: started as `billtrack worker` starts, with the sweep of everything
        # owed; in this process, so that its queues redeliver without the backoff (10 s, 20 s)
        # a failed delivery waits for otherwise.
        recovering = Worker(app)
        app.republish_owed(older_than=timedelta(0))
        app.republish_owed_mails(older_than=timedelta(0))
        mail_folder = tmp_path / "mail"

        def settled() -> bool:
            handled = sum(recovering.work_once(queue) for queue in recovering.queues)
            return (
                handled == 0
                and all(i.status is InvoiceStatus.GENERATED for i in invoices(app, ids))
                and rig.depth(queues.render) == rig.depth(queues.mail) == 0
            )

        wait_until(
            settled,
            timeout=30,
            interval=0.1,
            message=lambda: f"not settled: {invoices(app, ids)}, {recovering.report}",
        )

        done = invoices(app, ids)
        assert [i.status for i in done] == [InvoiceStatus.GENERATED] * 10
        assert owed(app) == []
        puts = rig.puts_by_key()
        assert set(puts) == {i.pdf_key_for(1) for i in done}
        # The first worker handled its batch one job at a time: only the job in hand when it was
        # killed can have been stored without being recorded, and so stored once more.
        assert sum(puts.values()) - len(done) <= 1, puts
        # Never a second mail (mailing.py): a send is claimed before the mail goes out and
        # recorded after. A worker killed between the two leaves its claim: that send is not
        # made again but shown failed, for a person to send again. One kill, one such send at
        # most; every other invoice is mailed exactly once.
        mails = folder_mails_by_number(mail_folder)
        assert all(count == 1 for count in mails.values()), mails
        sent = [i for i in done if i.mail_status is MailStatus.SENT]
        unknown = [i for i in done if i.mail_status is not MailStatus.SENT]
        assert {str(i.number) for i in sent} == set(mails) - {str(i.number) for i in unknown}
        assert len(unknown) <= 1, unknown
        assert rig.dead_letters(queues.render) == []
        assert len(rig.dead_letters(queues.mail)) == len(unknown)
        # The kill came between claiming that send and recording it: the claim waits for its
        # lease to end, when the sweeper has the send recorded failed (see
        # test_a_worker_stopped_while_sending_a_mail_leaves_the_send_reported_not_sent_twice).
        for invoice in unknown:
            assert invoice.mail_status is MailStatus.PENDING
            assert invoice.mail_claimed_at is not None
    finally:
        rig.close()


class Rendezvous:
    """While armed, holds each unit of work's first read of an invoice until `parties` units of
    work have made theirs: two workers then decide on the same state, as they may when SQS hands
    the same job to both at once."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=5)
        self.armed = False

    def wait(self) -> None:
        if self.armed:
            with contextlib.suppress(threading.BrokenBarrierError):
                self.barrier.wait()


class RendezvousUnitOfWork(SqlAlchemyUnitOfWork):
    def __init__(self, engine: Engine, rendezvous: Rendezvous) -> None:
        super().__init__(engine)
        self._rendezvous = rendezvous
        self._first_read = True

    def __enter__(self) -> RendezvousUnitOfWork:
        super().__enter__()
        read = self.invoices.get

        def get(invoice_id: UUID, /) -> Invoice | None:
            found = read(invoice_id)
            if self._first_read:
                self._first_read = False
                self._rendezvous.wait()
            return found

        self.invoices.get = get  # type: ignore[method-assign]
        return self


def test_two_workers_handed_the_same_mail_job_at_once_send_one_mail(
    rig: CloudRig, clean_postgres: Engine
) -> None:
    rendezvous = Rendezvous(2)
    mailer = InMemoryMailer()
    app = rig.app(
        clock=manual_clock(),
        mailer=mailer,
        renderer=RecordingPdfRenderer(),
        new_uow=lambda: RendezvousUnitOfWork(clean_postgres, rendezvous),
    )
    (created,) = create_invoices(app, seed_employees(app, 1))
    assert Worker(app).work_once(app.render_queue) == 1
    (delivery,) = app.mail_queue.receive(wait_seconds=1)
    # The same job twice on the queue: SQS delivers at least once.
    app.mail_queue.publish(delivery.job)
    app.mail_queue.release(delivery)
    deliveries: list[Delivery[MailJob]] = []
    while len(deliveries) < 2:
        deliveries += app.mail_queue.receive(wait_seconds=1)

    rendezvous.armed = True
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda d: _outcome(app, d.job), deliveries))

    assert mails_by_number(mailer.sent) == {str(created.invoice.number): 1}, outcomes
    assert outcomes.count(True) == 1, outcomes
    (invoice,) = invoices(app, [created.invoice.id])
    assert invoice.mail_status is MailStatus.SENT


def _outcome(app: Application, job: MailJob) -> object:
    try:
        return app.mail(job)
    except Exception as error:
        return error


class WorkerStopped(BaseException):
    """The worker process ends here (a signal, SystemExit): nothing after this line runs."""


class MailerStoppingTheWorkerOnce(InMemoryMailer):
    """Stops the worker as it hands over its first mail, before the mail server has it."""

    def __init__(self) -> None:
        super().__init__()
        self.stopped = False

    def send(self, message: MailMessage, /) -> None:
        if not self.stopped:
            self.stopped = True
            raise WorkerStopped
        super().send(message)


def test_a_worker_stopped_while_sending_a_mail_leaves_the_send_reported_not_sent_twice(
    aws: MotoAws, s3_bucket: str, postgres_url: str, clean_postgres: Engine, tmp_path: Path
) -> None:
    queues = RenderAndMailQueues(
        render=aws.create_queue("render"), mail=aws.create_queue("mail", visibility_timeout=1)
    )
    rig = CloudRig(aws, queues, s3_bucket, postgres_url, tmp_path)
    clock = manual_clock()
    mailer = MailerStoppingTheWorkerOnce()
    try:
        app = rig.app(clock=clock, mailer=mailer, renderer=RecordingPdfRenderer())
        (created,) = create_invoices(app, seed_employees(app, 1))
        assert Worker(app).work_once(app.render_queue) == 1
        with pytest.raises(WorkerStopped):
            Worker(app).work_once(app.mail_queue)

        # Another worker takes over; the stopped one's delivery comes back after a second, finds
        # the claim it left, and is given up, leaving the claim to run out its lease.
        recovering = Worker(app)

        def quiet() -> bool:
            handled = sum(recovering.work_once(queue) for queue in recovering.queues)
            return handled == 0 and rig.depth(queues.mail) == 0

        wait_until(quiet, timeout=20, interval=0.2)
        (waiting,) = invoices(app, [created.invoice.id])
        assert waiting.mail_status is MailStatus.PENDING
        assert waiting.mail_claimed_at is not None
        assert len(rig.dead_letters(queues.mail)) == 1
        # Once the lease is over, the sweeper asks for the send again, and its delivery records
        # that nobody knows whether it went out, rather than sending it a second time.
        clock.advance(CLAIM_LEASE + timedelta(minutes=1))
        assert app.republish_owed_mails(older_than=OWED_AFTER) == 1
        wait_until(quiet, timeout=20, interval=0.2)

        (invoice,) = invoices(app, [created.invoice.id])
        assert mailer.sent == []
        assert invoice.mail_status is MailStatus.FAILED, (invoice.mail_status, invoice.mail_error)
        assert invoice.mail_error == UNKNOWN_OUTCOME
        assert app.republish_owed_mails(older_than=timedelta(0)) == 0
    finally:
        rig.close()
