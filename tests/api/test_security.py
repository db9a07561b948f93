"""Authentication: every protected route refuses a missing, malformed, forged or
expired token with 401; login answers alike for unknown e-mails and wrong passwords, throttles
guessing, and moves imported users from the original's PBKDF2 hashes to Argon2id; CORS and the
signing secret are configured safely."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import jwt
import pytest
from argon2 import PasswordHasher as Argon2
from pydantic import SecretStr, ValidationError

from billtrack.domain.model.user import User
from billtrack.domain.model.values import Email
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.http.app import create_app
from billtrack.entrypoints.secret import KNOWN_DEFAULTS, SECRET_FILE, InsecureSecret
from billtrack.entrypoints.settings import Settings
from tests.api.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    NOW,
    Api,
    api_settings,
    fast_hasher,
    reaching,
)
from tests.api.helpers import EVERY_ROUTE
from tests.fakes.clock import ManualClock

OTHER_SECRET = "another-secret-which-is-also-long-enough-for-hs256"
LEGACY_ITERATIONS = 1000  # the API fixture's hasher verifies legacy hashes with 1000 iterations


# --- helpers ---------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(
    header: dict[str, Any], claims: dict[str, Any], key: bytes | None, digest: str = "sha256"
) -> str:
    """A compact JWS built by hand, so any header can be sent."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64url(signature)}"


def secret_of(running_api: Api) -> bytes:
    secret = running_api.settings.jwt_secret
    assert secret is not None
    return secret.get_secret_value().encode()


def admin_id(running_api: Api) -> UUID:
    with running_api.application.new_uow() as uow:
        admin = uow.users.with_email(ADMIN_EMAIL)
    assert admin is not None
    return admin.id


def good_claims(running_api: Api) -> dict[str, Any]:
    now = int(running_api.clock.now().timestamp())
    return {"sub": str(admin_id(running_api)), "iat": now, "nbf": now, "exp": now + 24 * 3600}


def send(
    client: httpx.Client, method: str, path: str, body: Any, headers: dict[str, str]
) -> httpx.Response:
    return client.request(method, path, json=body, headers=headers)


def assert_unauthorized(response: httpx.Response, what: str) -> None:
    assert response.status_code == 401, (what, response.status_code, response.text)
    assert response.headers.get("WWW-Authenticate", "").split(" ")[0] == "Bearer", what
    assert response.headers["Content-Type"].startswith("application/problem+json"), what
    body = response.json()
    assert body["status"] == 401, what
    assert isinstance(body.get("title"), str), what
    assert isinstance(body.get("detail"), str), what
    assert isinstance(body.get("type"), str), what
    assert body.get("code") == 401, what
    assert response.headers.get("X-Request-Id"), what


def assert_every_route_refuses(running_api: Api, headers: dict[str, str], what: str) -> None:
    for method, path, body in EVERY_ROUTE:
        response = send(running_api.anonymous, method, path, body, headers)
        assert_unauthorized(response, f"{what}: {method} {path}")


def login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post("/login", json={"username": username, "password": password})


def legacy_hash(password: str, salt: bytes) -> str:
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, LEGACY_ITERATIONS, 32)
    return f"{salt.hex().upper()};{key.hex().upper()}"


# --- every protected route refuses bad credentials -------------------------------------------


def test_the_admins_token_opens_every_protected_route(running_api: Api) -> None:
    """The control for the tests below: with a valid token nothing answers 401."""
    for method, path, body in EVERY_ROUTE:
        response = send(running_api.client, method, path, body, {})
        assert response.status_code != 401, (method, path, response.text)
        assert response.status_code < 500, (method, path, response.text)


def test_no_token_is_refused_everywhere(running_api: Api) -> None:
    assert_every_route_refuses(running_api, {}, "no Authorization header")


