"""Fixtures of the mail tests: a real SMTP server (aiosmtpd) on a loopback port, per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.smtp_server import SmtpTestServer


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    """An SMTP server without TLS or login, listening on 127.0.0.1 and a free port."""
    with SmtpTestServer() as server:
        yield server
