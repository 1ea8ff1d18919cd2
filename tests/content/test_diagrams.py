"""The diagrams shipped with the course: described, sourced, safe, labelled in the module's own words, legible.

No database and no browser: the SVG files and images.toml are read as the loader reads them.
The browser half (sizes, scroll, axe-core) is tests/browser/test_lesson_diagrams.py.
"""

import re
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest

from modules.content import read_course_folder
from modules.images import svg_sanitise
from modules.markdown import render_markdown

COURSE = Path(__file__).resolve().parents[2] / "content" / "proximal-hamstring-tendinopathy"
SVG = "{http://www.w3.org/2000/svg}"

# Which module places each diagram, and the terms its labels must share with that module's text.
# Each term is copied from the module (checked below), so a label never drifts from the lesson.
DIAGRAMS = {
    "hamstring-origin": (
        "02-anatomy-and-mechanism.md",
        [
            "ischial tuberosity",
            "sit bone",
            "semimembranosus",
            "semitendinosus",
            "biceps femoris",
            "sciatic nerve",
        ],
    ),
    "hamstring-load": (
        "02-anatomy-and-mechanism.md",
        [
            "ischial tuberosity",
            "sit bone",
            "proximal",
            "mechanical overload",
            "repetitive stretch",
            "overuse",
            "weak hamstrings",
            "lumbar spine and pelvis",
        ],
    ),
    "exam-test-positions": (
        "04-examination-and-imaging.md",
        [
            "Puranen-Orava test",
            "Bent-knee stretch test",
            "Fast hamstring-stretch test",
            "Standing heel drag test",
            "Resisted knee flexion with the patient prone",
            "Degen (2019)",
            "your organization's protocols",
        ],
    ),
    "treatment-ladder": (
        "05-treatment.md",
        [
            "least invasive",
            "NSAIDs",
            "band-aid",
            "Eccentric physiotherapy exercises",
            "Heavy slow resistance",
            "Concentric",
            "Extracorporeal shock wave (ECSW) therapy",
            "Ultrasound-guided corticosteroid injection",
            "fewer than 38%",
            "six months",
            "disabling pain",
            "non-invasive treatment has failed",
            "surgical release",
            "semimembranosus",
        ],
    ),
}
SHAPES = {"path", "rect", "circle", "ellipse", "line", "polyline", "polygon"}
WHITE = (255, 255, 255)


def normalised(text):
    """Lower case, Markdown emphasis dropped, curly quotes straightened, whitespace collapsed."""
    text = text.replace("*", "").replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.split()).lower()


def images():
    return {image.key: image for image in read_course_folder(COURSE).images}


def svg_root(key):
    return SafeET.fromstring(images()[key].data)


def label_text(root):
    """Every <text> element's words, one element after another, as a reader of the labels meets them."""
    return normalised(" ".join(" ".join(node.itertext()) for node in root.iter(f"{SVG}text")))


def module_text(name):
    return normalised((COURSE / name).read_text(encoding="utf-8"))


def hex_colour(value):
    match = re.fullmatch(r"#([0-9a-fA-F]{6})", value.strip())
    assert match, f"colours are written as #rrggbb so they can be checked: {value!r}"
    return tuple(int(match.group(1)[i : i + 2], 16) for i in (0, 2, 4))


