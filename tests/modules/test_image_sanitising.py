"""Images are made safe before they are stored: SVG attack payloads removed or refused, rasters
re-encoded without metadata, and each refusal a message for the author. Pure: no database."""

import io
import struct
import zlib

import pytest
from PIL import Image as PillowImage

from modules.images import (
    JPEG,
    MAX_SVG_DEPTH,
    PNG,
    SVG,
    WEBP,
    ImageRefused,
    clean_image,
    declared_type,
    raster_reencode,
    svg_sanitise,
)
from tests.modules.image_fixtures import LABELLED_SVG, jpeg_bytes, png_bytes


def svg(body, extra_ns=""):
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" {extra_ns}'
        f' viewBox="0 0 100 100">{body}<text x="1" y="9">Sciatic nerve</text></svg>'
    ).encode()


# (name, payload, words that must not survive). Each payload is either cleaned of the words
# or refused outright; a cleaned one keeps the diagram's text label.
ATTACKS = [
    ("script element", svg("<script>alert(1)</script>"), ["script", "alert"]),
    ("script with CDATA", svg("<script><![CDATA[alert(1)]]></script>"), ["script", "alert"]),
    (
        "onload on the root",
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9" onload="alert(1)"><text>Sciatic nerve</text></svg>',
        ["onload", "alert"],
    ),
    ("onclick on a shape", svg('<rect width="5" height="5" onclick="alert(1)"/>'), ["onclick", "alert"]),
    ("onmouseover upper case", svg('<circle r="5" ONMOUSEOVER="alert(1)"/>'), ["onmouseover", "alert"]),
    (
        "xlink:href javascript on a link",
        svg('<a xlink:href="javascript:alert(1)"><rect width="5" height="5"/></a>'),
        ["javascript", "<a"],
    ),
    ("href javascript with tab", svg('<use href="java\tscript:alert(1)"/>'), ["script", "alert"]),
    (
        "foreignObject with HTML",
        svg(
            '<foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><iframe src="https://evil.example/"/></body></foreignObject>'
        ),
        ["foreignobject", "iframe", "evil"],
    ),
    ("external use", svg('<use xlink:href="https://evil.example/sprite.svg#a"/>'), ["evil"]),
    ("external use, plain href", svg('<use href="//evil.example/s.svg#a"/>'), ["evil"]),
    (
        "image element with remote href",
        svg('<image href="https://evil.example/track.png" width="5" height="5"/>'),
        ["evil", "<image"],
    ),
    (
        "image with data: URI",
        svg('<image href="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" width="5" height="5"/>'),
        ["data:", "<image"],
    ),
    (
        "CSS url() in a style attribute",
        svg('<rect width="5" height="5" style="fill:url(https://evil.example/x)"/>'),
        ["evil"],
    ),
    (
        "CSS url() in a presentation attribute",
        svg('<rect width="5" height="5" fill="url(https://evil.example/x#g)"/>'),
        ["evil"],
    ),
    (
        "@import in a style element",
        svg('<style>@import url("https://evil.example/x.css");</style>'),
        ["import", "evil"],
    ),
    ("CSS escape hiding url", svg("<style>rect { fill: \\75 rl(https://evil.example/) }</style>"), ["evil"]),
    (
        "expression() in a style",
        svg('<rect width="5" height="5" style="width:expression(alert(1))"/>'),
        ["expression", "alert"],
    ),
    (
        "data: URI in a style",
        svg('<rect width="5" height="5" style="fill:url(data:image/png;base64,AAAA)"/>'),
        ["data:"],
    ),
    (
        "set element changing href",
        svg('<a><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a>'),
        ["<set", "javascript"],
    ),
    (
        "animate href",
        svg('<use href="#a"><animate attributeName="href" values="javascript:alert(1)"/></use>'),
        ["animate", "javascript"],
    ),
    (
        "animate xlink:href on a link",
        svg(
            '<a xlink:href="#x"><animate attributeName="xlink:href" begin="0" to="javascript:alert(1)"/></a>'
        ),
        ["animate", "javascript"],
    ),
    ("mixed-case SCRIPT tag", svg("<SCRIPT>alert(1)</SCRIPT>"), ["script", "alert"]),
    (
        "script in the XHTML namespace",
        svg('<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'),
        ["script", "alert"],
    ),
    (
        "namespaced svg-lookalike",
        svg('<x:svg xmlns:x="http://evil.example/ns"><x:script>alert(1)</x:script></x:svg>'),
        ["script", "alert", "evil"],
    ),
    (
        "attribute in a foreign namespace",
        svg(
            '<rect xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="click" ev:handler="#x" width="5" height="5"/>'
        ),
        ["handler", "event"],
    ),
    ("iframe element", svg('<iframe src="https://evil.example/"/>'), ["iframe", "evil"]),
    (
        "processing instruction stylesheet",
        b'<?xml-stylesheet href="https://evil.example/x.css"?>' + svg(""),
        ["evil", "stylesheet"],
    ),
    ("comment hiding markup", svg("<!-- <script>alert(1)</script> -->"), ["script", "alert"]),
    (
        "textPath to a remote path",
        svg('<text><textPath href="https://evil.example/p.svg#p">Hi</textPath></text>'),
        ["evil"],
    ),
    (
        "gradient linked to a remote one",
        svg('<linearGradient id="g" href="https://evil.example/g.svg#g"/>'),
        ["evil"],
    ),
    ("vbscript href", svg('<use href="vbscript:msgbox(1)"/>'), ["vbscript"]),
    (
        "-moz-binding in a style",
        svg('<rect width="5" height="5" style="-moz-binding:url(#x)"/>'),
        ["binding"],
    ),
]
REFUSED = [
    (
        "billion laughs",
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>',
    ),
    (
        "external entity",
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
    ),
    (
        "external DTD",
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "https://evil.example/svg11.dtd"><svg xmlns="http://www.w3.org/2000/svg"/>',
    ),
    ("lower-case doctype", b'<!doctype svg [<!entity x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>'),
    ("HTML page named .svg", b"<html><body><script>alert(1)</script></body></html>"),
    ("SVG without its namespace", b"<svg><script>alert(1)</script></svg>"),
    ("not XML at all", b"\x89PNG\r\n\x1a\n not an svg"),
]


