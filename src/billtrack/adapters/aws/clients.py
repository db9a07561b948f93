"""boto3 clients for the AWS adapters.

Build each client once (per process, or per Lambda container) and share it: boto3 clients are
thread-safe, their sessions are not, so each client here comes from a session of its own.
Credentials and, unless given, the region come from the usual AWS variables and chain
(`AWS_ACCESS_KEY_ID`, `AWS_DEFAULT_REGION`, profiles, the Lambda role...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3  # type: ignore[import-untyped]  # boto3 ships no type information
from botocore.config import Config  # type: ignore[import-untyped]

SQS_LONG_POLL_LIMIT_SECONDS = 20
"""The longest `WaitTimeSeconds` SQS accepts."""


@dataclass(frozen=True, slots=True)
class AwsConnection:
    """Where and how patiently to talk to AWS.

    The defaults make an outage surface within seconds, as `DependencyUnavailable`, rather than
    after botocore's minutes of retrying: a short connect timeout and three attempts in all, in
    botocore's standard retry mode (which also retries throttling and 5xx answers).
    """

    endpoint_url: str | None = None
    """An emulator or a compatible service for both SQS and S3; `None` is AWS itself."""
    region: str | None = None
    """`None` takes the region from the AWS chain (`AWS_DEFAULT_REGION`, the profile)."""
    connect_timeout_seconds: float = 2.0
    read_timeout_seconds: float = 10.0
    total_attempts: int = 3
    max_pool_connections: int = 10
    """Connections a client keeps per host: one per thread that uses it at the same time."""

    def config(self, **extra: Any) -> Config:
        return Config(
            connect_timeout=self.connect_timeout_seconds,
            read_timeout=self.read_timeout_seconds,
            retries={"mode": "standard", "total_max_attempts": self.total_attempts},
            max_pool_connections=self.max_pool_connections,
            user_agent_extra="billtrack",
        ).merge(Config(**extra))


def _client(service: str, connection: AwsConnection, config: Config) -> Any:
    session = boto3.session.Session(region_name=connection.region)
    return session.client(service, endpoint_url=connection.endpoint_url, config=config)


def sqs_client(connection: AwsConnection) -> Any:
    """An SQS client whose read timeout outlasts the longest long poll (`WaitTimeSeconds` 20)."""
    read_timeout = connection.read_timeout_seconds + SQS_LONG_POLL_LIMIT_SECONDS
    return _client("sqs", connection, connection.config(read_timeout=read_timeout))


def s3_client(connection: AwsConnection) -> Any:
    """An S3 client that signs with SigV4, so its pre-signed URLs are SigV4 URLs.

    With an `endpoint_url` it addresses buckets by path (`http://host/bucket/key`), which
    emulators serve; on AWS it lets botocore choose (virtual-hosted style).
    """
    addressing = "path" if connection.endpoint_url else "auto"
    return _client(
        "s3",
        connection,
        connection.config(signature_version="s3v4", s3={"addressing_style": addressing}),
    )
