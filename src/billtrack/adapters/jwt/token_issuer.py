"""HS256 tokens with `sub`, `iat`, `nbf` and `exp`; anything else is refused: another algorithm
(`none` among them), another key, a missing or past `exp`, a tampered payload."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID

import jwt

from billtrack.domain.model.errors import AuthenticationFailed

ALGORITHM = "HS256"
LEEWAY = timedelta(seconds=60)


class JwtTokenIssuer:
    def __init__(
        self,
        secret: str,
        *,
        now: Callable[[], datetime],
        lifetime: timedelta = timedelta(hours=24),
    ) -> None:
        # The key is the secret's UTF-8 bytes, as the original's, so its tokens stay valid.
        self._key = secret.encode()
        if len(self._key) < 32:
            raise ValueError("the token secret must be at least 32 bytes")
        self._now = now
        self._lifetime = lifetime

    def issue(self, user_id: UUID, /) -> str:
        now = int(self._now().timestamp())
        claims = {
            "sub": str(user_id),
            "iat": now,
            "nbf": now,
            "exp": now + int(self._lifetime.total_seconds()),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str, /) -> UUID:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                # Times are checked below against the injected clock, not the system's.
                options={
                    "require": ["sub", "exp"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
            now, leeway = self._now().timestamp(), LEEWAY.total_seconds()
            expires, not_before = claims["exp"], claims.get("nbf", 0)
            if not isinstance(expires, int | float) or not isinstance(not_before, int | float):
                raise AuthenticationFailed("the token's times are not numbers")
            if now > expires + leeway:
                raise AuthenticationFailed("the token has expired")
            if now + leeway < not_before:
                raise AuthenticationFailed("the token is not valid yet")
            return UUID(claims["sub"])
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise AuthenticationFailed("invalid token") from error
