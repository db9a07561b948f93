"""Fast stand-ins for password hashing and tokens: tests log in thousands of times.

`FastPasswordHasher` is salted SHA-256, far too cheap for real passwords: the real hashers
(Argon2id, and the original's PBKDF2 format) are in their own adapter family.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

from billtrack.domain.model.errors import AuthenticationFailed

_PREFIX = "fast-sha256$"


class FastPasswordHasher:
    def hash(self, password: str, /) -> str:
        salt = secrets.token_hex(8)
        return f"{_PREFIX}{salt}${self._digest(salt, password)}"

    def verify(self, password: str, stored_hash: str, /) -> bool:
        prefix, _, rest = stored_hash.partition("$")
        salt, _, digest = rest.partition("$")
        if prefix + "$" != _PREFIX or not salt or not digest:
            return False
        return hmac.compare_digest(digest, self._digest(salt, password))

    def needs_rehash(self, stored_hash: str, /) -> bool:
        return not stored_hash.startswith(_PREFIX)

    @staticmethod
    def _digest(salt: str, password: str) -> str:
        return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()


class InMemoryTokenIssuer:
    """Opaque random tokens, remembered with their user and expiry."""

    def __init__(self, now: Callable[[], datetime], lifetime: timedelta = timedelta(hours=24)):
        self._now = now
        self._lifetime = lifetime
        self._tokens: dict[str, tuple[UUID, datetime]] = {}

    def issue(self, user_id: UUID, /) -> str:
        token = secrets.token_urlsafe(32)
        self._tokens[token] = (user_id, self._now() + self._lifetime)
        return token

    def verify(self, token: str, /) -> UUID:
        entry = self._tokens.get(token)
        if entry is None or self._now() >= entry[1]:
            raise AuthenticationFailed("invalid or expired token")
        return entry[0]
