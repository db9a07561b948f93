"""The session cookie and the CSRF token, without a browser: what the cookie carries and how it
is set (HttpOnly, SameSite, Secure and `__Host-` over HTTPS), that a forged, tampered or expired
one opens nothing, where a login may send the browser, and that the API never takes the cookie."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from pydantic import SecretStr

from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.http.app import create_app
from billtrack.entrypoints.settings import Settings
from billtrack.entrypoints.web.sessions import Session, SessionSigner, local_path
from tests.fakes.clock import ManualClock
from tests.fakes.security import FastPasswordHasher
from tests.support.server import in_process
from tests.support.statements import database_traffic
from tests.web.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, NOW, SECRET

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@contextmanager
def client(tmp_path: Path, origin: str = "http://127.0.0.1") -> Iterator[httpx.Client]:
    settings = Settings(
        data_dir=tmp_path, jwt_secret=SecretStr(SECRET), pdf_renderer="builtin", public_url=origin
    )
    application = bootstrap(settings, clock=ManualClock(NOW), hasher=FastPasswordHasher())
    try:
        application.add_user(ADMIN_EMAIL, ADMIN_PASSWORD)
        with (
            in_process(create_app(settings, application)) as transport,
            httpx.Client(base_url=origin, transport=transport) as browser,
        ):
            yield browser
    finally:
        application.close()


def log_in(browser: httpx.Client) -> httpx.Response:
    page = browser.get("/login")
    token = CSRF.search(page.text)
    assert token, page.text
    form = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token[1], "next": "/"}
    return browser.post("/login", data=form)


def test_over_http_the_cookie_is_httponly_and_samesite(tmp_path: Path) -> None:
    with client(tmp_path) as browser:
        answer = log_in(browser)
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith("billtrack_session=")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Path=/" in cookie
        assert "Max-Age=28800" in cookie  # eight hours
        assert "Secure" not in cookie
        assert browser.get("/").status_code == 200


def test_over_https_the_cookie_is_secure_and_host_only(tmp_path: Path) -> None:
    with client(tmp_path, "https://billtrack.example") as browser:
        cookie = log_in(browser).headers["set-cookie"]
        assert cookie.startswith("__Host-billtrack_session=")
        assert "Secure" in cookie
        assert "Domain" not in cookie
        assert browser.get("/").status_code == 200


def test_the_api_does_not_take_the_cookie(tmp_path: Path) -> None:
    with client(tmp_path) as browser:
        log_in(browser)
        answer = browser.get("/api/employees")
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"


def test_pages_carry_their_security_headers(tmp_path: Path) -> None:
    with client(tmp_path) as browser:
        page = browser.get("/login")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["content-type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize("change", ["tamper", "other key", "expired", "anonymous"])
def test_a_forged_tampered_or_expired_cookie_opens_nothing(tmp_path: Path, change: str) -> None:
    with client(tmp_path) as browser:
        log_in(browser)
        real = browser.cookies["billtrack_session"]
        signer = SessionSigner(SECRET)
        session = signer.loads(real)
        assert session is not None
        assert session.is_signed_in
        forged = {
            "tamper": real[:-2] + ("AA" if not real.endswith("AA") else "BB"),
            "other key": SessionSigner("another-secret-that-is-long-enough-for-hs256").dumps(
                session
            ),
            "expired": signer.dumps(
                Session(
                    session.sid,
                    int((NOW - timedelta(seconds=1)).timestamp()),
                    session.user_id,
                    session.email,
                    session.fingerprint,
                )
            ),
            "anonymous": signer.dumps(Session(session.sid, session.expires)),
        }[change]
        browser.cookies.clear()
        browser.cookies.set("billtrack_session", forged)
        answer = browser.get("/employees?q=a")
        assert answer.status_code == 303
        expected = "/login?next=%2Femployees%3Fq%3Da"
        expected += "&expired=1" if change == "expired" else ""
        assert answer.headers["location"] == expected


def test_a_session_is_not_a_flash_message_nor_the_other_way_round() -> None:
    signer = SessionSigner(SECRET)
    assert signer.loads(signer.flash("Saved.")) is None
    session = signer.anonymous(NOW)
    assert signer.read_flash(signer.dumps(session)) is None
    assert signer.loads(signer.dumps(session)) == session


def test_a_logged_out_session_stays_out() -> None:
    signer = SessionSigner(SECRET)
    session = signer.signed_in(NOW, user_id=uuid4(), email=ADMIN_EMAIL, password_hash="h")
    cookie = signer.dumps(session)
    signer.revoke(session, NOW)
    assert signer.loads(cookie) is None


def test_csrf_tokens_belong_to_their_session() -> None:
    signer = SessionSigner(SECRET)
    one, other = signer.anonymous(NOW), signer.anonymous(NOW)
    assert signer.csrf_matches(one, signer.csrf_token(one))
    assert not signer.csrf_matches(one, signer.csrf_token(other))
    assert not signer.csrf_matches(one, "")
    assert not signer.csrf_matches(None, signer.csrf_token(one))


@pytest.mark.parametrize(
    ("target", "followed"),
    [
        ("/invoices?period=2024-10", "/invoices?period=2024-10"),
        ("/employees/1/timesheet/2024-10", "/employees/1/timesheet/2024-10"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/%0d%0aSet-Cookie:x", "/%0d%0aSet-Cookie:x"),  # encoded: a path, harmless
        ("/\r\nSet-Cookie: x", "/"),
        ("javascript:alert(1)", "/"),
        ("/api/employees", "/"),
        ("/login", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_after_logging_in_only_local_pages_are_followed(target: str | None, followed: str) -> None:
    assert local_path(target) == followed


@pytest.mark.parametrize("page", ["/", "/employees", "/invoices", "/departments"])
def test_a_page_and_its_users_check_share_one_transaction(tmp_path: Path, page: str) -> None:
    with client(tmp_path) as browser:
        log_in(browser)
        with database_traffic() as traffic:
            answer = browser.get(page)
    assert answer.status_code == 200, answer.text
    assert (traffic.checkouts, traffic.transactions) == (1, 1)
