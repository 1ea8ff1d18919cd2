"""Uploaded images made safe to serve. Pure: bytes in, bytes out, no database, no storage.

An author is trusted to write a lesson, not to run code in a learner's browser or to publish
where a photo was taken. So every image, uploaded or loaded from a course folder, goes through
one of two functions before it is stored:

- `svg_sanitise` parses the SVG with DTDs, entities and network access refused (defusedxml)
  and writes a new document holding only allow-listed SVG elements and attributes: no script,
  event handler, foreign object, animation, external reference or CSS that can fetch anything.
- `raster_reencode` lets Pillow check the real format (PNG, JPEG or WebP, and the one the
  upload claims to be), refuses decompression bombs before decoding, and re-encodes the pixels
  into a fresh image, so no EXIF (GPS), XMP or ICC block is carried over.

Each refusal raises `ImageRefused` with a message for the author.
"""

import hashlib
import io
import math
import re
from dataclasses import dataclass
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree
from defusedxml import DefusedXmlException
from PIL import Image as PillowImage
from PIL import ImageOps, UnidentifiedImageError

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 4096
MAX_PIXELS = 16_000_000
# Nesting deeper than this is refused, as lxml refuses it: the writer below recurses once per
# level, and no drawing needs hundreds of nested groups.
MAX_SVG_DEPTH = 256

SVG = "image/svg+xml"
PNG = "image/png"
JPEG = "image/jpeg"
WEBP = "image/webp"
EXTENSIONS = {SVG: "svg", PNG: "png", JPEG: "jpg", WEBP: "webp"}
TYPES_BY_EXTENSION = {"svg": SVG, "png": PNG, "jpg": JPEG, "jpeg": JPEG, "webp": WEBP}
PILLOW_FORMATS = {"PNG": PNG, "JPEG": JPEG, "WEBP": WEBP}


class ImageRefused(ValueError):
    """The file cannot be used as an image; the message tells the author why."""


@dataclass(frozen=True)
class CleanImage:
    """An image ready to store: the bytes to serve and what a page needs to lay it out."""

    data: bytes
    content_type: str
    width: int
    height: int

    @property
    def sha256(self):
        return hashlib.sha256(self.data).hexdigest()

    @property
    def extension(self):
        return EXTENSIONS[self.content_type]


def declared_type(filename, content_type=""):
    """The type an upload claims to be, from its file name (browsers' content types vary)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in TYPES_BY_EXTENSION:
        return TYPES_BY_EXTENSION[extension]
    if not extension and content_type in EXTENSIONS:
        return content_type
    raise ImageRefused(f"{filename or 'The file'}: only PNG, JPEG, WebP and SVG images can be added.")


def clean_image(data, declared, *, max_bytes=MAX_BYTES):
    """Sanitise an SVG or re-encode a raster image; the one entry point for uploads and loads."""
    check_size(len(data), max_bytes)
    if not data:
        raise ImageRefused("The file is empty.")
    if declared == SVG:
        clean = svg_sanitise(data)
        width, height = svg_size(clean)
        return CleanImage(clean, SVG, width, height)
    return CleanImage(*raster_reencode(data, declared))


def check_size(count, max_bytes=MAX_BYTES):
    if count > max_bytes:
        raise ImageRefused(f"The file is {_size(count)}; the limit is {_size(max_bytes)}.")


def _size(count):
    for unit, scale in (("MB", 1024 * 1024), ("kB", 1024)):
        if count >= scale:
            return f"{count / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{count} bytes"


# ---------------------------------------------------------------------------------------------
# SVG

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Shapes, text, grouping and paint servers: what a labelled diagram needs. Nothing that runs,
# animates, embeds another document (foreignObject, image, iframe) or links away (a).
ALLOWED_ELEMENTS = {
    "svg",
    "g",
    "defs",
    "title",
    "desc",
    "symbol",
    "use",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "textPath",
    "marker",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "mask",
    "pattern",
    "style",
}
ALLOWED_ATTRIBUTES = {
    "id",
    "class",
    "style",
    "transform",
    "viewBox",
    "version",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "fx",
    "fy",
    "d",
    "points",
    "pathLength",
    "dx",
    "dy",
    "rotate",
    "textLength",
    "lengthAdjust",
    "startOffset",
    "preserveAspectRatio",
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-miterlimit",
    "opacity",
    "color",
    "display",
    "visibility",
    "clip-path",
    "clip-rule",
    "mask",
    "marker-start",
    "marker-mid",
    "marker-end",
    "markerWidth",
    "markerHeight",
    "markerUnits",
    "refX",
    "refY",
    "orient",
    "offset",
    "stop-color",
    "stop-opacity",
    "gradientUnits",
    "gradientTransform",
    "spreadMethod",
    "clipPathUnits",
    "maskUnits",
    "maskContentUnits",
    "patternUnits",
    "patternContentUnits",
    "patternTransform",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "font-variant",
    "text-anchor",
    "text-decoration",
    "dominant-baseline",
    "alignment-baseline",
    "baseline-shift",
    "letter-spacing",
    "word-spacing",
    "paint-order",
    "vector-effect",
    "shape-rendering",
    "text-rendering",
    "role",
    "aria-label",
    "aria-labelledby",
    "aria-describedby",
    "aria-hidden",
    "focusable",
    "lang",
}
# Only these may point anywhere, and only at a fragment of this same document.
HREF_ELEMENTS = {"use", "textPath", "linearGradient", "radialGradient", "pattern"}
_LOCAL_FRAGMENT = re.compile(r"#[A-Za-z_][\w.\-]*")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_URL = re.compile(r"url\(([^)]*)\)")
_DANGEROUS = ("javascript:", "data:", "vbscript:", "@import", "expression(", "behavior:", "-moz-binding")


def _value_is_safe(value):
    """False for a value that could run code or fetch something: scripts, data: URIs, any url()
    other than a local #fragment, CSS imports, expressions and escapes that could hide them."""
    compact = _INVISIBLE.sub("", _CSS_COMMENT.sub("", value)).lower()
    if "\\" in compact or "&#" in compact:
        return False  # CSS or character escapes can spell any of the words below
    if any(word in compact for word in _DANGEROUS):
        return False
    for target in _CSS_URL.findall(compact):
        if not _LOCAL_FRAGMENT.fullmatch(target.strip("'\"")):
            return False
    return "url(" not in _CSS_URL.sub("", compact)


