"""Contact-hour certificate and transcript PDFs: frozen dataclasses in, bytes out.

Pure rendering: no database and no Django. The caller copies everything printed into the data
classes, so a stored certificate never changes when a course or a learner is edited later, and the
same data always gives the same bytes (the stored SHA-256 must be reproducible).

The certificate is drawn straight on a canvas, with a Paragraph only where text must wrap: it is
rendered once per issue inside a request, and platypus frames would cost more than the page itself.
"""

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from xml.sax.saxutils import escape

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from certificates.fonts import FontSet, register_fonts

CREATOR = "CE Course"
PDF_MIMETYPE = "application/pdf"

NAVY = colors.Color(0.11, 0.22, 0.37)
ACCENT = colors.Color(0.66, 0.53, 0.31)  # muted gold: reads as "certificate" without a logo
INK = colors.Color(0.12, 0.12, 0.14)
MUTED = colors.Color(0.36, 0.38, 0.42)
REVOKED = colors.Color(0.62, 0.12, 0.12)

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class LicenseLine:
    profession: str
    state: str
    number: str


@dataclass(frozen=True)
class CertificateData:
    serial: str
    verification_code: str
    verification_url: str
    learner_name: str
    learner_credentials: str
    licenses: tuple[LicenseLine, ...]
    course_title: str
    completion_date: date
    contact_hours: Decimal
    provider_name: str
    provider_address: str
    provider_web_address: str
    provider_approval_number: str
    accreditation_statement: str
    issued_at: date
    nurse_planner_name: str
    nurse_planner_credentials: str
    title_note: str = ""


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


class CertificateLayoutError(ValueError):
    """The text cannot fit on one page even at the smallest legible size."""


# --- text helpers -------------------------------------------------------------------------------


def clean(text: str) -> str:
    """NFC-normalise and flatten whitespace.

    A name typed on a Mac may arrive decomposed ("e" + combining diaeresis); NFC gives the single
    code point the font has a glyph for and that text extraction and search give back intact.
    """
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def markup(text: str) -> str:
    """Text made safe for Paragraph, whose mini-language would read "&" or "<" as markup."""
    return escape(clean(text))


def format_date(day: date) -> str:
    # Spelled out, and not with strftime("%B"), which follows the process locale.
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def contact_hours_label(hours: Decimal) -> str:
    """ "1.00 contact hour", "1.50 contact hours": always two decimals, singular only for exactly one."""
    amount = Decimal(hours).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount < 0:
        raise ValueError(f"Contact hours cannot be negative: {hours}")
    unit = "contact hour" if amount == 1 else "contact hours"
    return f"{amount:.2f} {unit}"


def license_label(line: LicenseLine) -> str:
    return clean(f"{line.profession} license {line.state} {line.number}")


def name_with_credentials(name: str, credentials: str) -> str:
    name, credentials = clean(name), clean(credentials)
    return f"{name}, {credentials}" if credentials else name


def _safe_filename_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", clean(text)).strip("-.") or "document"


def certificate_filename(data: CertificateData) -> str:
    return f"certificate-{_safe_filename_part(data.serial)}.pdf"


def transcript_filename(data: TranscriptData) -> str:
    return f"transcript-{data.generated_at.isoformat()}.pdf"


@cache
def _style(font: str, size: float, leading: float, alignment: int = TA_CENTER, color=INK) -> ParagraphStyle:
    # Cached: building a ParagraphStyle per render is measurable against a 10 ms budget.
    return ParagraphStyle(
        f"{font}-{size}-{alignment}",
        fontName=font,
        fontSize=size,
        leading=leading,
        alignment=alignment,
        textColor=color,
    )


def _fit_paragraph(
    text: str, font: str, sizes: tuple[float, ...], width: float, max_height: float, line_ratio: float = 1.25
) -> tuple[Paragraph, float] | None:
    """The first of `sizes` at which `text` wraps within width x max_height, or None."""
    for size in sizes:
        paragraph = Paragraph(text, _style(font, size, round(size * line_ratio, 2)))
        _, height = paragraph.wrap(width, max_height)
        if height <= max_height:
            return paragraph, height
    return None


# --- certificate --------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = landscape(letter)
CENTRE_X = PAGE_WIDTH / 2
OUTER_INSET = 22  # the heavy frame line
INNER_INSET = 30  # the fine frame line inside it
TEXT_WIDTH = 600  # wrapped text column, centred
QR_SIZE = 70
QR_RIGHT = PAGE_WIDTH - INNER_INSET - 20
QR_BOTTOM = 64
# Nothing in the body may come lower than this: below it are the signature, serial and QR blocks.
BODY_FLOOR = 150


