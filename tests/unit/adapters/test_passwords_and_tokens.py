"""Passwords are hashed with Argon2id and the original's PBKDF2 format still verifies; tokens are
HS256 JWTs with sub, iat, nbf and exp, and anything else is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import jwt
import pytest
from argon2 import PasswordHasher as Argon2
from argon2 import extract_parameters
from tests.fakes.clock import ManualClock

from billtrack.adapters.argon2.hasher import Argon2PasswordHasher
from billtrack.adapters.jwt.token_issuer import JwtTokenIssuer
from billtrack.domain.model.errors import AuthenticationFailed

NOW = datetime(2024, 11, 15, 12, 0, tzinfo=UTC)
SECRET = "a-unit-test-secret-that-is-long-enough-for-hs256"
OTHER_SECRET = "another-secret-which-is-also-long-enough-for-hs256"
LEGACY_ITERATIONS = 1000
PASSWORD = "correct horse battery staple"


# --- passwords -------------------------------------------------------------------------------


@pytest.fixture
def hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(
        Argon2(time_cost=1, memory_cost=8, parallelism=1), legacy_iterations=LEGACY_ITERATIONS
    )


def legacy_hash(password: str, salt: bytes = bytes(range(16))) -> str:
    """The original BillTrack's stored format: HEXSALT;HEXHASH (PBKDF2-HMAC-SHA512, 32 bytes)."""
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, LEGACY_ITERATIONS, 32)
    return f"{salt.hex().upper()};{key.hex().upper()}"


def test_passwords_are_hashed_with_argon2id(hasher: Argon2PasswordHasher) -> None:
    stored = hasher.hash(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert hasher.hash(PASSWORD) != stored  # salted


def test_an_argon2_hash_verifies_the_right_password_only(hasher: Argon2PasswordHasher) -> None:
    stored = hasher.hash(PASSWORD)
    assert hasher.verify(PASSWORD, stored) is True
    assert hasher.verify(PASSWORD + "!", stored) is False
    assert hasher.verify("", stored) is False
    assert hasher.verify(PASSWORD.upper(), stored) is False


def test_a_fresh_argon2_hash_needs_no_rehash(hasher: Argon2PasswordHasher) -> None:
    assert hasher.needs_rehash(hasher.hash(PASSWORD)) is False


def test_a_hash_made_with_weaker_argon2_parameters_needs_a_rehash(
    hasher: Argon2PasswordHasher,
) -> None:
    weaker = Argon2(time_cost=1, memory_cost=8, parallelism=1, hash_len=16).hash(PASSWORD)
    assert hasher.verify(PASSWORD, weaker) is True
    assert hasher.needs_rehash(weaker) is True


def test_the_production_hasher_uses_owasps_argon2id_parameters() -> None:
    stored = Argon2PasswordHasher().hash(PASSWORD)
    assert extract_parameters(stored) == extract_parameters(
        Argon2(time_cost=2, memory_cost=19456, parallelism=1).hash(PASSWORD)
    )
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_hash_made_with_the_former_64_mib_parameters_verifies_and_needs_a_rehash() -> None:
    production = Argon2PasswordHasher()
    # Hashes stored before the change were made with the library's defaults (m=64 MiB, t=3, p=4).
    former = Argon2(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)
    assert former.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert production.verify(PASSWORD, former) is True
    assert production.verify(PASSWORD + "!", former) is False
    assert production.needs_rehash(former) is True
    assert production.needs_rehash(production.hash(PASSWORD)) is False


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        ";",
        "$argon2id$",
        "$argon2id$v=19$m=8,t=1,p=1$bm90YmFzZTY0$!!!",
        "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
        "$argon2i$nonsense",
        "$2b$12$abcdefghijklmnopqrstuu9zJ8cJ5bYjzYbWmU3O9V2kHq7xg5y2e",
        "not a hash at all",
        "zz;zz",
        "00;",
        ";" + "00" * 32,
        "0011;" + "00" * 31,
        "0011;" + "00" * 33,
        "0011;" + "00" * 32 + ";extra",
        "\x00\xff",
        "é;é",
    ],
)
def test_a_garbage_hash_never_verifies_and_never_raises(
    hasher: Argon2PasswordHasher, garbage: str
) -> None:
    assert hasher.verify(PASSWORD, garbage) is False
    assert hasher.verify("", garbage) is False
    assert hasher.needs_rehash(garbage) is True


def test_the_originals_legacy_format_verifies(hasher: Argon2PasswordHasher) -> None:
    stored = legacy_hash(PASSWORD)
    assert hasher.verify(PASSWORD, stored) is True
    assert hasher.verify(PASSWORD.lower(), stored.lower()) is True  # hex in any case
    assert hasher.verify(PASSWORD + "!", stored) is False
    assert hasher.verify("", stored) is False


