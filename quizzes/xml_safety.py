"""Parsing untrusted XML (Moodle XML files, QTI items and manifests) without the classic traps.

Pure Python, no Django. lxml with entity expansion, DTD loading and network access switched
off, and libxml2's own limits left on (``huge_tree=False``: at most 256 levels of nesting, at
most 10 MB per text node). A document type declaration is refused: none of the formats we read uses one, and it is where
entity bombs ("billion laughs") and external entities (``SYSTEM "file:///etc/passwd"``) live. It
is refused before parsing when the bytes show it (ASCII-compatible encodings), and otherwise
(UTF-16) right after parsing, which with entity expansion off expands nothing.
"""

import re

from lxml import etree

# Where a DTD could hide: the prolog is short, but a comment or processing instruction could
# push the declaration further on, so the whole input is searched (one linear regex pass).
_DTD_RE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


class XmlRefused(Exception):
    """The input is not XML we read. ``line`` is 1-based; ``message`` says why in words."""

    def __init__(self, line, message):
        super().__init__(message)
        self.line = line
        self.message = message


def _parser():
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


def parse_xml(data):
    """The root element of `data` (bytes), or XmlRefused with the line and reason.

    Elements keep their ``sourceline``, which the format parsers put in their messages.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    match = _DTD_RE.search(data)
    if match:
        line = data.count(b"\n", 0, match.start()) + 1
        raise XmlRefused(
            line,
            "the file declares a document type or entities (<!DOCTYPE>/<!ENTITY>), which can expand "
            "to gigabytes or read files on the server; it is refused. Export the file again without one.",
        )
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise XmlRefused(1, "the file is binary data, not an XML text file.")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        line = error.lineno or 1
        reason = str(error.msg if hasattr(error, "msg") else error)
        reason = re.sub(r", line \d+, column \d+.*$", "", reason)
        if "Excessive depth" in reason:
            reason = "the markup is nested too deeply (more than 256 levels)"
        elif "Document is empty" in reason or "Start tag expected" in reason:
            reason = "the file is not XML (no root element could be read)"
        raise XmlRefused(line, f"the file is not well-formed XML: {reason}.") from None
    except ValueError as error:  # e.g. an encoding lxml cannot decode
        raise XmlRefused(1, f"the file cannot be read as XML: {error}.") from None
    # The byte scan above misses a declaration in UTF-16 (every other byte is NUL); lxml reads the
    # BOM and parses it, entities unexpanded, and this check of the parsed tree refuses it.
    if root.getroottree().docinfo.internalDTD is not None:
        raise XmlRefused(1, "the file declares a document type, which is refused.")
    return root


def local_name(element):
    """The tag without its namespace (``{ns}choice`` -> ``choice``); comments give ""."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]
