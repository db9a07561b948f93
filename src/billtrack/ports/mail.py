"""Sending mail."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from billtrack.ports.rendering import InvoiceDocument


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class MailMessage:
    to: str
    subject: str
    body: str
    """The plain-text part."""
    attachments: tuple[Attachment, ...] = field(default=())
    html: str | None = None
    """The HTML part, shown instead of the text by mail programs that can."""
    message_id: str | None = None
    """`<...@...>`; fixed per invoice revision and send, so a duplicate is recognisable."""


class Mailer(Protocol):
    def send(self, message: MailMessage, /) -> None:
        """Hand the message to the mail server. Raises `MailRejected` when the server refuses it
        for good (a 5xx answer, a bad address) and `DependencyUnavailable` when trying again
        later may work (a 4xx answer, no connection, a time-out)."""
        ...


class InvoiceMailComposer(Protocol):
    def compose(self, document: InvoiceDocument, pdf: bytes, *, message_id: str) -> MailMessage:
        """The mail that brings the invoice's PDF to its employee."""
        ...
