"""Soak: render jobs through SQS and S3 on moto's server, with duplicates and killed workers.

`python -m bench.soak --jobs 10000` (the nox session `soak`) starts moto's server in a process of
its own, a bucket (versioned, so every put of a PDF is counted) and render and mail queues with
their dead-letter queues, and the application on a SQLite file (or `--database-url`), the builtin
renderer and a mailer that counts what it sends. Then, as an API and a worker sharing one process:

- invoices are created (`create_invoice`, which publishes the render job to SQS) in slices, as
  the render backlog allows, and a share of the jobs (`--duplicates`, 10 %) is published again;
- the worker takes batches from the render and mail queues; in a share of the batches
  (`--kills`, 5 %) it is killed at a random delivery and point: before handling it, after the PDF
  is stored but before it is recorded, after it is recorded but before the mail is asked for, or
  after the job is done but before it is acknowledged. The killed worker's batch is abandoned,
  neither acknowledged nor released (its messages come back when their visibility timeout ends),
  and a new worker takes over;
- the sweeper republishes what the outbox has owed for a while.

When the queues are empty it prints the jobs lost (invoices not generated or never mailed), the
duplicate objects (objects beyond one per invoice revision) and the duplicate mails, each of which
must be 0 (the exit status says whether they were), and the rate. Kills inside the mail send
itself (between the claim and its record) are not simulated: there a lost answer is reported,
not retried, by design (see `billtrack.domain.usecases.mailing`).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic
from uuid import UUID

from pydantic import SecretStr

from billtrack.adapters.aws.clients import AwsConnection, s3_client, sqs_client
from billtrack.adapters.aws.messages import MAIL_MESSAGES, RENDER_MESSAGES
from billtrack.adapters.aws.s3_storage import S3ObjectStorage
from billtrack.adapters.aws.sqs_queue import RedeliveryBackoff, SqsJobQueue
from billtrack.domain.model.invoice import Invoice, InvoiceStatus, MailStatus
from billtrack.domain.usecases.application import Application
from billtrack.domain.usecases.employees import EmployeeDetails
from billtrack.domain.usecases.invoices import InvoiceDetails
from billtrack.domain.usecases.workdays import WorkdayDetails
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.settings import Settings
from billtrack.entrypoints.worker.runner import Worker
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.mail import MailMessage
from billtrack.ports.queries import InvoiceQuery, PageRequest
from billtrack.ports.queues import Delivery, JobT
from billtrack.ports.storage import ObjectStorage
from billtrack.ports.unit_of_work import UnitOfWork

REGION = "eu-central-1"
YEAR = 2024
MAX_RECEIVE = 8
"""The queues' maxReceiveCount: a message in several killed batches must not end in the DLQ."""
VISIBILITY_SECONDS = 2
"""How long a killed worker's batch stays hidden before SQS delivers it again."""
BACKOFF = RedeliveryBackoff(base_seconds=1, cap_seconds=8)
SWEEP_EVERY = timedelta(seconds=15)
OWED_AFTER = timedelta(minutes=2)
RENDER_POINTS = ("before handling", "stored, not recorded", "recorded, mail not asked", "not acked")
MAIL_POINTS = ("before handling", "not acked")


class WorkerKilled(BaseException):
    """The worker process ends here: nothing after this line runs, nothing is cleaned up."""


@dataclass
class Killswitch:
    """Chooses `rate` of the batches received for the worker to die in, and where: at the
    `countdown`-th time `point` is reached while the batch is handled."""

    rng: random.Random
    rate: float
    point: str | None = None
    countdown: int = 0
    chosen: int = 0
    """Batches chosen for a kill (a point the batch never reaches kills nothing)."""
    fired: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self, count: int, points: Sequence[str]) -> None:
        self.point = None
        if count and self.rng.random() < self.rate:
            self.point = self.rng.choice(points)
            self.countdown = self.rng.randrange(1, count + 1)
            self.chosen += 1

    def disarm(self) -> None:
        self.point = None

    def reach(self, point: str) -> None:
        with self.lock:
            if point != self.point:
                return
            self.countdown -= 1
            if self.countdown > 0:
                return
            self.fired[point] += 1
            self.point = None
        raise WorkerKilled(point)


