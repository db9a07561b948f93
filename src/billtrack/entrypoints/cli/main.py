"""The `billtrack` command."""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from billtrack import __version__
from billtrack.domain.model.errors import DomainError
from billtrack.domain.model.period import YearMonth

# The commands import what they use when they run, so `billtrack --help` and the small commands
# do not pay for loading the database, the web framework and the cloud clients.
if TYPE_CHECKING:
    from billtrack.domain.usecases.application import Application
    from billtrack.entrypoints.settings import Settings


class YearMonthType(click.ParamType):  # type: ignore[type-arg]
    name = "YYYY-MM"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> YearMonth:
        if isinstance(value, YearMonth):
            return value
        try:
            year, month = str(value).split("-")
            return YearMonth(int(year), int(month))
        except ValueError:
            self.fail(f"{value!r} is not a month like 2024-10", param, ctx)


def load_settings() -> Settings:
    from billtrack.entrypoints.settings import Settings

    try:
        return Settings()
    except ValueError as refused:
        raise click.ClickException(str(refused)) from refused


def started(settings: Settings) -> Application:
    """The application, with the refusals of a bad start (settings, schema) as clear messages."""
    from billtrack.entrypoints.bootstrap import DatabaseError, SchemaOutdated, bootstrap

    try:
        return bootstrap(settings)
    except (SchemaOutdated, ValueError) as refused:
        raise click.ClickException(str(refused)) from refused
    except DatabaseError as error:
        raise click.ClickException(f"cannot reach the database: {error.orig}") from error


def announce_first_user(settings: Settings, app: Application) -> None:
    from billtrack.entrypoints.first_user import DEFAULT_ADMIN_EMAIL, ensure_first_user

    created = ensure_first_user(settings, app)
    if created is None:
        email = settings.admin_email or DEFAULT_ADMIN_EMAIL
        click.echo(
            f"Log in as {email} (its password was shown when it was created; "
            f"`billtrack users passwd {email}` sets a new one)"
        )
        return
    email, password = created
    if password is None:
        click.echo(f"Created the first user {email} (password from BILLTRACK_ADMIN_PASSWORD).")
    else:
        click.echo(f"Created the first user {email} with the password {password}")
        click.echo("  (shown this once: change it with `billtrack users passwd`)")


def serve_api(
    settings: Settings, app: Application, host: str, port: int, with_worker: bool
) -> None:
    import uvicorn

    from billtrack.entrypoints.http.app import create_app
    from billtrack.entrypoints.logs import configure_logging
    from billtrack.entrypoints.worker.runner import start_in_background

    api = create_app(settings, app, on_start=start_in_background if with_worker else None)
    site = settings.public_url.rstrip("/")
    click.echo(f"Web interface: {site}/   (Ctrl-C stops)")
    click.echo(f"API docs: {site}/api/docs")
    configure_logging()
    uvicorn.run(api, host=host, port=port, log_level="info", log_config=None, proxy_headers=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="billtrack")
def main() -> None:
    """billtrack turns logged working hours into monthly invoices."""


@main.command()
@click.option(
    "--month",
    type=YearMonthType(),
    default=None,
    help="The month to invoice (default: last month in the business time zone).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Where to serve the API.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Print the invoices and stop, without serving.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the invoices as JSON (implies --no-serve)."
)
@click.option(
    "--save-pdfs",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write the rendered PDFs into this folder.",
)
def demo(
    month: YearMonth | None,
    host: str,
    port: int,
    no_serve: bool,
    as_json: bool,
    save_pdfs: Path | None,
) -> None:
    """Invoice a demo company's month (a dozen employees, their workdays, their PDFs) on the
    embedded default, print the invoices, then serve the API over them."""
    from billtrack.entrypoints.cli.demo import run_demo

    settings = load_settings().served_at(host, port)
    app = started(settings)
    try:
        click.echo(run_demo(app, month, as_json=as_json, pdf_folder=save_pdfs))
        if as_json or no_serve:
            return
        click.echo(f"Data kept in {settings.data_dir.resolve()}")
        announce_first_user(settings, app)
        serve_api(settings, app, host, port, with_worker=True)
    finally:
        app.close()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--no-worker",
    is_flag=True,
    help="Do not render and mail in this process (run `billtrack worker`).",
)
def serve(host: str, port: int, no_worker: bool) -> None:
    """Serve the HTTP API (and, unless --no-worker, render and mail in the same process)."""
    settings = load_settings().served_at(host, port)
    app = started(settings)
    try:
        announce_first_user(settings, app)
        serve_api(settings, app, host, port, with_worker=not no_worker)
    finally:
        app.close()


