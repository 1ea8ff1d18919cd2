"""The CE completion report as a PDF, and the document plumbing the activity file shares.

Rendered on demand for a CE board reviewer, so platypus is used throughout (the 10 ms budget is
the certificate's, not this report's). Text goes through certificates.pdf.clean (NFC, whitespace
flattened) and, where it becomes Paragraph markup, certificates.pdf.markup (escaped); the fonts are
the embedded DejaVu faces, as on the certificate. Table cells are pre-wrapped plain strings, not
Paragraphs (see wrap_text): the report may run to 5,000 rows.
"""

import functools
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from certificates.fonts import FontSet, register_fonts
from certificates.pdf import (
    CREATOR,
    INK,
    MUTED,
    NAVY,
    REVOKED,
    clean,
    format_date,
    format_hours,
    format_short_date,
    markup,
    wrap_words,
)
from reports.charts import completions_chart, scores_chart

MARGIN = 36
FRAME_PADDING = 6  # platypus pads its frame; the margins allow for it so content starts at MARGIN
HEADER_FILL = colors.Color(0.9, 0.92, 0.95)
RULE = colors.Color(0.8, 0.8, 0.82)
DASH = "—"
CELL_SIZE, CELL_LEADING, CELL_PADDING = 7.5, 9.5, 3
HEADING_ROOM = 72  # a heading and at least a few lines under it


# --- document plumbing (shared with reports.activity_file) ---------------------------------------


class NumberedCanvas(Canvas):
    """Holds every page back until the end, so each footer can say "Page X of Y"."""

    def __init__(self, *args, number_font: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._number_font = number_font
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.saveState()
            self.setFont(self._number_font, 8)
            self.setFillColor(MUTED)
            self.drawRightString(self._pagesize[0] - MARGIN, 20, f"Page {number} of {total}")
            self.restoreState()
            super().showPage()
        super().save()


@dataclass(frozen=True)
class Styles:
    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    muted: ParagraphStyle
    label: ParagraphStyle


@functools.cache
def styles(fonts: FontSet) -> Styles:
    def style(name, font, size, leading, color=INK, **extra):
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, textColor=color, **extra)

    return Styles(
        title=style("report-title", fonts.serif_bold, 18, 22, NAVY),
        heading=style("report-heading", fonts.sans_bold, 11, 14, NAVY, spaceBefore=10, spaceAfter=4),
        body=style("report-body", fonts.sans, 9, 12, spaceAfter=3),
        muted=style("report-muted", fonts.sans, 8.5, 11, MUTED),
        label=style("report-label", fonts.sans_bold, 9, 12),
    )


def build_pdf(
    story: list[Flowable], *, pagesize, title: str, author: str, subject: str, footer: str
) -> bytes:
    """The story as PDF bytes: embedded fonts, metadata, footer text and "Page X of Y" on each page."""
    fonts = register_fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=MARGIN - FRAME_PADDING,
        rightMargin=MARGIN - FRAME_PADDING,
        topMargin=MARGIN - FRAME_PADDING,
        bottomMargin=MARGIN,
        title=clean(title),
        author=clean(author) or CREATOR,
        subject=clean(subject),
        creator=CREATOR,
        invariant=1,  # the same data gives the same bytes, which keeps tests and caches honest
        initialFontName=fonts.sans,  # else unembedded Helvetica lands in the page resources
    )
    footer = clean(footer)

    def draw_footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(fonts.sans, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 20, footer)
        canvas.restoreState()

    canvasmaker = functools.partial(NumberedCanvas, number_font=fonts.sans)
    document.build(story, onFirstPage=draw_footer, onLaterPages=draw_footer, canvasmaker=canvasmaker)
    return buffer.getvalue()


def heading(text: str) -> list[Flowable]:
    """A section heading that starts a new page rather than sit alone at the foot of one.

    A conditional page break, not keepWithNext: keepWithNext would carry a long table whole to
    the next page, leaving the rest of this one empty.
    """
    return [CondPageBreak(HEADING_ROOM), Paragraph(markup(text), styles(register_fonts()).heading)]


@dataclass(frozen=True)
class Column:
    label: str
    width: float
    wrap: bool = False  # wrapped to the column width; otherwise one line
    align: str = "LEFT"


def record_table(columns: Sequence[Column], rows: Iterable[tuple[Sequence, bool]]) -> "PagedTable":
    """A table whose header row repeats on every page. rows: (cells, is_live); revoked rows print red.

    A wrapping cell may be a tuple of lines, each starting on its own line.
    """
    fonts = register_fonts()
    header = [wrap_text((column.label,), fonts.sans_bold, column.width) for column in columns]
    body, live = [], []
    for cells, is_live in rows:
        body.append([_cell(value, column, fonts.sans) for value, column in zip(cells, columns, strict=True)])
        live.append(bool(is_live))
    return PagedTable(tuple(columns), header, body, live, [_row_height(row) for row in body])


