"""`SmtpMailer`: each message handed to an SMTP server in a connection of its own.

The server's answer decides what a failure means. A 5xx reply (an unknown recipient, a message
refused) is final and raises `MailRejected` with the server's words, so the invoice shows `failed`
and nothing is retried. Anything that may pass later raises `DependencyUnavailable`: a 4xx reply
(greylisting, a full mailbox, a busy server), a refused or cut connection, a time-out, a TLS
handshake that fails, and a failed login, which is the operator's to fix and should not mark every
invoice as rejected meanwhile.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from billtrack.adapters.mime import mime_message
from billtrack.ports.errors import DependencyUnavailable, MailRejected
from billtrack.ports.mail import MailMessage

Security = Literal["starttls", "ssl", "none"]
DEPENDENCY = "mail server"
AUTHENTICATION_CODES = frozenset({530, 534, 535, 538})
"""5xx answers about our login, not about the message: retried, not a rejection."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpServer:
    host: str
    port: int
    security: Security = "starttls"
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 30.0
    tls_context: ssl.SSLContext | None = None
    """The certificates to trust; the system's by default."""


class SmtpMailer:
    def __init__(
        self,
        server: SmtpServer,
        *,
        sender: str,
        now: Callable[[], datetime],
        reply_to: str | None = None,
    ) -> None:
        self._server = server
        self._sender = sender
        self._reply_to = reply_to
        self._now = now

    def send(self, message: MailMessage, /) -> None:
        email = mime_message(
            message, sender=self._sender, reply_to=self._reply_to, date=self._now()
        )
        try:
            smtp = self._connect()
        except smtplib.SMTPResponseException as error:
            # The greeting, STARTTLS or the login was refused: the server, not the message.
            raise DependencyUnavailable(
                DEPENDENCY, _reason(error.smtp_code, error.smtp_error)
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DependencyUnavailable(DEPENDENCY, f"{type(error).__name__}: {error}") from error
        try:
            refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            raise _refusal(error.recipients) from error
        except smtplib.SMTPSenderRefused as error:
            # Our sender address or our standing (a login the server wants): the operator's to
            # fix, and worth retrying once they have.
            raise DependencyUnavailable(
                DEPENDENCY, _reason(error.smtp_code, error.smtp_error)
            ) from error
        except smtplib.SMTPResponseException as error:
            reason = _reason(error.smtp_code, error.smtp_error)
            if 500 <= error.smtp_code < 600 and error.smtp_code not in AUTHENTICATION_CODES:
                raise MailRejected(reason) from error
            raise DependencyUnavailable(DEPENDENCY, reason) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DependencyUnavailable(DEPENDENCY, f"{type(error).__name__}: {error}") from error
        finally:
            _close(smtp)
        if refused:
            # Only part of a multi-recipient message was refused; billtrack sends to one.
            raise _refusal(refused)

    def _connect(self) -> smtplib.SMTP:
        server = self._server
        context = server.tls_context or ssl.create_default_context()
        smtp: smtplib.SMTP
        if server.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                server.host, server.port, timeout=server.timeout_seconds, context=context
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout_seconds)
        try:
            if server.security == "starttls":
                smtp.starttls(context=context)
            if server.username:
                smtp.login(server.username, server.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _close(smtp: smtplib.SMTP) -> None:
    """QUIT, ignoring what the server answers: the message's fate was decided before."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _reason(code: int, text: bytes | str) -> str:
    words = text.decode(errors="backslashreplace") if isinstance(text, bytes) else text
    return f"{code} {words}".strip()


def _refusal(recipients: dict[str, tuple[int, bytes]]) -> Exception:
    """Final when every refusal is a 5xx, else worth another try."""
    reasons = "; ".join(
        f"{address}: {_reason(code, text)}" for address, (code, text) in recipients.items()
    )
    if all(500 <= code < 600 for code, _ in recipients.values()):
        return MailRejected(reasons)
    return DependencyUnavailable(DEPENDENCY, reasons)
