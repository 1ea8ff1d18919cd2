"""The badge image: our own simple design drawn with Pillow, baked with the signed credential.

Open Badges 3.0 baking (PNG): one `iTXt` chunk with the keyword `openbadgecredential`, no
compression, empty language and translated keyword, whose text is the credential (here the
compact JWS, so the image alone verifies). Pillow writes the chunk (PngInfo.add_itxt).
"""

import io
import math
from functools import lru_cache

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


@lru_cache(maxsize=64)
def _artwork(hours_label):
    """The PNG bytes of the badge for a number of contact hours (the same for every learner)."""
    image = Image.new("RGB", (SIZE, SIZE), WHITE)
    draw = ImageDraw.Draw(image)
    centre = SIZE / 2
    # A rosette: a 24-point star of gold behind a teal disc with a white ring.
    points = []
    for step in range(48):
        radius = 190 if step % 2 == 0 else 170
        angle = math.pi * step / 24
        points.append((centre + radius * math.cos(angle), centre + radius * math.sin(angle)))
    draw.polygon(points, fill=GOLD)
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