@main.command()
@click.option(
    "--sweep-seconds",
    default=10,
    show_default=True,
    type=int,
    help="How often to look for owed renders.",
)
def worker(sweep_seconds: int) -> None:
    """Render and mail, alone: takes the renders the database's outbox owes. SIGTERM or Ctrl-C
    finishes the jobs in hand, then stops."""
    from billtrack.entrypoints.logs import configure_logging
    from billtrack.entrypoints.worker.runner import Worker

    settings = load_settings()
    app = started(settings)
    stop = threading.Event()

    def finish(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    click.echo("worker running (Ctrl-C stops)")
    configure_logging()
    try:
        every = timedelta(seconds=sweep_seconds)
        # SQS keeps what it was given across a restart: republish only what has waited.
        first = timedelta(0) if settings.queue == "memory" else every
        Worker(app).run(stop, sweep_every=every, owed_after=every, first_sweep_after=first)
    finally:
        app.close()


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--json", "as_json", is_flag=True, help="Print the revisions as JSON.")
def db_upgrade(as_json: bool) -> None:
    """Apply pending migrations (a deploy step with PostgreSQL; SQLite does it on start)."""
    from billtrack.entrypoints.bootstrap import DatabaseError, masked_database, upgrade_database

    settings = load_settings()
    database = masked_database(settings)
    try:
        before, after = upgrade_database(settings)
    except DatabaseError as error:
        raise click.ClickException(
            f"cannot reach the database at {database}: {error.orig}"
        ) from error
    if as_json:
        click.echo(json.dumps({"database": database, "from": before, "to": after}))
    elif before == after:
        click.echo(f"{database} is up to date (revision {after})")
    else:
        click.echo(f"{database} upgraded from {before or 'empty'} to {after}")


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@main.group()
def users() -> None:
    """The people who log in."""


@users.command("add")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_add(email: str, password_stdin: bool) -> None:
    """Add a user."""
    app = started(load_settings())
    try:
        user = app.add_user(email, read_password(password_stdin))
    except DomainError as refused:
        raise click.ClickException(refused.detail) from refused
    finally:
        app.close()
    click.echo(f"added {user.email}")


@users.command("passwd")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_passwd(email: str, password_stdin: bool) -> None:
    """Set a user's password."""
    app = started(load_settings())
    try:
        app.change_password(email, read_password(password_stdin))
    except DomainError as refused:
        raise click.ClickException(refused.detail) from refused
    finally:
        app.close()
    click.echo(f"password of {email} changed")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the users as JSON.")
def users_list(as_json: bool) -> None:
    """List the users."""
    from billtrack.entrypoints.wire.json_encoding import encode

    app = started(load_settings())
    try:
        found = app.list_users()
    finally:
        app.close()
    if as_json:
        click.echo(
            encode([{"id": u.id, "email": u.email.value, "createdAt": u.created_at} for u in found])
        )
        return
    for user in found:
        click.echo(f"{user.email}\t{user.created_at:%Y-%m-%d}")


@main.group()
def invoices() -> None:
    """Month-end invoicing."""


@invoices.command("run")
@click.option("--year", type=int, required=True)
@click.option("--month", type=click.IntRange(1, 12), required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the run and its invoices as JSON.")
def invoices_run(year: int, month: int, as_json: bool) -> None:
    """Invoice every active employee who logged hours in the month and has no invoice for it
    yet, render and mail the PDFs, and show the run's progress until it is done.

    Safe to run again: employees already invoiced are skipped, not invoiced twice. Exits with
    status 1 when an invoice failed."""
    from rich.console import Console

    from billtrack.entrypoints.cli.demo import invoice_table
    from billtrack.entrypoints.cli.month_run import (
        follow_month_run,
        run_in_thread,
        summary_table,
    )
    from billtrack.entrypoints.wire.answers import InvoiceOut, MonthRunOut
    from billtrack.entrypoints.wire.json_encoding import encode
    from billtrack.entrypoints.worker.runner import start_in_background

    settings = load_settings()
    app = started(settings)
    # With the in-process queue nobody else renders: a worker runs here until the run is done.
    stop_worker = start_in_background(app) if settings.queue == "memory" else None
    try:
        batch = app.start_month_run(year=year, month=month)
        thread, runs, errors = run_in_thread(lambda: app.continue_month_run(batch.id))
        progress = follow_month_run(
            app,
            batch.id,
            console=None if as_json else Console(stderr=True),
            work_done=lambda: not thread.is_alive(),
            failed=lambda: bool(errors),
        )
        thread.join()
        if errors:
            raise errors[0]
    except DomainError as refused:
        raise click.ClickException(refused.detail) from refused
    finally:
        if stop_worker is not None:
            stop_worker()
        app.close()
    run = runs[0]
    if as_json:
        click.echo(
            encode(
                {
                    "run": MonthRunOut.of(progress).wire(),
                    "created": [InvoiceOut.of(v).wire() for v in run.created],
                    "alreadyInvoiced": run.already_invoiced,
                    "rendered": progress.rendered,
                }
            )
        )
    else:
        if run.created:
            click.echo(invoice_table(list(run.created)))
        Console().print(summary_table(progress))
    if progress.failed:
        sys.exit(1)