def _row_height(cells: Sequence[str]) -> float:
    # Exact for pre-wrapped plain strings: reportlab gives each line one leading, plus the padding.
    return max(cell.count("\n") + 1 for cell in cells) * CELL_LEADING + 2 * CELL_PADDING


class PagedTable(Flowable):
    """Rows laid out a page at a time, each page a small Table under its own copy of the header.

    A LongTable split at every page break copies all remaining rows into a new table, re-applies
    every style command and re-measures rows with running sums: cost that grows with the square of
    the rows (a 5,000-row report took ~15 s). These rows are pre-wrapped strings whose heights are
    known up front, so finding a page's rows is a matter of adding them up.
    """

    def __init__(self, columns, header, body, live, heights, start: int = 0):
        super().__init__()
        self.columns, self.header, self.body, self.live = columns, header, body, live
        self.heights, self.start = heights, start
        self.width = sum(column.width for column in columns)

    def wrap(self, available_width, available_height):
        self.height = _row_height(self.header) + sum(self.heights[self.start :])
        return self.width, self.height

    def split(self, available_width, available_height):
        used, end = _row_height(self.header), self.start
        while end < len(self.body) and used + self.heights[end] <= available_height:
            used, end = used + self.heights[end], end + 1
        if end == self.start:
            return []  # not even one row fits: the frame moves on and tries again on a new page
        rest = PagedTable(self.columns, self.header, self.body, self.live, self.heights, end)
        return [self._table(self.start, end), rest]

    def draw(self):
        table = self._table(self.start, len(self.body))
        table.wrapOn(self.canv, self.width, self.height)
        table.drawOn(self.canv, 0, 0)

    def _table(self, first: int, last: int) -> Table:
        rows = [self.header, *self.body[first:last]]
        table = Table(
            rows, colWidths=[c.width for c in self.columns], rowHeights=[_row_height(r) for r in rows]
        )
        table.setStyle(self._style(first, last))
        return table

    def _style(self, first: int, last: int) -> TableStyle:
        fonts = register_fonts()
        commands = [
            ("FONT", (0, 0), (-1, -1), fonts.sans, CELL_SIZE, CELL_LEADING),
            ("FONT", (0, 0), (-1, 0), fonts.sans_bold, CELL_SIZE, CELL_LEADING),
            ("TEXTCOLOR", (0, 0), (-1, -1), INK),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, NAVY),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ]
        commands += [
            ("ALIGN", (i, 0), (i, -1), c.align) for i, c in enumerate(self.columns) if c.align != "LEFT"
        ]
        commands += [
            ("TEXTCOLOR", (0, row), (-1, row), REVOKED)
            for row, index in enumerate(range(first, last), start=1)
            if not self.live[index]
        ]
        return TableStyle(commands)


def _cell(value, column: Column, font: str) -> str:
    lines = value if isinstance(value, tuple) else (value,)
    if column.wrap:
        return wrap_text(lines, font, column.width)
    return clean(" ".join(str(line) for line in lines))


def wrap_text(lines: Iterable, font: str, column_width: float) -> str:
    """Cleaned text broken into lines that fit the column, joined with newlines.

    Table cells are plain strings wrapped here rather than Paragraphs, which are parsed and
    re-wrapped every time a table is measured: too slow for 5,000 rows. Plain strings need no
    markup escaping either, since reportlab draws them as they are.
    """
    width = column_width - 2 * CELL_PADDING
    out: list[str] = []
    for line in lines:
        words = [piece for word in clean(str(line)).split(" ") for piece in _split_long(word, font, width)]
        out += wrap_words(" ".join(words), font, CELL_SIZE, width) if words else [""]
    return "\n".join(out)


def _split_long(word: str, font: str, width: float) -> list[str]:
    """A word wider than the column (an e-mail address, a long serial) in pieces that fit."""
    if stringWidth(word, font, CELL_SIZE) <= width:
        return [word]
    pieces, piece = [], ""
    for char in word:
        if piece and stringWidth(piece + char, font, CELL_SIZE) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    return [*pieces, piece]