def luminance(rgb):
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    """The WCAG 2 contrast ratio of two sRGB colours."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def painted(root):
    """(element, fill, stroke) for every element, with fill and stroke inherited as SVG inherits them."""
    out = []

    def walk(node, fill, stroke):
        fill = node.get("fill", fill)
        stroke = node.get("stroke", stroke)
        out.append((node, fill, stroke))
        for child in node:
            walk(child, fill, stroke)

    walk(root, "#000000", "none")  # SVG's initial values
    return out


def test_contrast_is_computed_as_wcag_defines_it():
    assert contrast((0, 0, 0), WHITE) == pytest.approx(21)
    assert contrast(hex_colour("#767676"), WHITE) == pytest.approx(4.54, abs=0.01)
    assert contrast(hex_colour("#777777"), WHITE) < 4.5


def test_the_course_ships_the_four_diagrams_the_issue_asks_for():
    assert set(images()) == set(DIAGRAMS)
    for key, image in images().items():
        assert image.file == f"images/{key}.svg" and image.content_type == "image/svg+xml"


@pytest.mark.parametrize("key", DIAGRAMS)
def test_each_diagram_has_alt_text_caption_long_description_and_source(key):
    image = images()[key]
    assert not image.decorative
    assert 20 <= len(image.alt) < 150, image.alt
    assert image.caption
    # Everything the picture shows is said again in words: a description far longer than the alt.
    assert len(image.long_description) > 4 * len(image.alt)
    assert image.source.startswith("Drawn for this course after Bates (n.d.)")
    assert "Degen (2019)" in image.source


@pytest.mark.parametrize("key", DIAGRAMS)
def test_each_diagram_is_placed_once_in_the_module_it_illustrates(key):
    module, _terms = DIAGRAMS[key]
    placements = {
        path.name: re.findall(rf"(?m)^\[\[image:{re.escape(key)}\]\]$", path.read_text(encoding="utf-8"))
        for path in COURSE.glob("*.md")
    }
    assert {name: len(found) for name, found in placements.items() if found} == {module: 1}


# How many items the long description's list has: one per structure, panel or step in the picture.
DESCRIBED_ITEMS = {
    "hamstring-origin": 5,
    "hamstring-load": 3,
    "exam-test-positions": 5,
    "treatment-ladder": 6,
}


@pytest.mark.parametrize("key", DIAGRAMS)
def test_each_long_description_renders_one_list_item_per_part_of_the_picture(key):
    """A wrapped line that starts with a number would split a step in two; the count catches it."""
    html = render_markdown(images()[key].long_description)
    assert html.count("<li>") == DESCRIBED_ITEMS[key], html


@pytest.mark.parametrize("key", DIAGRAMS)
def test_each_svg_is_a_labelled_scalable_image_with_nothing_active_or_external(key):
    root = svg_root(key)
    assert root.tag == f"{SVG}svg"
    assert len(root.get("viewBox", "").split()) == 4
    # No fixed size: the page scales it to the column, from a phone to print.
    assert root.get("width") is None and root.get("height") is None
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text.strip()
    assert desc is not None and len(desc.text.strip()) > 200
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "system-ui" in root.get("font-family", "")
    for node in root.iter():
        tag = node.tag.removeprefix(SVG)
        assert tag not in {"script", "foreignObject", "image", "style", "a", "use", "iframe"}, tag
        for name, value in node.attrib.items():
            assert not name.lower().startswith("on"), (tag, name)
            assert not name.endswith("href"), (tag, name)
            assert "url(" not in value and "javascript:" not in value.lower(), (tag, name, value)


@pytest.mark.parametrize("key", DIAGRAMS)
def test_each_svg_comes_through_the_sanitiser_with_every_element_and_attribute(key):
    """What a learner is served is what was drawn: the upload sanitiser removes nothing from these files."""
    data = images()[key].data
    drawn = [(n.tag, sorted(n.attrib.items()), n.text) for n in SafeET.fromstring(data).iter()]
    served = [(n.tag, sorted(n.attrib.items()), n.text) for n in SafeET.fromstring(svg_sanitise(data)).iter()]
    assert served == drawn


@pytest.mark.parametrize("key", DIAGRAMS)
def test_each_diagram_labels_are_text_using_the_terms_of_its_module(key):
    module, terms = DIAGRAMS[key]
    labels, lesson = label_text(svg_root(key)), module_text(module)
    missing_from_module = [term for term in terms if normalised(term) not in lesson]
    missing_from_labels = [term for term in terms if normalised(term) not in labels]
    assert missing_from_module == [], f"{module} does not use: {missing_from_module}"
    assert missing_from_labels == [], f"{key}.svg labels lack: {missing_from_labels}"


@pytest.mark.parametrize("key", DIAGRAMS)
def test_each_diagram_states_its_sources_in_the_picture(key):
    labels = label_text(svg_root(key))
    assert "sources:" in labels and "bates (n.d.)" in labels and "degen (2019)" in labels


def test_the_test_panels_follow_the_modules_numbered_list():
    """Each panel is numbered and named as module 04 lists the five tests, in the same order."""
    text = (COURSE / "04-examination-and-imaging.md").read_text(encoding="utf-8")
    listed = re.findall(r"(?m)^(\d)\. (.+)$", text.split("## Five orthopedic tests")[1].split("##")[0])
    assert len(listed) == 5
    labels = label_text(svg_root("exam-test-positions"))
    positions = [labels.find(normalised(f"{number}. {name}")) for number, name in listed]
    assert -1 not in positions and positions == sorted(positions), listed


def test_the_treatment_ladder_follows_the_modules_steps_in_order():
    """The ladder's steps are the treatment module's numbered sections, in the module's order."""
    text = (COURSE / "05-treatment.md").read_text(encoding="utf-8")
    steps = re.findall(r"(?m)^## (\d)\. (\S+)", text)
    assert [number for number, _word in steps] == ["1", "2", "3", "4", "5", "6"]
    labels = label_text(svg_root("treatment-ladder"))
    positions = [labels.find(normalised(f"{number}. {word.rstrip(':')}")) for number, word in steps]
    assert -1 not in positions and positions == sorted(positions), steps


