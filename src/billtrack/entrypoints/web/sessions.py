"""The web interface's session: a signed cookie, its expiry, its CSRF token, and logging out.

A visitor's session is a cookie holding a small JSON payload and its HMAC-SHA256, keyed by
`derived_key(signing_secret, "web sessions")`, so a session signs nothing else and nothing else
signs a session. Nothing secret is in it (the user's id and e-mail, a random session id, an
expiry, a fingerprint of the password hash), and no token the API would accept: the API stays
Bearer-only.

- Every visitor has a session id (`sid`), an anonymous one before logging in; logging in starts
  a new one (no session fixation). The CSRF token of every form is HMAC(sid) under a key of its
  own, so it is per session and needs no storage.
- A session ends `LIFETIME` after logging in (the cookie says when; the clock of the application
  decides), when its user logs out (its sid is revoked in this process and the cookie cleared),
  when the user is removed, or when their password changes (the fingerprint no longer matches).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from billtrack.entrypoints.secret import derived_key

LIFETIME = timedelta(hours=8)
"""A working day: a session started in the morning lasts until the evening."""
ANONYMOUS_LIFETIME = timedelta(hours=2)
"""How long the login form of an anonymous visitor stays valid."""
COOKIE = "billtrack_session"
SECURE_COOKIE = "__Host-billtrack_session"
"""Over HTTPS the name carries the `__Host-` prefix: browsers then insist on Secure, Path=/ and
no Domain, so no sibling host can plant or shadow it."""
FLASH_COOKIE = "billtrack_flash"
MAX_FLASH_LENGTH = 500


@dataclass(frozen=True, slots=True)
class Session:
    sid: str
    expires: int
    """Unix seconds, by the application's clock."""
    user_id: UUID | None = None
    email: str = ""
    fingerprint: str = ""
    """Of the user's password hash: a new password ends every session of the old one."""

    @property
    def is_signed_in(self) -> bool:
        return self.user_id is not None

    def expired(self, now: datetime) -> bool:
        return now.timestamp() >= self.expires


class SessionSigner:
    """Writes and reads the session and flash cookies, and makes and checks CSRF tokens."""

    def __init__(self, secret: str) -> None:
        self._key = derived_key(secret, "web sessions")
        self._form_key = derived_key(secret, "web forms")
        self._revoked: dict[str, int] = {}
        self._lock = threading.Lock()

    # -- sessions ------------------------------------------------------------------------------

    def anonymous(self, now: datetime) -> Session:
        return Session(_new_sid(), int((now + ANONYMOUS_LIFETIME).timestamp()))

    def signed_in(self, now: datetime, *, user_id: UUID, email: str, password_hash: str) -> Session:
        return Session(
            _new_sid(),
            int((now + LIFETIME).timestamp()),
            user_id=user_id,
            email=email,
            fingerprint=self.fingerprint(password_hash),
        )

    def fingerprint(self, password_hash: str) -> str:
        digest = hmac.new(self._key, b"password\0" + password_hash.encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    def dumps(self, session: Session) -> str:
        payload: dict[str, Any] = {"k": "session", "sid": session.sid, "exp": session.expires}
        if session.user_id is not None:
            payload |= {"uid": str(session.user_id), "em": session.email, "fp": session.fingerprint}
        return self._sign(payload)

    def loads(self, text: str | None) -> Session | None:
        """The session a cookie holds, expired or not; None when it is missing, forged or not a
        session, or was logged out."""
        payload = self._verify(text)
        if payload is None or payload.get("k") != "session":
            return None
        try:
            session = Session(
                sid=str(payload["sid"]),
                expires=int(payload["exp"]),
                user_id=UUID(payload["uid"]) if "uid" in payload else None,
                email=str(payload.get("em", "")),
                fingerprint=str(payload.get("fp", "")),
            )
        except (KeyError, TypeError, ValueError):
            return None
        with self._lock:
            if session.sid in self._revoked:
                return None
        return session

    def revoke(self, session: Session, now: datetime) -> None:
        """Log `session` out in this process (the browser's cookie is cleared as well)."""
        with self._lock:
            self._revoked[session.sid] = session.expires
            # Forget what has expired anyway, so the set stays as small as the live sessions.
            for sid, expires in list(self._revoked.items()):
                if expires <= now.timestamp():
                    del self._revoked[sid]

    # -- CSRF ----------------------------------------------------------------------------------

    def csrf_token(self, session: Session) -> str:
        return hmac.new(self._form_key, session.sid.encode(), hashlib.sha256).hexdigest()

    def csrf_matches(self, session: Session | None, token: str | None) -> bool:
        if session is None or not token:
            return False
        return hmac.compare_digest(self.csrf_token(session), token)

    # -- flash messages ------------------------------------------------------------------------

    def flash(self, message: str) -> str:
        return self._sign({"k": "flash", "m": message[:MAX_FLASH_LENGTH]})

    def read_flash(self, text: str | None) -> str | None:
        payload = self._verify(text)
        if payload is None or payload.get("k") != "flash":
            return None
        message = payload.get("m")
        return message if isinstance(message, str) else None

    # -- signing -------------------------------------------------------------------------------

    def _sign(self, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode())
        return f"{body}.{_b64(self._mac(body))}"

    def _verify(self, text: str | None) -> dict[str, Any] | None:
        if not text or text.count(".") != 1 or len(text) > 4096:
            return None
        body, signature = text.split(".")
        try:
            given = _unb64(signature)
            if not hmac.compare_digest(given, self._mac(body)):
                return None
            payload = json.loads(_unb64(body))
        except (binascii.Error, ValueError):
            return None
        return payload if isinstance(payload, dict) else None

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest()


def renewed_anonymous(session: Session | None, signer: SessionSigner, now: datetime) -> Session:
    """The anonymous session to show a login form with: the visitor's own while it lasts."""
    if session is not None and not session.is_signed_in and not session.expired(now):
        return session
    return signer.anonymous(now)


def without_user(session: Session) -> Session:
    return replace(session, user_id=None, email="", fingerprint="")


def local_path(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site (where to go after logging in), else `default`:
    never another host (`//evil.example`, `https://...`, `/\\evil.example`), never the API."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return default
    if target.startswith(("//", "/\\")) or "\\" in target:
        return default
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    if parts.path in {"/login", "/logout", "/api"} or parts.path.startswith(("/api/", "/static/")):
        return default
    return target


def _new_sid() -> str:
    return secrets.token_urlsafe(18)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
