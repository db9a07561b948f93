"""A user of billtrack: someone from the accounting team who logs in."""

from __future__ import annotations

from dataclasses import dataclass, replace

from billtrack.domain.model.lifecycle import Entity
from billtrack.domain.model.values import Email


@dataclass(frozen=True, slots=True, kw_only=True)
class User(Entity):
    email: Email
    password_hash: str

    def with_password_hash(self, password_hash: str) -> User:
        return replace(self, password_hash=password_hash)
