"""Report charts drawn on the server with reportlab's chart package.

One Drawing serves both outputs: the PDF summary places it as a flowable, the report page embeds
it as inline SVG. Drawing on the server keeps the page free of JavaScript, and the PDF and the page
can never disagree about what a chart shows.

Inline SVG in HTML is subject to the site's Content-Security-Policy ("style-src 'self'"), which
blocks style="..." attributes; reportlab's SVG renderer writes every colour and font that way, so
drawing_svg() moves each declaration to the equivalent presentation attribute, which CSP allows.
"""

import functools
import io
import math
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import date

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from certificates.fonts import SANS, SANS_BOLD, register_fonts
from certificates.pdf import clean

# Sized so two fit side by side on a landscape Letter page; the SVG scales with its viewBox.
WIDTH, HEIGHT = 360, 210
PLOT_X, PLOT_Y = 40, 46  # room on the left for counts and below for category labels
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - PLOT_X - 12, HEIGHT - PLOT_Y - 34

# Navy bars on white are ~12:1; the muted grey text is ~7:1, above WCAG AA for small text.
BAR = colors.Color(0.11, 0.22, 0.37)
INK = colors.Color(0.12, 0.12, 0.14)
MUTED = colors.Color(0.34, 0.36, 0.40)
GRID = colors.Color(0.85, 0.86, 0.88)
LABEL_SIZE = 8

# The browser has no "CE-Sans": name the same DejaVu face, then close look-alikes.
SVG_FAMILY = "'DejaVu Sans', Verdana, 'Bitstream Vera Sans', sans-serif"
SVG_FONTS = {SANS: {"family": SVG_FAMILY}, SANS_BOLD: {"family": SVG_FAMILY, "weight": "bold"}}
# Declarations that have a presentation attribute of the same name; anything else is dropped.
PRESENTATION_ATTRIBUTES = frozenset(
    (
        *("clip-path", "fill", "fill-opacity", "fill-rule"),
        *("font-family", "font-size", "font-style", "font-variant", "font-weight"),
        *("stroke", "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin"),
        *("stroke-opacity", "stroke-width", "text-anchor"),
    )
)
ID_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]+")


# --- series -------------------------------------------------------------------------------------


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_points(series: Iterable[tuple[date, int]]) -> list[tuple[str, int]]:
    """(label, count) for every month from the first to the last, zero where the series has none.

    The selector returns only months with completions; a bar chart that skipped the quiet months
    would make an uneven year look even.
    """
    counts: dict[date, int] = {}
    for day, count in series:
        first = date(day.year, day.month, 1)
        counts[first] = counts.get(first, 0) + int(count)
    if not counts:
        return []
    points = []
    month, last = min(counts), max(counts)
    while month <= last:
        points.append((month_label(month), counts.get(month, 0)))
        month = _next_month(month)
    return points


def label_points(series: Iterable[tuple[object, int]]) -> list[tuple[str, int]]:
    """(label, count) with dates as "2026-03" and anything else as its cleaned text."""
    series = list(series)
    if series and all(isinstance(key, date) for key, _ in series):
        return month_points(series)
    return [(clean(str(key)), int(count)) for key, count in series]


def _value_scale(highest: int) -> tuple[int, int]:
    """(axis maximum, step): whole numbers in steps of 1, 2 or 5 times a power of ten, about five ticks."""
    rough = max(highest, 1) / 5
    magnitude = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    return step * max(1, math.ceil(highest / step)), step


def _thinned(labels: Sequence[str], width: float) -> list[str]:
    """Every nth label, blanking the others, so labels of a long span do not overlap."""
    if not labels:
        return []
    widest = max(stringWidth(label, SANS, LABEL_SIZE) for label in labels) + 6
    every = max(1, math.ceil(len(labels) * widest / width))
    return [label if index % every == 0 else "" for index, label in enumerate(labels)]


# --- drawings -----------------------------------------------------------------------------------


def _text(
    x: float, y: float, text: str, *, size: float = LABEL_SIZE, anchor="start", font=SANS, color=MUTED
) -> String:
    return String(x, y, text, fontName=font, fontSize=size, fillColor=color, textAnchor=anchor)


