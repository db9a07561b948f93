"""Object storage in a local folder, with download URLs signed by billtrack itself.

A download URL is `{base_url}/api/files/{key}?expires={unix time}&signature={hex}`, where the
signature is an HMAC-SHA256 of the key and the expiry. The HTTP API serves such a URL only while
`verify` accepts it, so a link cannot be stretched past its expiry or pointed at another file.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from billtrack.adapters.filesystem.files import write_atomically
from billtrack.ports.errors import DependencyUnavailable, ObjectMissing

DOWNLOAD_PATH = "/api/files/"


class LocalFolderStorage:
    def __init__(
        self, root: Path, *, signing_key: bytes, base_url: str, now: Callable[[], datetime]
    ) -> None:
        if len(signing_key) < 32:
            raise ValueError("the signing key must be at least 32 bytes")
        self._root = root
        self._key = signing_key
        self._base_url = base_url.rstrip("/")
        self._now = now

    def _path(self, key: str) -> Path:
        """The file of `key`, which must stay inside the root: no absolute or `..` parts."""
        parts = key.split("/")
        if any(part in {"", ".", ".."} or "\\" in part for part in parts):
            raise ValueError(f"not a storage key: {key!r}")
        return self._root.joinpath(*parts)

    def put(self, key: str, data: bytes, content_type: str, /) -> None:
        try:
            write_atomically(self._path(key), data)
        except OSError as error:
            raise DependencyUnavailable("object storage", type(error).__name__) from error

    def get(self, key: str, /) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        except OSError as error:
            raise DependencyUnavailable("object storage", type(error).__name__) from error

    def exists(self, key: str, /) -> bool:
        return self._path(key).is_file()

    def download_url(self, key: str, expires_in: timedelta, /) -> str:
        self._path(key)
        expires = int((self._now() + expires_in).timestamp())
        signature = self._sign(key, expires)
        return (
            f"{self._base_url}{DOWNLOAD_PATH}{quote(key)}?expires={expires}&signature={signature}"
        )

    def _sign(self, key: str, expires: int) -> str:
        message = f"{key}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def verify(self, key: str, expires: int, signature: str) -> bool:
        """Whether a download of `key` signed with `signature` until `expires` is allowed now."""
        if self._now().timestamp() > expires:
            return False
        # Bytes, not str: compare_digest refuses non-ASCII text, and a forged link may have some.
        return hmac.compare_digest(self._sign(key, expires).encode(), signature.encode())

    def open_signed(self, key: str, expires: int, signature: str, /) -> bytes:
        if not self.verify(key, expires, signature):
            raise PermissionError("the download link has expired or is not valid")
        return self.get(key)

    def open_url(self, url: str) -> bytes:
        """The object a download URL names, if its signature holds; PermissionError otherwise."""
        parts = urlsplit(url)
        if not parts.path.startswith(DOWNLOAD_PATH):
            raise ValueError(f"not a download URL of this storage: {url}")
        key = unquote(parts.path.removeprefix(DOWNLOAD_PATH))
        query = parse_qs(parts.query)
        try:
            expires, signature = int(query["expires"][0]), query["signature"][0]
        except (KeyError, ValueError) as error:
            raise PermissionError("the download URL is incomplete") from error
        return self.open_signed(key, expires, signature)
