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

# OWASP's Password Storage Cheat Sheet lists argon2id configurations of equal strength, trading
# memory for passes; this is its smallest-memory one (m=19 MiB, t=2, p=1). The library's default
# (RFC 9106's low-memory option, m=64 MiB, t=3, p=4) allocates 64 MiB for every verify in flight,
# so eight concurrent logins took 512 MiB for a moment and raised the server's peak by 64 MiB
# per login thread; 19 MiB keeps a login within the memory goal at the strength OWASP recommends.
# Hashes made with the old parameters carry them in their string, so they still verify, and
# `needs_rehash` answers True for them: `log_in` replaces them at the user's next login.
MEMORY_COST_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1


def owasp_argon2() -> Argon2:
    """Argon2id with OWASP's recommended parameters (m=19 MiB, t=2, p=1)."""
    return Argon2(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM)


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
        self._argon2 = argon2 or owasp_argon2()
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
