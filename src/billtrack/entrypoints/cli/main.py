"""The `billtrack` command."""

from __future__ import annotations

from pathlib import Path

import click

from billtrack import __version__
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
    click.echo(run_demo(services, month, as_json=as_json, pdf_folder=save_pdfs))