class MortalQueue(Generic[JobT]):
    """An SQS queue whose receive tells the killswitch the batch size and whose acknowledge may
    be where the worker dies; it also counts what is published."""

    def __init__(self, inner: SqsJobQueue[JobT], switch: Killswitch, points: Sequence[str]) -> None:
        self.inner: SqsJobQueue[JobT] = inner
        self.switch = switch
        self.points = points
        self.published = 0
        self.publish_hook: Callable[[], None] = lambda: None

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def max_attempts(self) -> int:
        return self.inner.max_attempts

    def publish(self, job: JobT, /) -> None:
        self.publish_hook()
        self.inner.publish(job)
        self.published += 1

    def publish_many(self, jobs: Sequence[JobT], /) -> None:
        self.inner.publish_many(jobs)
        self.published += len(jobs)

    def receive(self, max_jobs: int = 10, wait_seconds: float = 0) -> Sequence[Delivery[JobT]]:
        deliveries = self.inner.receive(max_jobs, wait_seconds)
        self.switch.received(len(deliveries), self.points)
        return deliveries

    def acknowledge(self, delivery: Delivery[JobT], /) -> None:
        self.switch.reach("not acked")
        self.inner.acknowledge(delivery)

    def release(self, delivery: Delivery[JobT], /) -> None:
        self.inner.release(delivery)

    def depth(self) -> int:
        return self.inner.approximate_depth()


class MortalStorage:
    """S3, where the worker may die right after a PDF is stored."""

    def __init__(self, inner: ObjectStorage, switch: Killswitch) -> None:
        self.inner = inner
        self.switch = switch

    def put(self, key: str, data: bytes, content_type: str, /) -> None:
        self.inner.put(key, data, content_type)
        self.switch.reach("stored, not recorded")

    def get(self, key: str, /) -> bytes:
        return self.inner.get(key)

    def exists(self, key: str, /) -> bool:
        return self.inner.exists(key)

    def download_url(self, key: str, expires_in: timedelta, /) -> str:
        return self.inner.download_url(key, expires_in)


class CountingMailer:
    """Sends nothing anywhere; counts each mail by the Message-ID of its revision and send."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self.lock = threading.Lock()

    def send(self, message: MailMessage, /) -> None:
        with self.lock:
            self.sent[message.message_id or message.subject] += 1


@dataclass
class Figures:
    jobs: int
    duplicates_published: int = 0
    swept: int = 0
    swept_mails: int = 0
    batches: int = 0
    kills: dict[str, int] = field(default_factory=dict)
    kills_chosen: int = 0
    render_messages: int = 0
    mail_messages: int = 0
    rendered: int = 0
    mailed: int = 0
    jobs_lost: int = 0
    not_generated: int = 0
    not_mailed: int = 0
    still_owed: int = 0
    """Renders the outbox still owes at the end."""
    duplicate_objects: int = 0
    missing_objects: int = 0
    rewrites: int = 0
    """Puts of a PDF beyond its first: a render repeated after a kill between storing and
    recording, or two deliveries of one job rendered at once (the same object overwritten, not a
    second object)."""
    duplicate_mails: int = 0
    dead_letters: int = 0
    seconds: float = 0.0
    worker_seconds: float = 0.0
    setup_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.jobs / self.seconds if self.seconds else 0.0

    @property
    def clean(self) -> bool:
        return (
            self.jobs_lost == 0
            and self.duplicate_objects == 0
            and self.missing_objects == 0
            and self.duplicate_mails == 0
            and self.dead_letters == 0
        )


# -- moto's server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's server in a process of its own (so it does not share this one's GIL)."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - this interpreter, moto's module, our arguments
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=30)


def fake_aws_environment() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "soak",
            "AWS_SECRET_ACCESS_KEY": "soak",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)


def create_queue(sqs: Any, name: str) -> tuple[str, str]:
    """A queue and its dead-letter queue; answers both URLs."""
    dead = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(MAX_RECEIVE)}
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "RedrivePolicy": json.dumps(redrive),
            "VisibilityTimeout": str(VISIBILITY_SECONDS),
        },
    )["QueueUrl"]
    return url, dead


# -- the soak --------------------------------------------------------------------------------


@dataclass
class Rig:
    app: Application
    """The workers' application, which a kill may stop."""
    api: Application
    """The same application, for the API: no kill stops it."""
    render: MortalQueue[RenderJob]
    mail: MortalQueue[MailJob]
    mailer: CountingMailer
    switch: Killswitch
    s3: Any
    sqs: Any
    bucket: str
    dead_letter_urls: tuple[str, str]


