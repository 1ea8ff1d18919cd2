"""The badge image: our own simple design (a rosette with the contact hours), baked with the credential.

Open Badges 3.0 baking, with the compact JWS so that the image alone verifies:
- PNG (drawn with Pillow): one `iTXt` chunk with the keyword `openbadgecredential`, no
  compression, empty language and translated keyword; Pillow writes it (PngInfo.add_itxt).
- SVG: `xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"` on the root and, directly after
  the `<svg>` tag, `<openbadges:credential verify="<compact JWS>"/>`.
"""

import io
import math
from functools import lru_cache
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from certificates.fonts import DEJAVU_DIR
from credentials.document import hours_number

BAKING_KEYWORD = "openbadgecredential"
SIZE = 400
TEAL = (15, 98, 110)
GOLD = (214, 166, 54)
WHITE = (255, 255, 255)


def _font(size, bold=False):
    path = DEJAVU_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:  # fonts-dejavu-core missing: Pillow's own scalable font still draws the text
        return ImageFont.load_default(size)


def _centred(draw, y, text, font, fill):
    width = draw.textlength(text, font=font)
    draw.text(((SIZE - width) / 2, y), text, font=font, fill=fill)


def _rosette_points():
    """A 24-point star: alternate points on an outer and an inner circle."""
    centre = SIZE / 2
    points = []
    for step in range(48):
        radius = 190 if step % 2 == 0 else 170
        angle = math.pi * step / 24
        points.append((centre + radius * math.cos(angle), centre + radius * math.sin(angle)))
    return points


@lru_cache(maxsize=64)
def _artwork(hours_label):
    """The PNG bytes of the badge for a number of contact hours (the same for every learner)."""
    image = Image.new("RGB", (SIZE, SIZE), WHITE)
    draw = ImageDraw.Draw(image)
    # A rosette: a gold star behind a teal disc with a white ring.
    draw.polygon(_rosette_points(), fill=GOLD)
    draw.ellipse((40, 40, SIZE - 40, SIZE - 40), fill=TEAL)
    draw.ellipse((58, 58, SIZE - 58, SIZE - 58), outline=WHITE, width=4)
    _centred(draw, 100, "NURSING CE", _font(26, bold=True), WHITE)
    _centred(draw, 150, hours_label, _font(72, bold=True), WHITE)
    _centred(draw, 240, "contact hours", _font(28), WHITE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def baked_png(*, contact_hours, credential_jws):
    """The badge PNG with the credential baked in its `openbadgecredential` iTXt chunk."""
    artwork = Image.open(io.BytesIO(_artwork(str(hours_number(contact_hours)))))
    info = PngInfo()
    info.add_itxt(BAKING_KEYWORD, credential_jws, lang="", tkey="", zip=False)
    buffer = io.BytesIO()
    # A light compression level: the flat artwork still compresses well, and it is far quicker.
    artwork.save(buffer, format="PNG", pnginfo=info, compress_level=1)
    return buffer.getvalue()


def _hex(colour):
    return "#{:02x}{:02x}{:02x}".format(*colour)


def baked_svg(*, contact_hours, credential_jws):
    """The same badge as SVG text, with the credential baked in its `openbadges:credential` element."""
    hours = escape(str(hours_number(contact_hours)))
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in _rosette_points())
    font = 'font-family="DejaVu Sans, Verdana, sans-serif" text-anchor="middle" fill="#ffffff"'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" '
        f'width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" role="img" aria-label="{hours} contact hours">'
        f"<openbadges:credential verify={quoteattr(credential_jws)}></openbadges:credential>\n"
        f"<title>Nursing CE: {hours} contact hours</title>\n"
        f'<polygon points="{points}" fill="{_hex(GOLD)}"/>\n'
        f'<circle cx="200" cy="200" r="160" fill="{_hex(TEAL)}"/>\n'
        '<circle cx="200" cy="200" r="142" fill="none" stroke="#ffffff" stroke-width="4"/>\n'
        f'<text x="200" y="128" font-size="26" font-weight="bold" {font}>NURSING CE</text>\n'
        f'<text x="200" y="222" font-size="72" font-weight="bold" {font}>{hours}</text>\n'
        f'<text x="200" y="268" font-size="28" {font}>contact hours</text>\n'
        "</svg>\n"
    )
