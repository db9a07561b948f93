"""Faults: a database that is down is a 503 with Retry-After and nothing written; an
unexpected error is a 500 problem that says nothing but its request id (no stack trace, no SQL),
and the log has the details under that id; the request id is the caller's when it is sane."""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from billtrack.adapters.sqlalchemy.engine import create_database_engine
from billtrack.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from billtrack.domain.usecases.application import Application
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.http.app import create_app
from billtrack.entrypoints.settings import Settings
from billtrack.ports.errors import DependencyUnavailable
from billtrack.ports.unit_of_work import UnitOfWork
from tests.api.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    NOW,
    SECRET,
    Api,
    Reach,
    api_settings,
    empty_every_table,
    fast_hasher,
    reaching,
)
from tests.api.helpers import EVERY_ROUTE, SOME_ID
from tests.fakes.clock import ManualClock
from tests.support.postgres import free_port

MIDDLEWARE_LOGGER = "billtrack.entrypoints.http.middleware"
GENERATED_ID = re.compile(r"[0-9a-f]{32}")
LEAKY_MESSAGE = (
    "SELECT * FROM secret_table WHERE password = 'hunter2'\n"
    "Traceback (most recent call last):\n"
    '  File "/srv/billtrack/app.py", line 42, in handler\n'
    "psycopg.errors.UndefinedTable: relation secret_table does not exist"
)
LEAKS = (
    "SELECT",
    "Traceback",
    "secret_table",
    "hunter2",
    "/srv/billtrack",
    "psycopg",
    "RuntimeError",
    "UndefinedTable",
    SECRET,
)


# --- helpers ---------------------------------------------------------------------------------


@dataclass
class Served:
    application: Application
    reach: Reach
    client: httpx.Client
    """Sends a bearer token whose signature is valid (its user is looked up in the database)."""


def settings_for(tmp_path: Path, **changes: Any) -> Settings:
    return api_settings(tmp_path, **changes)


@contextmanager
def served(settings: Settings, *, new_uow: Callable[[], UnitOfWork]) -> Iterator[Served]:
    """The API over `settings`, with units of work from `new_uow`, in this process."""
    application = bootstrap(settings, new_uow=new_uow, clock=ManualClock(NOW), hasher=fast_hasher())
    try:
        with reaching(create_app(settings, application)) as reach:
            token = application.tokens.issue(uuid4())
            with reach.client(headers={"Authorization": f"Bearer {token}"}) as client:
                yield Served(application, reach, client)
    finally:
        application.close()


def raising(error: Callable[[], Exception]) -> Callable[[], UnitOfWork]:
    def new_uow() -> UnitOfWork:
        raise error()

    return new_uow


def assert_no_leak(response: httpx.Response, *also: str) -> None:
    for leak in (*LEAKS, *also):
        assert leak not in response.text, (leak, response.text)
        for name, value in response.headers.items():
            assert leak not in value, (leak, name, value)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert isinstance(body["detail"], str)
    assert isinstance(body["type"], str)
    assert response.headers.get("X-Request-Id")
    return body


def assert_unavailable(response: httpx.Response, what: str) -> None:
    assert response.status_code == 503, (what, response.status_code, response.text)
    assert_problem(response, 503)
    retry_after = response.headers.get("Retry-After", "")
    assert retry_after.isdigit(), (what, retry_after)
    assert int(retry_after) > 0, (what, retry_after)
    assert_no_leak(response)


def assert_ready_says_database_unavailable(client: httpx.Client) -> None:
    ready = client.get("/health/ready")
    assert ready.status_code == 503, ready.text
    assert ready.headers.get("Retry-After", "").isdigit()
    body = ready.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "unavailable"
    assert body["checks"]["storage"] == "ok"
    assert_no_leak(ready)
    assert client.get("/health/live").status_code == 200


# --- the database is unavailable: 503 with Retry-After ------------------------------------------


