"""Object storage for rendered PDFs."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol


class ObjectStorage(Protocol):
    def put(self, key: str, data: bytes, content_type: str, /) -> None:
        """Store `data` under `key`, replacing what was there (so a repeated put is harmless)."""
        ...

    def get(self, key: str, /) -> bytes:
        """The object under `key`; raises `ObjectMissing` when there is none."""
        ...

    def exists(self, key: str, /) -> bool: ...

    def download_url(self, key: str, expires_in: timedelta, /) -> str:
        """A URL that lets whoever holds it download the object until it expires."""
        ...


class SignedDownloads(Protocol):
    """A storage whose download URLs billtrack serves itself (the local folder): the API checks
    the signature and hands out the object."""

    def open_signed(self, key: str, expires: int, signature: str, /) -> bytes:
        """The object under `key`, if the signature of `key` until `expires` holds now. Raises
        `PermissionError` for an expired or altered link, `ObjectMissing` when there is no
        object, and `ValueError` for a key that is no storage key."""
        ...
