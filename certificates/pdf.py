"""Contact-hour certificate PDF: frozen dataclasses in, bytes out.

Pure rendering: no database and no Django. The caller copies everything printed into the data
classes, so a stored certificate never changes when a course or a learner is edited later, and the
same data always gives the same bytes (the stored SHA-256 must be reproducible).

The certificate is drawn straight on a canvas, with its own small word wrap: it is rendered inside
the request that issues it, against a 10 ms budget, and platypus (even a few Paragraphs) costs a
good share of that. Embedding the fonts is most of what is left, so the certificate uses two faces
(serif regular and bold) and builds its hierarchy from size and colour.

The text helpers, colours and LicenseLine here are shared: the transcript (a normal platypus
document, in certificates.transcript) and the report PDFs use them. The QR code is drawn by
certificates.qr.
"""

import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth
from reportlab.pdfgen.canvas import Canvas

from certificates.fonts import FontSet, register_fonts
from certificates.qr import draw_qr

CREATOR = "CE Course"
PDF_MIMETYPE = "application/pdf"

NAVY = colors.Color(0.11, 0.22, 0.37)
ACCENT = colors.Color(0.66, 0.53, 0.31)  # muted gold: reads as "certificate" without a logo
INK = colors.Color(0.12, 0.12, 0.14)
MUTED = colors.Color(0.34, 0.36, 0.40)
REVOKED = colors.Color(0.62, 0.12, 0.12)

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September")
MONTHS += ("October", "November", "December")
# Non-breaking spaces keep the dot with the item before it when a line of items wraps.
NBSP = "\u00a0"
SEPARATOR = f"{NBSP}{NBSP}·{NBSP} "


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
    joint_providership_statement: str = ""
    signature_image: bytes = (
        b""  # the nurse planner's signature (PNG, JPEG or WebP), when the provider has one
    )


class CertificateLayoutError(ValueError):
    """The text cannot fit on one page even at the smallest legible size."""


# --- text ---------------------------------------------------------------------------------------


def clean(text: str) -> str:
    """NFC-normalise and flatten whitespace.

    A name typed on a Mac may arrive decomposed ("e" + combining diaeresis); NFC gives the single
    code point the font has a glyph for, and that text extraction and search give back intact.
    """
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def markup(text: str) -> str:
    """Text made safe for Paragraph, whose mini-language would read "&" or "<" as markup."""
    return escape(clean(text))


def format_date(day: date) -> str:
    # Spelled out rather than strftime("%B"), which follows the process locale.
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def format_hours(hours: Decimal) -> str:
    amount = Decimal(hours).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount < 0:
        raise ValueError(f"Contact hours cannot be negative: {hours}")
    return f"{amount:.2f}"


def format_short_date(day: date) -> str:
    """ "Sep 28, 2025": fits a table column where the full month name would not."""
    return f"{MONTHS[day.month - 1][:3]} {day.day}, {day.year}"


def contact_hours_label(hours: Decimal) -> str:
    """ "1.00 contact hour", "1.50 contact hours": two decimals, singular only for exactly one."""
    amount = format_hours(hours)
    return f"{amount} contact hour" if amount == "1.00" else f"{amount} contact hours"


def license_label(line: LicenseLine) -> str:
    return clean(f"{line.profession} license {line.state} {line.number}")


def name_with_credentials(name: str, credentials: str) -> str:
    name, credentials = clean(name), clean(credentials)
    return f"{name}, {credentials}" if credentials else name


def _safe_filename_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", clean(text)).strip("-.") or "document"


def certificate_filename(data: CertificateData) -> str:
    return f"certificate-{_safe_filename_part(data.serial)}.pdf"


