"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 and a free port, in a thread of the test
process, keeping every message it accepts.

It can be told to refuse recipients for good (`550 5.1.1 <addr>: no such user`), to put off the
next messages (`451 4.3.0 try again later`), and to go down and come back on the same port, as a
mail server does. With `security="starttls"` it requires STARTTLS, with `"ssl"` it speaks TLS
from the first byte, either with a self-signed certificate made on the spot (`certificate` is its
file, `client_tls_context()` trusts it). With `authenticate` it offers AUTH PLAIN and LOGIN and
refuses to take mail from a client that has not logged in.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.postgres import free_port

HOST = "127.0.0.1"
NO_SUCH_USER = "550 5.1.1 <{address}>: no such user"
TRY_AGAIN_LATER = "451 4.3.0 try again later"
Security = Literal["none", "starttls", "ssl"]


@dataclass(frozen=True)
class Received:
    """One message the server accepted: its envelope and its bytes as they came."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes

    def message(self) -> EmailMessage:
        """The message parsed as a mail program would."""
        return email.message_from_bytes(self.content, policy=email.policy.default)


@dataclass
class RecordingHandler:
    """aiosmtpd's handler: what the server answers, and what it saw."""

    refused_recipients: set[str] = field(default_factory=set)
    """Addresses (lower case) answered `550 5.1.1` at RCPT."""
    deferrals_left: int = 0
    """How many of the next messages are answered `deferral_reply` at DATA."""
    deferral_reply: str = TRY_AGAIN_LATER
    received: list[Received] = field(default_factory=list)
    recipients_tried: list[str] = field(default_factory=list)
    """Every RCPT TO, accepted or refused, in order."""
    messages_deferred: int = 0
    quit_reply: str = "221 Bye"
    """What QUIT is answered, after every message of the connection was answered."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        with self.lock:
            self.recipients_tried.append(address)
            if address.lower() in self.refused_recipients:
                return NO_SUCH_USER.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        with self.lock:
            if self.deferrals_left > 0:
                self.deferrals_left -= 1
                self.messages_deferred += 1
                return self.deferral_reply
            content = envelope.original_content or envelope.content or b""
            self.received.append(
                Received(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    content=content if isinstance(content, bytes) else content.encode(),
                )
            )
        return "250 2.0.0 Message accepted for delivery"

    async def handle_QUIT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        with self.lock:
            return self.quit_reply


class SmtpTestServer:
    """The server and its handler; `stop()` and `start()` again keep the port and what it saw."""

    def __init__(
        self,
        *,
        port: int | None = None,
        security: Security = "none",
        authenticate: tuple[str, str] | None = None,
    ) -> None:
        self.host = HOST
        self.port = port if port is not None else free_port()
        self.security = security
        self.handler = RecordingHandler()
        self.logins: list[tuple[str, bool]] = []
        """Every login tried: the user name, and whether it was let in."""
        if authenticate is not None and security == "none":
            raise ValueError("aiosmtpd asks for TLS when it requires a login: use starttls or ssl")
        self._credentials = authenticate
        self._tls_folder: tempfile.TemporaryDirectory[str] | None = None
        self._server_tls: ssl.SSLContext | None = None
        self.certificate: Path | None = None
        if security != "none":
            self._tls_folder = tempfile.TemporaryDirectory(prefix="smtp-tls-")
            self.certificate, key = _self_signed_certificate(Path(self._tls_folder.name))
            self._server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._server_tls.load_cert_chain(self.certificate, key)
        self._controller: Controller | None = None

    # -- running -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """Listen (again) on the same port. aiosmtpd's controller closes its event loop when it
        stops, so each start is a controller of its own over the one handler."""
        if self._controller is not None:
            return
        options: dict[str, Any] = {}
        if self.security == "starttls":
            options = {"tls_context": self._server_tls, "require_starttls": True}
        elif self.security == "ssl":
            options = {"ssl_context": self._server_tls}
        if self._credentials is not None:
            options |= {"authenticator": self._authenticator, "auth_required": True}
        controller = Controller(
            self.handler, hostname=self.host, port=self.port, ready_timeout=10, **options
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening: a connection to the port is refused until `start()`."""
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None

    def close(self) -> None:
        self.stop()
        if self._tls_folder is not None:
            self._tls_folder.cleanup()

    def __enter__(self) -> SmtpTestServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- telling it what to answer ------------------------------------------------------------

    def refuse(self, *addresses: str) -> None:
        """Answer RCPT TO for these addresses with `550 5.1.1 <addr>: no such user`."""
        with self.handler.lock:
            self.handler.refused_recipients.update(a.lower() for a in addresses)

    def defer_next(self, messages: int, reply: str = TRY_AGAIN_LATER) -> None:
        """Answer DATA of the next `messages` messages with a 4xx (`reply`)."""
        with self.handler.lock:
            self.handler.deferrals_left = messages
            self.handler.deferral_reply = reply

    def answer_quit(self, reply: str) -> None:
        """Answer QUIT with `reply` (a server shutting down may say 421)."""
        with self.handler.lock:
            self.handler.quit_reply = reply

    # -- what it saw ---------------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def messages(self) -> list[EmailMessage]:
        return [r.message() for r in self.received]

    @property
    def recipients_tried(self) -> list[str]:
        with self.handler.lock:
            return list(self.handler.recipients_tried)

    @property
    def messages_deferred(self) -> int:
        with self.handler.lock:
            return self.handler.messages_deferred

    def client_tls_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's self-signed certificate."""
        if self.certificate is None:
            raise ValueError("this server was started without TLS")
        return ssl.create_default_context(cafile=str(self.certificate))

    def _authenticator(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert self._credentials is not None
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        accepted = (user, password) == self._credentials
        with self.handler.lock:
            self.logins.append((user, accepted))
        # handled=False: aiosmtpd answers a refusal itself (535 5.7.8).
        return AuthResult(success=accepted, handled=False)


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key, written into `folder`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = folder / "server.pem", folder / "server.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path
