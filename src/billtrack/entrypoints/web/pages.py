"""What every page shares: the visit (session, user, CSRF token, flash message), rendering a
template with the security headers, posted forms, and errors as pages rather than problems.

The routes of the web interface are `PageRoute`s: whatever a page lets out (a domain error, a
session that ended, a form without its CSRF token, a dependency that is down) becomes an HTML
page here, never the API's application/problem+json.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit
from uuid import UUID

import jinja2
from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from billtrack.domain.model.errors import DomainError, ErrorKind, NotFound, ValidationFailed
from billtrack.domain.model.user import User
from billtrack.domain.usecases.application import Application
from billtrack.entrypoints.http.dependencies import AppDep, StandaloneAppDep
from billtrack.entrypoints.settings import Settings
from billtrack.entrypoints.web.sessions import (
    COOKIE,
    FLASH_COOKIE,
    SECURE_COOKIE,
    Session,
    SessionSigner,
    local_path,
)
from billtrack.ports.errors import DependencyUnavailable

log = logging.getLogger(__name__)
ResponseT = TypeVar("ResponseT", bound=Response)
MAX_FORM_BYTES = 256 * 1024
CSRF_FIELD = "csrf_token"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'self'; frame-src 'self'; frame-ancestors {ancestors}; form-action 'self'; "
    "base-uri 'none'"
)


@dataclass(frozen=True)
class WebState:
    """The interface's parts, built once per app by `install_web`."""

    settings: Settings
    signer: SessionSigner
    templates: jinja2.Environment


class LoginRequired(Exception):
    def __init__(self, *, ended: bool) -> None:
        super().__init__("a signed-in session is required")
        self.ended = ended
        """True when a session existed and has expired or ended."""


class CsrfRejected(Exception):
    pass