@pytest.mark.parametrize("key", DIAGRAMS)
def test_each_diagram_text_meets_4_5_to_1_against_every_light_surface(key):
    """Labels sit on the white ground, on boxes (rects) or on light fills such as bone. Each label colour is
    checked against every one of them, so moving a label onto another surface cannot break contrast."""
    elements = painted(svg_root(key))
    surfaces = {WHITE}
    for node, fill, _stroke in elements:
        tag = node.tag.removeprefix(SVG)
        if tag in SHAPES and fill != "none" and (tag == "rect" or luminance(hex_colour(fill)) > 0.5):
            surfaces.add(hex_colour(fill))
    texts = [
        (node, fill) for node, fill, _stroke in elements if node.tag.removeprefix(SVG) in {"text", "tspan"}
    ]
    assert texts
    for node, fill in texts:
        for surface in surfaces:
            ratio = contrast(hex_colour(fill), surface)
            assert ratio >= 4.5, f"{key}: {''.join(node.itertext())!r} {fill} on {surface}: {ratio:.2f}"


@pytest.mark.parametrize("key", DIAGRAMS)
def test_each_diagram_graphics_meet_3_to_1_against_white(key):
    """Outlines, lines and unoutlined marks (the parts that carry meaning) reach 3:1 on the white ground.
    White strokes are gaps drawn between marks, and light fills are always outlined by a darker stroke."""
    for node, fill, stroke in painted(svg_root(key)):
        tag = node.tag.removeprefix(SVG)
        if tag not in SHAPES:
            continue
        outlined = stroke != "none" and hex_colour(stroke) != WHITE
        if outlined:
            assert contrast(hex_colour(stroke), WHITE) >= 3, f"{key}: {tag} stroke {stroke}"
        elif fill != "none" and hex_colour(fill) != WHITE:
            assert contrast(hex_colour(fill), WHITE) >= 3, f"{key}: {tag} fill {fill} with no outline"


@pytest.mark.parametrize("key", DIAGRAMS)
def test_each_diagram_text_stays_legible_at_phone_width(key):
    """At 375 px the figure is about 340 px wide; with a viewBox at most 480 wide and labels of 12 units or
    more, the smallest label renders at 8.5 px or larger (and the SVG stays sharp when zoomed)."""
    root = svg_root(key)
    assert float(root.get("viewBox").split()[2]) <= 480
    sizes = [float(node.get("font-size")) for node in root.iter() if node.get("font-size")]
    assert sizes and min(sizes) >= 12