def _bar_chart(points: Sequence[tuple[str, int]], *, value_title: str, category_title: str) -> Drawing:
    register_fonts()  # the Drawing names the embedded faces; the PDF needs them registered
    drawing = Drawing(WIDTH, HEIGHT)
    # Else renderPDF starts each drawing in Helvetica, an unembedded font, even if no text uses it.
    drawing.initialFontName, drawing.initialFontSize = SANS, LABEL_SIZE
    drawing.add(_text(PLOT_X, HEIGHT - 14, value_title, size=9, color=INK, font=SANS_BOLD))
    drawing.add(_text(PLOT_X + PLOT_WIDTH / 2, 6, category_title, anchor="middle"))
    if not points:
        # No categories to place: reportlab's bar chart cannot draw an empty series, so draw the axes.
        drawing.add(Line(PLOT_X, PLOT_Y, PLOT_X + PLOT_WIDTH, PLOT_Y, strokeColor=MUTED))
        drawing.add(Line(PLOT_X, PLOT_Y, PLOT_X, PLOT_Y + PLOT_HEIGHT, strokeColor=MUTED))
    else:
        drawing.add(_configured_chart(points))
    if sum(count for _, count in points) == 0:
        drawing.add(
            _text(PLOT_X + PLOT_WIDTH / 2, PLOT_Y + PLOT_HEIGHT / 2, "No data", size=11, anchor="middle")
        )
    return drawing


def _configured_chart(points: Sequence[tuple[str, int]]) -> VerticalBarChart:
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = PLOT_X, PLOT_Y, PLOT_WIDTH, PLOT_HEIGHT
    chart.data = [[count for _, count in points]]
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    chart.barSpacing = 0
    chart.groupSpacing = 4 if len(points) > 12 else 10
    top, step = _value_scale(max(count for _, count in points))
    axis = chart.valueAxis
    axis.valueMin, axis.valueMax, axis.valueStep = 0, top, step
    axis.labelTextFormat = "%d"
    axis.labels.fontName, axis.labels.fontSize, axis.labels.fillColor = SANS, LABEL_SIZE, MUTED
    axis.strokeColor = MUTED
    axis.visibleGrid, axis.gridStrokeColor, axis.gridStrokeWidth = True, GRID, 0.5
    categories = chart.categoryAxis
    categories.categoryNames = _thinned([label for label, _ in points], PLOT_WIDTH)
    categories.labels.fontName, categories.labels.fontSize = SANS, LABEL_SIZE
    categories.labels.fillColor, categories.labels.dy = MUTED, -2
    categories.strokeColor = MUTED
    highest_label = stringWidth(str(max(count for _, count in points)), SANS, LABEL_SIZE)
    if PLOT_WIDTH / len(points) >= highest_label + 4:
        # Counts above the bars, while the bars are wide enough to hold them.
        chart.barLabelFormat = "%d"
        chart.barLabels.fontName, chart.barLabels.fontSize = SANS, LABEL_SIZE
        chart.barLabels.fillColor, chart.barLabels.nudge = INK, 6
    return chart


def completions_chart(series: Iterable[tuple[date, int]]) -> Drawing:
    """Completions per month, [(first day of month, count)] as completions_per_month returns them."""
    return _bar_chart(month_points(series), value_title="Completions", category_title="Month completed")


def scores_chart(series: Iterable[tuple[str, int]]) -> Drawing:
    """Best post-test scores in bins, [(label, count)] as score_distribution returns them."""
    return _bar_chart(
        label_points(series), value_title="Learners", category_title="Best post-test score (percent)"
    )


# --- SVG ----------------------------------------------------------------------------------------


def _style_to_attributes(element) -> None:
    style = element.getAttribute("style")
    element.removeAttribute("style")
    for declaration in style.split(";"):
        name, colon, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if colon and name in PRESENTATION_ATTRIBUTES and value:
            element.setAttribute(name, value)


def _elements(node):
    for child in node.childNodes:
        if child.nodeType == child.ELEMENT_NODE:
            yield child
            yield from _elements(child)


