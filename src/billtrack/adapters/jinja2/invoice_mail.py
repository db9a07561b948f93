"""`JinjaInvoiceMailComposer`: the mail that brings an invoice's PDF to its employee, as a text
part and an HTML part rendered from the templates beside this module."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from billtrack.domain.model.presentation import format_decimal, format_money
from billtrack.ports.mail import Attachment, MailMessage
from billtrack.ports.rendering import InvoiceDocument

PDF_CONTENT_TYPE = "application/pdf"


class JinjaInvoiceMailComposer:
    def __init__(self) -> None:
        environment = Environment(
            loader=PackageLoader("billtrack.adapters.jinja2", "templates"),
            # Names are typed by people: in the HTML part they are text, never markup.
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        environment.filters["money"] = format_money
        environment.filters["decimal"] = format_decimal
        self._text = environment.get_template("invoice_mail.txt")
        self._html = environment.get_template("invoice_mail.html")

    def compose(self, document: InvoiceDocument, pdf: bytes, *, message_id: str) -> MailMessage:
        context = {"invoice": document, "issuer": document.issuer}
        return MailMessage(
            to=document.employee_email,
            subject=subject(document),
            body=self._text.render(context),
            html=self._html.render(context),
            message_id=message_id,
            attachments=(Attachment(f"invoice-{document.number}.pdf", PDF_CONTENT_TYPE, pdf),),
        )


def subject(document: InvoiceDocument) -> str:
    sender = f" from {document.issuer.name}" if document.issuer.name else ""
    return f"Invoice {document.number} for {document.period_label}{sender}"