class CertificateRenderer:
    """Draws one certificate. Subclass and override a _draw_* hook to change one block."""

    def __init__(self, fonts: FontSet | None = None) -> None:
        self.fonts = fonts or register_fonts()

    def generate(self, data: CertificateData) -> tuple[str, str, bytes]:
        """(filename, mimetype, PDF bytes), as pretix's invoice renderers return."""
        buffer = io.BytesIO()
        canvas = Canvas(
            buffer,
            pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
            invariant=1,  # fixed dates and document ID: same data, same bytes
            pageCompression=1,
            initialFontName=self.fonts.sans,  # else Helvetica, unembedded, lands in the resources
        )
        self._set_metadata(canvas, data)
        self._draw_frame(canvas)
        cursor = self._draw_heading(canvas, data)
        cursor = self._draw_learner(canvas, data, cursor)
        cursor = self._draw_course(canvas, data, cursor)
        self._draw_accreditation(canvas, data, cursor)
        self._draw_signature(canvas, data)
        self._draw_record(canvas, data)
        self._draw_qr(canvas, data)
        canvas.showPage()
        canvas.save()
        return certificate_filename(data), PDF_MIMETYPE, buffer.getvalue()

    def _set_metadata(self, canvas: Canvas, data: CertificateData) -> None:
        canvas.setTitle(f"Certificate of completion — {clean(data.course_title)}")
        canvas.setAuthor(clean(data.provider_name))
        canvas.setSubject(
            f"Continuing nursing education: {contact_hours_label(data.contact_hours)} "
            f"awarded to {clean(data.learner_name)}, certificate {clean(data.serial)}"
        )
        canvas.setCreator(CREATOR)
        canvas.setKeywords(f"{clean(data.serial)} {clean(data.verification_code)}")

    def _draw_frame(self, canvas: Canvas) -> None:
        canvas.setStrokeColor(NAVY)
        canvas.setLineWidth(3)
        canvas.rect(OUTER_INSET, OUTER_INSET, PAGE_WIDTH - 2 * OUTER_INSET, PAGE_HEIGHT - 2 * OUTER_INSET)
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(0.8)
        canvas.rect(INNER_INSET, INNER_INSET, PAGE_WIDTH - 2 * INNER_INSET, PAGE_HEIGHT - 2 * INNER_INSET)
        # Small squares where the inner line turns: the one ornament, so the frame does not look bare.
        canvas.setFillColor(ACCENT)
        for x in (INNER_INSET, PAGE_WIDTH - INNER_INSET):
            for y in (INNER_INSET, PAGE_HEIGHT - INNER_INSET):
                canvas.rect(x - 3, y - 3, 6, 6, stroke=0, fill=1)

    def _draw_heading(self, canvas: Canvas, data: CertificateData) -> float:
        fonts = self.fonts
        _centred(canvas, clean(data.provider_name), fonts.sans, 10.5, 546, MUTED, max_width=TEXT_WIDTH)
        _centred(canvas, "Certificate of Completion", fonts.serif_bold, 34, 500, NAVY)
        _ornament_rule(canvas, 484)
        _centred(canvas, "This certifies that", fonts.serif, 13, 452, INK)
        return 452

    def _draw_learner(self, canvas: Canvas, data: CertificateData, cursor: float) -> float:
        fonts = self.fonts
        baseline = cursor - 40
        name, credentials = clean(data.learner_name), clean(data.learner_credentials)
        suffix = f", {credentials}" if credentials else ""
        name_size, suffix_size = 30.0, 18.0
        name_width = stringWidth(name, fonts.serif_bold, name_size)
        suffix_width = stringWidth(suffix, fonts.serif, suffix_size)
        # A long legal name shrinks to fit instead of running into the frame.
        scale = min(1.0, 640 / (name_width + suffix_width))
        name_size, suffix_size = name_size * scale, suffix_size * scale
        name_width, suffix_width = name_width * scale, suffix_width * scale
        left = CENTRE_X - (name_width + suffix_width) / 2
        canvas.setFillColor(NAVY)
        canvas.setFont(fonts.serif_bold, name_size)
        canvas.drawString(left, baseline, name)
        if suffix:
            canvas.setFillColor(INK)
            canvas.setFont(fonts.serif, suffix_size)
            canvas.drawString(left + name_width, baseline, suffix)
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(0.6)
        half = max(name_width + suffix_width, 300) / 2 + 20
        canvas.line(CENTRE_X - half, baseline - 11, CENTRE_X + half, baseline - 11)
        cursor = baseline - 14
        if data.licenses:
            text = "   ·   ".join(markup(license_label(line)) for line in data.licenses)
            fitted = _fit_paragraph(text, fonts.sans, (10, 9, 8), TEXT_WIDTH, 26)
            if fitted is None:
                raise CertificateLayoutError("Too many licenses to print on the certificate.")
            cursor = _draw_paragraph(canvas, *fitted, cursor - 4)
        return cursor

    def _draw_course(self, canvas: Canvas, data: CertificateData, cursor: float) -> float:
        fonts = self.fonts
        cursor -= 24
        _centred(canvas, "has completed the continuing nursing education activity", fonts.serif, 12, cursor, INK)
        sizes = (18, 16, 15, 14, 13, 12, 11)
        fitted = _fit_paragraph(
            markup(data.course_title), fonts.serif_bold, sizes, TEXT_WIDTH, 70, 1.2
        ) or _fit_paragraph(markup(data.course_title), fonts.serif_bold, (11,), TEXT_WIDTH, 200, 1.2)
        assert fitted is not None  # a 200 pt box at 11 pt always yields a height
        cursor = _draw_paragraph(canvas, *fitted, cursor - 8)
        awarded = (
            f"Completed {format_date(data.completion_date)}   ·   "
            f"Awarded {contact_hours_label(data.contact_hours)}"
        )
        cursor -= 20
        _centred(canvas, awarded, fonts.sans_bold, 11.5, cursor, NAVY)
        return cursor

    def _draw_accreditation(self, canvas: Canvas, data: CertificateData, cursor: float) -> None:
        fonts = self.fonts
        provider = self._provider_markup(data)
        statement = markup(data.accreditation_statement)
        top = cursor - 12
        room = top - BODY_FLOOR
        # Statement and provider shrink together so neither is ever cut: the accreditor requires both.
        for size in (9, 8.5, 8, 7.5, 7, 6.5, 6):
            leading = round(size * 1.3, 2)
            parts = [Paragraph(provider, _style(fonts.sans, size, leading))]
            if statement:
                parts.insert(0, Paragraph(statement, _style(fonts.sans, size, leading, color=MUTED)))
            heights = [part.wrap(TEXT_WIDTH, room)[1] for part in parts]
            if sum(heights) + 4 * (len(parts) - 1) <= room:
                break
        else:
            raise CertificateLayoutError("The accreditation statement is too long to print on one page.")
        for part, height in zip(parts, heights, strict=True):
            top = _draw_paragraph(canvas, part, height, top) - 4

    def _provider_markup(self, data: CertificateData) -> str:
        bits = [f"Provider: <b>{markup(data.provider_name)}</b>"]
        bits += [markup(part) for part in (data.provider_address, data.provider_web_address) if clean(part)]
        bits.append(f"Provider approval number: <b>{markup(data.provider_approval_number)}</b>")
        return "   ·   ".join(bits)

    def _draw_signature(self, canvas: Canvas, data: CertificateData) -> None:
        fonts = self.fonts
        left, right, line_y = 72, 312, 96
        canvas.setStrokeColor(INK)
        canvas.setLineWidth(0.7)
        canvas.line(left, line_y, right, line_y)
        planner = name_with_credentials(data.nurse_planner_name, data.nurse_planner_credentials)
        _left(canvas, planner, fonts.serif, 11, left, line_y - 14, INK, max_width=right - left + 60)
        _left(canvas, "Nurse planner", fonts.sans, 8.5, left, line_y - 27, MUTED)

    def _draw_record(self, canvas: Canvas, data: CertificateData) -> None:
        fonts = self.fonts
        right = QR_RIGHT - QR_SIZE - 16
        lines = [
            (f"Certificate {clean(data.serial)}", fonts.sans_bold, 9, INK),
            (f"Issued {format_date(data.issued_at)}", fonts.sans, 9, INK),
            (f"Verification code {clean(data.verification_code)}", fonts.sans, 8, MUTED),
        ]
        if clean(data.title_note):
            lines.append((clean(data.title_note), fonts.sans, 8, MUTED))
        y = QR_BOTTOM + QR_SIZE - 9
        for text, font, size, color in lines:
            _right(canvas, text, font, size, right, y, color, max_width=240)
            y -= size + 4

    def _draw_qr(self, canvas: Canvas, data: CertificateData) -> None:
        url = clean(data.verification_url)
        # Level M survives a crease or a smudge on a printed copy; the page margin is the quiet zone.
        widget = QrCodeWidget(url, barLevel="M", barBorder=0, barWidth=QR_SIZE, barHeight=QR_SIZE)
        drawing = Drawing(QR_SIZE, QR_SIZE)
        drawing.add(widget)
        renderPDF.draw(drawing, canvas, QR_RIGHT - QR_SIZE, QR_BOTTOM)
        _right(canvas, f"Verify at {url}", self.fonts.sans, 7, QR_RIGHT, QR_BOTTOM - 14, MUTED, max_width=330)


