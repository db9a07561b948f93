"""Fixtures of the contract suites: each yields one adapter of a port, and every test runs against
every adapter. An adapter family added later joins by adding a parameter here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from billtrack.adapters.aws.messages import MAIL_MESSAGES, RENDER_MESSAGES
from billtrack.adapters.aws.s3_storage import S3ObjectStorage
from billtrack.adapters.aws.sqs_queue import RedeliveryBackoff, SqsJobQueue
from billtrack.adapters.filesystem.storage import LocalFolderStorage
from billtrack.adapters.memory.queues import InMemoryQueue
from billtrack.adapters.memory.storage import InMemoryObjectStorage
from billtrack.adapters.memory.store import InMemoryStore
from billtrack.adapters.memory.unit_of_work import InMemoryUnitOfWork
from billtrack.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from billtrack.ports.jobs import MailJob, RenderJob
from billtrack.ports.queues import JobQueue
from billtrack.ports.storage import ObjectStorage
from billtrack.ports.unit_of_work import UnitOfWork
from tests.fakes.clock import ManualClock
from tests.support.moto_server import (
    MotoAws,
    PresignedUrlOpener,
    moto_endpoint_or_skip,
    use_fake_aws_environment,
)

UowFactory = Callable[[], UnitOfWork]
UrlOpener = Callable[[str], bytes]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def new_uow(request: pytest.FixtureRequest) -> UowFactory:
    """A factory of units of work over one fresh, empty database."""
    if request.param == "sqlite":
        sqlite: Engine = request.getfixturevalue("sqlite_engine")
        return lambda: SqlAlchemyUnitOfWork(sqlite)
    if request.param == "postgres":
        postgres: Engine = request.getfixturevalue("clean_postgres")
        return lambda: SqlAlchemyUnitOfWork(postgres)
    store = InMemoryStore()
    return lambda: InMemoryUnitOfWork(store)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2024, 11, 15, 12, tzinfo=UTC))


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server (shared with the AWS integration tests), for the AWS adapters."""
    yield from moto_endpoint_or_skip()


@pytest.fixture(scope="session")
def moto_aws(moto_endpoint: str) -> MotoAws:
    return MotoAws(moto_endpoint)


def _aws(request: pytest.FixtureRequest) -> MotoAws:
    """The moto server's clients, with fake credentials in the test's environment."""
    use_fake_aws_environment(request.getfixturevalue("monkeypatch"))
    aws: MotoAws = request.getfixturevalue("moto_aws")
    return aws


@pytest.fixture(params=["memory", "local", "s3"])
def storage(
    request: pytest.FixtureRequest, clock: ManualClock, tmp_path: Path
) -> tuple[ObjectStorage, UrlOpener, Callable[[timedelta], None]]:
    """An empty object storage, how to download one of its URLs, and how to let time pass."""
    if request.param == "s3":
        aws = _aws(request)
        # Downloads go through httpx; the opener checks the expiry moto does not enforce.
        opener = PresignedUrlOpener()
        return S3ObjectStorage(aws.create_bucket(), aws.s3), opener.open, opener.let_pass
    if request.param == "local":
        local = LocalFolderStorage(
            tmp_path / "files",
            signing_key=b"k" * 32,
            base_url="http://127.0.0.1:8000",
            now=clock.now,
        )
        return local, local.open_url, clock.advance
    memory = InMemoryObjectStorage(clock.now)
    return memory, memory.open_url, clock.advance


QUEUE_MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Queues:
    """A render and a mail queue of one adapter, each giving a job up after
    `QUEUE_MAX_ATTEMPTS` failed deliveries, and the render jobs given up so far."""

    render: JobQueue[RenderJob]
    mail: JobQueue[MailJob]
    given_up_renders: Callable[[], list[RenderJob]]


@pytest.fixture(params=["memory", "sqs"])
def queues(request: pytest.FixtureRequest) -> Queues:
    """Empty queues; a released job comes again at once (no backoff)."""
    if request.param == "sqs":
        aws = _aws(request)
        created = aws.create_render_and_mail_queues(max_receive_count=QUEUE_MAX_ATTEMPTS)
        no_backoff = RedeliveryBackoff(base_seconds=0)
        render = SqsJobQueue(
            aws.sqs,
            created.render.url,
            RENDER_MESSAGES,
            max_attempts=QUEUE_MAX_ATTEMPTS,
            backoff=no_backoff,
        )
        mail = SqsJobQueue(
            aws.sqs,
            created.mail.url,
            MAIL_MESSAGES,
            max_attempts=QUEUE_MAX_ATTEMPTS,
            backoff=no_backoff,
        )
        dead_renders = SqsJobQueue(aws.sqs, created.render.dead_letter_url, RENDER_MESSAGES)

        def in_dead_letter_queue() -> list[RenderJob]:
            return [delivery.job for delivery in dead_renders.receive(wait_seconds=1)]

        return Queues(render, mail, in_dead_letter_queue)
    memory_render = InMemoryQueue[RenderJob]("render", max_attempts=QUEUE_MAX_ATTEMPTS)
    memory_mail = InMemoryQueue[MailJob]("mail", max_attempts=QUEUE_MAX_ATTEMPTS)
    return Queues(memory_render, memory_mail, lambda: list(memory_render.dead_letters))
