"""The filesystem adapters: the local folder storage refuses what a signed URL must refuse, and
opens what it signed; the folder mailer writes mail that a mail program reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from tests.fakes.clock import ManualClock

from billtrack.adapters.filesystem.mailer import FolderMailer
from billtrack.adapters.filesystem.storage import LocalFolderStorage
from billtrack.ports.errors import ObjectMissing
from billtrack.ports.mail import Attachment, MailMessage
from billtrack.ports.storage import ObjectStorage, SignedDownloads

NOW = datetime(2024, 11, 15, 12, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def storage(tmp_path: Path, clock: ManualClock) -> LocalFolderStorage:
    return LocalFolderStorage(
        tmp_path / "files",
        signing_key=b"s" * 32,
        base_url="https://bills.example.com/",
        now=clock.now,
    )


def test_download_urls_point_at_the_api(storage: LocalFolderStorage) -> None:
    storage.put("invoices/2024/a.pdf", b"%PDF", "application/pdf")
    url = storage.download_url("invoices/2024/a.pdf", timedelta(minutes=15))
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "bills.example.com",
        "/api/files/invoices/2024/a.pdf",
    )
    assert f"expires={int((NOW + timedelta(minutes=15)).timestamp())}" in parts.query


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url: url.replace("a.pdf", "b.pdf"),
        lambda url: url.replace("expires=", "expires=9"),
        lambda url: url[:-1] + ("0" if url[-1] != "0" else "1"),
        lambda url: url.split("&signature=")[0],
    ],
)
def test_an_altered_url_is_refused(storage: LocalFolderStorage, tamper: object) -> None:
    storage.put("invoices/2024/a.pdf", b"%PDF-a", "application/pdf")
    storage.put("invoices/2024/b.pdf", b"%PDF-b", "application/pdf")
    url = storage.download_url("invoices/2024/a.pdf", timedelta(minutes=15))
    assert storage.open_url(url) == b"%PDF-a"
    with pytest.raises(PermissionError):
        storage.open_url(tamper(url))  # type: ignore[operator]


def test_a_url_signed_with_another_key_is_refused(tmp_path: Path, clock: ManualClock) -> None:
    mine = LocalFolderStorage(tmp_path, signing_key=b"a" * 32, base_url="http://x", now=clock.now)
    theirs = LocalFolderStorage(tmp_path, signing_key=b"b" * 32, base_url="http://x", now=clock.now)
    mine.put("k.pdf", b"%PDF", "application/pdf")
    with pytest.raises(PermissionError):
        mine.open_url(theirs.download_url("k.pdf", timedelta(minutes=15)))


@pytest.mark.parametrize("key", ["../escape.pdf", "/etc/passwd", "a/../../b", "", "a//b"])
def test_keys_cannot_leave_the_folder(storage: LocalFolderStorage, key: str) -> None:
    with pytest.raises(ValueError, match="not a storage key"):
        storage.put(key, b"x", "application/pdf")


def test_a_short_signing_key_is_refused(tmp_path: Path, clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        LocalFolderStorage(tmp_path, signing_key=b"short", base_url="http://x", now=clock.now)


def test_no_half_written_file_is_left_behind(storage: LocalFolderStorage, tmp_path: Path) -> None:
    storage.put("k.pdf", b"first", "application/pdf")
    storage.put("k.pdf", b"second", "application/pdf")
    files = [p.name for p in (tmp_path / "files").iterdir()]
    assert files == ["k.pdf"]
    assert storage.get("k.pdf") == b"second"


def signed_parts(url: str) -> tuple[str, int, str]:
    """The key, expiry and signature a download URL carries, as the API route reads them."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    key = unquote(parts.path.removeprefix("/api/files/"))
    return key, int(query["expires"][0]), query["signature"][0]


def test_the_folder_storage_fits_both_storage_ports(storage: LocalFolderStorage) -> None:
    as_storage: ObjectStorage = storage
    as_downloads: SignedDownloads = storage
    as_storage.put("k.pdf", b"%PDF-k", "application/pdf")
    key, expires, signature = signed_parts(as_storage.download_url("k.pdf", timedelta(minutes=1)))
    assert as_downloads.open_signed(key, expires, signature) == b"%PDF-k"


def test_open_signed_opens_what_was_signed_until_it_expires(
    storage: LocalFolderStorage, clock: ManualClock
) -> None:
    storage.put("invoices/2024/a.pdf", b"%PDF-a", "application/pdf")
    key, expires, signature = signed_parts(
        storage.download_url("invoices/2024/a.pdf", timedelta(minutes=15))
    )
    assert key == "invoices/2024/a.pdf"

    assert storage.open_signed(key, expires, signature) == b"%PDF-a"
    clock.advance(timedelta(minutes=15))
    assert storage.open_signed(key, expires, signature) == b"%PDF-a"
    clock.advance(timedelta(seconds=1))
    with pytest.raises(PermissionError):
        storage.open_signed(key, expires, signature)


def test_open_signed_refuses_another_key_expiry_or_signature(storage: LocalFolderStorage) -> None:
    storage.put("a.pdf", b"%PDF-a", "application/pdf")
    storage.put("b.pdf", b"%PDF-b", "application/pdf")
    key, expires, signature = signed_parts(storage.download_url("a.pdf", timedelta(minutes=15)))

    for forged in [
        ("b.pdf", expires, signature),
        (key, expires + 3600, signature),
        (key, expires, "0" * len(signature)),
        (key, expires, ""),
        (key, expires, "é" + signature[1:]),
    ]:
        with pytest.raises(PermissionError):
            storage.open_signed(*forged)


def test_open_signed_of_a_missing_object_or_a_bad_key(storage: LocalFolderStorage) -> None:
    key, expires, signature = signed_parts(storage.download_url("gone.pdf", timedelta(minutes=1)))

    with pytest.raises(ObjectMissing):
        storage.open_signed(key, expires, signature)
    with pytest.raises(ValueError, match="not a storage key"):
        storage.download_url("../escape.pdf", timedelta(minutes=1))
    # A key that is no storage key, signed as if it were one, is still refused.
    bad_signature = storage._sign("../escape.pdf", expires)
    with pytest.raises(ValueError, match="not a storage key"):
        storage.open_signed("../escape.pdf", expires, bad_signature)


def test_the_folder_mailer_writes_a_readable_message(tmp_path: Path, clock: ManualClock) -> None:
    mailer = FolderMailer(
        tmp_path / "mail", sender="billtrack <billing@example.com>", now=clock.now
    )
    pdf = b"%PDF-1.4\n\x00\xff binary\n%%EOF\n"
    mailer.send(
        MailMessage(
            to="zoë@example.com",
            subject="Invoice 2024-000001 for October 2024",
            body="Hello Zoë,\n\nattached is your invoice.\n",
            attachments=(Attachment("invoice-2024-000001.pdf", "application/pdf", pdf),),
        )
    )
    (path,) = (tmp_path / "mail").glob("*.eml")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"] == "zoë@example.com"
    assert message["Subject"] == "Invoice 2024-000001 for October 2024"
    body = message.get_body(("plain",))
    assert body is not None
    assert "Hello Zoë" in body.get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "invoice-2024-000001.pdf"
    assert attachment.get_content() == pdf
