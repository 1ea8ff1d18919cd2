"""Markdown to sanitised HTML. Pure: no database, no request.

Authors are trusted to write content but not to run code in a learner's browser, so the
rendered HTML passes through nh3 with an allow-list: no script, style, iframe, event
handler or javascript: URL survives, and links open with rel="noopener noreferrer".

A paragraph that is exactly `[[image:KEY]]` becomes a figure when the caller passes the
figures it knows (`render_markdown(text, figures={key: Figure})`); the database lookup is
the caller's (`modules.models.render_markdown_with_images`).
"""

import re
import secrets
from dataclasses import dataclass
from html import escape
from xml.etree import ElementTree

import markdown
import nh3
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title"},
    "a": {"href"},
    "abbr": {"title"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

MARKDOWN_EXTENSIONS = ["admonition", "tables", "sane_lists", "attr_list", "def_list", "abbr"]


def render_markdown(text: str, figures=None) -> str:
    """Sanitised HTML for `text`. With `figures` (key -> Figure), `[[image:KEY]]` paragraphs become
    figures, and a key not in it raises UnknownImage; without, they stay as written."""
    extensions = list(MARKDOWN_EXTENSIONS)
    placed = {}
    if figures is not None:
        extensions.append(FigureExtension(figures, placed))
    html = sanitize_html(markdown.markdown(text or "", extensions=extensions, output_format="html"))
    # Figures go in after the author's HTML is sanitised: they are built here from escaped and
    # already-sanitised parts, and use markup (details, loading) that authors' HTML may not.
    for token, figure in placed.items():
        html = html.replace(f"<p>{token}</p>", figure_html(figure))
    return html


def render_inline_markdown(text: str) -> str:
    """Markdown for a one-line field such as a caption: emphasis and links, no paragraph around it."""
    html = render_markdown(text).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


IMAGE_PARAGRAPH = re.compile(r"\[\[image:([a-z0-9][a-z0-9_-]*)\]\]")
IMAGE_KEYS = re.compile(r"^[ \t]*\[\[image:([a-z0-9][a-z0-9_-]*)\]\][ \t]*$", re.M)


class UnknownImage(ValueError):
    """Markdown places an image whose key is not in the library; the message names the key."""

    def __init__(self, key):
        self.key = key
        super().__init__(f'No image has the key "{key}"; add it to the images first, or fix the key.')


@dataclass(frozen=True)
class Figure:
    """What the Markdown needs to place one image; the caller builds it from an Image row."""

    src: str
    width: int
    height: int
    alt: str
    decorative: bool = False
    caption: str = ""  # inline Markdown
    source: str = ""
    long_description_html: str = ""  # already rendered and sanitised


def image_keys(text: str) -> set[str]:
    """Every key a line of `text` places (a superset: code blocks are not told apart)."""
    return set(IMAGE_KEYS.findall(text or ""))


def figure_html(figure: Figure) -> str:
    alt = "" if figure.decorative else figure.alt
    parts = [
        '<figure class="figure">',
        f'<img src="{escape(figure.src)}" alt="{escape(alt)}" width="{int(figure.width)}"'
        f' height="{int(figure.height)}" loading="lazy">',
    ]
    caption = render_inline_markdown(figure.caption) if figure.caption.strip() else ""
    source = escape(figure.source.strip())
    if caption or source:
        parts.append(f"<figcaption>{' — '.join(p for p in (caption, source) if p)}</figcaption>")
    if figure.long_description_html.strip() and not figure.decorative:
        parts.append(
            "<details><summary>Description of the figure</summary>"
            f"{sanitize_html(figure.long_description_html)}</details>"
        )
    parts.append("</figure>")
    return "".join(parts)


class FigureProcessor(BlockProcessor):
    """A block (paragraph) that is exactly `[[image:KEY]]` becomes the figure for KEY.

    It leaves a paragraph holding a one-off token that render_markdown replaces with the figure;
    it runs after the code-block processor, so an indented example of the syntax stays code.
    """

    def __init__(self, parser, figures, placed):
        super().__init__(parser)
        self.figures = figures
        self.placed = placed
        # A token per render that no author can guess, so no text of theirs becomes a figure.
        self.nonce = secrets.token_hex(16)

    def test(self, parent, block):
        return IMAGE_PARAGRAPH.fullmatch(block.strip()) is not None

    def run(self, parent, blocks):
        key = IMAGE_PARAGRAPH.fullmatch(blocks.pop(0).strip()).group(1)
        if key not in self.figures:
            raise UnknownImage(key)
        token = f"figure-{self.nonce}-{len(self.placed)}"
        self.placed[token] = self.figures[key]
        ElementTree.SubElement(parent, "p").text = token


class FigureExtension(Extension):
    def __init__(self, figures, placed):
        super().__init__()
        self.figures = figures
        self.placed = placed

    def extendMarkdown(self, md):
        # Below code blocks (80) and above paragraphs (10).
        md.parser.blockprocessors.register(
            FigureProcessor(md.parser, self.figures, self.placed), "figure", 12
        )


URL_ATTRIBUTES = {"href", "src"}
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


def _safe_url(tag, attribute, value):
    """Drop a URL whose scheme, once every blank and control character is removed, is not allowed.

    nh3 checks schemes already; this second look catches obfuscations such as "java\tscript:",
    which a browser reads as "javascript:" because URL parsing drops tabs and newlines.
    """
    if attribute not in URL_ATTRIBUTES:
        return value
    compact = _INVISIBLE.sub("", value).lower()
    scheme, colon, _ = compact.partition(":")
    if colon and "/" not in scheme and scheme not in ALLOWED_URL_SCHEMES:
        return None
    return value


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=_safe_url,
    )