def label_value_table(pairs: Sequence[tuple[str, str]], widths: tuple[float, float]) -> Table:
    """Label: value lines, aligned as two columns, both wrapping."""
    sheet = styles(register_fonts())
    data = [
        [Paragraph(markup(str(label)), sheet.label), Paragraph(markup(str(value)), sheet.body)]
        for label, value in pairs
    ]
    table = Table(data, colWidths=widths, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                # Paragraph cells carry their own font; this one keeps the table's default,
                # unembedded Helvetica, out of the page resources.
                ("FONT", (0, 0), (-1, -1), sheet.body.fontName, sheet.body.fontSize),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return table


# --- row formatting (shared with reports.activity_file) -----------------------------------------


def license_lines(row) -> tuple[str, ...]:
    """ "RN FL RN1234567", one per license printed on the certificate."""
    return tuple(clean(f"{lic.profession} {lic.state} {lic.number}") for lic in row.licenses.all())


def status_text(row) -> str:
    return "Valid" if row.is_live else "Revoked"


def percent_text(value: Decimal | None) -> str:
    return DASH if value is None else f"{Decimal(value).quantize(Decimal('0.1'))}%"


def short_date(value: date | None) -> str:
    return DASH if value is None else format_short_date(value)


# --- the completion report ----------------------------------------------------------------------

TITLE = "CE completion report"
PAGE = landscape(letter)
COMPLETION_COLUMNS = (
    Column("Learner", 108, wrap=True),
    Column("Credentials", 60, wrap=True),
    Column("Licenses", 90, wrap=True),
    Column("Course", 154, wrap=True),
    Column("Completed", 60),
    Column("Contact hours", 42, align="RIGHT"),
    Column("Score", 40, align="RIGHT"),
    Column("Attempts", 48, align="RIGHT"),
    Column("Certificate", 74, wrap=True),
    Column("Status", 44),
)  # 720 pt: landscape Letter between 36 pt margins


def completion_cells(row) -> tuple[Sequence, bool]:
    """One completion_rows() certificate as table cells, and whether it is live."""
    cells = (
        clean(row.learner_name),
        clean(row.learner_credentials) or DASH,
        license_lines(row) or DASH,
        clean(row.course_title),
        short_date(row.completion_date),
        format_hours(row.contact_hours),
        percent_text(row.best_percent),
        str(row.attempts_used),
        clean(row.serial),
        status_text(row),
    )
    return cells, bool(row.is_live)


def summary_figures(summary) -> list[tuple[str, str]]:
    """The CompletionSummary as (label, value) lines."""
    if summary.pass_rate is None:
        passed = f"{DASH} (no one has taken the post-test)"
    else:
        passed = f"{summary.pass_rate}% ({summary.passed} of {summary.attempted} who took the post-test)"
    minutes = DASH if summary.mean_minutes is None else f"{summary.mean_minutes} minutes"
    return [
        ("Enrolled", str(summary.enrolled)),
        ("Completed (certificates)", str(summary.completed)),
        ("Pass rate", passed),
        ("Mean best score", percent_text(summary.mean_score)),
        ("Mean time in modules", minutes),
        ("Contact hours awarded", f"{format_hours(summary.hours_awarded)} (valid certificates)"),
    ]


def summary_pdf(
    *,
    filter_description: list[tuple[str, str]],
    summary,
    per_month: Sequence[tuple[date, int]],
    scores: Sequence[tuple[str, int]],
    rows: Iterable,
    truncated_total: int | None = None,
    generated_on: date | None = None,
) -> bytes:
    """The completion report PDF (landscape US Letter, as many pages as the rows need).

    rows: certificates as reports.selectors.completion_rows returns them (annotated, licenses
    prefetched), already capped by the caller; truncated_total is the uncapped count when capped.
    Iterates rows once; no other side effects.
    """
    sheet = styles(register_fonts())
    generated_on = generated_on or timezone.localdate()
    table_rows = [completion_cells(row) for row in rows]
    story: list[Flowable] = [
        Paragraph(markup(TITLE), sheet.title),
        Paragraph(f"Generated {markup(format_date(generated_on))}", sheet.muted),
        *heading("Filter"),
    ]
    story.append(label_value_table(filter_description or [("Completions", "All")], (130, 300)))
    story += [*heading("Summary"), label_value_table(summary_figures(summary), (130, 300))]
    story += [Spacer(0, 10), _charts_row(per_month, scores)]
    story += heading("Completions")
    if truncated_total is not None and truncated_total > len(table_rows):
        note = f"Showing the first {len(table_rows):,} of {truncated_total:,} completions."
        story.append(Paragraph(markup(note), sheet.body))
    if table_rows:
        story.append(record_table(COMPLETION_COLUMNS, table_rows))
    else:
        story.append(Paragraph("No completions match this filter.", sheet.body))
    return build_pdf(
        story,
        pagesize=PAGE,
        title=TITLE,
        author=CREATOR,
        subject="; ".join(f"{label}: {value}" for label, value in filter_description) or "All completions",
        footer=f"{TITLE} · generated {format_date(generated_on)}",
    )


def _charts_row(per_month, scores) -> Table:
    # The same Drawings the report page shows as SVG; a Drawing is itself a flowable.
    row = Table([[completions_chart(per_month), scores_chart(scores)]], hAlign="LEFT")
    font = register_fonts().sans  # the table's default would be unembedded Helvetica
    row.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 8),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return row
