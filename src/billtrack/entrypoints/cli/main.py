"""The `billtrack` command."""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy.exc import DBAPIError

from billtrack import __version__
from billtrack.adapters.sqlalchemy import schema
from billtrack.adapters.sqlalchemy.engine import create_database_engine, masked
from billtrack.domain.model.period import YearMonth
from billtrack.entrypoints.bootstrap import bootstrap
from billtrack.entrypoints.cli.demo import run_demo
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
@click.option(
    "--json", "as_json", is_flag=True, help="Print the invoices as JSON, as the API would."
)
@click.option(
    "--save-pdfs",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write the rendered PDFs into this folder.",
)
def demo(month: YearMonth | None, as_json: bool, save_pdfs: Path | None) -> None:
    """Invoice a demo company's month: a dozen employees, their workdays, their PDFs."""
    services = bootstrap(Settings())
    try:
        click.echo(run_demo(services, month, as_json=as_json, pdf_folder=save_pdfs))
        if not as_json:
            click.echo(f"Data kept in {services.settings.data_dir.resolve()}")
    finally:
        services.close()


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--json", "as_json", is_flag=True, help="Print the revisions as JSON.")
def db_upgrade(as_json: bool) -> None:
    """Apply pending migrations (a deploy step with PostgreSQL; SQLite does it on start)."""
    settings = Settings()
    engine = create_database_engine(settings.database)
    try:
        before = schema.current_revision(engine)
        schema.upgrade(engine)
        after = schema.current_revision(engine)
    except DBAPIError as error:
        raise click.ClickException(
            f"cannot reach the database at {masked(settings.database)}: {error.orig}"
        ) from error
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps({"database": masked(settings.database), "from": before, "to": after}))
    elif before == after:
        click.echo(f"{masked(settings.database)} is up to date (revision {after})")
    else:
        click.echo(f"{masked(settings.database)} upgraded from {before or 'empty'} to {after}")
