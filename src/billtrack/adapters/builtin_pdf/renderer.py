"""`BuiltinPdfRenderer`: an invoice as a one-page A4 PDF, drawn without a browser.

The layout is fixed and sized for the longest month: 31 table rows plus the header and the totals
fit between the margins, so an invoice never spills onto a second page.
"""

from __future__ import annotations

from datetime import date

from billtrack.adapters.builtin_pdf.pdf_writer import (
    A4_HEIGHT,
    A4_WIDTH,
    HELVETICA,
    HELVETICA_BOLD,
    PageContent,
    write_single_page_pdf,
)
from billtrack.ports.rendering import InvoiceDocument

MARGIN = 50.0
LEFT = MARGIN
RIGHT = A4_WIDTH - MARGIN
TOP = A4_HEIGHT - MARGIN
MAX_WORKDAY_ROWS = 31

TEXT_SIZE = 9.0
LABEL_GRAY = 0.4
RULE_GRAY = 0.6
BAND_GRAY = 0.95
ROW_HEIGHT = 15.0
TOTALS_ROW_HEIGHT = 16.0
TOTALS_LABEL_X = RIGHT - 220
COLUMN_GAP = 20.0
PARTY_COLUMN_WIDTH = (RIGHT - LEFT - COLUMN_GAP) / 2

# Spelled out here rather than by strftime("%a"), whose output follows the process locale.
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class BuiltinPdfRenderer:
    """Renders invoices with the standard PDF fonts only; the same document gives the same bytes."""

    def render(self, document: InvoiceDocument, /) -> bytes:
        if len(document.workdays) > MAX_WORKDAY_ROWS:
            raise ValueError(
                f"invoice {document.number} lists {len(document.workdays)} workdays; "
                f"a month has at most {MAX_WORKDAY_ROWS}"
            )
        page = PageContent()
        y = _draw_heading(page, document)
        y = _draw_parties(page, document, y)
        y = _draw_workdays(page, document, y)
        _draw_totals(page, document, y)
        return write_single_page_pdf(page, title=f"Invoice {document.number}")


def _draw_heading(page: PageContent, document: InvoiceDocument) -> float:
    page.text(LEFT, TOP - 20, "Invoice", font=HELVETICA_BOLD, size=24)
    rows = (
        ("Invoice number", document.number),
        ("Issue date", document.issue_date.isoformat()),
        ("Period", document.period_label),
    )
    label_x = RIGHT - 210
    value_width = RIGHT - label_x - 75
    for index, (label, value) in enumerate(rows):
        y = TOP - 8 - index * 14
        page.text(label_x, y, label, font=HELVETICA, size=TEXT_SIZE, gray=LABEL_GRAY)
        font = HELVETICA_BOLD if index == 0 else HELVETICA
        shown = font.fit(value, TEXT_SIZE, value_width)
        page.text(RIGHT, y, shown, font=font, size=TEXT_SIZE, align="right")
    rule_y = TOP - 50
    page.line(LEFT, rule_y, RIGHT, rule_y, width=0.8, gray=RULE_GRAY)
    return rule_y


def _draw_parties(page: PageContent, document: InvoiceDocument, top: float) -> float:
    width = PARTY_COLUMN_WIDTH
    y = top - 18
    page.text(LEFT, y, "EMPLOYEE", font=HELVETICA_BOLD, size=7.5, gray=LABEL_GRAY)
    name = HELVETICA_BOLD.fit(document.employee_name, 11, width)
    page.text(LEFT, y - 16, name, font=HELVETICA_BOLD, size=11)
    email = HELVETICA.fit(document.employee_email, TEXT_SIZE, width)
    page.text(LEFT, y - 30, email, font=HELVETICA, size=TEXT_SIZE)

    column_x = LEFT + width + COLUMN_GAP
    value_x = column_x + 60
    page.text(column_x, y, "ASSIGNMENT", font=HELVETICA_BOLD, size=7.5, gray=LABEL_GRAY)
    assignment = ((16, "Department", document.department), (30, "Project", document.project))
    for offset, label, value in assignment:
        page.text(column_x, y - offset, label, font=HELVETICA, size=TEXT_SIZE, gray=LABEL_GRAY)
        shown = HELVETICA.fit(value, TEXT_SIZE, RIGHT - value_x)
        page.text(value_x, y - offset, shown, font=HELVETICA, size=TEXT_SIZE)
    return y - 30


def _draw_workdays(page: PageContent, document: InvoiceDocument, top: float) -> float:
    """The table of the month's workdays; returns the y of its bottom rule."""
    header_y = top - 34
    page.text(LEFT + 4, header_y, "Date", font=HELVETICA_BOLD, size=TEXT_SIZE)
    page.text(LEFT + 110, header_y, "Day", font=HELVETICA_BOLD, size=TEXT_SIZE)
    page.text(RIGHT - 4, header_y, "Hours", font=HELVETICA_BOLD, size=TEXT_SIZE, align="right")
    page.line(LEFT, header_y - 5, RIGHT, header_y - 5, width=0.8, gray=RULE_GRAY)

    y = header_y - 5
    if not document.workdays:
        y -= ROW_HEIGHT
        note = "No workdays logged in this month."
        page.text(LEFT + 4, y + 4.5, note, font=HELVETICA, size=TEXT_SIZE, gray=LABEL_GRAY)
    for index, (day, hours) in enumerate(document.workdays):
        y -= ROW_HEIGHT
        if index % 2 == 1:
            page.fill_rect(LEFT, y, RIGHT - LEFT, ROW_HEIGHT, gray=BAND_GRAY)
        _draw_workday(page, day, str(hours), y + 4.5)
    page.line(LEFT, y, RIGHT, y, width=0.8, gray=RULE_GRAY)
    return y


def _draw_workday(page: PageContent, day: date, hours: str, baseline: float) -> None:
    page.text(LEFT + 4, baseline, day.isoformat(), font=HELVETICA, size=TEXT_SIZE)
    weekday = _WEEKDAY_NAMES[day.weekday()]
    page.text(LEFT + 110, baseline, weekday, font=HELVETICA, size=TEXT_SIZE, gray=LABEL_GRAY)
    page.text(RIGHT - 4, baseline, hours, font=HELVETICA, size=TEXT_SIZE, align="right")


def _draw_totals(page: PageContent, document: InvoiceDocument, top: float) -> None:
    rows = (
        ("Monthly salary", str(document.salary)),
        ("Weekdays in month", str(document.weekdays)),
        ("Hourly rate", str(document.hourly_rate)),
        ("Total hours", str(document.total_hours)),
    )
    y = top
    for label, value in rows:
        y -= TOTALS_ROW_HEIGHT
        page.text(TOTALS_LABEL_X, y, label, font=HELVETICA, size=TEXT_SIZE, gray=LABEL_GRAY)
        page.text(RIGHT - 4, y, value, font=HELVETICA, size=TEXT_SIZE, align="right")
    y -= 8
    page.line(TOTALS_LABEL_X, y, RIGHT, y, width=0.8)
    y -= TOTALS_ROW_HEIGHT
    page.text(TOTALS_LABEL_X, y, "Amount", font=HELVETICA_BOLD, size=11)
    page.text(RIGHT - 4, y, str(document.amount), font=HELVETICA_BOLD, size=11, align="right")
    formula = "Amount = monthly salary \u00d7 total hours \u00f7 (weekdays \u00d7 8)"
    page.text(TOTALS_LABEL_X, y - 18, formula, font=HELVETICA, size=7, gray=LABEL_GRAY)