def render_certificate(data: CertificateData) -> bytes:
    """The certificate PDF (one landscape US Letter page)."""
    return CertificateRenderer().generate(data)[2]


# --- canvas helpers -----------------------------------------------------------------------------


def _fitted_size(text: str, font: str, size: float, max_width: float | None) -> float:
    if max_width is None:
        return size
    width = stringWidth(text, font, size)
    return size if width <= max_width else size * max_width / width


def _centred(canvas: Canvas, text, font, size, y, color, max_width: float | None = None) -> None:
    canvas.setFillColor(color)
    canvas.setFont(font, _fitted_size(text, font, size, max_width))
    canvas.drawCentredString(CENTRE_X, y, text)


def _left(canvas: Canvas, text, font, size, x, y, color, max_width: float | None = None) -> None:
    canvas.setFillColor(color)
    canvas.setFont(font, _fitted_size(text, font, size, max_width))
    canvas.drawString(x, y, text)


def _right(canvas: Canvas, text, font, size, x, y, color, max_width: float | None = None) -> None:
    canvas.setFillColor(color)
    canvas.setFont(font, _fitted_size(text, font, size, max_width))
    canvas.drawRightString(x, y, text)


def _draw_paragraph(canvas: Canvas, paragraph: Paragraph, height: float, top: float) -> float:
    """Draw a wrapped paragraph in the centred text column with its top at `top`; return its bottom."""
    bottom = top - height
    paragraph.drawOn(canvas, CENTRE_X - TEXT_WIDTH / 2, bottom)
    return bottom


