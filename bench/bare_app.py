"""The bare baseline: a raw ASGI callable answering the benchmarked routes with no framework.

It does what billtrack should do for `GET /api/invoices` and `GET /api/workdays`, and nothing
more: verify the bearer token as billtrack's JWT adapter does (HS256, `sub` and `exp` required,
times checked with the same leeway), then in one read transaction SELECT the token's user, COUNT
the active rows, and SELECT the page joined with its employee, department and project; the page is
written by the same msgspec encoder billtrack uses, into the same bytes (the benchmark checks).
The database work runs on a thread, one hop per request, as a sync FastAPI route's does, with one
connection per thread (sqlite3 or psycopg directly). It reads billtrack's own settings variables
(`BILLTRACK_DATABASE_URL` or `BILLTRACK_DATA_DIR`, `BILLTRACK_JWT_SECRET`) and is served by the
same uvicorn with the options `billtrack serve` passes it, its logging set up alike.

`python -m bench.bare_app --port 8001` serves it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl
from uuid import UUID

import jwt
import msgspec
import uvicorn

if TYPE_CHECKING:
    import psycopg

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
Row = tuple[Any, ...]

ENCODER = msgspec.json.Encoder(decimal_format="number")
LEEWAY_SECONDS = 60.0
THREADS = 40
"""As many as Starlette's thread pool (anyio's default limiter) lets run at once."""
HEALTH = ENCODER.encode({"status": "ok", "checks": {}})
UNAUTHORIZED = ENCODER.encode({"title": "Unauthorized", "status": 401})
NOT_FOUND = ENCODER.encode({"title": "Not Found", "status": 404})
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

# The SQL billtrack should send. The page is cut in a subquery and only its rows are joined: with
# the join outside, SQLite joins every row the OFFSET skips (19 ms instead of 12 for page 50).
USER_SQL = (
    "SELECT id, email, email_key, password_hash, created_at, deleted_at FROM users WHERE id = "
)
EMPLOYEE_COLUMNS = (
    "e.id, e.email, e.firstname, e.lastname, e.salary, e.department_id, e.project_id, "
    "d.name, p.name"
)
EMPLOYEE_JOINS = (
    "JOIN employees e ON e.id = x.employee_id "
    "JOIN departments d ON d.id = e.department_id "
    "JOIN projects p ON p.id = e.project_id"
)
INVOICE_COLUMNS = (
    "id", "month", "year", "number_year", "number_sequence", "status", "pdf_key", "error",
    "total_hours", "hourly_rate", "amount", "created_at", "generated_at", "mail_requested",
    "mail_sent", "mail_error", "mailed_at",
)  # fmt: skip
WORKDAY_COLUMNS = ("id", "day", "hours")
SORTS = {"asc": "ASC", "desc": "DESC"}


def count_sql(table: str) -> str:
    return f"SELECT count(*) FROM {table} WHERE deleted_at IS NULL"  # noqa: S608 - a constant


def page_sql(
    table: str,
    columns: tuple[str, ...],
    sorted_by: tuple[str, ...],
    sort: str | None,
    placeholder: str,
) -> str:
    """Active rows of `table` by `sorted_by` in the `sort` direction (when given), then by
    creation and id as billtrack's pages are; `columns` then EMPLOYEE_COLUMNS of each."""
    order = [f"{column} {SORTS[sort]}" for column in sorted_by] if sort else []
    order += ["created_at", "id"]
    inner = ", ".join(dict.fromkeys([*columns, *sorted_by, "created_at", "employee_id"]))
    return (
        f"SELECT {', '.join(f'x.{c}' for c in columns)}, {EMPLOYEE_COLUMNS} "  # noqa: S608 - constants
        f"FROM (SELECT {inner} FROM {table} WHERE deleted_at IS NULL ORDER BY {', '.join(order)} "
        f"LIMIT {placeholder} OFFSET {placeholder}) x {EMPLOYEE_JOINS} "
        f"ORDER BY {', '.join(f'x.{o}' for o in order)}"
    )


class Dialect(Protocol):
    """How one database's driver spells values that billtrack's column types turn into Python."""

    placeholder: str

    def connect(self) -> Any: ...
    def begin(self, connection: Any) -> None: ...
    def user_key(self, user_id: UUID) -> Any: ...
    def uuid(self, value: Any) -> Any: ...
    def fixed(self, value: Any, places: int) -> Any: ...
    def instant(self, value: Any) -> Any: ...