def test_a_legacy_hash_with_another_salt_does_not_verify(hasher: Argon2PasswordHasher) -> None:
    stored = legacy_hash(PASSWORD)
    _, key_hex = stored.split(";")
    assert hasher.verify(PASSWORD, f"{bytes(16).hex()};{key_hex}") is False


def test_a_legacy_hash_needs_a_rehash(hasher: Argon2PasswordHasher) -> None:
    assert hasher.needs_rehash(legacy_hash(PASSWORD)) is True


def test_legacy_hashes_use_the_originals_iteration_count_by_default() -> None:
    production = Argon2PasswordHasher(Argon2(time_cost=1, memory_cost=8, parallelism=1))
    # Made with 1000 iterations, so the production hasher (300,000 iterations) refuses it.
    assert production.verify(PASSWORD, legacy_hash(PASSWORD)) is False


# --- tokens ----------------------------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def issuer(clock: ManualClock) -> JwtTokenIssuer:
    return JwtTokenIssuer(SECRET, now=clock.now)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(
    header: dict[str, Any], claims: dict[str, Any], key: bytes | None, digest: str = "sha256"
) -> str:
    """A compact JWS built by hand, so any header (alg none, RS256, ...) can be sent."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64url(signature)}"


def claims_at(
    now: datetime, user_id: UUID, lifetime: timedelta = timedelta(hours=24)
) -> dict[str, Any]:
    stamp = int(now.timestamp())
    return {
        "sub": str(user_id),
        "iat": stamp,
        "nbf": stamp,
        "exp": stamp + int(lifetime.total_seconds()),
    }


def test_a_token_is_hs256_with_sub_iat_nbf_and_exp(issuer: JwtTokenIssuer) -> None:
    user_id = uuid4()
    token = issuer.issue(user_id)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"
    claims = jwt.decode(
        token,
        SECRET.encode(),
        algorithms=["HS256"],
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )
    stamp = int(NOW.timestamp())
    assert claims == {
        "sub": str(user_id),
        "iat": stamp,
        "nbf": stamp,
        "exp": stamp + 24 * 3600,
    }


def test_the_hmac_key_is_the_secrets_utf8_bytes(issuer: JwtTokenIssuer) -> None:
    user_id = uuid4()
    token = compact({"alg": "HS256", "typ": "JWT"}, claims_at(NOW, user_id), SECRET.encode())
    assert issuer.verify(token) == user_id


def test_the_lifetime_comes_from_the_constructor(clock: ManualClock) -> None:
    issuer = JwtTokenIssuer(SECRET, now=clock.now, lifetime=timedelta(minutes=5))
    claims = jwt.decode(
        issuer.issue(uuid4()), options={"verify_signature": False}, algorithms=["HS256"]
    )
    assert claims["exp"] - claims["iat"] == 300


def test_verify_answers_the_user_id(issuer: JwtTokenIssuer) -> None:
    user_id = uuid4()
    assert issuer.verify(issuer.issue(user_id)) == user_id


def test_a_token_is_accepted_within_the_leeway_after_exp(
    issuer: JwtTokenIssuer, clock: ManualClock
) -> None:
    user_id = uuid4()
    token = issuer.issue(user_id)
    clock.advance(timedelta(hours=24, seconds=30))
    assert issuer.verify(token) == user_id
    clock.advance(timedelta(seconds=30))  # exactly exp + 60 s
    assert issuer.verify(token) == user_id


def test_an_expired_token_is_refused_past_the_leeway(
    issuer: JwtTokenIssuer, clock: ManualClock
) -> None:
    token = issuer.issue(uuid4())
    clock.advance(timedelta(hours=24, seconds=61))
    with pytest.raises(AuthenticationFailed):
        issuer.verify(token)


def test_expiry_follows_the_injected_clock_not_the_system_clock(clock: ManualClock) -> None:
    # Issued in 2024: by the system clock it expired long ago; by the injected clock it is fresh.
    issuer = JwtTokenIssuer(SECRET, now=clock.now)
    user_id = uuid4()
    assert issuer.verify(issuer.issue(user_id)) == user_id


def test_a_token_not_valid_yet_is_refused_beyond_the_leeway(issuer: JwtTokenIssuer) -> None:
    user_id = uuid4()
    early = claims_at(NOW, user_id)
    early["nbf"] = int(NOW.timestamp()) + 120
    with pytest.raises(AuthenticationFailed):
        issuer.verify(compact({"alg": "HS256", "typ": "JWT"}, early, SECRET.encode()))
    within = claims_at(NOW, user_id)
    within["nbf"] = int(NOW.timestamp()) + 30
    assert (
        issuer.verify(compact({"alg": "HS256", "typ": "JWT"}, within, SECRET.encode())) == user_id
    )


def test_a_token_without_exp_is_refused(issuer: JwtTokenIssuer) -> None:
    claims = claims_at(NOW, uuid4())
    del claims["exp"]
    with pytest.raises(AuthenticationFailed):
        issuer.verify(compact({"alg": "HS256", "typ": "JWT"}, claims, SECRET.encode()))


def test_a_token_without_sub_or_with_a_bad_sub_is_refused(issuer: JwtTokenIssuer) -> None:
    claims = claims_at(NOW, uuid4())
    del claims["sub"]
    with pytest.raises(AuthenticationFailed):
        issuer.verify(compact({"alg": "HS256", "typ": "JWT"}, claims, SECRET.encode()))
    claims["sub"] = "not-a-uuid"
    with pytest.raises(AuthenticationFailed):
        issuer.verify(compact({"alg": "HS256", "typ": "JWT"}, claims, SECRET.encode()))


def test_non_numeric_times_are_refused(issuer: JwtTokenIssuer) -> None:
    claims = claims_at(NOW, uuid4())
    claims["exp"] = "tomorrow"
    with pytest.raises(AuthenticationFailed):
        issuer.verify(compact({"alg": "HS256", "typ": "JWT"}, claims, SECRET.encode()))


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(issuer: JwtTokenIssuer, alg: str) -> None:
    token = compact({"alg": alg, "typ": "JWT"}, claims_at(NOW, uuid4()), None)
    with pytest.raises(AuthenticationFailed):
        issuer.verify(token)
    with pytest.raises(AuthenticationFailed):
        issuer.verify(token.rsplit(".", 1)[0] + ".")


@pytest.mark.parametrize(("alg", "digest"), [("HS512", "sha512"), ("HS384", "sha384")])
def test_other_hmac_algorithms_are_refused_even_with_the_right_key(
    issuer: JwtTokenIssuer, alg: str, digest: str
) -> None:
    token = compact({"alg": alg, "typ": "JWT"}, claims_at(NOW, uuid4()), SECRET.encode(), digest)
    with pytest.raises(AuthenticationFailed):
        issuer.verify(token)


def test_an_rs256_header_is_refused(issuer: JwtTokenIssuer) -> None:
    # Algorithm confusion: an RS256 header over an HMAC made with the shared secret.
    token = compact({"alg": "RS256", "typ": "JWT"}, claims_at(NOW, uuid4()), SECRET.encode())
    with pytest.raises(AuthenticationFailed):
        issuer.verify(token)


def test_a_token_signed_with_another_key_is_refused(
    issuer: JwtTokenIssuer, clock: ManualClock
) -> None:
    other = JwtTokenIssuer(OTHER_SECRET, now=clock.now)
    with pytest.raises(AuthenticationFailed):
        issuer.verify(other.issue(uuid4()))


def test_a_tampered_payload_is_refused(issuer: JwtTokenIssuer) -> None:
    header, _, signature = issuer.issue(uuid4()).split(".")
    forged = b64url(json.dumps(claims_at(NOW, uuid4())).encode())
    with pytest.raises(AuthenticationFailed):
        issuer.verify(f"{header}.{forged}.{signature}")


def test_a_tampered_signature_is_refused(issuer: JwtTokenIssuer) -> None:
    header, payload, signature = issuer.issue(uuid4()).split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    with pytest.raises(AuthenticationFailed):
        issuer.verify(f"{header}.{payload}.{flipped}")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "garbage",
        "a.b.c",
        "...",
        "eyJhbGciOiJIUzI1NiJ9",
        "eyJhbGciOiJIUzI1NiJ9..",
        "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln",
        "Bearer x",
        "\x00\xff",
    ],
)
def test_garbage_is_refused(issuer: JwtTokenIssuer, garbage: str) -> None:
    with pytest.raises(AuthenticationFailed):
        issuer.verify(garbage)


@pytest.mark.parametrize("secret", ["", "short", "x" * 31, "é" * 15])
def test_a_secret_shorter_than_32_bytes_is_refused(clock: ManualClock, secret: str) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        JwtTokenIssuer(secret, now=clock.now)


def test_a_secret_of_32_bytes_is_accepted(clock: ManualClock) -> None:
    # 16 two-byte characters: 32 UTF-8 bytes.
    issuer = JwtTokenIssuer("é" * 16, now=clock.now)
    user_id = uuid4()
    assert issuer.verify(issuer.issue(user_id)) == user_id
