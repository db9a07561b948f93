"""Object storage in a dict. Its download URLs use the `memory:` scheme and can be opened with
`open_url`, which checks their expiry as a real signed URL would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import parse_qs, quote, unquote, urlsplit

from billtrack.ports.errors import DependencyUnavailable, ObjectMissing


class InMemoryObjectStorage:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.available = True
        """Set to False to act as a storage that is down."""
        self.puts = 0

    def _ensure_available(self) -> None:
        if not self.available:
            raise DependencyUnavailable("object storage")

    def put(self, key: str, data: bytes, content_type: str, /) -> None:
        self._ensure_available()
        self.objects[key] = (bytes(data), content_type)
        self.puts += 1

    def get(self, key: str, /) -> bytes:
        self._ensure_available()
        if key not in self.objects:
            raise ObjectMissing(key)
        return self.objects[key][0]

    def exists(self, key: str, /) -> bool:
        self._ensure_available()
        return key in self.objects

    def download_url(self, key: str, expires_in: timedelta, /) -> str:
        self._ensure_available()
        expires = int((self._now() + expires_in).timestamp())
        return f"memory:///{quote(key)}?expires={expires}"

    def open_url(self, url: str) -> bytes:
        """The object a download URL names; PermissionError once the URL has expired."""
        parts = urlsplit(url)
        if parts.scheme != "memory":
            raise ValueError(f"not a memory storage URL: {url}")
        expires = int(parse_qs(parts.query)["expires"][0])
        if self._now().timestamp() > expires:
            raise PermissionError("the download URL has expired")
        return self.get(unquote(parts.path.removeprefix("/")))
