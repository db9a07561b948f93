"""How `SmtpMailer` reads a refusal of recipients, for the mixes a one-recipient conversation with
a real server cannot produce (tests/integration/mail has the rest, against aiosmtpd)."""

from __future__ import annotations

import pytest

from billtrack.adapters.smtp.mailer import _reason, _refusal
from billtrack.ports.errors import DependencyUnavailable, MailRejected


def test_recipients_all_refused_with_5xx_are_rejected_with_every_reason() -> None:
    refusal = _refusal(
        {
            "ada@example.com": (550, b"5.1.1 <ada@example.com>: no such user"),
            "bob@example.com": (553, b"5.1.3 bad address"),
        }
    )

    assert isinstance(refusal, MailRejected)
    assert refusal.reason == (
        "ada@example.com: 550 5.1.1 <ada@example.com>: no such user; "
        "bob@example.com: 553 5.1.3 bad address"
    )


@pytest.mark.parametrize(
    "recipients",
    [
        {"ada@example.com": (450, b"4.2.1 mailbox busy")},
        {"ada@example.com": (550, b"5.1.1 no such user"), "bob@example.com": (451, b"later")},
    ],
)
def test_a_refusal_that_may_pass_later_is_unavailable(
    recipients: dict[str, tuple[int, bytes]],
) -> None:
    refusal = _refusal(recipients)

    assert isinstance(refusal, DependencyUnavailable)
    assert refusal.dependency == "mail server"
    assert "ada@example.com:" in str(refusal)


def test_a_reason_keeps_the_servers_words_even_when_they_are_not_utf8() -> None:
    assert _reason(550, b"5.1.1 no such user") == "550 5.1.1 no such user"
    assert _reason(451, "4.3.0 try again later") == "451 4.3.0 try again later"
    assert _reason(550, b"caf\xe9") == "550 caf\\xe9"  # the byte is kept, not replaced
    assert _reason(421, b"") == "421"
