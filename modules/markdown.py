"""Markdown to sanitised HTML. Pure: no database, no request.

Authors are trusted to write content but not to run code in a learner's browser, so the
rendered HTML passes through nh3 with an allow-list: no script, style, iframe, event
handler or javascript: URL survives, and links open with rel="noopener noreferrer".
"""

import re

import markdown
import nh3

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


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=MARKDOWN_EXTENSIONS, output_format="html")
    return sanitize_html(html)


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
