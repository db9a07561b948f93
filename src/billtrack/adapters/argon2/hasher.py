"""Argon2id hashes, which also verifies the original BillTrack's stored format, so imported users
keep their passwords and move to Argon2id at their next login.

The original stored `HEXSALT;HEXHASH`: PBKDF2-HMAC-SHA512, 300,000 iterations, a 32-byte key.
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

LEGACY_ITERATIONS = 300_000
LEGACY_KEY_BYTES = 32


def verify_legacy(password: str, stored_hash: str, iterations: int = LEGACY_ITERATIONS) -> bool:
    salt_hex, separator, key_hex = stored_hash.partition(";")
    if not separator:
        return False
    try:
        salt, key = bytes.fromhex(salt_hex), bytes.fromhex(key_hex)
    except ValueError:
        return False
    if not salt or len(key) != LEGACY_KEY_BYTES:
        return False
    derived = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, LEGACY_KEY_BYTES)
    return hmac.compare_digest(derived, key)


class Argon2PasswordHasher:
    def __init__(self, argon2: Argon2 | None = None, legacy_iterations: int = LEGACY_ITERATIONS):
        # The library's defaults follow RFC 9106's second recommended option (64 MiB, 3 passes).
        self._argon2 = argon2 or Argon2()
        self._legacy_iterations = legacy_iterations

    def hash(self, password: str, /) -> str:
        return self._argon2.hash(password)

    def verify(self, password: str, stored_hash: str, /) -> bool:
        if stored_hash.startswith("$argon2"):
            try:
                return self._argon2.verify(stored_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False
        return verify_legacy(password, stored_hash, self._legacy_iterations)

    def needs_rehash(self, stored_hash: str, /) -> bool:
        if not stored_hash.startswith("$argon2"):
            return True
        try:
            return self._argon2.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True