class SqliteDialect:
    """UUIDs as 32 hex digits, money and hours as integers of their smallest unit, timestamps as
    UTC text (see billtrack's `types.py`); the read transaction is a plain BEGIN (WAL)."""

    placeholder = "?"

    def __init__(self, path: str) -> None:
        self._path = path

    def connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        for pragma in ("busy_timeout=10000", "foreign_keys=ON", "synchronous=NORMAL"):
            connection.execute(f"PRAGMA {pragma}")
        return connection

    def begin(self, connection: sqlite3.Connection) -> None:
        connection.execute("BEGIN")

    def user_key(self, user_id: UUID) -> str:
        return user_id.hex

    def uuid(self, value: str) -> str:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"

    def fixed(self, value: int, places: int) -> Decimal:
        return Decimal(value).scaleb(-places)

    def instant(self, value: str | None) -> str | None:
        # Stored as "YYYY-MM-DD HH:MM:SS.ffffff"; the encoder leaves out a zero fraction.
        if value is None:
            return None
        if value.endswith(".000000"):
            value = value[:-7]
        return f"{value[:10]}T{value[11:]}Z"


class PostgresDialect:
    """psycopg answers UUIDs, Decimals and timestamps already; the session's zone is UTC so the
    timestamps encode with a `Z`, as billtrack's (converted to UTC) do."""

    placeholder = "%s"

    def __init__(self, conninfo: str) -> None:
        # Imported here: psycopg costs 26 MB, which the app on SQLite does not need.
        import psycopg

        self._connect = psycopg.connect
        self._conninfo = conninfo

    def connect(self) -> psycopg.Connection[Any]:
        return self._connect(self._conninfo, options="-c TimeZone=UTC")

    def begin(self, connection: psycopg.Connection[Any]) -> None:
        pass  # psycopg opens the transaction with the first statement

    def user_key(self, user_id: UUID) -> UUID:
        return user_id

    def uuid(self, value: UUID) -> UUID:
        return value

    def fixed(self, value: Decimal, places: int) -> Decimal:
        return value

    def instant(self, value: Any) -> Any:
        return value


class Unauthorized(Exception):
    pass


