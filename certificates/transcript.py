"""A learner's transcript PDF: frozen dataclasses in, bytes out.

Pure rendering, like the certificate in certificates.pdf, whose text helpers, colours and license
line it shares. The transcript is a normal platypus document: it is rendered on demand, rarely, and
may run to many pages.
"""

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from certificates.fonts import FontSet, register_fonts
from certificates.pdf import (
    CREATOR,
    INK,
    MUTED,
    NAVY,
    PDF_MIMETYPE,
    REVOKED,
    SEPARATOR,
    LicenseLine,
    clean,
    contact_hours_label,
    format_date,
    format_hours,
    format_short_date,
    license_label,
    markup,
    name_with_credentials,
)


@dataclass(frozen=True)
class TranscriptRow:
    course_title: str
    completion_date: date
    contact_hours: Decimal
    serial: str
    verification_code: str
    status: str  # "Valid" or "Revoked"


@dataclass(frozen=True)
class TranscriptData:
    learner_name: str
    learner_credentials: str
    licenses: tuple[LicenseLine, ...]
    generated_at: date
    rows: tuple[TranscriptRow, ...]
    total_hours: Decimal
    site_url: str
    # Renewal periods (reminders app): one line per license with a renewal date, e.g.
    # "RN FL 1234: 6.00 of 24.00 contact hours in the period 2025-02-01 to 2027-01-31". Empty: none printed.
    renewal_lines: tuple[str, ...] = ()


def transcript_filename(data: TranscriptData) -> str:
    return f"transcript-{data.generated_at.isoformat()}.pdf"


@cache
def _style(
    font: str, size: float, leading: float, alignment: int = TA_LEFT, color: colors.Color = INK
) -> ParagraphStyle:
    # Cached: the transcript asks for the same few styles for every row.
    return ParagraphStyle(
        f"{font}-{size}-{leading}-{alignment}",
        fontName=font,
        fontSize=size,
        leading=leading,
        alignment=alignment,
        textColor=color,
    )


TRANSCRIPT_HEADER = ("Completed", "Course", "Contact hours", "Certificate", "Verification code", "Status")


class TranscriptRenderer:
    """A learner's transcript: one table, its header repeated on every page, the total at the end."""

    def __init__(self, fonts: FontSet | None = None) -> None:
        self.fonts = fonts or register_fonts()

    def generate(self, data: TranscriptData) -> tuple[str, str, bytes]:
        buffer = io.BytesIO()
        learner = name_with_credentials(data.learner_name, data.learner_credentials)
        document = SimpleDocTemplate(
            buffer,
            pagesize=letter,
            leftMargin=48,
            rightMargin=48,
            topMargin=54,
            bottomMargin=54,
            title=f"Continuing education transcript — {learner}",
            author=clean(data.site_url) or CREATOR,
            subject=f"Contact hours earned by {learner}",
            creator=CREATOR,
            invariant=1,
            initialFontName=self.fonts.sans,
        )
        footer = f"Generated {format_date(data.generated_at)} · {clean(data.site_url)}"

        def draw_footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
            canvas.saveState()
            canvas.setFont(self.fonts.sans, 8)
            canvas.setFillColor(MUTED)
            canvas.drawString(doc.leftMargin, 32, footer)
            canvas.drawRightString(letter[0] - doc.rightMargin, 32, f"Page {doc.page}")
            canvas.restoreState()

        document.build(self._story(data, learner), onFirstPage=draw_footer, onLaterPages=draw_footer)
        return transcript_filename(data), PDF_MIMETYPE, buffer.getvalue()

    def _story(self, data: TranscriptData, learner: str) -> list:
        fonts = self.fonts
        story = [
            Paragraph("Continuing Education Transcript", _style(fonts.serif_bold, 20, 24, TA_LEFT, NAVY)),
            Spacer(0, 6),
            Paragraph(escape(learner), _style(fonts.serif_bold, 13, 17, TA_LEFT)),
        ]
        if data.licenses:
            licenses = SEPARATOR.join(markup(license_label(line)) for line in data.licenses)
            story.append(Paragraph(licenses, _style(fonts.sans, 9, 12, TA_LEFT, MUTED)))
        story += [Spacer(0, 14), self._table(data), Spacer(0, 10)]
        total = f"Total: {contact_hours_label(data.total_hours)}"
        story.append(Paragraph(f"<b>{escape(total)}</b>", _style(fonts.sans, 11, 14, TA_RIGHT)))
        if data.renewal_lines:
            story += [
                Spacer(0, 12),
                Paragraph("<b>This renewal period</b>", _style(fonts.sans, 10, 13, TA_LEFT)),
            ]
            story += [
                Paragraph(escape(line), _style(fonts.sans, 9, 12, TA_LEFT)) for line in data.renewal_lines
            ]
        return story

    def _table(self, data: TranscriptData) -> LongTable:
        fonts = self.fonts
        cell = _style(fonts.sans, 8.5, 10.5, TA_LEFT)
        revoked_cell = _style(fonts.sans, 8.5, 10.5, TA_LEFT, REVOKED)
        header = [Paragraph(f"<b>{label}</b>", cell) for label in TRANSCRIPT_HEADER]
        rows = [header]
        for row in data.rows:
            style = cell if _is_valid(row) else revoked_cell
            rows.append(
                [
                    format_short_date(row.completion_date),
                    Paragraph(markup(row.course_title), style),
                    format_hours(row.contact_hours),
                    clean(row.serial),
                    clean(row.verification_code),
                    clean(row.status),
                ]
            )
        # 516 pt: the letter page between the margins; the course column takes what is left.
        table = LongTable(rows, colWidths=(72, 186, 48, 86, 80, 44), repeatRows=1)
        table.setStyle(self._table_style(data))
        return table

    def _table_style(self, data: TranscriptData) -> TableStyle:
        commands = [
            ("FONT", (0, 0), (-1, -1), self.fonts.sans, 8.5),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (2, 1), (2, -1), "RIGHT"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.92, 0.95)),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, NAVY),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.Color(0.8, 0.8, 0.82)),
            ("TOPPADDING", (0, 0), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        for index, row in enumerate(data.rows, start=1):
            if not _is_valid(row):
                commands.append(("TEXTCOLOR", (0, index), (-1, index), REVOKED))
        return TableStyle(commands)


def _is_valid(row: TranscriptRow) -> bool:
    return clean(row.status).lower() == "valid"


def render_transcript(data: TranscriptData) -> bytes:
    """The transcript PDF (portrait US Letter, as many pages as the rows need)."""
    return TranscriptRenderer().generate(data)[2]