def build(
    sqs_endpoint: str,
    s3_endpoint: str,
    data_dir: Path,
    database_url: str | None,
    rng: random.Random,
    kills: float,
) -> Rig:
    """The application on the two servers (one for SQS, one for S3, so that neither waits for
    the other's requests), its ports wrapped where a worker may die."""
    sqs = sqs_client(
        AwsConnection(endpoint_url=sqs_endpoint, region=REGION, max_pool_connections=20)
    )
    s3 = s3_client(AwsConnection(endpoint_url=s3_endpoint, region=REGION, max_pool_connections=20))
    bucket = f"soak-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    render_url, render_dead = create_queue(sqs, f"soak-render-{secrets.token_hex(4)}")
    mail_url, mail_dead = create_queue(sqs, f"soak-mail-{secrets.token_hex(4)}")
    switch = Killswitch(rng, kills)
    render = MortalQueue(
        SqsJobQueue(sqs, render_url, RENDER_MESSAGES, max_attempts=MAX_RECEIVE, backoff=BACKOFF),
        switch,
        RENDER_POINTS,
    )
    mail = MortalQueue(
        SqsJobQueue(sqs, mail_url, MAIL_MESSAGES, max_attempts=MAX_RECEIVE, backoff=BACKOFF),
        switch,
        MAIL_POINTS,
    )
    # The render step asks for the mail right after recording the PDF: dying there loses the ask.
    mail.publish_hook = lambda: switch.reach("recorded, mail not asked")
    mailer = CountingMailer()
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        jwt_secret=SecretStr(secrets.token_urlsafe(48)),
        queue="sqs",
        sqs_queue_url=render_url,
        sqs_mail_queue_url=mail_url,
        sqs_max_receive=MAX_RECEIVE,
        storage="s3",
        s3_bucket=bucket,
        aws_endpoint_url=sqs_endpoint,
        pdf_renderer="builtin",
        company_name="Soak Test GmbH",
    )
    base = bootstrap(
        settings,
        render_queue=render,
        mail_queue=mail,
        storage=MortalStorage(S3ObjectStorage(bucket, s3), switch),
        mailer=mailer,
    )
    new_uow = base.new_uow

    def mortal_uow() -> UnitOfWork:
        # The first thing a job's handling does: dying here abandons it before any work.
        switch.reach("before handling")
        return new_uow()

    app = replace(base, new_uow=mortal_uow)
    return Rig(app, base, render, mail, mailer, switch, s3, sqs, bucket, (render_dead, mail_dead))


def seed(app: Application, jobs: int) -> list[tuple[UUID, int]]:
    """Employees enough for `jobs` employee-months of YEAR, one logged day in each; answers the
    (employee, month) pairs to invoice."""
    department = app.departments.create("Soak")
    project = app.projects.create("Endurance")
    employees = math.ceil(jobs / 12)
    pairs: list[tuple[UUID, int]] = []
    for index in range(employees):
        employee = app.create_employee(
            EmployeeDetails(
                email=f"soak{index}@example.com",
                firstname=f"Worker{index}",
                lastname="Soak",
                salary=Decimal(3000 + index % 50 * 10),
                department_id=department.id,
                project_id=project.id,
            )
        ).employee
        for month in range(1, 13):
            if len(pairs) == jobs:
                break
            app.log_workday(
                WorkdayDetails(
                    day=date(YEAR, month, 1 + index % 28),
                    hours=Decimal("7.5"),
                    employee_id=employee.id,
                )
            )
            pairs.append((employee.id, month))
    return pairs


def all_invoices(app: Application) -> list[Invoice]:
    found: list[Invoice] = []
    number = 1
    while True:
        page = app.list_invoices(InvoiceQuery(PageRequest(number=number, size=1000)))
        found.extend(view.invoice for view in page.items)
        if len(found) >= page.total_count or not page.items:
            return found
        number += 1