MALFORMED_AUTHORIZATIONS = [
    "",
    "Bearer",
    "Basic YWRtaW5AZXhhbXBsZS5jb206Y29ycmVjdCBob3JzZQ==",
    "Token abc.def.ghi",
    "Bearer not-a-jwt",
    "Bearer a.b.c",
    "Bearer eyJhbGciOiJIUzI1NiJ9..",
    "Bearer  x",
    "Bearer a b c",
    "Bearerabc.def.ghi",
]


def test_a_malformed_authorization_header_is_refused_everywhere(running_api: Api) -> None:
    for authorization in MALFORMED_AUTHORIZATIONS:
        assert_every_route_refuses(
            running_api, {"Authorization": authorization}, repr(authorization)
        )


def test_the_valid_token_with_a_malformed_scheme_is_refused(running_api: Api) -> None:
    token = running_api.client.headers["Authorization"].removeprefix("Bearer ")
    for authorization in (token, f"Basic {token}", f"JWT {token}"):
        assert_every_route_refuses(running_api, {"Authorization": authorization}, authorization)


def test_the_scheme_name_is_case_insensitive(running_api: Api) -> None:
    token = running_api.client.headers["Authorization"].removeprefix("Bearer ")
    response = running_api.anonymous.get(
        "/departments", headers={"Authorization": f"bearer {token}"}
    )
    assert response.status_code == 200, response.text


def test_an_alg_none_token_is_refused_everywhere(running_api: Api) -> None:
    for alg in ("none", "None", "NONE"):
        token = compact({"alg": alg, "typ": "JWT"}, good_claims(running_api), None)
        assert_every_route_refuses(running_api, {"Authorization": f"Bearer {token}"}, alg)


def test_a_token_with_another_hmac_algorithm_and_the_right_secret_is_refused_everywhere(
    running_api: Api,
) -> None:
    for alg, digest in (("HS512", "sha512"), ("HS384", "sha384")):
        token = compact(
            {"alg": alg, "typ": "JWT"}, good_claims(running_api), secret_of(running_api), digest
        )
        assert_every_route_refuses(running_api, {"Authorization": f"Bearer {token}"}, alg)


def test_an_rs256_header_over_an_hmac_of_the_secret_is_refused_everywhere(running_api: Api) -> None:
    token = compact(
        {"alg": "RS256", "typ": "JWT"}, good_claims(running_api), secret_of(running_api)
    )
    assert_every_route_refuses(running_api, {"Authorization": f"Bearer {token}"}, "RS256")


def test_a_token_signed_with_another_key_is_refused_everywhere(running_api: Api) -> None:
    token = compact({"alg": "HS256", "typ": "JWT"}, good_claims(running_api), OTHER_SECRET.encode())
    assert_every_route_refuses(running_api, {"Authorization": f"Bearer {token}"}, "another key")


