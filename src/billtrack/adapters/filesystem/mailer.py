"""A mailer that writes each message as an .eml file into a folder, for a machine without SMTP.

Any mail program opens the files; nothing leaves the machine.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from billtrack.adapters.filesystem.files import write_atomically
from billtrack.adapters.mime import mime_bytes
from billtrack.ports.errors import DependencyUnavailable
from billtrack.ports.mail import MailMessage


class FolderMailer:
    def __init__(
        self,
        folder: Path,
        *,
        sender: str,
        now: Callable[[], datetime],
        reply_to: str | None = None,
    ) -> None:
        self._folder = folder
        self._sender = sender
        self._reply_to = reply_to
        self._now = now

    def send(self, message: MailMessage, /) -> None:
        now = self._now()
        email = mime_bytes(message, sender=self._sender, reply_to=self._reply_to, date=now)
        name = f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
        try:
            write_atomically(self._folder / name, email)
        except OSError as error:
            raise DependencyUnavailable("mail folder", type(error).__name__) from error