class Api:
    """Invoices created as a client of the API would, on a thread of their own, while the render
    backlog is short; a share of the render jobs is published once more."""

    def __init__(
        self, rig: Rig, pairs: list[tuple[UUID, int]], *, backlog: int, duplicates: float, seed: int
    ) -> None:
        self.rig = rig
        self.pairs = pairs
        self.backlog = backlog
        self.duplicates = duplicates
        self.rng = random.Random(seed)
        self.created: list[RenderJob] = []
        self.duplicated = 0
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="soak-api", daemon=True)

    @property
    def done(self) -> bool:
        return not self.thread.is_alive()

    def _run(self) -> None:
        try:
            while len(self.created) < len(self.pairs):
                if self.rig.render.depth() >= self.backlog:
                    time.sleep(0.05)
                    continue
                start = len(self.created)
                for employee_id, month in self.pairs[start : start + self.backlog]:
                    view = self.rig.api.create_invoice(
                        InvoiceDetails(year=YEAR, month=month, employee_id=employee_id)
                    )
                    self.created.append(RenderJob(view.invoice.id, view.invoice.revision))
                    if self.rng.random() < self.duplicates:
                        self.rig.render.publish(self.created[self.rng.randrange(len(self.created))])
                        self.duplicated += 1
        except BaseException as failure:
            self.failure = failure
            raise


def soak(
    jobs: int,
    *,
    duplicates: float,
    kills: float,
    parallelism: int,
    backlog: int,
    database_url: str | None,
    seed_value: int,
    progress: Callable[[str], None],
) -> Figures:
    rng = random.Random(seed_value)
    figures = Figures(jobs=jobs)
    fake_aws_environment()
    with (
        moto_server() as sqs_endpoint,
        moto_server() as s3_endpoint,
        tempfile.TemporaryDirectory(prefix="billtrack-soak-") as tmp,
    ):
        started = time.monotonic()
        rig = build(sqs_endpoint, s3_endpoint, Path(tmp), database_url, rng, kills)
        app = rig.app
        pairs = seed(rig.api, jobs)
        figures.setup_seconds = time.monotonic() - started
        progress(f"seeded {len(pairs)} employee-months in {figures.setup_seconds:.0f} s")

        api = Api(rig, pairs, backlog=backlog, duplicates=duplicates, seed=seed_value + 1)
        worker = Worker(app, parallelism=parallelism)
        start = last_sweep = last_report = time.monotonic()
        api.thread.start()
        while True:
            handled = 0
            for queue in (rig.render, rig.mail):
                busy = time.monotonic()
                try:
                    count = worker.work_once(queue)
                except WorkerKilled:
                    # The process is gone with its batch; another one starts.
                    count = 1
                    worker = Worker(app, parallelism=parallelism)
                finally:
                    rig.switch.disarm()
                    figures.worker_seconds += time.monotonic() - busy
                figures.batches += count > 0
                handled += count
            now = time.monotonic()
            if now - last_sweep > SWEEP_EVERY.total_seconds():
                # What `Worker.run` sweeps: the renders and the mails owed for a while.
                figures.swept += app.republish_owed(older_than=OWED_AFTER)
                figures.swept_mails += app.republish_owed_mails(older_than=OWED_AFTER)
                last_sweep = now
            if now - last_report > 60:
                mailed = sum(rig.mailer.sent.values())
                progress(f"{now - start:.0f} s: {len(api.created)} created, {mailed} mailed")
                last_report = now
            if api.failure is not None:
                raise RuntimeError("creating the invoices failed") from api.failure
            if handled == 0 and api.done:
                if rig.render.depth() == 0 and rig.mail.depth() == 0:
                    break
                time.sleep(0.2)
        figures.seconds = time.monotonic() - start
        figures.duplicates_published = api.duplicated
        figures.kills = dict(rig.switch.fired)
        figures.kills_chosen = rig.switch.chosen
        figures.render_messages = rig.render.published
        figures.mail_messages = rig.mail.published
        count_outcomes(rig, figures)
        app.close()
    return figures


