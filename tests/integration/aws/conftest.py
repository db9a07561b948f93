"""Fixtures of the AWS adapter tests: moto's server over real HTTP (started once per run), and a
fresh bucket or render and mail queue pair per test, with fake credentials in the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from billtrack.adapters.aws.messages import MAIL_MESSAGES, RENDER_MESSAGES
from billtrack.adapters.aws.sqs_queue import RedeliveryBackoff, SqsJobQueue
from billtrack.ports.jobs import MailJob, RenderJob
from tests.integration.aws.pipeline_helpers import CloudRig
from tests.support.moto_server import (
    MotoAws,
    RenderAndMailQueues,
    moto_endpoint_or_skip,
    use_fake_aws_environment,
)

NO_BACKOFF = RedeliveryBackoff(base_seconds=0)
"""A released message comes again at once, so tests never wait for redelivery."""


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    yield from moto_endpoint_or_skip()


@pytest.fixture(scope="session")
def moto_aws(moto_endpoint: str) -> MotoAws:
    return MotoAws(moto_endpoint)


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and the test region in the environment, for clients a test builds."""
    use_fake_aws_environment(monkeypatch)


@pytest.fixture
def aws(moto_aws: MotoAws, aws_environment: None) -> MotoAws:
    """The moto server's clients, with fake credentials and the test region in the environment."""
    return moto_aws


@pytest.fixture
def s3_bucket(aws: MotoAws) -> str:
    """The name of a new, empty bucket."""
    return aws.create_bucket()


@pytest.fixture
def sqs_queues(aws: MotoAws) -> RenderAndMailQueues:
    """New render and mail queues, each with its dead-letter queue after 3 receives."""
    return aws.create_render_and_mail_queues(max_receive_count=3)


@pytest.fixture
def render_queue(aws: MotoAws, sqs_queues: RenderAndMailQueues) -> SqsJobQueue[RenderJob]:
    return SqsJobQueue(
        aws.sqs,
        sqs_queues.render.url,
        RENDER_MESSAGES,
        max_attempts=sqs_queues.render.max_receive_count,
        backoff=NO_BACKOFF,
    )


@pytest.fixture
def mail_queue(aws: MotoAws, sqs_queues: RenderAndMailQueues) -> SqsJobQueue[MailJob]:
    return SqsJobQueue(
        aws.sqs,
        sqs_queues.mail.url,
        MAIL_MESSAGES,
        max_attempts=sqs_queues.mail.max_receive_count,
        backoff=NO_BACKOFF,
    )


@pytest.fixture
def rig(
    aws: MotoAws,
    sqs_queues: RenderAndMailQueues,
    s3_bucket: str,
    postgres_url: str,
    clean_postgres: Engine,
    tmp_path: Path,
) -> Iterator[CloudRig]:
    """The pipeline's cloud parts for one test: fresh queues, a bucket and a clean PostgreSQL."""
    made = CloudRig(aws, sqs_queues, s3_bucket, postgres_url, tmp_path)
    # Every put of a key is a version of its own: the renders can be counted.
    made.enable_versioning()
    yield made
    made.close()
