"""Object storage: the same tests for every adapter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from billtrack.ports.errors import ObjectMissing
from billtrack.ports.storage import ObjectStorage
from tests.contract.conftest import UrlOpener

Storage = tuple[ObjectStorage, UrlOpener, Callable[[timedelta], None]]
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 binary bytes \x00\xff\n%%EOF\n"


def test_put_then_get(storage: Storage) -> None:
    store, _, _ = storage
    key = "invoices/2024/2024-000001/abc-r1.pdf"
    assert not store.exists(key)
    store.put(key, PDF, "application/pdf")
    assert store.exists(key)
    assert store.get(key) == PDF


def test_a_second_put_overwrites(storage: Storage) -> None:
    store, _, _ = storage
    store.put("k.pdf", b"first", "application/pdf")
    store.put("k.pdf", PDF, "application/pdf")
    assert store.get("k.pdf") == PDF


def test_a_missing_object(storage: Storage) -> None:
    store, _, _ = storage
    with pytest.raises(ObjectMissing):
        store.get("nowhere.pdf")


def test_download_urls_work_until_they_expire(storage: Storage) -> None:
    store, open_url, let_pass = storage
    store.put("invoices/a b/ü.pdf", PDF, "application/pdf")
    url = store.download_url("invoices/a b/ü.pdf", timedelta(minutes=15))
    assert open_url(url) == PDF
    let_pass(timedelta(minutes=16))
    with pytest.raises(PermissionError):
        open_url(url)