def _prefix_ids(svg, prefix: str) -> None:
    """Give every id the prefix, so two charts on one page do not share the clip path's "clip"."""
    elements = list(_elements(svg))
    renames = {
        e.getAttribute("id"): f"{prefix}-{e.getAttribute('id')}" for e in elements if e.hasAttribute("id")
    }
    for element in elements:
        if element.hasAttribute("id"):
            element.setAttribute("id", renames[element.getAttribute("id")])
        for name, value in list(element.attributes.items()):
            for old, new in renames.items():
                value = value.replace(f"url(#{old})", f"url(#{new})")
            element.setAttribute(name, value)


def _set_text(doc, parent, tag: str, element_id: str, text: str) -> None:
    node = next((e for e in parent.childNodes if getattr(e, "tagName", "") == tag), None)
    if node is None:
        node = parent.insertBefore(doc.createElement(tag), parent.firstChild)
    while node.firstChild:
        node.removeChild(node.firstChild)
    node.setAttribute("id", element_id)
    node.appendChild(doc.createTextNode(clean(text)))  # the DOM escapes it on output


def drawing_svg(drawing: Drawing, *, title: str, description: str, slug: str | None = None) -> str:
    """The drawing as an <svg> element to embed in HTML: no prolog, no style attributes, labelled.

    slug makes the element ids unique on the page (a random one is used when it is None); give
    each chart on a page its own. The result is safe to mark safe: the text is escaped by the DOM.

    Built with renderSVG's SVGCanvas, as renderSVG.drawToString does, so the document can be edited
    as a DOM before it is written out, rather than parsed back from a string.
    """
    prefix = ID_CHARACTERS.sub("-", clean(slug or f"chart-{uuid.uuid4().hex[:8]}")).strip("-") or "chart"
    drawing = renderSVG.renderScaledDrawing(drawing)
    canvas = renderSVG.SVGCanvas((drawing.width, drawing.height), fontHacks=SVG_FONTS)
    renderSVG.draw(drawing, canvas, 0, 0, showBoundary=False)
    doc, svg = canvas.doc, canvas.svg
    for element in [svg, *_elements(svg)]:
        if element.hasAttribute("style"):
            _style_to_attributes(element)
    _prefix_ids(svg, prefix)
    # <desc> first so that inserting <title> before it leaves <title> as the first child, as SVG asks.
    _set_text(doc, svg, "desc", f"{prefix}-desc", description)
    _set_text(doc, svg, "title", f"{prefix}-title", title)
    labels = [f"{prefix}-title", f"{prefix}-desc"]
    if not clean(description):
        # An empty <desc> would only add a pause to what a screen reader announces.
        svg.removeChild(next(e for e in svg.childNodes if getattr(e, "tagName", "") == "desc"))
        labels.pop()
    svg.setAttribute("role", "img")
    svg.setAttribute("aria-labelledby", " ".join(labels))
    svg.setAttribute("class", "report-chart")
    buffer = io.StringIO()
    # Written from the root element, not the document: no XML declaration and no DOCTYPE.
    svg.writexml(buffer, addindent="", newl="\n")
    return buffer.getvalue().strip()


@functools.lru_cache(maxsize=256)
def report_chart_svg(kind: str, series: tuple, *, title: str, slug: str) -> str:
    """The report page's chart ("months" or "scores") of `series` as inline SVG, remembered per process.

    Drawing and serialising a chart is most of the report page's time (five years of months are
    sixty bars), and the SVG depends on nothing but its arguments: the same series always draws
    the same SVG, and a new certificate changes the series, so a remembered one is never stale.
    """
    drawing = completions_chart(list(series)) if kind == "months" else scores_chart(list(series))
    return drawing_svg(drawing, title=title, description="", slug=slug)


# --- text alternative ---------------------------------------------------------------------------


def chart_text_alternative(series: Iterable[tuple[object, int]], *, what: str) -> str:
    """One sentence with every value and the highest, for readers who cannot see the chart.

    Month series are labelled "2026-03" and include the empty months the chart shows.
    """
    points = label_points(series)
    what = clean(what)
    total = sum(count for _, count in points)
    if not total:
        return f"{what}: no data."
    values = ", ".join(f"{label}: {count}" for label, count in points)
    highest = max(count for _, count in points)
    leaders = [label for label, count in points if count == highest]
    return f"{what}: {values}. Total {total}. Highest: {' and '.join(leaders)} ({highest})."
