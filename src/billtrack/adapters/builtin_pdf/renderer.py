"""`BuiltinPdfRenderer`: an invoice as a one-page A4 PDF, drawn without a browser.

Text is set in DejaVu Sans and DejaVu Sans Bold, shipped inside the package and cut down ahead of
time to Latin (with Latin Extended-A, -B and Additional, so Polish, Czech, Turkish, Vietnamese...),
Greek and Cyrillic (Russian, Ukrainian, Serbian...), punctuation and currency signs; see
fonts/README.md. Each PDF embeds a subset of the glyphs it draws, with a ToUnicode CMap, so the
text is searchable and reads back exactly. The layout measures text with the glyphs' own advances:
amounts are right-aligned on them, and names too long for their column are cut with an ellipsis.
The layout is fixed and sized for the longest month: 31 table rows plus the issuer, the header and
the totals fit between the margins, so an invoice never spills onto a second page.

Characters the shipped font does not cover (Chinese, Japanese, Korean, Arabic, Hebrew, Thai...)
raise `UnsupportedText`, a ValueError naming the field and the characters, so the invoice ends
`failed` with a reason a person can act on; the Chromium renderer prints them. Drawing them from a
system font was measured and left out. The one Debian ships, Noto Sans CJK, is a 19.5 MB
OpenType/CFF collection: reading its character map and widths takes 0.2 to 0.4 s (once), but
cutting a subset of 16 characters out of it with fontTools took 300 to 440 ms per invoice here,
so 2 or 3 PDFs/s, about ten times slower than Chromium; being fast would take a CFF subsetter of our
own (CID-keyed charstrings, subroutines, FDSelect), bigger than all of this package, and whether
an invoice printed would then depend on the fonts the machine happens to have.

How the ways to embed the fonts compared, on this 2-core machine, rendering the same nine 31-day
invoices (Polish, Vietnamese, Czech/Turkish, Ukrainian, Serbian, Russian, Greek names) in one
thread: the best round of each over ten interleaved runs in 15 minutes, while other engineers'
test suites kept the load average between 3 and 10, and each one's median ratio to the former
writer in the same runs. The figures for fpdf2 and ReportLab draw the same text at the same
positions (recorded from this renderer); both compress their streams, this writer does not.

| candidate | best PDFs/s | vs. former | largest PDF |
| --- | ---: | ---: | ---: |
| the former writer: Helvetica in cp1252 ("?" for most of these names), nothing embedded | 1,512 | 1 | 7.6 kB |
| **this writer: a subset per document cut by `TrueTypeFont.subset`** | **1,178** | **0.80** | **28 kB** |
| this writer, the pre-cut fonts embedded whole, zlib-compressed once per process | 1,437 | 0.82 | 148 kB |
| this writer, a subset per document cut by fontTools' `Subsetter` | 33 | 0.020 | 28 kB |
| fpdf2 2.8.9, `add_font` per document (it subsets with fontTools) | 21 | 0.012 | 17 kB |
| fpdf2 2.8.9, fonts parsed once and copied per document | 23 | 0.014 | 17 kB |
| ReportLab 5.1.0, fonts registered once per process (its own subsetter) | 151 | 0.094 | 27 kB |

On an idle machine the former writer prints about 2,200 PDFs/s, so this one about 1,700, some 80
times Chromium's 22. Embedding the fonts whole is no faster and breaks the 100 kB limit; the
others spend their time subsetting. Streams stay uncompressed, as before, so the same document
gives the same bytes whatever zlib the machine has (zlib would make the PDF about 14 kB).
`bench/bench_builtin_renderer.py` measures this renderer alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billtrack.adapters.builtin_pdf import shipped_fonts
from billtrack.adapters.builtin_pdf.pdf_writer import (
    A4_HEIGHT,
    A4_WIDTH,
    PageContent,
    write_single_page_pdf,
)
from billtrack.adapters.builtin_pdf.printable_text import check_printable, printable
from billtrack.adapters.builtin_pdf.truetype import TrueTypeFont
from billtrack.domain.model.presentation import format_money, weekday_name
from billtrack.ports.rendering import InvoiceDocument

MARGIN = 50.0
LEFT = MARGIN
RIGHT = A4_WIDTH - MARGIN
TOP = A4_HEIGHT - MARGIN
MAX_WORKDAY_ROWS = 31
MAX_ADDRESS_LINES = 4

TEXT_SIZE = 9.0
NAME_SIZE = 11.0
TITLE_SIZE = 20.0
SECTION_SIZE = 7.5
LABEL_GRAY = 0.4
RULE_GRAY = 0.6
BAND_GRAY = 0.95
ROW_HEIGHT = 15.0
TOTALS_ROW_HEIGHT = 16.0
TOTALS_LABEL_X = RIGHT - 220
CELL_PADDING = 4.0
LABEL_GAP = 10.0
COLUMN_GAP = 20.0
PARTY_COLUMN_WIDTH = (RIGHT - LEFT - COLUMN_GAP) / 2
HEADING_LABEL_X = RIGHT - 210
DAY_COLUMN_X = LEFT + 110

_FORMULA = "Amount = monthly salary \u00d7 total hours \u00f7 (weekdays \u00d7 8)"


class BuiltinPdfRenderer:
    """Renders invoices with the fonts billtrack ships; the same document gives the same bytes.

    Raises `UnsupportedText` (a ValueError) for text those fonts do not cover, and ValueError for
    more workdays than a month has or a currency that is not an ISO 4217 code."""

    def render(self, document: InvoiceDocument, /) -> bytes:
        if len(document.workdays) > MAX_WORKDAY_ROWS:
            raise ValueError(
                f"invoice {document.number} lists {len(document.workdays)} workdays; "
                f"a month has at most {MAX_WORKDAY_ROWS}"
            )
        page = _InvoicePage(document, regular=shipped_fonts.regular(), bold=shipped_fonts.bold())
        return page.draw()


@dataclass(frozen=True, slots=True)
class _Texts:
    """The document's own words, printable (see `printable_text`) and checked against the fonts."""

    number: str
    period: str
    issuer_name: str
    issuer_address: tuple[str, ...]
    employee_name: str
    employee_email: str
    department: str
    project: str

    @classmethod
    def of(cls, document: InvoiceDocument, *, regular: TrueTypeFont, bold: TrueTypeFont) -> _Texts:
        lines = [printable(line).strip() for line in document.issuer.address.splitlines()]
        address = [line for line in lines if line]
        if len(address) > MAX_ADDRESS_LINES:
            # The header has room for so many lines; the rest shares the last one.
            kept = MAX_ADDRESS_LINES - 1
            address = [*address[:kept], ", ".join(address[kept:])]
        texts = cls(
            number=printable(document.number),
            period=printable(document.period_label),
            issuer_name=printable(document.issuer.name).strip(),
            issuer_address=tuple(address),
            employee_name=printable(document.employee_name),
            employee_email=printable(document.employee_email),
            department=printable(document.department),
            project=printable(document.project),
        )
        check_printable(
            document.number,
            [
                ("issuer name", texts.issuer_name, bold),
                *(("issuer address", line, regular) for line in texts.issuer_address),
                ("invoice number", texts.number, bold),
                ("period", texts.period, regular),
                ("employee name", texts.employee_name, bold),
                ("employee email", texts.employee_email, regular),
                ("department", texts.department, regular),
                ("project", texts.project, regular),
            ],
        )
        return texts


