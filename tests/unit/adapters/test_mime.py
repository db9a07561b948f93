"""`mime_bytes` writes what the email package writes, byte for byte, only faster: the email
package (`mime_message(...).as_bytes()`) is the oracle, both drawing their boundaries from the
same seeded `random`."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal
from email import message_from_bytes, policy

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from billtrack.adapters.jinja2.invoice_mail import JinjaInvoiceMailComposer
from billtrack.adapters.mime import mime_bytes, mime_message
from billtrack.ports.mail import Attachment, MailMessage
from billtrack.ports.rendering import InvoiceDocument, Issuer

NOW = datetime(2024, 11, 15, 12, 30, 5, 123456, tzinfo=UTC)
SENDER = "billtrack <billtrack@localhost>"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def both(message: MailMessage, *, sender: str = SENDER, reply_to: str | None = None) -> None:
    random.seed(1234)
    expected = mime_message(message, sender=sender, reply_to=reply_to, date=NOW).as_bytes()
    random.seed(1234)
    written = mime_bytes(message, sender=sender, reply_to=reply_to, date=NOW)
    assert written == expected


def mail(**changes: object) -> MailMessage:
    fields: dict[str, object] = {
        "to": "ada@example.com",
        "subject": "Invoice 2024-000001 for October 2024 from Acme GmbH",
        "body": "Hello Ada,\n\nattached is your invoice.\n",
        "html": "<p>Hello Ada,</p>\n",
        "message_id": "<invoice-1-r1-s1@billtrack>",
        "attachments": (Attachment("invoice-2024-000001.pdf", "application/pdf", PDF),),
    }
    fields.update(changes)
    return MailMessage(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["Ada Lovelace", "Zażółć Gęślą Jaźń", "Γιώργος Παπαδόπουλος"])
def test_an_invoice_mail_is_written_as_the_email_package_writes_it(name: str) -> None:
    document = InvoiceDocument(
        number="2024-000001",
        issue_date=date(2024, 11, 4),
        period_label="October 2024",
        employee_name=name,
        employee_email="employee1@example.com",
        department="Księgowość",
        project="Проєкт «Київ»",
        salary=Decimal("4321.09"),
        weekdays=23,
        total_hours=Decimal("240.75"),
        hourly_rate=Decimal("23.4842"),
        amount=Decimal("5653.82"),
        workdays=((date(2024, 10, 1), Decimal("8.25")),),
        issuer=Issuer(name="Acme Europe GmbH", address="Hauptstraße 1\n10115 Berlin"),
    )
    composer = JinjaInvoiceMailComposer()
    message = composer.compose(document, PDF, message_id="<invoice-x-r1-s1@billtrack>")

    both(message)
    both(message, reply_to="Accounts <accounts@example.com>")


@pytest.mark.parametrize(
    "changes",
    [
        {"html": None},
        {"attachments": ()},
        {"html": None, "attachments": ()},
        {"attachments": (Attachment("a.pdf", "application/pdf", b""),) * 2},
        {"body": ""},
        {"body": "Zoë, a line of UTF-8\n"},
        {"body": "x" * 200 + "\n"},
        {"body": "é" * 200 + "\n" + "more\n" * 20},
        {"body": "line\r\nwith\rother ends\n\n"},
        {"html": "<p>" + "ü" * 300 + "</p>"},
        # What the fast path leaves to the email package, which must come out the same.
        {"to": "zoë@example.com"},
        {"to": "Ada Lovelace <ada@example.com>"},
        {"to": '"Lovelace, Ada" <ada@example.com>'},
        {"subject": "Rechnung für Zoë"},
        {"subject": "Invoice " + "x" * 100},
        {"subject": "two  spaces"},
        {"subject": "=?utf-8?q?looks_encoded?="},
        {"attachments": (Attachment("rechnung für zoë.pdf", "application/pdf", PDF),)},
        {"attachments": (Attachment("a" * 80 + ".pdf", "application/pdf", PDF),)},
    ],
)
def test_every_kind_of_message_comes_out_as_the_email_package_writes_it(
    changes: dict[str, object],
) -> None:
    both(mail(**changes))


def test_a_message_without_an_id_gets_one_as_the_email_package_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from billtrack.adapters import mime

    # make_msgid reads the clock: the two calls must get the same one.
    monkeypatch.setattr(mime, "make_msgid", lambda domain: f"<1.2.3@{domain}>")
    both(mail(message_id=None))


@pytest.mark.parametrize(
    "sender", ["billing@example.com", "Acme Billing <billing@example.com>", "Zoë <z@example.com>"]
)
def test_any_sender_and_reply_to(sender: str) -> None:
    both(mail(), sender=sender, reply_to=sender)


def test_a_header_with_a_line_break_is_refused_as_the_email_package_refuses_it() -> None:
    with pytest.raises(ValueError, match="linefeed"):
        mime_bytes(mail(subject="one\ntwo"), sender=SENDER, reply_to=None, date=NOW)


def test_a_boundary_that_a_part_holds_is_drawn_again() -> None:
    random.seed(99)
    token = random.randrange(2**63 - 1)
    taken = f"--{'=' * 15}{token:019d}==\n"
    both(mail(body=taken, html=None, attachments=()))
    both(mail(body="first\n" + taken + "last\n"))


def test_what_it_writes_reads_back() -> None:
    written = mime_bytes(mail(), sender=SENDER, reply_to=None, date=NOW)

    parsed = message_from_bytes(written, policy=policy.default)
    assert parsed["To"] == "ada@example.com"
    body = parsed.get_body(("plain",))
    assert body is not None
    assert body.get_content() == "Hello Ada,\n\nattached is your invoice.\n"
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_content() == PDF


printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=90)
anything = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)


@settings(max_examples=300, deadline=None)
@given(
    subject=printable,
    local=st.from_regex(r"[A-Za-z0-9._%+-]{1,30}", fullmatch=True),
    body=anything,
    html=st.none() | anything,
    filename=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,70}", fullmatch=True),
    data=st.binary(max_size=500),
)
@example(subject="a", local="a", body="", html=None, filename="a", data=b"")
def test_any_message_comes_out_as_the_email_package_writes_it(
    subject: str, local: str, body: str, html: str | None, filename: str, data: bytes
) -> None:
    message = mail(
        to=f"{local}@example.com",
        subject=subject,
        body=body,
        html=html,
        attachments=(Attachment(filename, "application/pdf", data),),
    )
    random.seed(7)
    expected = mime_message(message, sender=SENDER, reply_to=None, date=NOW).as_bytes()
    random.seed(7)
    assert mime_bytes(message, sender=SENDER, reply_to=None, date=NOW) == expected


def test_an_invoice_mail_does_not_need_the_email_package(monkeypatch: pytest.MonkeyPatch) -> None:
    from billtrack.adapters import mime

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("went through the email package")

    monkeypatch.setattr(mime, "mime_message", refuse)
    for changes in ({}, {"html": None}, {"attachments": ()}, {"body": "Zoë\n" + "ü" * 100}):
        mime_bytes(mail(**changes), sender=SENDER, reply_to="Accounts <a@example.com>", date=NOW)