@pytest.mark.parametrize(("name", "payload", "banned"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_svg_attack_payload_is_removed(name, payload, banned):
    clean = svg_sanitise(payload).decode()
    for word in banned:
        assert word not in clean.lower(), (name, clean)
    assert "<text" in clean and "Sciatic nerve" in clean  # the diagram itself survives


@pytest.mark.parametrize(("name", "payload"), REFUSED, ids=[r[0] for r in REFUSED])
def test_svg_with_declarations_or_not_svg_is_refused(name, payload):
    with pytest.raises(ImageRefused):
        svg_sanitise(payload)


def test_at_least_twenty_svg_attack_payloads_are_checked():
    assert len(ATTACKS) + len(REFUSED) >= 20


def test_benign_svg_keeps_its_shapes_labels_and_local_references():
    diagram = svg(
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#036"/></linearGradient>'
        '<marker id="arrow" markerWidth="4" markerHeight="4" refX="2" refY="2" orient="auto"><path d="M0,0 L4,2 L0,4z"/></marker></defs>'
        '<rect width="50" height="20" fill="url(#g)" style="stroke: #000; stroke-width: 2"/>'
        '<line x1="0" y1="0" x2="9" y2="9" marker-end="url(#arrow)"/>'
        '<use xlink:href="#arrow"/><text x="3" y="40" font-size="12">Ischial <tspan font-weight="bold">tuberosity</tspan> origin</text>'
    )
    clean = svg_sanitise(diagram).decode()
    assert clean.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">')
    for kept in (
        'fill="url(#g)"',
        'marker-end="url(#arrow)"',
        '<use href="#arrow">',
        "stroke: #000",
        "Ischial <tspan",
    ):
        assert kept in clean
    assert "tuberosity</tspan> origin" in clean and "Sciatic nerve" in clean


def test_svg_size_comes_from_the_viewbox():
    clean = clean_image(LABELLED_SVG, SVG)
    assert (clean.width, clean.height) == (400, 300)


def test_svg_sized_in_pixels_gets_a_viewbox_so_it_can_scale_down():
    clean = svg_sanitise(
        b'<svg xmlns="http://www.w3.org/2000/svg" width="640px" height="480"><text>x</text></svg>'
    )
    assert clean.startswith(
        b'<svg xmlns="http://www.w3.org/2000/svg" width="640px" height="480" viewBox="0 0 640 480">'
    )
    assert clean_image(clean, SVG).width == 640


def test_svg_without_viewbox_or_size_is_refused():
    with pytest.raises(ImageRefused, match="viewBox"):
        clean_image(b'<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>', SVG)


@pytest.mark.parametrize(
    "root_attributes",
    [
        'viewBox="0 0 1e400 100"',
        'viewBox="0 0 inf 100"',
        'viewBox="0 0 100 nan"',
        f'width="{"9" * 400}" height="100"',
    ],
)
def test_svg_with_an_infinite_or_overflowing_size_is_refused(root_attributes):
    data = f'<svg xmlns="http://www.w3.org/2000/svg" {root_attributes}><rect width="1"/></svg>'.encode()
    with pytest.raises(ImageRefused):
        clean_image(data, SVG)


def deeply_nested_svg(depth):
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        + "<g>" * (depth - 1)
        + "</g>" * (depth - 1)
        + "</svg>"
    ).encode()


def test_svg_nested_fifty_thousand_deep_is_refused_not_a_crash():
    with pytest.raises(ImageRefused, match="nests elements more than 256 deep"):
        clean_image(deeply_nested_svg(50_000), SVG)


def test_svg_nested_to_the_depth_limit_is_kept():
    clean = clean_image(deeply_nested_svg(MAX_SVG_DEPTH), SVG)
    assert clean.data.count(b"<g>") == MAX_SVG_DEPTH - 1
    with pytest.raises(ImageRefused):
        clean_image(deeply_nested_svg(MAX_SVG_DEPTH + 1), SVG)


# Raster images


def jpeg_with_gps():
    image = PillowImage.new("RGB", (40, 30), (10, 120, 10))
    exif = PillowImage.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (28.0, 32.0, 17.0), 3: "W", 4: (81.0, 22.0, 44.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, icc_profile=b"fake-icc-profile-bytes" * 4)
    return out.getvalue()


def test_reencoding_removes_exif_gps_and_icc():
    data = jpeg_with_gps()
    with PillowImage.open(io.BytesIO(data)) as before:
        assert before.getexif().get_ifd(0x8825)  # the fixture really carries GPS
    clean, content_type, width, height = raster_reencode(data, JPEG)
    assert (content_type, width, height) == (JPEG, 40, 30)
    with PillowImage.open(io.BytesIO(clean)) as after:
        assert not after.getexif() and "icc_profile" not in after.info and "exif" not in after.info
    assert b"PhoneMaker" not in clean and b"fake-icc" not in clean


def test_png_text_chunks_are_removed():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "taken at 12 Main Street")
    clean, *_ = raster_reencode(png_bytes(pnginfo=info), PNG)
    assert b"Main Street" not in clean


