"""What every mailer writes: a `MailMessage` as a MIME message (text, HTML, attachments)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from billtrack.ports.mail import MailMessage


def mime_message(
    message: MailMessage, *, sender: str, reply_to: str | None, date: datetime
) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    if reply_to:
        email["Reply-To"] = reply_to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(date)
    email["Message-ID"] = message.message_id or make_msgid(domain="billtrack.local")
    email.set_content(message.body)
    if message.html is not None:
        email.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return email
