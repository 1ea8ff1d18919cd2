"""QR codes for the certificate's verification link, drawn straight onto a reportlab canvas.

Pure rendering, like certificates.pdf, which places the code on the certificate page.
"""

import re

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas

# reportlab's QRCode.make() scores all eight mask patterns to pick the "best", which costs ~18 ms,
# nearly twice the whole certificate's budget. Every mask decodes (the mask number is written in the
# symbol's format bits), and level M error correction carries a printed code through a crease, so
# one fixed mask is used. The test suite decodes the rendered page with zbarimg.
QR_MASK_PATTERN = 0
DARK_RUN = re.compile("1+")


def qr_rows(value: str) -> list[str]:
    """The QR symbol for value, encoded by reportlab: rows of modules from the top, "1" = dark."""
    qr = QrCodeWidget(value, barLevel="M").qr
    qr.version = qr.calculate_version()
    qr.makeImpl(False, QR_MASK_PATTERN)
    return ["".join("1" if module else "0" for module in row) for row in qr.modules]


def draw_qr(canvas: Canvas, value: str, x: float, y: float, size: float) -> None:
    """Draw the symbol as one filled path of horizontal runs, in module units.

    Drawn directly rather than as QrCodeWidget in a Drawing: renderPDF builds one validated Rect
    shape per run and formats each coordinate in Python, ~40 ms a code. One path filled once also
    keeps viewers from painting hairline seams between neighbouring modules. The surrounding white
    page is the quiet zone, so callers leave four modules clear around it.
    """
    rows = qr_rows(value)
    count = len(rows)
    runs = [
        f"{run.start()} {count - 1 - index} {run.end() - run.start()} 1 re"
        for index, row in enumerate(rows)
        for run in DARK_RUN.finditer(row)
    ]
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(size / count, size / count)
    canvas.setFillColor(colors.black)
    canvas.addLiteral("\n".join(runs) + "\nf")
    canvas.restoreState()
