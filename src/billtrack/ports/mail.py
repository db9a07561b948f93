"""Sending mail."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


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
    attachments: tuple[Attachment, ...] = field(default=())


class Mailer(Protocol):
    def send(self, message: MailMessage, /) -> None: ...