class Tokens:
    """billtrack's JWT check, without its classes: HS256 with the secret's UTF-8 bytes."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def user_id(self, authorization: bytes | None) -> UUID:
        if authorization is None:
            raise Unauthorized
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                options={
                    "require": ["sub", "exp"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
            now = time.time()
            if now > claims["exp"] + LEEWAY_SECONDS or now + LEEWAY_SECONDS < claims.get("nbf", 0):
                raise Unauthorized
            return UUID(claims["sub"])
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise Unauthorized from error


class Lists:
    """The two list routes over one connection per thread."""

    def __init__(self, dialect: Dialect, tokens: Tokens) -> None:
        self._dialect = dialect
        self._tokens = tokens
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self._user_sql = USER_SQL + dialect.placeholder
        # By route: the table, its columns in the answer, what sortByDate sorts by, the item.
        self._pages = {
            "/api/invoices": ("invoices", INVOICE_COLUMNS, ("year", "month"), self._invoice),
            "/api/workdays": ("workdays", WORKDAY_COLUMNS, ("day",), self._workday),
        }
        self._count_sql = {path: count_sql(table) for path, (table, *_) in self._pages.items()}
        self._page_sql = {
            (path, sort): page_sql(table, columns, sorted_by, sort, dialect.placeholder)
            for path, (table, columns, sorted_by, _) in self._pages.items()
            for sort in (None, *SORTS)
        }

    def routes(self) -> set[str]:
        return set(self._pages)

    def answer(self, path: str, query: bytes, authorization: bytes | None) -> tuple[int, bytes]:
        """The status and body of GET `path`?`query` (run on a worker thread)."""
        try:
            user_id = self._tokens.user_id(authorization)
        except Unauthorized:
            return 401, UNAUTHORIZED
        parameters = dict(parse_qsl(query.decode("latin-1")))
        number = int(parameters.get("page") or 1)
        size = min(int(parameters.get("pageSize") or 10), 1000)
        sort = (parameters.get("sortByDate") or "").lower() or None
        item = self._pages[path][3]
        with self._transaction() as cursor:
            cursor.execute(self._user_sql, (self._dialect.user_key(user_id),))
            user = cursor.fetchone()
            if user is None or user[5] is not None:
                return 401, UNAUTHORIZED
            cursor.execute(self._count_sql[path])
            (total,) = cursor.fetchone()
            cursor.execute(self._page_sql[path, sort], (size, (number - 1) * size))
            items = [item(row) for row in cursor.fetchall()]
        page = {"items": items, "pageNumber": number, "pageSize": size, "totalCount": total}
        return 200, ENCODER.encode(page)

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._dialect.connect()
            with self._lock:
                self._connections.append(connection)
        self._dialect.begin(connection)
        cursor = connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            connection.rollback()  # it only read: as billtrack's unit of work ends a read

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def _employee(self, row: Row, at: int) -> dict[str, Any]:
        """The employee whose EMPLOYEE_COLUMNS start at `row[at]`, as billtrack embeds it."""
        u, fixed = self._dialect.uuid, self._dialect.fixed
        employee_id, department_id, project_id = u(row[at]), u(row[at + 5]), u(row[at + 6])
        return {
            "id": employee_id,
            "email": row[at + 1],
            "firstname": row[at + 2],
            "lastname": row[at + 3],
            "salary": fixed(row[at + 4], 2),
            "department": {"id": department_id, "name": row[at + 7]},
            "project": {"id": project_id, "name": row[at + 8]},
            "departmentId": department_id,
            "projectId": project_id,
        }

    def _workday(self, row: Row) -> dict[str, Any]:
        employee = self._employee(row, 3)
        return {
            "id": self._dialect.uuid(row[0]),
            "date": row[1],
            "hours": self._dialect.fixed(row[2], 2),
            "employee": employee,
            "employeeId": employee["id"],
        }

    def _invoice(self, row: Row) -> dict[str, Any]:
        d = self._dialect
        employee = self._employee(row, 17)
        status, pdf_key = row[5], row[6]
        ready = status == "generated" and pdf_key is not None
        mail_requested, mail_sent, mail_error = row[13], row[14], row[15]
        if mail_error is not None:
            mail_status = "failed"
        elif mail_requested > 0 and mail_sent >= mail_requested:
            mail_status = "sent"
        else:
            mail_status = "pending"
        return {
            "id": d.uuid(row[0]),
            "month": row[1],
            "year": row[2],
            "employee": employee,
            "employeeId": employee["id"],
            "hasInvoiceUrl": ready,
            "isUrlReady": ready,
            "number": f"{row[3]:04d}-{row[4]:06d}",
            "status": status,
            "error": row[7],
            "totalHours": d.fixed(row[8], 2),
            "hourlyRate": d.fixed(row[9], 4),
            "amount": d.fixed(row[10], 2),
            "createdAt": d.instant(row[11]),
            "generatedAt": d.instant(row[12]),
            "mailStatus": mail_status,
            "mailError": mail_error,
            "mailedAt": d.instant(row[16]),
        }


class BareApp:
    """The ASGI callable: the health route in the event loop, the lists on a thread."""

    def __init__(self, lists: Lists) -> None:
        self._lists = lists
        self._routes = lists.routes()
        self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="bare-app")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/api/health/live":
            await _respond(send, 200, HEALTH)
        elif path in self._routes and scope["method"] == "GET":
            authorization = next((v for k, v in scope["headers"] if k == b"authorization"), None)
            loop = asyncio.get_running_loop()
            status, body = await loop.run_in_executor(
                self._pool, self._lists.answer, path, scope["query_string"], authorization
            )
            await _respond(send, status, body)
        else:
            await _respond(send, 404, NOT_FOUND)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self._pool.shutdown(wait=True)
                self._lists.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _respond(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def dialect_from_environment(environment: dict[str, str]) -> Dialect:
    """The database billtrack's settings variables name: its URL, or the data folder's file."""
    url = environment.get("BILLTRACK_DATABASE_URL")
    if url is None:
        folder = Path(environment.get("BILLTRACK_DATA_DIR", "billtrack-data"))
        return SqliteDialect(str((folder / "billtrack.sqlite3").resolve()))
    if url.startswith("sqlite:///"):
        return SqliteDialect(url.removeprefix("sqlite:///"))
    # SQLAlchemy's `postgresql+psycopg://` is libpq's `postgresql://` with a driver name.
    scheme, _, rest = url.partition("://")
    return PostgresDialect(f"{scheme.split('+')[0]}://{rest}")


def create_bare_app(environment: dict[str, str]) -> BareApp:
    return BareApp(
        Lists(dialect_from_environment(environment), Tokens(environment["BILLTRACK_JWT_SECRET"]))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    arguments = parser.parse_args()
    # As billtrack's `configure_logging`: one handler on the root logger, uvicorn's lines included.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.getLogger().handlers[:] = [handler]
    logging.getLogger().setLevel(logging.INFO)
    app = create_bare_app(dict(os.environ))
    # The options `billtrack serve` passes (see its `serve_api`), so only the app differs.
    uvicorn.run(
        app,
        host=arguments.host,
        port=arguments.port,
        log_level="info",
        log_config=None,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
