"""Passwords and access tokens."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class PasswordHasher(Protocol):
    def hash(self, password: str, /) -> str: ...

    def verify(self, password: str, stored_hash: str, /) -> bool:
        """Whether `password` matches; a malformed or foreign hash answers False, never raises."""
        ...

    def needs_rehash(self, stored_hash: str, /) -> bool:
        """Whether `stored_hash` is in an older format or weaker setting than new hashes get."""
        ...


class TokenIssuer(Protocol):
    def issue(self, user_id: UUID, /) -> str: ...

    def verify(self, token: str, /) -> UUID:
        """The user id the token was issued for; raises `AuthenticationFailed` for any bad token."""
        ...