# --- certificate layout -------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = landscape(letter)
CENTRE_X = PAGE_WIDTH / 2
OUTER_INSET = 22  # the heavy frame line
INNER_INSET = 30  # the fine frame line inside it
BODY_WIDTH = 600  # the centred text column
SMALL_PRINT_WIDTH = 540  # narrower, so lines of small print stay short enough to read
BODY_TOP = 474  # just under the title's ornament
BODY_FLOOR = 150  # the signature, record and QR blocks live below this line
QR_SIZE = 70
QR_RIGHT = PAGE_WIDTH - INNER_INSET - 20
QR_BOTTOM = 64
SIGNATURE_LEFT, SIGNATURE_RIGHT, SIGNATURE_Y = 72, 312, 100
# Sizes tried in turn for (course title, small print) until the body fits between top and floor.
SIZE_STEPS = ((18, 9), (17, 8.5), (16, 8), (15, 8), (14, 7.5), (13, 7), (12, 7), (11, 6.5), (10, 6))


@dataclass(frozen=True)
class Block:
    """One piece of the certificate body, measured before anything is drawn."""

    height: float
    draw: Callable[[Canvas, float], None]  # draws the block with its top edge at the given y
    gap: float = 8  # the least space above it
    stretch: float = 0  # its share of any spare height, added above it


def blocks_height(blocks: Sequence[Block]) -> float:
    return sum(block.height + block.gap for block in blocks)


def stack_blocks(canvas: Canvas, blocks: Sequence[Block], top: float, bottom: float) -> None:
    """Draw blocks downward from top, spreading spare height into their stretchable gaps."""
    spare = (top - bottom) - blocks_height(blocks)
    if spare < 0:
        raise CertificateLayoutError("The certificate body does not fit on the page.")
    weights = sum(block.stretch for block in blocks) or 1
    # A short body should not float apart: each gap grows by at most 3x its own size, and what
    # is left over is split above and below the whole body.
    extras = [min(spare * block.stretch / weights, 3 * block.gap) for block in blocks]
    y = top - (spare - sum(extras)) / 2
    for block, extra in zip(blocks, extras, strict=True):
        y -= block.gap + extra
        block.draw(canvas, y)
        y -= block.height


def _fitted_size(text: str, font: str, size: float, max_width: float | None) -> float:
    if max_width is None:
        return size
    width = stringWidth(text, font, size)
    return size if width <= max_width else size * max_width / width


def _set_text(canvas: Canvas, font: str, size: float, color: colors.Color) -> None:
    canvas.setFillColor(color)
    canvas.setFont(font, size)


def draw_centred(canvas: Canvas, text, font, size, y, color, max_width: float | None = None) -> None:
    _set_text(canvas, font, _fitted_size(text, font, size, max_width), color)
    canvas.drawCentredString(CENTRE_X, y, text)


def draw_left(canvas: Canvas, text, font, size, x, y, color, max_width: float | None = None) -> None:
    _set_text(canvas, font, _fitted_size(text, font, size, max_width), color)
    canvas.drawString(x, y, text)


def draw_right(canvas: Canvas, text, font, size, x, y, color, max_width: float | None = None) -> None:
    _set_text(canvas, font, _fitted_size(text, font, size, max_width), color)
    canvas.drawRightString(x, y, text)


def line_block(text: str, font: str, size: float, color: colors.Color, **spacing: float) -> Block:
    """A single centred line, shrunk to the body width when it is too long."""
    size = _fitted_size(text, font, size, BODY_WIDTH)
    ascent, descent = getAscentDescent(font, size)

    def draw(canvas: Canvas, top: float) -> None:
        draw_centred(canvas, text, font, size, top - ascent, color)

    return Block(height=ascent - descent, draw=draw, **spacing)