def count_outcomes(rig: Rig, figures: Figures) -> None:
    invoices = all_invoices(rig.app)
    generated = [i for i in invoices if i.status is InvoiceStatus.GENERATED]
    mailed = [i for i in generated if i.mail_status is MailStatus.SENT]
    figures.not_generated = figures.jobs - len(generated)
    figures.not_mailed = len(generated) - len(mailed)
    with rig.app.new_uow() as uow:
        figures.still_owed = len(uow.outbox.due(rig.app.clock.now() + timedelta(days=1), 100_000))
    figures.jobs_lost = figures.not_generated + figures.not_mailed + figures.still_owed
    puts: Counter[str] = Counter()
    for page in rig.s3.get_paginator("list_object_versions").paginate(Bucket=rig.bucket):
        puts.update(version["Key"] for version in page.get("Versions", []))
    expected = {i.pdf_key for i in generated if i.pdf_key}
    figures.duplicate_objects = len(set(puts) - expected)
    figures.missing_objects = len(expected - set(puts))
    figures.rewrites = sum(puts.values()) - len(puts)
    figures.rendered = len(puts)
    figures.mailed = sum(rig.mailer.sent.values())
    figures.duplicate_mails = sum(count - 1 for count in rig.mailer.sent.values())
    for url in rig.dead_letter_urls:
        attributes = rig.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        figures.dead_letters += int(attributes["ApproximateNumberOfMessages"])


def report(figures: Figures) -> str:
    kills = ", ".join(f"{count} {point}" for point, count in sorted(figures.kills.items()))
    lines = [
        f"jobs                  {figures.jobs}",
        f"render messages       {figures.render_messages} "
        f"({figures.duplicates_published} duplicates, {figures.swept} republished by the sweeper)",
        f"mail messages         {figures.mail_messages} "
        f"({figures.swept_mails} republished by the sweeper)",
        f"batches               {figures.batches}, {figures.kills_chosen} chosen for a kill, "
        f"workers killed {sum(figures.kills.values())}" + (f" ({kills})" if kills else ""),
        f"PDFs stored           {figures.rendered} objects; {figures.rewrites} overwritten by a "
        "repeated render (after a kill, or two deliveries at once)",
        f"mails sent            {figures.mailed}",
        f"jobs lost             {figures.jobs_lost} "
        f"({figures.not_generated} not generated, {figures.not_mailed} not mailed, "
        f"{figures.still_owed} still owed)",
        f"duplicate objects     {figures.duplicate_objects} (missing {figures.missing_objects})",
        f"duplicate mails       {figures.duplicate_mails}",
        f"dead letters          {figures.dead_letters}",
        f"time                  {figures.seconds:.1f} s "
        f"(worker {figures.worker_seconds:.1f} s; setup {figures.setup_seconds:.1f} s)",
        f"rate                  {figures.rate:.1f} jobs/s "
        f"({figures.jobs / figures.worker_seconds if figures.worker_seconds else 0:.1f} "
        "jobs/s of worker time)",
        "result                " + ("clean" if figures.clean else "NOT CLEAN"),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--jobs", type=int, default=10_000, help="render jobs (default 10000)")
    parser.add_argument("--duplicates", type=float, default=0.10, help="share published twice")
    parser.add_argument("--kills", type=float, default=0.05, help="share of batches killed")
    parser.add_argument("--parallelism", type=int, default=4, help="jobs a worker does at once")
    parser.add_argument("--backlog", type=int, default=100, help="render messages kept waiting")
    parser.add_argument("--database-url", default=None, help="default: a SQLite file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--verbose", action="store_true", help="log the failed deliveries (a killed worker's)"
    )
    args = parser.parse_args(argv)
    # A delivery that fails (another worker is sending its mail, say) is logged with its
    # traceback; the soak's figures say what came of it.
    logging.basicConfig(level=logging.WARNING if args.verbose else logging.CRITICAL)
    # Stopped from outside, it still stops moto's servers and removes its folder.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    figures = soak(
        args.jobs,
        duplicates=args.duplicates,
        kills=args.kills,
        parallelism=args.parallelism,
        backlog=args.backlog,
        database_url=args.database_url,
        seed_value=args.seed,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    if args.json:
        print(json.dumps({**asdict(figures), "rate": figures.rate, "clean": figures.clean}))
    else:
        print(report(figures))
    return 0 if figures.clean else 1


if __name__ == "__main__":
    sys.exit(main())
