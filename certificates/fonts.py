"""Embedded TrueType fonts for the certificate and transcript PDFs.

Reportlab's built-in fonts are the unembedded standard 14, which cover Latin-1 only: "Łukasz Żółć" or
"Nguyễn" would print with missing glyphs, and a state board's viewer may substitute another face. So
every PDF uses DejaVu (Debian's fonts-dejavu-core), registered once per process because parsing the
TTF files costs far more than rendering a page.
"""

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
DEBIAN_PACKAGE = "fonts-dejavu-core"

# Logical names the renderers use; font_files() decides which TTF file backs each one.
SERIF = "CE-Serif"
SERIF_BOLD = "CE-Serif-Bold"
SANS = "CE-Sans"
SANS_BOLD = "CE-Sans-Bold"

_lock = threading.Lock()


class FontsUnavailableError(RuntimeError):
    """The DejaVu TTF files are not installed, so no PDF can be rendered with embedded fonts."""


@dataclass(frozen=True)
class FontSet:
    """The registered reportlab font names, and whether real serif faces back the serif names."""

    serif: str
    serif_bold: str
    sans: str
    sans_bold: str
    has_serif: bool


def _font_file(directory: Path, stem: str) -> Path | None:
    path = directory / f"{stem}.ttf"
    return path if path.is_file() else None


def _required(directory: Path, stem: str) -> Path:
    path = _font_file(directory, stem)
    if path is None:
        raise FontsUnavailableError(
            f"{directory / (stem + '.ttf')} is missing. The certificate PDFs embed DejaVu fonts: "
            f"install the Debian package {DEBIAN_PACKAGE} (apt-get install {DEBIAN_PACKAGE})."
        )
    return path


def font_files(directory: Path = DEJAVU_DIR) -> dict[str, Path]:
    """The TTF file behind each logical font name, without registering anything.

    Raises FontsUnavailableError, naming the Debian package, when DejaVu Sans is not installed.
    """
    sans = _required(directory, "DejaVuSans")
    sans_bold = _required(directory, "DejaVuSans-Bold")
    # Serif ships in fonts-dejavu-core on current Debian but lived in fonts-dejavu-extra on older
    # releases; a certificate still reads well in Sans, so its absence is not an error.
    serif = _font_file(directory, "DejaVuSerif")
    serif_bold = _font_file(directory, "DejaVuSerif-Bold")
    has_serif = serif is not None and serif_bold is not None
    return {
        SANS: sans,
        SANS_BOLD: sans_bold,
        SERIF: serif if has_serif else sans,
        SERIF_BOLD: serif_bold if has_serif else sans_bold,
    }


@cache
def _register(directory: Path) -> FontSet:
    files = font_files(directory)
    for name, path in files.items():
        # asciiReadable=False embeds only the glyphs a page uses, not all of ASCII: smaller
        # subsets are faster to build and compress, and text extraction still works (ToUnicode).
        pdfmetrics.registerFont(TTFont(name, str(path), asciiReadable=False))
    # Paragraph markup such as <b> looks fonts up by family, so map the families too.
    for regular, bold in ((SANS, SANS_BOLD), (SERIF, SERIF_BOLD)):
        addMapping(regular, 0, 0, regular)
        addMapping(regular, 1, 0, bold)
        addMapping(regular, 0, 1, regular)
        addMapping(regular, 1, 1, bold)
    return FontSet(
        serif=SERIF,
        serif_bold=SERIF_BOLD,
        sans=SANS,
        sans_bold=SANS_BOLD,
        has_serif=files[SERIF] != files[SANS],
    )


def register_fonts(directory: Path = DEJAVU_DIR) -> FontSet:
    """Register the DejaVu faces with reportlab (once per process) and return their names.

    reportlab's font registry is process-wide: another directory re-registers the same names.

    Raises FontsUnavailableError, naming the Debian package, when DejaVu Sans is not installed.
    """
    # The lock keeps two threads of one worker from parsing the same TTF files at once.
    with _lock:
        return _register(directory)


def missing_glyphs(text: str, font_name: str) -> set[str]:
    """Characters of text that the registered TrueType font cannot draw (they would print as boxes)."""
    face = pdfmetrics.getFont(font_name).face
    return {char for char in set(text) if char.isprintable() and ord(char) not in face.charToGlyph}