class PageError(Exception):
    """A page that cannot be shown, with the status and the sentence to show instead."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def is_secure(request: Request, settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.public_url.lower().startswith("https://")


def cookie_name(request: Request, settings: Settings) -> str:
    return SECURE_COOKIE if is_secure(request, settings) else COOKIE


def read_session(request: Request) -> Session | None:
    web = web_state(request)
    return web.signer.loads(request.cookies.get(cookie_name(request, web.settings)))


@dataclass
class Visit:
    """One request to a page: who asks, and what the answer must carry back (cookies)."""

    request: Request
    app: Application
    web: WebState
    session: Session | None
    user: User | None = None
    flash: str | None = None
    new_session: Session | None = None
    """A session to write into the cookie with the answer."""
    end_session: bool = False
    _outgoing_flash: str | None = field(default=None, repr=False)

    @property
    def csrf_token(self) -> str:
        session = self.new_session or self.session
        return self.web.signer.csrf_token(session) if session is not None else ""

    @property
    def path(self) -> str:
        return self.request.url.path

    def url_with(self, **changes: object) -> str:
        """This page's URL with some query parameters changed (None removes one)."""
        params = dict(self.request.query_params)
        for name, value in changes.items():
            if value is None or value == "":
                params.pop(name, None)
            else:
                params[name] = str(value)
        return self.path + (f"?{urlencode(params)}" if params else "")

    def render(
        self,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        html = self.web.templates.get_template(template).render(
            {"visit": self, "user": self.user, "csrf_token": self.csrf_token, **(context or {})}
        )
        response = HTMLResponse(html, status_code=status, headers=dict(headers or {}))
        return self.finish(response)

    def redirect(self, url: str, *, flash: str | None = None) -> RedirectResponse:
        """See Other: the answer to a posted form, so reloading does not post it again."""
        self._outgoing_flash = flash
        return self.finish(RedirectResponse(url, status_code=303))

    def finish(self, response: ResponseT) -> ResponseT:
        """`response` with the cookies this visit changed."""
        settings = self.web.settings
        secure = is_secure(self.request, settings)
        name = cookie_name(self.request, settings)
        if self.end_session:
            response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")
        elif self.new_session is not None:
            response.set_cookie(
                name,
                self.web.signer.dumps(self.new_session),
                max_age=max(0, self.new_session.expires - int(self.app.clock.now().timestamp())),
                path="/",
                secure=secure,
                httponly=True,
                samesite="lax",
            )
        if self._outgoing_flash:
            response.set_cookie(
                FLASH_COOKIE,
                self.web.signer.flash(self._outgoing_flash),
                max_age=120,
                path="/",
                secure=secure,
                httponly=True,
                samesite="lax",
            )
        elif self.flash is not None:
            response.delete_cookie(FLASH_COOKIE, path="/", secure=secure, httponly=True)
        return response


def _visit(request: Request, app: Application) -> Visit:
    web = web_state(request)
    return Visit(
        request=request,
        app=app,
        web=web,
        session=read_session(request),
        flash=web.signer.read_flash(request.cookies.get(FLASH_COOKIE)),
    )


def anyone(request: Request, app: StandaloneAppDep) -> Visit:
    """A visit by someone who may not be signed in (the login page: the password's hash takes
    its time outside any transaction that writes)."""
    return _visit(request, app)


def signed_in(request: Request, app: AppDep) -> Visit:
    """A visit by a signed-in user whose session is still valid; else `LoginRequired`. The
    user's check and everything the page does share one transaction, as in the API."""
    visit = _visit(request, app)
    session = visit.session
    if session is None or not session.is_signed_in:
        raise LoginRequired(ended=False)
    if session.expired(visit.app.clock.now()):
        raise LoginRequired(ended=True)
    user = signed_in_user(visit.app, session, visit.web.signer)
    if user is None:
        raise LoginRequired(ended=True)
    visit.user = user
    return visit


def signed_in_user(app: Application, session: Session, signer: SessionSigner) -> User | None:
    """The session's user, while they exist and keep the password they logged in with."""
    user = app.get_user(session.user_id) if session.user_id is not None else None
    if user is None or not user.is_active:
        return None
    if signer.fingerprint(user.password_hash) != session.fingerprint:
        return None
    return user


Anyone = Annotated[Visit, Depends(anyone)]
SignedIn = Annotated[Visit, Depends(signed_in)]


class Form:
    """A posted `application/x-www-form-urlencoded` form."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    @classmethod
    def parse(cls, body: bytes) -> Form:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise PageError(400, "The form was not sent as UTF-8 text.") from error
        return cls(parse_qsl(text, keep_blank_values=True, max_num_fields=2000))

    def get(self, name: str, default: str = "") -> str:
        return next((value for key, value in self._pairs if key == name), default)

    def text(self, name: str) -> str:
        return self.get(name).strip()

    def names(self) -> list[str]:
        return [key for key, _ in self._pairs]


async def posted_form(request: Request) -> Form:
    """The form posted, once its CSRF token is known to be this session's; else 403."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() not in {
        "application/x-www-form-urlencoded",
        "",
    }:
        raise PageError(415, "Forms are sent as application/x-www-form-urlencoded.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise PageError(413, "The form is too large.")
    form = Form.parse(bytes(body))
    signer = web_state(request).signer
    if not signer.csrf_matches(read_session(request), form.get(CSRF_FIELD)):
        raise CsrfRejected
    return form


PostedForm = Annotated[Form, Depends(posted_form)]


# -- errors as pages ------------------------------------------------------------------------------


def security_headers(response: Response, *, framed_by_self: bool = False) -> None:
    ancestors = "'self'" if framed_by_self else "'none'"
    response.headers.setdefault(
        "Content-Security-Policy", CONTENT_SECURITY_POLICY.format(ancestors=ancestors)
    )
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN" if framed_by_self else "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")


def error_page(
    request: Request, status: int, message: str, *, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    web = web_state(request)
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    session = read_session(request)
    html = web.templates.get_template("error.html").render(
        {
            "visit": None,
            "user": None,
            "csrf_token": "",
            "status": status,
            "title": title,
            "message": message,
            "signed_in": session is not None and session.is_signed_in,
        }
    )
    return HTMLResponse(html, status_code=status, headers=dict(headers or {}))


def login_redirect(request: Request, ended: bool) -> RedirectResponse:
    """To the login page, which comes back here (or, after a form, to the page it was on)."""
    if request.method in {"GET", "HEAD"}:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        referer = urlsplit(request.headers.get("referer", ""))
        same_site = referer.netloc == request.url.netloc
        target = (
            (referer.path + (f"?{referer.query}" if referer.query else "")) if same_site else "/"
        )
    params = {"next": local_path(target)}
    if ended:
        params["expired"] = "1"
    return RedirectResponse(f"/login?{urlencode(params)}", status_code=303)


def _message_of(error: DomainError) -> tuple[int, str]:
    if isinstance(error, NotFound):
        return 404, f"This {error.entity} does not exist, or was deleted."
    if isinstance(error, ValidationFailed):
        return 400, "; ".join(f"{f}: {' '.join(m)}" for f, m in error.errors.items())
    status = {ErrorKind.CONFLICT: 409, ErrorKind.UNAUTHORIZED: 403}.get(error.kind, 400)
    return status, error.detail[:1].upper() + error.detail[1:] + "."


class PageRoute(APIRoute):
    """A route of the web interface: errors become pages, and every answer carries the pages'
    security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired as required:
                response = login_redirect(request, required.ended)
            except CsrfRejected:
                response = error_page(
                    request,
                    403,
                    "This form was not sent from a page of this session (it may have been open "
                    "since before you logged in again). Go back, reload the page and try again.",
                )
            except PageError as error:
                response = error_page(request, error.status, error.message)
            except RequestValidationError:
                response = error_page(request, 404, "There is no such page.")
            except DomainError as error:
                status, message = _message_of(error)
                response = error_page(request, status, message)
            except DependencyUnavailable as error:
                log.warning("%s %s: %s", request.method, request.url.path, error)
                response = error_page(
                    request,
                    503,
                    f"The {error.dependency} is unavailable; nothing was changed. "
                    "Please try again in a moment.",
                    headers={"Retry-After": "5"},
                )
            except StarletteHTTPException as error:
                detail = error.detail if isinstance(error.detail, str) else "Something went wrong."
                response = error_page(request, error.status_code, detail)
            security_headers(response)
            return response

        return page


def parse_uuid(text: str | None) -> UUID | None:
    if not text:
        return None
    try:
        return UUID(text.strip())
    except ValueError:
        return None


def parse_page(text: str | None) -> int:
    try:
        number = int(text or "1")
    except ValueError:
        return 1
    return number if 1 <= number <= 1_000_000 else 1