def _local_name(tag):
    """(namespace, name) of an ElementTree tag or attribute name."""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def svg_sanitise(data: bytes) -> bytes:
    """A new SVG document holding only the allow-listed parts of `data`.

    Refused outright (ImageRefused): not XML, a DOCTYPE or entity declaration, a root that is not
    an SVG element, elements nested more than MAX_SVG_DEPTH deep. Silently dropped: every element and attribute not on the allow-lists, with
    what they contain; comments and processing instructions; any href that is not a #fragment
    of this document; style values that could fetch or run something.
    """
    if re.search(rb"<!DOCTYPE|<!ENTITY", data, re.I):
        raise ImageRefused("The SVG declares a DOCTYPE or entities, which are not allowed.")
    try:
        root = defusedxml.ElementTree.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as error:
        raise ImageRefused("The SVG declares a DOCTYPE or entities, which are not allowed.") from error
    except ElementTree.ParseError as error:
        raise ImageRefused(f"The file is not a well-formed SVG ({error}).") from error
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ImageRefused(
            'The file is not an SVG image (its root must be <svg xmlns="http://www.w3.org/2000/svg">).'
        )
    out = io.StringIO()
    _write_element(root, out, is_root=True)
    return out.getvalue().encode("utf-8")


def _write_element(element, out, *, is_root=False, depth=1):
    if depth > MAX_SVG_DEPTH:
        raise ImageRefused(f"The SVG nests elements more than {MAX_SVG_DEPTH} deep.")
    namespace, name = _local_name(element.tag) if isinstance(element.tag, str) else ("", "")
    if namespace != SVG_NS or name not in ALLOWED_ELEMENTS:
        return  # dropped with everything inside it; its tail is written by the parent
    if name == "style" and not _value_is_safe(element.text or ""):
        return
    attributes = _clean_attributes(name, element.attrib)
    if is_root:
        attributes.insert(0, ("xmlns", SVG_NS))
        _add_viewbox(attributes)
    out.write(f"<{name}")
    for attribute, value in attributes:
        out.write(f" {attribute}={quoteattr(value)}")
    out.write(">")
    if element.text:
        out.write(escape(element.text))
    for child in element:
        _write_element(child, out, depth=depth + 1)
        if child.tail:
            out.write(escape(child.tail))
    out.write(f"</{name}>")


def _add_viewbox(attributes):
    """Give an SVG sized only in pixels a viewBox, so it scales down with the page instead of being cut off."""
    values = dict(attributes)
    width, height = _LENGTH.fullmatch(values.get("width", "")), _LENGTH.fullmatch(values.get("height", ""))
    if "viewBox" not in values and width and height:
        attributes.append(("viewBox", f"0 0 {width.group(1)} {height.group(1)}"))


