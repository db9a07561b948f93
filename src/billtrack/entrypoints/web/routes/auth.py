"""Logging in and out."""

from __future__ import annotations

from fastapi import APIRouter, Response

from billtrack.domain.model.errors import AuthenticationFailed
from billtrack.entrypoints.http.throttle import LoginThrottle
from billtrack.entrypoints.web.pages import Anyone, PageRoute, PostedForm, signed_in_user
from billtrack.entrypoints.web.sessions import local_path, renewed_anonymous

router = APIRouter(route_class=PageRoute, include_in_schema=False)
WRONG_CREDENTIALS = "The e-mail address or the password is not right."


def _login_page(
    visit: Anyone,
    *,
    next_path: str,
    email: str = "",
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    now = visit.app.clock.now()
    session = renewed_anonymous(visit.session, visit.web.signer, now)
    if session is not visit.session:
        visit.new_session = session
    return visit.render(
        "login.html",
        {"next": next_path, "email": email, "error": error, "notice": notice},
        status=status,
        headers=headers,
    )


@router.get("/login")
def login_page(visit: Anyone, next: str | None = None, expired: str | None = None) -> Response:
    target = local_path(next)
    session = visit.session
    if (
        session is not None
        and session.is_signed_in
        and not session.expired(visit.app.clock.now())
        and signed_in_user(visit.app, session, visit.web.signer) is not None
    ):
        return visit.redirect(target)
    notice = "Your session has ended. Please log in again." if expired else None
    return _login_page(visit, next_path=target, notice=notice)


@router.post("/login")
def log_in(visit: Anyone, form: PostedForm) -> Response:
    email, password = form.text("email"), form.get("password")
    target = local_path(form.get("next"))
    throttle: LoginThrottle = visit.request.app.state.login_throttle
    address = visit.request.client.host if visit.request.client else "unknown"
    wait = throttle.retry_after(email, address)
    if wait:
        minutes = max(1, round(wait / 60))
        return _login_page(
            visit,
            next_path=target,
            email=email,
            error=f"Too many failed logins. Please try again in {minutes} minute"
            + ("s." if minutes != 1 else "."),
            status=429,
            headers={"Retry-After": str(wait)},
        )
    if not email or not password:
        return _login_page(
            visit,
            next_path=target,
            email=email,
            error="Enter your e-mail address and your password.",
            status=400,
        )
    try:
        token = visit.app.log_in(email, password)
        user = visit.app.authenticate(token)
    except AuthenticationFailed:
        throttle.failed(email, address)
        return _login_page(
            visit, next_path=target, email=email, error=WRONG_CREDENTIALS, status=400
        )
    throttle.succeeded(email)
    visit.new_session = visit.web.signer.signed_in(
        visit.app.clock.now(),
        user_id=user.id,
        email=user.email.value,
        password_hash=user.password_hash,
    )
    return visit.redirect(target)


@router.post("/logout")
def log_out(visit: Anyone, form: PostedForm) -> Response:
    del form  # read for its CSRF token: nobody is logged out by another site
    if visit.session is not None:
        visit.web.signer.revoke(visit.session, visit.app.clock.now())
    visit.end_session = True
    return visit.redirect("/login", flash="You have logged out.")