class _InvoicePage:
    """One invoice's page, drawn section by section from the top; each returns where it ends."""

    def __init__(
        self, document: InvoiceDocument, *, regular: TrueTypeFont, bold: TrueTypeFont
    ) -> None:
        self.document = document
        self.regular = regular
        self.bold = bold
        self.texts = _Texts.of(document, regular=regular, bold=bold)
        self.currency = document.issuer.currency
        self.page = PageContent()

    def draw(self) -> bytes:
        y = self._heading()
        y = self._parties(y)
        y = self._workdays(y)
        self._totals(y)
        return write_single_page_pdf(self.page, title=f"Invoice {self.texts.number}")

    def _heading(self) -> float:
        """The issuer on the left; the title, number, issue date and period on the right."""
        page, regular, bold, texts = self.page, self.regular, self.bold, self.texts
        if texts.issuer_name:
            name = bold.fit(texts.issuer_name, NAME_SIZE, PARTY_COLUMN_WIDTH)
            page.text(LEFT, TOP - 14, name, font=bold, size=NAME_SIZE)
        for index, line in enumerate(texts.issuer_address):
            shown = regular.fit(line, TEXT_SIZE, PARTY_COLUMN_WIDTH)
            page.text(LEFT, TOP - 29 - 11 * index, shown, font=regular, size=TEXT_SIZE)

        page.text(RIGHT, TOP - 14, "Invoice", font=bold, size=TITLE_SIZE, align="right")
        rows = (
            ("Invoice number", texts.number, bold),
            ("Issue date", self.document.issue_date.isoformat(), regular),
            ("Period", texts.period, regular),
        )
        labels_width = max(regular.width(label, TEXT_SIZE) for label, _, _ in rows)
        value_width = RIGHT - HEADING_LABEL_X - labels_width - LABEL_GAP
        for index, (label, value, font) in enumerate(rows):
            y = TOP - 34 - 14 * index
            page.text(HEADING_LABEL_X, y, label, font=regular, size=TEXT_SIZE, gray=LABEL_GRAY)
            shown = font.fit(value, TEXT_SIZE, value_width)
            page.text(RIGHT, y, shown, font=font, size=TEXT_SIZE, align="right")
        rule_y = TOP - 76
        page.line(LEFT, rule_y, RIGHT, rule_y, width=0.8, gray=RULE_GRAY)
        return rule_y

    def _parties(self, top: float) -> float:
        page, regular, bold, texts = self.page, self.regular, self.bold, self.texts
        width = PARTY_COLUMN_WIDTH
        y = top - 18
        page.text(LEFT, y, "EMPLOYEE", font=bold, size=SECTION_SIZE, gray=LABEL_GRAY)
        name = bold.fit(texts.employee_name, NAME_SIZE, width)
        page.text(LEFT, y - 16, name, font=bold, size=NAME_SIZE)
        email = regular.fit(texts.employee_email, TEXT_SIZE, width)
        page.text(LEFT, y - 30, email, font=regular, size=TEXT_SIZE)

        column_x = LEFT + width + COLUMN_GAP
        page.text(column_x, y, "ASSIGNMENT", font=bold, size=SECTION_SIZE, gray=LABEL_GRAY)
        assignment = ((16, "Department", texts.department), (30, "Project", texts.project))
        value_x = column_x + LABEL_GAP
        value_x += max(regular.width(label, TEXT_SIZE) for _, label, _ in assignment)
        for offset, label, value in assignment:
            page.text(column_x, y - offset, label, font=regular, size=TEXT_SIZE, gray=LABEL_GRAY)
            shown = regular.fit(value, TEXT_SIZE, RIGHT - value_x)
            page.text(value_x, y - offset, shown, font=regular, size=TEXT_SIZE)
        return y - 30

    def _workdays(self, top: float) -> float:
        """The table of the month's workdays; returns the y of its bottom rule."""
        page, regular, bold = self.page, self.regular, self.bold
        header_y = top - 30
        page.text(LEFT + CELL_PADDING, header_y, "Date", font=bold, size=TEXT_SIZE)
        page.text(DAY_COLUMN_X, header_y, "Day", font=bold, size=TEXT_SIZE)
        hours_x = RIGHT - CELL_PADDING
        page.text(hours_x, header_y, "Hours", font=bold, size=TEXT_SIZE, align="right")
        page.line(LEFT, header_y - 5, RIGHT, header_y - 5, width=0.8, gray=RULE_GRAY)

        y = header_y - 5
        if not self.document.workdays:
            y -= ROW_HEIGHT
            note = "No workdays logged in this month."
            page.text(
                LEFT + CELL_PADDING, y + 4.5, note, font=regular, size=TEXT_SIZE, gray=LABEL_GRAY
            )
        for index, (day, hours) in enumerate(self.document.workdays):
            y -= ROW_HEIGHT
            if index % 2 == 1:
                page.fill_rect(LEFT, y, RIGHT - LEFT, ROW_HEIGHT, gray=BAND_GRAY)
            self._workday(day, str(hours), y + 4.5)
        page.line(LEFT, y, RIGHT, y, width=0.8, gray=RULE_GRAY)
        return y

    def _workday(self, day: date, hours: str, baseline: float) -> None:
        page, regular = self.page, self.regular
        page.text(LEFT + CELL_PADDING, baseline, day.isoformat(), font=regular, size=TEXT_SIZE)
        weekday = weekday_name(day)
        page.text(DAY_COLUMN_X, baseline, weekday, font=regular, size=TEXT_SIZE, gray=LABEL_GRAY)
        page.text(
            RIGHT - CELL_PADDING, baseline, hours, font=regular, size=TEXT_SIZE, align="right"
        )

    def _totals(self, top: float) -> None:
        page, regular, bold, document = self.page, self.regular, self.bold, self.document
        rows = (
            ("Monthly salary", format_money(document.salary, self.currency)),
            ("Weekdays in month", str(document.weekdays)),
            ("Hourly rate", format_money(document.hourly_rate, self.currency)),
            ("Total hours", str(document.total_hours)),
        )
        value_x = RIGHT - CELL_PADDING
        y = top
        for label, value in rows:
            y -= TOTALS_ROW_HEIGHT
            page.text(TOTALS_LABEL_X, y, label, font=regular, size=TEXT_SIZE, gray=LABEL_GRAY)
            room = value_x - TOTALS_LABEL_X - regular.width(label, TEXT_SIZE) - LABEL_GAP
            size = _size_to_fit(regular, value, TEXT_SIZE, room)
            page.text(value_x, y, value, font=regular, size=size, align="right")
        y -= 8
        page.line(TOTALS_LABEL_X, y, RIGHT, y, width=0.8)
        y -= TOTALS_ROW_HEIGHT
        page.text(TOTALS_LABEL_X, y, "Amount", font=bold, size=NAME_SIZE)
        amount = format_money(document.amount, self.currency)
        room = value_x - TOTALS_LABEL_X - bold.width("Amount", NAME_SIZE) - LABEL_GAP
        size = _size_to_fit(bold, amount, NAME_SIZE, room)
        page.text(value_x, y, amount, font=bold, size=size, align="right")
        page.text(TOTALS_LABEL_X, y - 18, _FORMULA, font=regular, size=7, gray=LABEL_GRAY)


def _size_to_fit(font: TrueTypeFont, text: str, size: float, max_width: float) -> float:
    """`size`, or smaller if `text` would be wider than `max_width`: an amount of money is
    never cut short, it is set smaller (only beyond the amounts billtrack accepts)."""
    width = font.width(text, size)
    if width <= max_width:
        return size
    return int(size * max_width / width * 10) / 10