def test_webp_is_reencoded_as_webp():
    out = io.BytesIO()
    PillowImage.new("RGBA", (20, 10), (0, 0, 0, 128)).save(out, "WEBP")
    clean, content_type, width, height = raster_reencode(out.getvalue(), WEBP)
    assert (content_type, width, height) == (WEBP, 20, 10) and clean[8:12] == b"WEBP"


def test_oversized_file_is_refused_with_the_limit():
    with pytest.raises(ImageRefused, match="limit is 2 MB"):
        clean_image(b"\0" * (2 * 1024 * 1024 + 1), PNG)


def test_png_named_jpg_is_refused():
    with pytest.raises(ImageRefused, match="named as JPG but is really PNG"):
        raster_reencode(png_bytes(), JPEG)


def test_html_named_png_is_refused():
    with pytest.raises(ImageRefused, match="not a PNG, JPEG or WebP"):
        raster_reencode(b"<!doctype html><script>alert(1)</script>", PNG)


@pytest.mark.parametrize(("make", "kind"), [(jpeg_bytes, JPEG), (png_bytes, PNG)], ids=["jpeg", "png"])
def test_truncated_image_is_refused(make, kind):
    data = make(size=(200, 200))
    with pytest.raises(ImageRefused, match="damaged or truncated"):
        raster_reencode(data[: len(data) // 2], kind)


def test_gif_is_refused():
    out = io.BytesIO()
    PillowImage.new("P", (4, 4)).save(out, "GIF")
    with pytest.raises(ImageRefused, match="Only PNG, JPEG and WebP"):
        raster_reencode(out.getvalue(), PNG)


def png_bomb(side=30000):
    """A real PNG of side×side one-bit pixels: about 100 kB of file for 900 million pixels."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\0" * (1 + side // 8)
    squeeze = zlib.compressobj(9)
    compressed = b"".join(squeeze.compress(row) for _ in range(side)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", compressed) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding():
    bomb = png_bomb()
    assert len(bomb) < 2 * 1024 * 1024
    with pytest.raises(ImageRefused, match="pixels; the limit is 4096 pixels a side"):
        clean_image(bomb, PNG)


def test_too_many_pixels_within_the_side_limit_is_refused():
    with pytest.raises(
        ImageRefused, match=r"300×300 pixels; the limit is 4096 pixels a side and 0.05 million"
    ):
        raster_reencode(png_bytes(size=(300, 300)), PNG, max_side=4096, max_pixels=50_000)


def test_declared_type_comes_from_the_file_name():
    assert declared_type("Thigh.JPEG") == JPEG and declared_type("a.svg") == SVG
    with pytest.raises(ImageRefused, match="only PNG, JPEG, WebP and SVG"):
        declared_type("notes.html", "text/html")
