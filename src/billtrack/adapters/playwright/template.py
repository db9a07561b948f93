"""`InvoiceHtml`: an invoice document as the HTML page Chromium prints, from the Jinja2 template in
`templates/`. Autoescaped throughout: names and addresses are user input."""

from __future__ import annotations

from datetime import date

import jinja2

from billtrack.domain.model.presentation import format_decimal, format_money, weekday_name
from billtrack.ports.rendering import InvoiceDocument

TEMPLATE_NAME = "invoice.html.j2"
MAX_WORKDAY_ROWS = 31
# The masthead has room for this many address lines; further lines are run into the last one.
MAX_ADDRESS_LINES = 6


class InvoiceHtml:
    """Renders the invoice template; one instance is safe to share between threads."""

    def __init__(self) -> None:
        self._environment = jinja2.Environment(
            loader=jinja2.PackageLoader("billtrack.adapters.playwright", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._environment.filters.update(
            money=format_money, decimal=format_decimal, weekday=weekday_name, isodate=_isodate
        )
        self._template = self._environment.get_template(TEMPLATE_NAME)

    def render(self, document: InvoiceDocument) -> str:
        if len(document.workdays) > MAX_WORKDAY_ROWS:
            raise ValueError(
                f"invoice {document.number} lists {len(document.workdays)} workdays; "
                f"a month has at most {MAX_WORKDAY_ROWS}"
            )
        return self._template.render(
            document=document,
            issuer=document.issuer,
            currency=document.issuer.currency,
            address_lines=address_lines(document.issuer.address),
        )


def address_lines(address: str) -> list[str]:
    """The non-blank lines of an address, at most `MAX_ADDRESS_LINES` of them."""
    lines = [line.strip() for line in address.splitlines() if line.strip()]
    if len(lines) > MAX_ADDRESS_LINES:
        kept = MAX_ADDRESS_LINES - 1
        lines = [*lines[:kept], ", ".join(lines[kept:])]
    return lines


def _isodate(day: date) -> str:
    return day.isoformat()
