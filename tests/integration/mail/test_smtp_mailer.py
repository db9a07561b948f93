"""`SmtpMailer` against a real SMTP server: TLS both ways, logins, and what each answer means
(a 5xx is final, `MailRejected`; what may pass later is `DependencyUnavailable`)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from billtrack.adapters.smtp.mailer import Security, SmtpMailer, SmtpServer
from billtrack.entrypoints.bootstrap import _mailer
from billtrack.entrypoints.settings import Settings
from billtrack.ports.errors import DependencyUnavailable, MailRejected
from billtrack.ports.mail import Attachment, MailMessage
from tests.fakes.clock import ManualClock
from tests.support.smtp_server import SmtpTestServer

NOW = datetime(2024, 11, 15, 12, 0, tzinfo=UTC)
SENDER = "Бухгалтерія Acme <billing@acme.test>"
MESSAGE = MailMessage(
    to="ada@example.com",
    subject="Invoice 2024-000001 for October 2024 — Дмитро",
    body="Hello Дмитро Шевченко,\n\nattached.\n",
    html="<p>Hello Дмитро Шевченко,</p>",
    attachments=(Attachment("invoice-2024-000001.pdf", "application/pdf", b"%PDF-1.7\n\x00\xff"),),
    message_id="<invoice-1-r1-s1@billtrack>",
)


def mailer_for(
    server: SmtpTestServer,
    security: Security | None = None,
    *,
    trusted: bool = True,
    username: str | None = None,
    password: str | None = None,
    timeout_seconds: float = 5.0,
) -> SmtpMailer:
    context = server.client_tls_context() if trusted and server.certificate else None
    return SmtpMailer(
        SmtpServer(
            host=server.host,
            port=server.port,
            security=security if security is not None else server.security,
            username=username,
            password=password,
            timeout_seconds=timeout_seconds,
            tls_context=context,
        ),
        sender=SENDER,
        reply_to="accounts@acme.test",
        now=lambda: NOW,
    )


@pytest.fixture
def starttls_server() -> Iterator[SmtpTestServer]:
    with SmtpTestServer(security="starttls") as server:
        yield server


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
def test_a_message_arrives_whole_over_each_kind_of_connection(security: Security) -> None:
    with SmtpTestServer(security=security) as server:
        mailer_for(server).send(MESSAGE)

        (received,) = server.received
    assert received.mail_from == "billing@acme.test"
    assert received.rcpt_tos == ("ada@example.com",)
    message = received.message()
    assert message["From"].addresses[0].display_name == "Бухгалтерія Acme"
    assert message["To"] == "ada@example.com"
    assert message["Reply-To"] == "accounts@acme.test"
    assert message["Subject"] == MESSAGE.subject
    assert message["Message-ID"] == "<invoice-1-r1-s1@billtrack>"
    assert parsedate_to_datetime(message["Date"]) == NOW
    for subtype in ("plain", "html"):
        part = message.get_body(preferencelist=(subtype,))
        assert part is not None
        assert "Дмитро Шевченко" in part.get_content()
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "invoice-2024-000001.pdf"
    assert attachment.get_content() == b"%PDF-1.7\n\x00\xff"


def test_a_certificate_the_client_does_not_trust_is_unavailable_not_rejected(
    starttls_server: SmtpTestServer,
) -> None:
    with pytest.raises(DependencyUnavailable, match="mail server"):
        mailer_for(starttls_server, trusted=False).send(MESSAGE)
    assert starttls_server.received == []


def test_the_mailer_bootstrap_builds_speaks_starttls_and_trusts_the_systems_store(
    starttls_server: SmtpTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The system's trust store, as OpenSSL finds it: here, just the server's certificate.
    assert starttls_server.certificate is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(starttls_server.certificate))
    settings = Settings(
        data_dir=tmp_path,
        jwt_secret=SecretStr("x" * 40),
        smtp_host=starttls_server.host,
        smtp_port=starttls_server.port,
        mail_from=SENDER,
    )
    assert settings.smtp_security == "starttls"

    _mailer(settings, ManualClock(NOW)).send(MESSAGE)

    assert len(starttls_server.received) == 1


def test_starttls_asked_of_a_server_without_it_is_unavailable(
    smtp_server: SmtpTestServer,
) -> None:
    with pytest.raises(DependencyUnavailable):
        mailer_for(smtp_server, "starttls").send(MESSAGE)
    assert smtp_server.received == []


def test_a_login_is_used_when_set_and_a_wrong_password_is_unavailable_not_rejected() -> None:
    with SmtpTestServer(security="starttls", authenticate=("billing", "s3cret")) as server:
        mailer_for(server, username="billing", password="s3cret").send(MESSAGE)
        with pytest.raises(DependencyUnavailable, match="535"):
            mailer_for(server, username="billing", password="wrong").send(MESSAGE)

        # smtplib tries each mechanism the server offers (PLAIN, then LOGIN) before giving up.
        assert server.logins[0] == ("billing", True)
        assert len(server.logins) >= 2
        assert all(login == ("billing", False) for login in server.logins[1:])
        assert len(server.received) == 1


def test_a_server_that_wants_a_login_the_settings_lack_is_unavailable_not_rejected() -> None:
    with (
        SmtpTestServer(security="starttls", authenticate=("billing", "s3cret")) as server,
        pytest.raises(DependencyUnavailable, match="530"),
    ):
        mailer_for(server).send(MESSAGE)


def test_an_unknown_recipient_is_rejected_with_the_servers_words(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.refuse("ada@example.com")

    with pytest.raises(MailRejected) as rejected:
        mailer_for(smtp_server).send(MESSAGE)

    assert rejected.value.reason == ("ada@example.com: 550 5.1.1 <ada@example.com>: no such user")
    assert smtp_server.received == []


def test_try_again_later_is_unavailable_and_the_next_try_arrives(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.defer_next(1)
    mailer = mailer_for(smtp_server)

    with pytest.raises(DependencyUnavailable, match=re.escape("451 4.3.0 try again later")):
        mailer.send(MESSAGE)
    mailer.send(MESSAGE)

    assert smtp_server.messages_deferred == 1
    assert len(smtp_server.received) == 1


def test_a_permanent_refusal_of_the_message_is_rejected(smtp_server: SmtpTestServer) -> None:
    smtp_server.defer_next(1, "554 5.6.0 message refused")

    with pytest.raises(MailRejected, match=re.escape("554 5.6.0 message refused")):
        mailer_for(smtp_server).send(MESSAGE)


@pytest.mark.parametrize("reply", ["421 4.3.2 shutting down", "554 5.3.0 closing"])
def test_an_error_answer_to_quit_after_the_message_was_taken_is_a_success(
    smtp_server: SmtpTestServer, reply: str
) -> None:
    smtp_server.answer_quit(reply)

    mailer_for(smtp_server).send(MESSAGE)

    assert len(smtp_server.received) == 1


def test_a_server_that_is_down_is_unavailable_and_one_that_is_back_takes_the_mail(
    smtp_server: SmtpTestServer,
) -> None:
    mailer = mailer_for(smtp_server)
    smtp_server.stop()

    with pytest.raises(DependencyUnavailable, match="ConnectionRefusedError"):
        mailer.send(MESSAGE)
    smtp_server.start()
    mailer.send(MESSAGE)

    assert len(smtp_server.received) == 1


def test_a_server_that_never_answers_times_out_as_unavailable() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections complete, but no greeting ever comes
        server = SmtpTestServer(port=silent.getsockname()[1])
        with pytest.raises(DependencyUnavailable, match="mail server"):
            mailer_for(server, timeout_seconds=0.2).send(MESSAGE)