def wrap_words(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap at spaces (a no-break space holds its neighbours together).

    Used instead of Paragraph, which parses markup and builds fragments: a third of the page's time.
    Each word is measured once, because reportlab applies no kerning and widths simply add up.
    """
    space = stringWidth(" ", font, size)
    lines: list[str] = []
    words: list[str] = []
    used = 0.0
    for word in text.split(" "):
        word_width = stringWidth(word, font, size)
        if words and used + space + word_width > width:
            lines.append(" ".join(words).rstrip(NBSP))
            words, used = [], 0.0
        used += (space if words else 0) + word_width
        words.append(word)
    if words:
        lines.append(" ".join(words).rstrip(NBSP))
    return lines


def text_block(
    text: str, font: str, size: float, color: colors.Color, width: float = BODY_WIDTH, **spacing: float
) -> Block:
    """Centred text wrapped to width, with a leading of 1.25 times its size."""
    lines = wrap_words(text, font, size, width)
    leading = size * 1.25
    ascent, descent = getAscentDescent(font, size)

    def draw(canvas: Canvas, top: float) -> None:
        for index, line in enumerate(lines):
            # max_width only bites on a single word longer than the column, such as a long URL.
            draw_centred(canvas, line, font, size, top - ascent - index * leading, color, max_width=width)

    return Block(height=ascent - descent + leading * (len(lines) - 1), draw=draw, **spacing)


def draw_centred_runs(
    canvas: Canvas, runs: Sequence[tuple[str, str, float, colors.Color]], y: float
) -> float:
    """Draw (text, font, size, colour) runs side by side, centred as one line; return their width."""
    widths = [stringWidth(text, font, size) for text, font, size, _ in runs]
    x = CENTRE_X - sum(widths) / 2
    for (text, font, size, color), width in zip(runs, widths, strict=True):
        draw_left(canvas, text, font, size, x, y, color)
        x += width
    return sum(widths)


def ornament_rule(canvas: Canvas, y: float, half_width: float = 90) -> None:
    """A thin gold rule broken by a small diamond, under the title."""
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(0.8)
    canvas.line(CENTRE_X - half_width, y, CENTRE_X - 9, y)
    canvas.line(CENTRE_X + 9, y, CENTRE_X + half_width, y)
    canvas.setFillColor(ACCENT)
    path = canvas.beginPath()
    path.moveTo(CENTRE_X, y + 4)
    path.lineTo(CENTRE_X + 4, y)
    path.lineTo(CENTRE_X, y - 4)
    path.lineTo(CENTRE_X - 4, y)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


# --- certificate --------------------------------------------------------------------------------


class CertificateRenderer:
    """Draws one certificate. Subclass and override a _draw_* or _*_blocks hook to change a part."""

    # Flate on the font subsets costs ~2 ms of the ~7 ms; without it the PDF grows from ~34 KB to
    # ~58 KB. Compressed, since every certificate is stored in a database row for years.
    page_compression = 1

    def __init__(self, fonts: FontSet | None = None) -> None:
        self.fonts = fonts or register_fonts()

    def generate(self, data: CertificateData) -> tuple[str, str, bytes]:
        """(filename, mimetype, PDF bytes), the shape pretix's invoice renderers return."""
        buffer = io.BytesIO()
        canvas = Canvas(
            buffer,
            pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
            invariant=1,  # fixed dates and document ID: same data, same bytes
            pageCompression=self.page_compression,
            initialFontName=self.fonts.serif,  # else Helvetica, unembedded, lands in the resources
        )
        self._set_metadata(canvas, data)
        self._draw_frame(canvas)
        self._draw_heading(canvas, data)
        stack_blocks(canvas, self._body_blocks(data), BODY_TOP, BODY_FLOOR)
        self._draw_signature(canvas, data)
        self._draw_record(canvas, data)
        self._draw_verification(canvas, data)
        canvas.showPage()
        canvas.save()
        return certificate_filename(data), PDF_MIMETYPE, buffer.getvalue()

    def _set_metadata(self, canvas: Canvas, data: CertificateData) -> None:
        canvas.setTitle(f"Certificate of completion — {clean(data.course_title)}")
        canvas.setAuthor(clean(data.provider_name))
        canvas.setSubject(
            f"Continuing nursing education: {contact_hours_label(data.contact_hours)} "
            f"awarded to {clean(data.learner_name)}"
        )
        canvas.setCreator(CREATOR)
        canvas.setKeywords(f"certificate {clean(data.serial)}")

    def _draw_frame(self, canvas: Canvas) -> None:
        canvas.setStrokeColor(NAVY)
        canvas.setLineWidth(3)
        canvas.rect(OUTER_INSET, OUTER_INSET, PAGE_WIDTH - 2 * OUTER_INSET, PAGE_HEIGHT - 2 * OUTER_INSET)
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(0.8)
        canvas.rect(INNER_INSET, INNER_INSET, PAGE_WIDTH - 2 * INNER_INSET, PAGE_HEIGHT - 2 * INNER_INSET)
        # Small squares where the fine line turns: the one ornament, so the frame does not look bare.
        canvas.setFillColor(ACCENT)
        for x in (INNER_INSET, PAGE_WIDTH - INNER_INSET):
            for y in (INNER_INSET, PAGE_HEIGHT - INNER_INSET):
                canvas.rect(x - 3, y - 3, 6, 6, stroke=0, fill=1)

    def _draw_heading(self, canvas: Canvas, data: CertificateData) -> None:
        fonts = self.fonts
        draw_centred(canvas, clean(data.provider_name), fonts.serif, 11, 544, MUTED, max_width=BODY_WIDTH)
        draw_centred(canvas, "Certificate of Completion", fonts.serif_bold, 34, 500, NAVY)
        ornament_rule(canvas, 484)

    def _body_blocks(self, data: CertificateData) -> list[Block]:
        """The body at the largest sizes that fit; long titles and statements shrink, never cut."""
        fixed = self._learner_blocks(data)
        for title_size, small_size in SIZE_STEPS:
            blocks = fixed + self._course_blocks(data, title_size, small_size)
            if blocks_height(blocks) <= BODY_TOP - BODY_FLOOR:
                return blocks
        raise CertificateLayoutError(
            "The course title and accreditation statement are too long to print on one certificate page."
        )

    def _learner_blocks(self, data: CertificateData) -> list[Block]:
        fonts = self.fonts
        blocks = [
            line_block("This certifies that", fonts.serif, 13, INK, gap=0, stretch=1),
            self._name_block(data),
        ]
        if data.licenses:
            blocks.append(self._licenses_block(data.licenses))
        return blocks

    def _licenses_block(self, licenses: tuple[LicenseLine, ...]) -> Block:
        """Every license on one line while that stays legible, else wrapped between licenses."""
        font = self.fonts.serif
        labels = [license_label(line) for line in licenses]
        text = SEPARATOR.join(labels)
        if _fitted_size(text, font, 10, BODY_WIDTH) >= 8.5:
            return line_block(text, font, 10, INK, gap=8)
        # Wrap between licenses, never inside one: "RN license" must stay with its state and number.
        return text_block(SEPARATOR.join(label.replace(" ", NBSP) for label in labels), font, 9, INK, gap=8)

    def _name_block(self, data: CertificateData) -> Block:
        """The legal name, large, with credentials after it in a smaller size, over a gold rule."""
        fonts = self.fonts
        name, credentials = clean(data.learner_name), clean(data.learner_credentials)
        suffix = f", {credentials}" if credentials else ""
        name_width = stringWidth(name, fonts.serif_bold, 30)
        suffix_width = stringWidth(suffix, fonts.serif, 18)
        # A long legal name shrinks to fit the frame rather than being cut or wrapped.
        scale = min(1.0, 640 / (name_width + suffix_width))
        ascent, _ = getAscentDescent(fonts.serif_bold, 30 * scale)
        runs = [(name, fonts.serif_bold, 30 * scale, NAVY)]
        if suffix:
            runs.append((suffix, fonts.serif, 18 * scale, INK))

        def draw(canvas: Canvas, top: float) -> None:
            baseline = top - ascent
            width = draw_centred_runs(canvas, runs, baseline)
            half = min(max(width, 300) / 2 + 20, BODY_WIDTH / 2 + 20)
            canvas.setStrokeColor(ACCENT)
            canvas.setLineWidth(0.6)
            canvas.line(CENTRE_X - half, baseline - 11, CENTRE_X + half, baseline - 11)

        return Block(height=ascent + 12, draw=draw, gap=12)

    def _course_blocks(self, data: CertificateData, title_size: float, small_size: float) -> list[Block]:
        fonts = self.fonts
        awarded = (
            f"Completed {format_date(data.completion_date)}{SEPARATOR}"
            f"Awarded {contact_hours_label(data.contact_hours)}"
        )
        blocks = [
            line_block(
                "has completed the continuing nursing education activity", fonts.serif, 12, INK, stretch=1
            ),
            text_block(clean(data.course_title), fonts.serif_bold, title_size, INK),
            line_block(awarded, fonts.serif_bold, 12, NAVY, gap=10),
        ]
        statement = clean(data.accreditation_statement)
        if statement:
            blocks.append(
                text_block(statement, fonts.serif, small_size, MUTED, SMALL_PRINT_WIDTH, gap=10, stretch=1)
            )
        joint = clean(data.joint_providership_statement)
        if joint:  # only jointly provided courses: every other certificate lays out as before
            blocks.append(text_block(joint, fonts.serif, small_size, MUTED, SMALL_PRINT_WIDTH, gap=5))
        parts = [clean(part) for part in (data.provider_address, data.provider_web_address) if clean(part)]
        provider = SEPARATOR.join([f"Provider: {clean(data.provider_name)}", *parts])
        blocks.append(text_block(provider, fonts.serif, small_size, INK, SMALL_PRINT_WIDTH, gap=5))
        blocks.append(self._approval_block(data, small_size))
        return blocks

    def _approval_block(self, data: CertificateData, size: float) -> Block:
        """The approval number on a line of its own, in bold: the first thing a board reviewer seeks."""
        fonts = self.fonts
        runs = [
            ("Provider approval number: ", fonts.serif, size, INK),
            (clean(data.provider_approval_number), fonts.serif_bold, size, INK),
        ]
        ascent, descent = getAscentDescent(fonts.serif, size)
        return Block(
            height=ascent - descent,
            draw=lambda canvas, top: draw_centred_runs(canvas, runs, top - ascent),
            gap=2,
        )

    def _draw_signature(self, canvas: Canvas, data: CertificateData) -> None:
        fonts = self.fonts
        canvas.setStrokeColor(INK)
        canvas.setLineWidth(0.7)
        canvas.line(SIGNATURE_LEFT, SIGNATURE_Y, SIGNATURE_RIGHT, SIGNATURE_Y)
        if data.signature_image:
            # Standing on the line, at most 36 pt high: the body's floor (BODY_FLOOR) is above it.
            canvas.drawImage(
                ImageReader(io.BytesIO(data.signature_image)),
                SIGNATURE_LEFT,
                SIGNATURE_Y + 2,
                width=SIGNATURE_RIGHT - SIGNATURE_LEFT,
                height=36,
                preserveAspectRatio=True,
                anchor="sw",
                mask="auto",
            )
        planner = name_with_credentials(data.nurse_planner_name, data.nurse_planner_credentials)
        width = SIGNATURE_RIGHT - SIGNATURE_LEFT + 60
        draw_left(canvas, planner, fonts.serif, 11, SIGNATURE_LEFT, SIGNATURE_Y - 15, INK, max_width=width)
        draw_left(canvas, "Nurse planner", fonts.serif, 8.5, SIGNATURE_LEFT, SIGNATURE_Y - 28, MUTED)

    def _draw_record(self, canvas: Canvas, data: CertificateData) -> None:
        """Serial, issue date and code, right-aligned beside the QR code."""
        fonts = self.fonts
        lines = [
            (f"Certificate {clean(data.serial)}", fonts.serif_bold, 9.5, INK),
            (f"Issued {format_date(data.issued_at)}", fonts.serif, 9.5, INK),
            (f"Verification code {clean(data.verification_code)}", fonts.serif, 8.5, MUTED),
        ]
        if clean(data.title_note):
            lines.append((clean(data.title_note), fonts.serif, 8.5, MUTED))
        right = QR_RIGHT - QR_SIZE - 16
        y = QR_BOTTOM + QR_SIZE - 8
        for text, font, size, color in lines:
            draw_right(canvas, text, font, size, right, y, color, max_width=250)
            y -= size + 4.5

    def _draw_verification(self, canvas: Canvas, data: CertificateData) -> None:
        url = clean(data.verification_url)
        draw_qr(canvas, url, QR_RIGHT - QR_SIZE, QR_BOTTOM, QR_SIZE)
        draw_right(canvas, f"Verify at {url}", self.fonts.serif, 7.5, QR_RIGHT, QR_BOTTOM - 15, MUTED, 330)


def render_certificate(data: CertificateData) -> bytes:
    """The certificate PDF: one landscape US Letter page."""
    return CertificateRenderer().generate(data)[2]
