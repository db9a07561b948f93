"""A mailer that keeps what it sent."""

from __future__ import annotations

from billtrack.ports.errors import DependencyUnavailable
from billtrack.ports.mail import MailMessage


class InMemoryMailer:
    def __init__(self) -> None:
        self.sent: list[MailMessage] = []
        self.available = True
        """Set to False to act as a mail server that is down."""

    def send(self, message: MailMessage, /) -> None:
        if not self.available:
            raise DependencyUnavailable("mail server")
        self.sent.append(message)