def test_a_hand_made_token_with_the_right_key_is_accepted(running_api: Api) -> None:
    """The control for the forged tokens: the same construction with HS256 and the secret works."""
    token = compact(
        {"alg": "HS256", "typ": "JWT"}, good_claims(running_api), secret_of(running_api)
    )
    response = running_api.anonymous.get(
        "/departments", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text


def test_an_expired_token_is_refused_everywhere(running_api: Api) -> None:
    token = running_api.client.headers["Authorization"]
    running_api.clock.advance(timedelta(hours=24, seconds=30))
    # Within the 60 s leeway it still works...
    assert (
        running_api.anonymous.get("/departments", headers={"Authorization": token}).status_code
        == 200
    )
    running_api.clock.advance(timedelta(seconds=31))
    # ...past it, nowhere.
    assert_every_route_refuses(running_api, {"Authorization": token}, "expired")


def test_a_token_without_exp_is_refused_everywhere(running_api: Api) -> None:
    claims = good_claims(running_api)
    del claims["exp"]
    token = compact({"alg": "HS256", "typ": "JWT"}, claims, secret_of(running_api))
    assert_every_route_refuses(running_api, {"Authorization": f"Bearer {token}"}, "no exp")


def test_a_token_not_valid_yet_is_refused_everywhere(running_api: Api) -> None:
    claims = good_claims(running_api)
    claims["nbf"] = claims["iat"] + 3600
    token = compact({"alg": "HS256", "typ": "JWT"}, claims, secret_of(running_api))
    assert_every_route_refuses(running_api, {"Authorization": f"Bearer {token}"}, "nbf future")


def test_a_tampered_token_is_refused_everywhere(running_api: Api) -> None:
    token = running_api.client.headers["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] += 365 * 24 * 3600
    forged = b64url(json.dumps(claims).encode())
    assert_every_route_refuses(
        running_api, {"Authorization": f"Bearer {header}.{forged}.{signature}"}, "tampered payload"
    )
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert_every_route_refuses(
        running_api, {"Authorization": f"Bearer {header}.{payload}.{flipped}"}, "tampered signature"
    )


def test_a_token_of_a_user_that_does_not_exist_is_refused_everywhere(running_api: Api) -> None:
    claims = good_claims(running_api)
    claims["sub"] = str(uuid4())
    token = compact({"alg": "HS256", "typ": "JWT"}, claims, secret_of(running_api))
    assert_every_route_refuses(running_api, {"Authorization": f"Bearer {token}"}, "unknown user")


def test_the_open_routes_need_no_token(running_api: Api) -> None:
    anonymous = running_api.anonymous
    assert anonymous.get("/health/live").status_code == 200
    assert anonymous.get("/health/ready").status_code == 200
    assert anonymous.get("/openapi.json").status_code == 200
    assert anonymous.get("/docs").status_code == 200


# --- login ------------------------------------------------------------------------------------


def test_login_answers_a_token_that_expires_24_hours_after_the_clock(running_api: Api) -> None:
    response = login(running_api.anonymous, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["jwtToken"]
    assert jwt.get_unverified_header(body["jwtToken"])["alg"] == "HS256"
    claims = jwt.decode(
        body["jwtToken"],
        secret_of(running_api),
        algorithms=["HS256"],
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )
    now = int(NOW.timestamp())
    assert claims["exp"] == now + 24 * 3600
    assert claims["iat"] == now
    assert claims["nbf"] == now
    assert claims["sub"] == str(admin_id(running_api))
    works = running_api.anonymous.get(
        "/departments", headers={"Authorization": f"Bearer {body['jwtToken']}"}
    )
    assert works.status_code == 200


def test_login_compares_e_mails_case_insensitively(running_api: Api) -> None:
    for username in ("ADMIN@EXAMPLE.COM", "Admin@Example.com", " admin@example.com "):
        response = login(running_api.anonymous, username, ADMIN_PASSWORD)
        assert response.status_code == 200, (username, response.text)
        assert "jwtToken" in response.json()


def test_the_password_is_compared_exactly(running_api: Api) -> None:
    for wrong in (ADMIN_PASSWORD.upper(), ADMIN_PASSWORD + " ", " " + ADMIN_PASSWORD, ""):
        response = login(running_api.anonymous, ADMIN_EMAIL, wrong)
        assert response.status_code in (400, 401), (wrong, response.text)


def test_a_wrong_password_and_an_unknown_e_mail_get_identical_answers(running_api: Api) -> None:
    wrong_password = login(running_api.anonymous, ADMIN_EMAIL, "not the password")
    unknown_email = login(running_api.anonymous, "nobody@example.com", "not the password")
    for response in (wrong_password, unknown_email):
        assert_unauthorized(response, "login")
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.content == unknown_email.content

    def visible(response: httpx.Response) -> dict[str, str]:
        skip = {"date", "x-request-id", "content-length"}
        return {k: v for k, v in response.headers.items() if k.lower() not in skip}

    assert visible(wrong_password) == visible(unknown_email)


def lock_out(anonymous: httpx.Client) -> list[int]:
    """Twenty wrong passwords for the admin's e-mail; answers their statuses."""
    return [login(anonymous, ADMIN_EMAIL, f"wrong password {n}").status_code for n in range(20)]


def test_ten_wrong_passwords_for_one_e_mail_lock_it(running_api: Api) -> None:
    anonymous = running_api.anonymous
    answers = lock_out(anonymous)
    # The contract: after 10 failures for one e-mail within 15 minutes, 429.
    assert answers[:10] == [401] * 10, answers
    assert answers[10:] == [429] * 10, answers
    refused = login(anonymous, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert refused.status_code == 429, "the right password must not get through a lockout"
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert refused.json()["status"] == 429
    retry_after = refused.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert int(retry_after) == 15 * 60  # the clock has not moved since the failures


def test_a_lockout_holds_for_every_spelling_of_the_e_mail_and_no_other_account(
    running_api: Api,
) -> None:
    anonymous = running_api.anonymous
    lock_out(anonymous)
    # Another spelling of the same address is the same account.
    assert login(anonymous, ADMIN_EMAIL.upper(), ADMIN_PASSWORD).status_code == 429
    # Other accounts are not locked by it.
    assert login(anonymous, "someone-else@example.com", "wrong").status_code == 401


def test_a_lockout_ends_with_its_window(running_api: Api) -> None:
    anonymous, clock = running_api.anonymous, running_api.clock
    lock_out(anonymous)
    clock.advance(timedelta(minutes=10))
    later = login(anonymous, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert later.status_code == 429
    assert int(later.headers["Retry-After"]) == 5 * 60

    clock.advance(timedelta(minutes=5, seconds=1))
    again = login(anonymous, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert again.status_code == 200, again.text
    assert "jwtToken" in again.json()


def test_a_successful_login_resets_the_count_for_the_e_mail(running_api: Api) -> None:
    anonymous = running_api.anonymous
    for n in range(9):
        assert login(anonymous, ADMIN_EMAIL, f"wrong {n}").status_code == 401
    assert login(anonymous, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 200
    for n in range(9):
        assert login(anonymous, ADMIN_EMAIL, f"wrong again {n}").status_code == 401
    assert login(anonymous, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 200


@pytest.mark.sockets  # the address is the connection's peer
def test_fifty_failures_from_one_address_lock_every_login_from_it(running_api: Api) -> None:
    anonymous, clock = running_api.anonymous, running_api.clock
    answers = [
        login(anonymous, f"guess{n}@example.com", "wrong password").status_code for n in range(50)
    ]
    assert answers == [401] * 50, answers
    blocked = login(anonymous, "guess-fifty-one@example.com", "wrong password")
    assert blocked.status_code == 429, blocked.text
    assert blocked.headers["Retry-After"].isdigit()
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    admin = login(anonymous, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert admin.status_code == 429, "the address is locked, whatever the account"

    clock.advance(timedelta(minutes=15, seconds=1))
    assert login(anonymous, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 200


def test_a_throttled_login_does_not_check_the_password(running_api: Api) -> None:
    """429 does not tell a right password from a wrong one."""
    anonymous = running_api.anonymous
    for n in range(10):
        login(anonymous, ADMIN_EMAIL, f"wrong {n}")
    right = login(anonymous, ADMIN_EMAIL, ADMIN_PASSWORD)
    wrong = login(anonymous, ADMIN_EMAIL, "still wrong")
    assert right.status_code == wrong.status_code == 429
    assert right.json() == wrong.json()


IMPORTED_PASSWORD = "imported users keep their password"
IMPORTED_HASH = legacy_hash(
    IMPORTED_PASSWORD, salt=bytes.fromhex("00112233445566778899aabbccddeeff")
)


def import_user(running_api: Api) -> User:
    """A user as imported from the original, with its PBKDF2 hash."""
    user = User(
        id=uuid4(),
        created_at=running_api.clock.now(),
        email=Email("Legacy.User@example.com"),
        password_hash=IMPORTED_HASH,
    )
    with running_api.application.new_uow() as uow:
        uow.users.add(user)
        uow.commit()
    return user


def test_a_failed_login_of_an_imported_user_keeps_the_originals_hash(running_api: Api) -> None:
    user = import_user(running_api)
    assert (
        login(running_api.anonymous, "legacy.user@example.com", "wrong password").status_code == 401
    )
    with running_api.application.new_uow() as uow:
        unchanged = uow.users.get(user.id)
    assert unchanged is not None
    assert unchanged.password_hash == IMPORTED_HASH, "a failed login must not rehash"


def test_a_user_imported_with_the_originals_hash_logs_in_and_moves_to_argon2id(
    running_api: Api,
) -> None:
    user = import_user(running_api)
    password = IMPORTED_PASSWORD
    response = login(running_api.anonymous, "legacy.user@example.com", password)
    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["jwtToken"], options={"verify_signature": False})
    assert claims["sub"] == str(user.id)

    with running_api.application.new_uow() as uow:
        rehashed = uow.users.get(user.id)
    assert rehashed is not None
    assert rehashed.password_hash.startswith("$argon2id$")
    assert running_api.application.hasher.verify(password, rehashed.password_hash)

    # And it keeps working with the new hash.
    assert login(running_api.anonymous, "LEGACY.USER@example.com", password).status_code == 200


def test_a_hash_made_with_former_argon2_parameters_is_rehashed_at_the_next_login(
    running_api: Api,
) -> None:
    """Hashes stored with the library's former defaults (m=64 MiB, t=3, p=4) keep working and
    take the current parameters at the next login."""
    password = "a password hashed before the parameters changed"
    former = Argon2(time_cost=3, memory_cost=65536, parallelism=4).hash(password)
    user = User(
        id=uuid4(),
        created_at=running_api.clock.now(),
        email=Email("former.params@example.com"),
        password_hash=former,
    )
    with running_api.application.new_uow() as uow:
        uow.users.add(user)
        uow.commit()
    hasher = running_api.application.hasher
    assert hasher.needs_rehash(former)

    assert login(running_api.anonymous, "former.params@example.com", password).status_code == 200
    with running_api.application.new_uow() as uow:
        rehashed = uow.users.get(user.id)
    assert rehashed is not None
    assert rehashed.password_hash != former
    assert not hasher.needs_rehash(rehashed.password_hash)
    assert hasher.verify(password, rehashed.password_hash)
    assert login(running_api.anonymous, "former.params@example.com", password).status_code == 200


# --- CORS --------------------------------------------------------------------------------------

ALLOWED_ORIGIN = "https://app.example.com"


@pytest.fixture
def cors_api(tmp_path: Path) -> Iterator[httpx.Client]:
    """A client without a token of the API allowing `ALLOWED_ORIGIN`."""
    settings = api_settings(tmp_path, cors_origins=ALLOWED_ORIGIN)
    application = bootstrap(settings, clock=ManualClock(NOW), hasher=fast_hasher())
    try:
        with reaching(create_app(settings, application)) as reach, reach.client() as client:
            yield client
    finally:
        application.close()


def header_set(value: str) -> set[str]:
    return {part.strip().lower() for part in value.split(",") if part.strip()}


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_a_preflight_from_an_allowed_origin_succeeds_without_auth(
    cors_api: httpx.Client, method: str
) -> None:
    response = cors_api.options(
        "/departments",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code in (200, 204), (method, response.text)
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert header_set(response.headers["Access-Control-Allow-Methods"]) >= {
        "get",
        "post",
        "put",
        "delete",
    }
    assert header_set(response.headers["Access-Control-Allow-Headers"]) >= {
        "authorization",
        "content-type",
    }


def test_an_allowed_origin_can_read_a_refusal(cors_api: httpx.Client) -> None:
    refused = cors_api.get("/departments", headers={"Origin": ALLOWED_ORIGIN})
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


def test_an_allowed_origin_can_read_a_failed_login_and_its_headers(cors_api: httpx.Client) -> None:
    created = cors_api.post(
        "/login",
        json={"username": ADMIN_EMAIL, "password": "wrong"},
        headers={"Origin": ALLOWED_ORIGIN},
    )
    # The browser may read why a login failed.
    assert created.status_code == 401
    assert created.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    exposed = header_set(created.headers.get("Access-Control-Expose-Headers", ""))
    assert {"location", "x-request-id", "retry-after"} <= exposed


def test_a_preflight_from_another_origin_gets_no_cors_headers(cors_api: httpx.Client) -> None:
    preflight = cors_api.options(
        "/departments",
        headers={
            "Origin": "https://evil.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert preflight.status_code >= 400 or "Access-Control-Allow-Methods" not in preflight.headers


def test_a_request_from_another_origin_gets_no_grant(cors_api: httpx.Client) -> None:
    simple = cors_api.get("/health/live", headers={"Origin": "https://evil.example.com"})
    assert simple.status_code == 200
    # Starlette sends Access-Control-Expose-Headers to every origin; harmless without an
    # Access-Control-Allow-Origin, which is what lets a browser read the answer.
    granting = {
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
    }
    assert not [h for h in simple.headers if h.lower() in granting]


def test_a_preflight_for_a_method_outside_the_contract_is_refused(cors_api: httpx.Client) -> None:
    response = cors_api.options(
        "/departments",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "PATCH"},
    )
    assert response.status_code >= 400
    assert "patch" not in header_set(response.headers.get("Access-Control-Allow-Methods", ""))


def test_without_configured_origins_there_are_no_cors_headers(running_api: Api) -> None:
    response = running_api.anonymous.options(
        "/departments",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    simple = running_api.anonymous.get("/health/live", headers={"Origin": ALLOWED_ORIGIN})
    assert "Access-Control-Allow-Origin" not in simple.headers


# --- the signing secret ------------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["short", "", "x" * 31, "é" * 15])
def test_a_short_secret_is_refused(tmp_path: Path, secret: str) -> None:
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(data_dir=tmp_path, jwt_secret=SecretStr(secret))


@pytest.mark.parametrize("secret", sorted(s for s in KNOWN_DEFAULTS if len(s.encode()) >= 32))
def test_a_known_default_secret_is_refused(tmp_path: Path, secret: str) -> None:
    for variant in (secret, secret.upper(), f"  {secret}  "):
        with pytest.raises(ValidationError, match="well-known"):
            Settings(data_dir=tmp_path, jwt_secret=SecretStr(variant))


def test_a_short_secret_from_the_environment_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BILLTRACK_JWT_SECRET", "short")
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path)


def test_an_insecure_secret_in_the_data_folder_refuses_to_start(tmp_path: Path) -> None:
    (tmp_path / SECRET_FILE).write_text("your-256-bit-secret\n")
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(InsecureSecret):
        create_app(settings, bootstrap(settings))


def test_a_generated_secret_is_strong_and_kept(tmp_path: Path) -> None:
    """The first start generates the secret into the data folder, readable by its owner only;
    the next start signs and verifies with the same one."""
    user_id = uuid4()
    first = bootstrap(Settings(data_dir=tmp_path))
    try:
        token = first.tokens.issue(user_id)
    finally:
        first.close()
    secret = (tmp_path / SECRET_FILE).read_text().strip()
    assert len(secret.encode()) >= 32
    assert (tmp_path / SECRET_FILE).stat().st_mode & 0o077 == 0
    assert jwt.decode(token, secret, algorithms=["HS256"])["sub"] == str(user_id)
    settings = Settings(data_dir=tmp_path)
    assert settings.signing_secret() == secret
    second = bootstrap(settings)
    try:
        assert second.tokens.verify(token) == user_id
    finally:
        second.close()