def test_an_unavailable_database_is_a_503_with_retry_after_everywhere(tmp_path: Path) -> None:
    down = raising(lambda: DependencyUnavailable("database", "could not connect to 10.0.0.5:5432"))
    with served(settings_for(tmp_path), new_uow=down) as api:
        for method, path, body in EVERY_ROUTE:
            response = api.client.request(method, path, json=body)
            assert_unavailable(response, f"{method} {path}")
            assert "10.0.0.5" not in response.text
        assert_ready_says_database_unavailable(api.client)


def test_logins_during_an_outage_are_503_never_401_or_429(tmp_path: Path) -> None:
    """An outage must not look like a wrong password, nor count as a failed login."""
    down = raising(lambda: DependencyUnavailable("database"))
    with served(settings_for(tmp_path), new_uow=down) as api:
        for _ in range(12):
            response = api.client.post(
                "/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            assert_unavailable(response, "login")


def test_without_a_token_an_outage_still_answers_401_first(tmp_path: Path) -> None:
    down = raising(lambda: DependencyUnavailable("database"))
    with served(settings_for(tmp_path), new_uow=down) as api:
        with api.reach.client() as anonymous:
            response = anonymous.get("/departments")
        assert_problem(response, 401)


def test_an_unreachable_postgresql_is_a_503_with_retry_after(tmp_path: Path) -> None:
    # Nothing listens on this port: every connection is refused, as when the server is down.
    dead = create_database_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none")
    try:
        with served(settings_for(tmp_path), new_uow=lambda: SqlAlchemyUnitOfWork(dead)) as api:
            assert_unavailable(api.client.get("/departments"), "GET list")
            assert_unavailable(api.client.post("/departments", json={"name": "X"}), "POST")
            assert_unavailable(
                api.client.post(
                    "/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
                ),
                "login",
            )
            assert_ready_says_database_unavailable(api.client)
    finally:
        dead.dispose()


class TcpProxy:
    """A TCP forwarder to PostgreSQL that a test can cut (every connection dropped, new ones
    refused) and restore, as a database outage would."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self.port = free_port()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        self._stopping.clear()
        listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        listener.settimeout(0.05)
        self._listener = listener
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._accepting is not None:
            self._accepting.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def department_names(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.execute(text("SELECT name FROM departments")).scalars())


@dataclass
class Outage:
    """The API over PostgreSQL through a `TcpProxy`, logged in, with one department made."""

    proxy: TcpProxy
    client: httpx.Client
    before_id: str


@pytest.fixture
def outage(tmp_path: Path, postgres_url: str, postgres_engine: Engine) -> Iterator[Outage]:
    empty_every_table(postgres_engine)
    target = make_url(postgres_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
    proxy.start()
    try:
        through_proxy = target.set(host="127.0.0.1", port=proxy.port)
        settings = settings_for(
            tmp_path, database_url=through_proxy.render_as_string(hide_password=False)
        )
        application = bootstrap(settings, clock=ManualClock(NOW), hasher=fast_hasher())
        try:
            application.add_user(ADMIN_EMAIL, ADMIN_PASSWORD)
            with (
                reaching(create_app(settings, application)) as reach,
                reach.client() as client,
            ):
                token = client.post(
                    "/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
                )
                assert token.status_code == 200, token.text
                client.headers["Authorization"] = f"Bearer {token.json()['jwtToken']}"
                before = client.post("/departments", json={"name": "Before"})
                assert before.status_code == 200, before.text
                yield Outage(proxy, client, before.json()["id"])
        finally:
            application.close()
    finally:
        proxy.stop()


def test_a_postgresql_outage_is_a_503_with_nothing_written(
    outage: Outage, postgres_engine: Engine
) -> None:
    client, before_id = outage.client, outage.before_id
    outage.proxy.stop()  # the database goes away
    assert_unavailable(client.get("/departments"), "GET list")
    assert_unavailable(client.get(f"/departments/{before_id}"), "GET one")
    assert_unavailable(client.post("/departments", json={"name": "During"}), "POST")
    assert_unavailable(client.put(f"/departments/{before_id}", json={"name": "Renamed"}), "PUT")
    assert_unavailable(client.delete(f"/departments/{before_id}"), "DELETE")
    assert_unavailable(
        client.post("/login", json={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
        "login",
    )
    assert_ready_says_database_unavailable(client)
    assert department_names(postgres_engine) == ["Before"]


def test_the_api_recovers_when_postgresql_comes_back(
    outage: Outage, postgres_engine: Engine
) -> None:
    client = outage.client
    outage.proxy.stop()  # the database goes away
    assert_unavailable(client.post("/departments", json={"name": "During"}), "POST")
    assert_ready_says_database_unavailable(client)

    outage.proxy.start()  # and comes back
    assert client.get("/health/ready").status_code == 200
    listed = client.get("/departments")
    assert listed.status_code == 200, listed.text
    assert [d["name"] for d in listed.json()["items"]] == ["Before"]
    assert department_names(postgres_engine) == ["Before"]


# --- an unexpected error: a 500 that says nothing but its request id ----------------------------


def middleware_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == MIDDLEWARE_LOGGER and r.levelno >= logging.ERROR]


def assert_unexpected_error(response: httpx.Response) -> str:
    body = assert_problem(response, 500)
    assert body.get("code") == 500
    assert_no_leak(response, LEAKY_MESSAGE)
    assert set(body) <= {"type", "title", "status", "detail", "code", "reason"}
    return response.headers["X-Request-Id"]


def test_an_unexpected_error_is_a_500_problem_without_internals(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = raising(lambda: RuntimeError(LEAKY_MESSAGE))
    caplog.set_level(logging.ERROR, logger=MIDDLEWARE_LOGGER)
    with served(settings_for(tmp_path), new_uow=broken) as api:
        for method, path, body in EVERY_ROUTE:
            caplog.clear()
            response = api.client.request(method, path, json=body)
            assert_unexpected_error(response)
            logged = middleware_errors(caplog)
            assert len(logged) == 1, (method, path, [r.getMessage() for r in caplog.records])
            # The details are in the log, not in the answer.
            assert logged[0].exc_info is not None
            assert str(logged[0].exc_info[1]) == LEAKY_MESSAGE


def test_an_unexpected_error_at_login_is_a_500_problem_without_internals(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = raising(lambda: RuntimeError(LEAKY_MESSAGE))
    caplog.set_level(logging.ERROR, logger=MIDDLEWARE_LOGGER)
    with served(settings_for(tmp_path), new_uow=broken) as api:
        caplog.clear()
        login = api.client.post("/login", json={"username": ADMIN_EMAIL, "password": "whatever"})
        assert_unexpected_error(login)
        assert len(middleware_errors(caplog)) == 1


def test_the_log_record_of_an_unexpected_error_carries_the_answers_request_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The contract: "the logs hold the details under a request id that the answer carries in
    X-Request-Id". The record must carry that id itself (as `request_id` or in its message):
    nothing else in billtrack adds it to the log."""
    broken = raising(lambda: RuntimeError(LEAKY_MESSAGE))
    caplog.set_level(logging.ERROR, logger=MIDDLEWARE_LOGGER)
    with served(settings_for(tmp_path), new_uow=broken) as api:
        for given in (None, "fault-test-0001"):
            caplog.clear()
            headers = {"X-Request-Id": given} if given else {}
            response = api.client.get("/departments", headers=headers)
            request_id = assert_unexpected_error(response)
            if given:
                assert request_id == given
            [record] = middleware_errors(caplog)
            carried = getattr(record, "request_id", None)
            assert carried == request_id or request_id in record.getMessage(), (
                f"the answer's X-Request-Id {request_id!r} is not in the log record "
                f"(message {record.getMessage()!r}, request_id={carried!r})"
            )


def test_the_request_id_filter_tags_the_log_record_with_the_answers_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With billtrack's RequestIdLogFilter on the handler, as a log format `%(request_id)s`
    needs, the record of the crash names the id the answer carries."""
    from billtrack.entrypoints.http.middleware import RequestIdLogFilter

    broken = raising(lambda: RuntimeError(LEAKY_MESSAGE))
    caplog.set_level(logging.ERROR, logger=MIDDLEWARE_LOGGER)
    tagging = RequestIdLogFilter()
    caplog.handler.addFilter(tagging)
    try:
        with served(settings_for(tmp_path), new_uow=broken) as api:
            for given in (None, "fault-test-0002"):
                caplog.clear()
                headers = {"X-Request-Id": given} if given else {}
                request_id = assert_unexpected_error(
                    api.client.get("/departments", headers=headers)
                )
                assert request_id == (given or request_id)
                if not given:
                    assert GENERATED_ID.fullmatch(request_id)
                [record] = middleware_errors(caplog)
                assert getattr(record, "request_id", None) == request_id
    finally:
        caplog.handler.removeFilter(tagging)


def test_a_real_sql_error_reaches_no_answer(running_api: Api) -> None:
    """A statement that fails in the database (its table is gone) answers a problem that holds
    no SQL, no table name and no driver text."""
    engine = create_database_engine(running_api.settings.database)
    try:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE departments RENAME TO departments_hidden_xyz"))
        try:
            response = running_api.client.get("/departments")
            # SQLite reports a missing table as an OperationalError, which billtrack treats as an
            # outage (503); PostgreSQL as a ProgrammingError (500). Either way nothing leaks.
            assert response.status_code in (500, 503), response.text
            assert_problem(response, response.status_code)
            assert_no_leak(
                response, "departments_hidden_xyz", "FROM", "sqlite", "OperationalError", "[SQL"
            )
        finally:
            with engine.begin() as connection:
                connection.execute(text("ALTER TABLE departments_hidden_xyz RENAME TO departments"))
    finally:
        engine.dispose()
    assert running_api.client.get("/departments").status_code == 200


def test_malformed_input_answers_hold_no_internals(api: httpx.Client) -> None:
    for body in (b"{", b'{"name": ', b"\xff\xfe", b"[]", b'"x"', b"null", b'{"name": {"$ne": 1}}'):
        response = api.post(
            "/departments", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, (body, response.text)
        assert_problem(response, 400)
        assert_no_leak(response, 'File "', "pydantic", "ValidationError")


def test_out_of_range_numbers_in_the_query_are_not_server_errors(api: httpx.Client) -> None:
    """Numbers beyond what the database stores (a page far past the end, a month of 2**63) are
    answered like any other: an empty page or a 400, never a 500."""
    huge = ("9223372036854775807", "9223372036854775808", "99999999999999999999", "-" + "9" * 30)
    queries = [
        *(f"/{resource}?page={n}" for n in huge[:3] for resource in ("departments", "projects")),
        *(f"/employees?page={n}" for n in huge[:3]),
        *(f"/workdays?page={n}" for n in huge[:3]),
        *(f"/invoices?page={n}" for n in huge[:3]),
        *(f"/departments?pageSize={n}" for n in huge[:3]),
        *(f"/invoices?filterByMonth={n}" for n in ("32768", "2147483648", *huge)),
        *(f"/invoices?filterByYear={n}" for n in ("32768", "2147483648", *huge)),
        "/workdays?page=1000000000000",
    ]
    failures = []
    for query in queries:
        response = api.get(query)
        if response.status_code not in (200, 400):
            failures.append(f"GET {query} -> {response.status_code}")
            continue
        if response.status_code == 400:
            assert_problem(response, 400)
        assert_no_leak(response, "OverflowError", "INTEGER", "bigint")
    assert not failures, "\n".join(failures)


def test_a_download_link_with_a_non_ascii_signature_is_refused_not_a_crash(
    running_api: Api,
) -> None:
    """GET /api/files/{key} is open (its signature is the credential): a forged link is a 403."""
    future = int(running_api.clock.now().timestamp()) + 3600
    for signature in ("%C3%A9", "%E2%82%AC" * 32, "%F0%9F%94%91", "x"):
        response = running_api.anonymous.get(
            f"/files/invoices/2024/x.pdf?expires={future}&signature={signature}"
        )
        assert response.status_code == 403, (signature, response.status_code, response.text)
        assert_problem(response, 403)


# --- request ids ----------------------------------------------------------------------------------


def test_a_sane_request_id_is_echoed(running_api: Api) -> None:
    for path in ("/health/live", "/departments", "/nowhere"):
        response = running_api.anonymous.get(path, headers={"X-Request-Id": "abc-123"})
        assert response.headers.get_list("X-Request-Id") == ["abc-123"], path
    assert (
        running_api.client.get("/departments", headers={"X-Request-Id": "A.b_C-9"}).headers[
            "X-Request-Id"
        ]
        == "A.b_C-9"
    )


def test_every_answer_has_a_fresh_request_id_when_none_is_given(running_api: Api) -> None:
    ids = [running_api.anonymous.get("/health/live").headers["X-Request-Id"] for _ in range(5)]
    assert all(GENERATED_ID.fullmatch(i) for i in ids), ids
    assert len(set(ids)) == 5
    assert running_api.anonymous.get("/departments").headers["X-Request-Id"]  # on a 401 too
    assert running_api.client.get(f"/departments/{SOME_ID}").headers["X-Request-Id"]  # a 404


@pytest.mark.parametrize(
    "given",
    [
        "a" * 200,
        "a" * 65,
        "abc 123",
        "abc\t123",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "abc;rm -rf /",
        "id,other",
        "ünïcödé",
        "",
    ],
)
def test_a_malicious_request_id_is_replaced(running_api: Api, given: str) -> None:
    response = running_api.anonymous.get(
        "/health/live", headers={b"X-Request-Id": given.encode("utf-8")}
    )
    assert response.status_code == 200
    [echoed] = response.headers.get_list("X-Request-Id")
    assert echoed != given
    assert GENERATED_ID.fullmatch(echoed), echoed


def raw_request(base_url: str, request: bytes) -> bytes:
    url = httpx.URL(base_url)
    with socket.create_connection((url.host, url.port or 80), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


@pytest.mark.sockets
def test_a_request_id_with_a_line_break_never_reaches_the_answers_headers(running_api: Api) -> None:
    """Whatever the HTTP parser makes of a line break in the header (a refusal, a folded value, or
    the end of the header), nothing after it reaches the answer's headers, and the echoed id is
    either the part before the break (a header of its own then) or a fresh one."""
    attempts = [
        # Obsolete line folding: a header value continued on a second line.
        b"X-Request-Id: abc\r\n Set-Cookie: pwned=1\r\n",
        b"X-Request-Id: abc\r\n\tinjected\r\n",
        # A bare carriage return or line feed inside the value.
        b"X-Request-Id: abc\rSet-Cookie: pwned=1\r\n",
        b"X-Request-Id: abc\nSet-Cookie: pwned=1\r\n",
    ]
    for header in attempts:
        answer = raw_request(
            running_api.base_url,
            b"GET /api/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + header
            + b"Connection: close\r\n\r\n",
        )
        head = answer.split(b"\r\n\r\n", 1)[0]
        lines = head.split(b"\r\n")
        assert lines[0].startswith((b"HTTP/1.1 200", b"HTTP/1.1 400")), answer
        assert not any(line.lower().startswith(b"set-cookie") for line in lines), answer
        assert b"pwned" not in head, answer
        assert b"injected" not in head, answer
        assert all(b"\r" not in line and b"\n" not in line for line in lines), answer
        ids = [
            line.split(b":", 1)[1].strip()
            for line in lines
            if line.lower().startswith(b"x-request-id:")
        ]
        if lines[0].startswith(b"HTTP/1.1 200"):
            assert len(ids) == 1, answer
            assert ids[0] == b"abc" or GENERATED_ID.fullmatch(ids[0].decode()), answer
