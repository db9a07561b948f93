"""A mailer that writes each message as an .eml file into a folder, for a machine without SMTP.

Any mail program opens the files; nothing leaves the machine.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from billtrack.adapters.filesystem.files import write_atomically
from billtrack.ports.errors import DependencyUnavailable
from billtrack.ports.mail import MailMessage


def to_email(message: MailMessage, sender: str, date: datetime) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(date)
    email["Message-ID"] = make_msgid(domain="billtrack.local")
    email.set_content(message.body)
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return email


class FolderMailer:
    def __init__(self, folder: Path, *, sender: str, now: Callable[[], datetime]) -> None:
        self._folder = folder
        self._sender = sender
        self._now = now

    def send(self, message: MailMessage, /) -> None:
        now = self._now()
        email = to_email(message, self._sender, now)
        name = f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
        try:
            write_atomically(self._folder / name, email.as_bytes())
        except OSError as error:
            raise DependencyUnavailable("mail folder", type(error).__name__) from error