def _ornament_rule(canvas: Canvas, y: float) -> None:
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(0.8)
    canvas.line(CENTRE_X - 90, y, CENTRE_X - 9, y)
    canvas.line(CENTRE_X + 9, y, CENTRE_X + 90, y)
    canvas.setFillColor(ACCENT)
    path = canvas.beginPath()
    path.moveTo(CENTRE_X, y + 4)
    path.lineTo(CENTRE_X + 4, y)
    path.lineTo(CENTRE_X, y - 4)
    path.lineTo(CENTRE_X - 4, y)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


# --- transcript ---------------------------------------------------------------------------------

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
            licenses = "   ·   ".join(markup(license_label(line)) for line in data.licenses)
            story.append(Paragraph(licenses, _style(fonts.sans, 9, 12, TA_LEFT, MUTED)))
        story += [Spacer(0, 14), self._table(data), Spacer(0, 10)]
        total = f"Total: {contact_hours_label(data.total_hours)}"
        story.append(Paragraph(f"<b>{escape(total)}</b>", _style(fonts.sans, 11, 14, TA_RIGHT)))
        return story

    def _table(self, data: TranscriptData) -> LongTable:
        fonts = self.fonts
        cell = _style(fonts.sans, 8.5, 10.5, TA_LEFT)
        header = [Paragraph(f"<b>{label}</b>", cell) for label in TRANSCRIPT_HEADER]
        rows = [header]
        for row in data.rows:
            rows.append(
                [
                    format_date(row.completion_date),
                    Paragraph(markup(row.course_title), cell),
                    f"{Decimal(row.contact_hours).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):.2f}",
                    clean(row.serial),
                    clean(row.verification_code),
                    clean(row.status),
                ]
            )
        # 516 pt: the letter page between the margins; the course column takes what is left.
        table = LongTable(rows, colWidths=(78, 180, 50, 84, 80, 44), repeatRows=1)
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
            if clean(row.status).lower() != "valid":
                commands.append(("TEXTCOLOR", (0, index), (-1, index), REVOKED))
        return TableStyle(commands)


def render_transcript(data: TranscriptData) -> bytes:
    """The transcript PDF (portrait US Letter, as many pages as the rows need)."""
    return TranscriptRenderer().generate(data)[2]