def _clean_attributes(element_name, attrib):
    kept = []
    for raw_name, value in attrib.items():
        namespace, name = _local_name(raw_name)
        if name == "href" and namespace in ("", XLINK_NS):
            # SVG 2's plain href replaces xlink:href; both are kept only as a local #fragment.
            if element_name in HREF_ELEMENTS and _LOCAL_FRAGMENT.fullmatch(value.strip()):
                kept.append(("href", value.strip()))
            continue
        if namespace == XML_NS and name in ("lang", "space"):
            kept.append((f"xml:{name}", value))
            continue
        if namespace or name not in ALLOWED_ATTRIBUTES:
            continue
        if _value_is_safe(value):
            kept.append((name, value))
    return kept


_LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(px)?\s*")


def svg_size(data: bytes) -> tuple[int, int]:
    """The width and height a page should reserve for the SVG, from its viewBox or its size."""
    root = defusedxml.ElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True)
    width, height = root.get("width", ""), root.get("height", "")
    w, h = _LENGTH.fullmatch(width), _LENGTH.fullmatch(height)
    parts = [w.group(1), h.group(1)] if w and h else re.split(r"[\s,]+", root.get("viewBox", "").strip())[2:]
    try:
        size = (_whole_pixels(parts[0]), _whole_pixels(parts[1]))
    except (IndexError, ValueError):
        raise ImageRefused("The SVG needs a viewBox (or a width and height in pixels).") from None
    if not (0 < size[0] <= MAX_SIDE * 4 and 0 < size[1] <= MAX_SIDE * 4):
        raise ImageRefused(f"The SVG's size {size[0]}×{size[1]} is not usable.")
    return size


def _whole_pixels(text):
    """`text` as a whole number; ValueError for inf, nan or a number too long to be a float."""
    number = float(text)  # "1e400" and 400 nines both become inf, which round() cannot take
    if not math.isfinite(number):
        raise ValueError(text)
    return round(number)


# ---------------------------------------------------------------------------------------------
# Raster


def _pixel_limit(max_side, max_pixels):
    return f"the limit is {max_side} pixels a side and {max_pixels / 1_000_000:g} million pixels."


def raster_reencode(data: bytes, declared: str, *, max_side=MAX_SIDE, max_pixels=MAX_PIXELS):
    """Check `data` is the PNG, JPEG or WebP it claims to be and return it re-encoded.

    Returns (bytes, content type, width, height). The pixels are copied into a new image, so no
    metadata of the upload survives (EXIF with GPS, XMP, ICC profiles, text chunks); a photo's
    EXIF orientation is applied first, so it is not shown on its side once the tag is gone.
    """
    try:
        with PillowImage.open(io.BytesIO(data)) as probe:
            real = PILLOW_FORMATS.get(probe.format)
            size = probe.size
            # Checked from the header, before any pixel is decoded: a small file can hold a
            # decompression bomb of billions of pixels.
            if size[0] > max_side or size[1] > max_side or size[0] * size[1] > max_pixels:
                raise ImageRefused(
                    f"The image is {size[0]}×{size[1]} pixels; {_pixel_limit(max_side, max_pixels)}"
                )
            try:
                probe.verify()
            except (OSError, SyntaxError, ValueError) as error:
                raise ImageRefused("The image is damaged or truncated and cannot be read.") from error
    except ImageRefused:
        raise
    except PillowImage.DecompressionBombError as error:
        # Pillow's own guard, at open, for sizes far past ours.
        raise ImageRefused(
            f"The image has far too many pixels; {_pixel_limit(max_side, max_pixels)}"
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageRefused("The file is not a PNG, JPEG or WebP image that can be read.") from error
    if real is None:
        raise ImageRefused("Only PNG, JPEG and WebP images (and SVG) can be added.")
    if real != declared:
        raise ImageRefused(
            f"The file is named as {EXTENSIONS.get(declared, 'an unknown type').upper()} "
            f"but is really {EXTENSIONS[real].upper()}; rename it or export it again."
        )
    try:
        with PillowImage.open(io.BytesIO(data)) as image:
            image.load()  # a truncated file fails here
            upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRefused("The image is damaged or truncated and cannot be read.") from error

    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    mode = "RGB" if real == JPEG or not has_alpha else "RGBA"
    pixels = upright.convert(mode)
    # A fresh image from the raw pixels carries no info dict, so the encoder has no metadata to write.
    fresh = PillowImage.frombytes(mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if real == JPEG:
        fresh.save(out, "JPEG", quality=88, optimize=True)
    elif real == WEBP:
        fresh.save(out, "WEBP", quality=88, method=4)
    else:
        fresh.save(out, "PNG", optimize=True)
    return out.getvalue(), real, fresh.size[0], fresh.size[1]
