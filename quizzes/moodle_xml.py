"""Moodle XML question files in and out, as the GIFT module's dataclasses.

Pure Python, no Django. ``parse_moodle_xml`` reads a ``<quiz>`` file (what Moodle's question
bank exports) into a ``GiftParseResult``: questions of the kinds we have, ``category`` entries
(each following question carries the category's path, which the import maps to a topic), and
problems that start with ``Line N:`` (the line of the ``<question>`` element). It never raises.
``export_moodle_xml`` writes questions back so that ``parse_moodle_xml`` reads them equal.

Mapping (Moodle's element names, see qformat_xml):

* ``multichoice`` with ``<single>true`` -> "single" (an answer with fraction 100 is "=", a
  fraction between 0 and 100 is a partial-credit weight, as GIFT's ``~%50%``); with
  ``<single>false`` -> "multiple": every answer carries its fraction as a weight, except when
  every fraction is 0 or 100, which reads as "these are the right answers" (all or nothing).
* ``truefalse`` -> "true_false"; ``matching`` -> "matching" (a subquestion with no text is
  an extra, distractor answer).
* ``description`` and ``essay`` (and any kind we do not grade) are reported as unsupported.
* Text formats: ``html`` (Moodle's default in this format), ``moodle_auto_format``,
  ``plain_text`` and ``markdown`` become GIFT's ``html``, ``moodle``, ``plain``, ``markdown``.
* ``name`` -> title, ``idnumber`` -> id, ``generalfeedback``, per-answer ``feedback``, ``tags``.
* Images embedded as base64 ``<file>`` elements of the question text and placed there by
  ``<img src="@@PLUGINFILE@@/name" alt="...">`` are decoded, cleaned like an upload
  (``modules.images.clean_image``: SVG sanitised, raster re-encoded, size limits) and returned
  in ``images`` of the result; the ``<img>`` leaves the text and ``[[image:KEY]]`` follows it
  as its own paragraph (our figures are blocks, so the picture moves below the text it sat in).
  An image without alt text, an undecodable base64, a refused image or a reference to a file
  the question does not embed is a problem of that question (nothing is guessed: an alt text
  says what a picture shows, and only the file's author knows). Other embedded files (sound,
  images in feedback or answers, files no ``<img>`` places) are listed as skipped in ``notes``.

Not carried (Moodle-only settings): ``defaultgrade`` (points), ``penalty``, ``shuffleanswers``,
hints, and the combined correct/partially correct/incorrect feedback.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from html import escape as html_escape
from html.parser import HTMLParser
from urllib.parse import quote, unquote

from django.utils.text import slugify
from lxml import etree

from modules.images import ImageRefused, clean_image, declared_type
from modules.markdown import IMAGE_KEYS
from quizzes import moodle_cloze
from quizzes.gift import (
    BLANK,
    GiftCategory,
    GiftChoice,
    GiftLimitExceeded,
    GiftParseResult,
    GiftProblem,
    GiftQuestion,
    GiftSyntaxError,
    GiftUnit,
    GiftUnsupported,
)
from quizzes.xml_safety import XmlRefused, local_name, parse_xml

DEFAULT_MAX_QUESTIONS = 2_000
MAX_ANSWERS = 100

# Moodle's format names <-> GIFT's.
_FROM_MOODLE = {"html": "html", "moodle_auto_format": "moodle", "plain_text": "plain", "markdown": "markdown"}
_TO_MOODLE = {gift: moodle for moodle, gift in _FROM_MOODLE.items()}
_DEFAULT_FORMAT = "html"

_UNSUPPORTED = {
    "description": "a description is text without a question; it is not imported",
    "essay": "essay questions are not supported (they need a human to grade them)",
}
_KIND_NAMES = {"multianswer": "cloze", "cloze": "cloze"}
# Moodle's unit grading types: 0 = no penalty (units optional), 1 and 2 = a penalty; showunits 3 = no units shown.
_UNITS_HIDDEN = "3"


@dataclass(frozen=True)
class EmbeddedImage:
    """An image a question's text places, cleaned and ready to store under ``key``."""

    key: str
    name: str  # the file's name in the Moodle XML file
    alt: str
    clean: object  # modules.images.CleanImage
    line: int


@dataclass(frozen=True)
class BankParseResult(GiftParseResult):
    """A GiftParseResult plus ``notes``: things left out that do not stop an import (embedded
    files not imported), and ``images``: the embedded images the questions' stems place."""

    notes: tuple[GiftProblem, ...] = field(default=())
    images: tuple[EmbeddedImage, ...] = field(default=())


class _QuestionError(Exception):
    def __init__(self, line, message, *, unsupported=None):
        super().__init__(message)
        self.line = line
        self.message = message
        self.unsupported = unsupported


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def _child(element, name):
    for child in element:
        if local_name(child) == name:
            return child
    return None


def _children(element, name):
    return [child for child in element if local_name(child) == name]


def _text_of(container):
    """(text, format) of a Moodle text container (``<questiontext format="html"><text>...``)."""
    if container is None:
        return "", _DEFAULT_FORMAT
    fmt = _FROM_MOODLE.get(container.get("format", _DEFAULT_FORMAT), _DEFAULT_FORMAT)
    text_element = _child(container, "text")
    text = "".join(text_element.itertext()) if text_element is not None else ""
    return text.strip(), fmt


def _plain(element, name):
    """The text of ``<name><text>...</text></name>`` or of ``<name>...</name>``."""
    child = _child(element, name)
    if child is None:
        return ""
    inner = _child(child, "text")
    return "".join((inner if inner is not None else child).itertext()).strip()


def _bool(element, name, default):
    child = _child(element, name)
    if child is None:
        return default
    value = "".join(child.itertext()).strip().lower()
    return value in ("1", "true", "yes")


def _fraction(answer, line):
    raw = answer.get("fraction", "0").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise _QuestionError(line, f"answer fraction {raw!r} is not a number") from None
    if not value.is_finite() or not Decimal(-100) <= value <= Decimal(100):
        raise _QuestionError(line, f"answer fraction {raw} is outside -100..100")
    return value.normalize() if value == value.to_integral() else value


def _feedback(answer):
    text, fmt = _text_of(_child(answer, "feedback"))
    return (text, fmt) if text else (None, None)


def _common(question, line, category):
    title = _plain(question, "name") or None
    stem, stem_format = _text_of(_child(question, "questiontext"))
    general, general_format = _text_of(_child(question, "generalfeedback"))
    tags_element = _child(question, "tags")
    tag_elements = _children(tags_element, "tag") if tags_element is not None else []
    tags = tuple(t for t in ("".join(tag.itertext()).strip() for tag in tag_elements) if t)
    return {
        "line": line,
        "title": title,
        "stem": stem,
        "stem_format": stem_format,
        "general_feedback": general or None,
        "general_feedback_format": general_format if general else None,
        "category": category,
        "id": _plain(question, "idnumber") or None,
        "tags": tags,
    }


def _multichoice(question, line, common):
    answers = _children(question, "answer")
    if len(answers) < 2:
        raise _QuestionError(line, "a multiple-choice question needs at least two answers")
    single = _bool(question, "single", True)
    fractions = [_fraction(a, line) for a in answers]
    all_or_nothing = all(f in (0, 100) for f in fractions)
    choices = []
    for answer, fraction in zip(answers, fractions, strict=True):
        text, fmt = _text_of(answer)
        if not text:
            raise _QuestionError(line, "an answer has no text")
        feedback, feedback_format = _feedback(answer)
        if single or all_or_nothing:
            is_correct = fraction == 100
            weight = None if fraction in (0, 100) else fraction
        else:
            is_correct, weight = False, fraction
        choices.append(GiftChoice(text, is_correct, weight, feedback, None, fmt, feedback_format))
    if not any(c.credit > 0 for c in choices):
        raise _QuestionError(line, "no answer earns credit (give the right answer fraction 100)")
    if single and sum(c.is_correct for c in choices) != 1:
        raise _QuestionError(
            line, "a single-answer question needs exactly one answer with fraction 100 (full marks)"
        )
    kind = "single" if single else "multiple"
    return GiftQuestion(kind=kind, choices=tuple(choices), **common)


def _truefalse(question, line, common):
    by_value = {}
    for answer in _children(question, "answer"):
        text, _ = _text_of(answer)
        value = text.strip().lower()
        if value not in ("true", "false") or value in by_value:
            raise _QuestionError(line, "a true/false question has one 'true' and one 'false' answer")
        by_value[value] = (_fraction(answer, line), *_feedback(answer))
    if set(by_value) != {"true", "false"}:
        raise _QuestionError(line, "a true/false question has one 'true' and one 'false' answer")
    answer = by_value["true"][0] == 100
    if (by_value["false"][0] == 100) == answer:
        raise _QuestionError(line, "exactly one of 'true' and 'false' must have fraction 100")
    choices = tuple(
        GiftChoice(label, (value == "true") == answer, None, feedback, None, "moodle", fmt)
        for label, value in (("True", "true"), ("False", "false"))
        for _, feedback, fmt in [by_value[value]]
    )
    return GiftQuestion(kind="true_false", choices=choices, true_false_answer=answer, **common)


def _matching(question, line, common):
    choices = []
    for sub in _children(question, "subquestion"):
        prompt, fmt = _text_of(sub)
        match = _plain(sub, "answer")
        if not match:
            raise _QuestionError(line, "every subquestion of a matching question needs its answer")
        choices.append(GiftChoice(prompt, True, None, None, match, fmt, None))
    if sum(1 for c in choices if c.text) < 2:
        raise _QuestionError(line, "a matching question needs at least two subquestions with text")
    return GiftQuestion(kind="matching", choices=tuple(choices), **common)


def _number(raw, line, what="answer"):
    try:
        value = Decimal(raw.strip().replace(",", "."))
    except InvalidOperation:
        raise _QuestionError(
            line, f"the {what} {raw.strip()!r} is not a number, for example -1.234 or 3e8"
        ) from None
    if not value.is_finite():
        raise _QuestionError(line, f"the {what} {raw.strip()!r} is not a finite number")
    return value


def _credited(text, fraction, feedback, feedback_format, fmt="plain", **numbers):
    """A short-answer or numerical answer: "=" when it earns anything, its fraction when partial."""
    weight = None if fraction in (0, 100) else fraction
    return GiftChoice(text, fraction > 0, weight, feedback, None, fmt, feedback_format, **numbers)


def _shortanswer(question, line, common):
    choices = []
    for answer in _children(question, "answer"):
        text, _ = _text_of(answer)
        if not text:
            raise _QuestionError(line, "an accepted answer has no text")
        choices.append(_credited(text, _fraction(answer, line), *_feedback(answer)))
    if not any(c.credit >= 100 for c in choices):
        raise _QuestionError(line, "one of the answers needs fraction 100, so that full marks are possible")
    return GiftQuestion(
        kind="short_answer",
        choices=tuple(choices),
        case_sensitive=_bool(question, "usecase", False),
        **common,
    )


def _numerical(question, line, common):
    choices = []
    for answer in _children(question, "answer"):
        text, _ = _text_of(answer)
        fraction = _fraction(answer, line)
        feedback, feedback_format = _feedback(answer)
        if text == "*":
            # Moodle's "any other answer": earns its fraction (nearly always 0) for anything else.
            choices.append(_credited("", fraction, feedback, feedback_format))
            continue
        tolerance_text = _plain(answer, "tolerance")
        tolerance = _number(tolerance_text, line, "tolerance") if tolerance_text else None
        if tolerance is not None and tolerance < 0:
            tolerance = -tolerance  # Moodle uses the size of the tolerance
        choices.append(
            _credited(
                "", fraction, feedback, feedback_format, number=_number(text, line), tolerance=tolerance
            )
        )
    if not any(c.credit >= 100 and c.number is not None for c in choices):
        raise _QuestionError(line, "one of the answers needs fraction 100, so that full marks are possible")
    units = []
    units_element = _child(question, "units")
    for unit in _children(units_element, "unit") if units_element is not None else []:
        name = _plain(unit, "unit_name")
        multiplier = _number(_plain(unit, "multiplier") or "1", line, "unit multiplier")
        if not name or multiplier <= 0:
            raise _QuestionError(line, "every unit needs a name and a multiplier above 0")
        units.append(GiftUnit(name, multiplier.normalize()))
    handling, penalty = "none", Decimal(10)
    if units and _plain(question, "showunits") != _UNITS_HIDDEN:
        grading = _plain(question, "unitgradingtype") or "0"
        handling = "optional" if grading == "0" else "graded"
        raw_penalty = _plain(question, "unitpenalty")
        if raw_penalty:
            penalty = (_number(raw_penalty, line, "unit penalty") * 100).quantize(Decimal("0.01")).normalize()
    return GiftQuestion(
        kind="numerical",
        choices=tuple(choices),
        units=tuple(units),
        unit_handling=handling,
        unit_penalty=penalty,
        **common,
    )


def _cloze(question, line, common):
    try:
        stem, kind, choices, extra = moodle_cloze.read_single_blank(common["stem"])
    except moodle_cloze.ClozeError as error:
        raise _QuestionError(line, str(error), unsupported="cloze" if error.unsupported else None) from None
    return GiftQuestion(kind=kind, choices=choices, **{**common, "stem": stem, **extra})


_READERS = {
    "multichoice": _multichoice,
    "truefalse": _truefalse,
    "matching": _matching,
    "shortanswer": _shortanswer,
    "numerical": _numerical,
    "cloze": _cloze,
    "multianswer": _cloze,
}


def _files(element):
    """(line, name) of every embedded ``<file>`` under `element`."""
    return [(f.sourceline or 0, f.get("name") or "(no name)") for f in element.iter("file")]


PLUGINFILE = "@@PLUGINFILE@@/"
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>", re.I)
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
# The base64 of the largest image an upload may be, plus line breaks.
_MAX_BASE64_CHARS = (2 * 1024 * 1024) * 4 // 3 + 64 * 1024
# A key we wrote on export ends in "-" and ten hex digits; a re-import does not stack them.
_KEY_HASH = re.compile(r"-[0-9a-f]{10}$")


class _TagAttributes(HTMLParser):
    """The attributes of the one tag it is fed, entities decoded (the stdlib's HTML tokenizer)."""

    def __init__(self, tag):
        super().__init__(convert_charrefs=True)
        self.attributes = {}
        self.feed(tag)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.attributes = {name: value or "" for name, value in attrs}

    handle_startendtag = handle_starttag


def image_key(name, data, alt):
    """A library key for an embedded image: its file name, then a hash of its cleaned bytes and
    alt text (the same picture with another alt text is another image; a file imported twice is
    one; our own export, whose bytes are already clean, comes back under the same key)."""
    stem = _KEY_HASH.sub("", name.rsplit(".", 1)[0])
    slug = slugify(stem)[:50].strip("-_") or "image"
    digest = hashlib.sha256(data + b"\0" + alt.encode()).hexdigest()[:10]
    return f"{slug}-{digest}"


def _decoded_file(file_element, line, name):
    text = "".join(file_element.itertext())
    if len(text) > _MAX_BASE64_CHARS:
        raise _QuestionError(line, f"the embedded image {name!r} is too large (the limit is 2 MB)")
    if (file_element.get("encoding") or "base64").lower() != "base64":
        raise _QuestionError(line, f"the embedded image {name!r} is not base64-encoded")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _QuestionError(line, f"the embedded image {name!r} is not valid base64") from None


def _stem_images(question, common):
    """(stem with each embedded <img> made a figure paragraph, [EmbeddedImage]) for one question.

    Raises _QuestionError for an image that cannot be imported; the question is not imported.
    """
    text_container = _child(question, "questiontext")
    embedded = {}
    for f in _children(text_container, "file") if text_container is not None else []:
        # Moodle's src is the file's path (usually "/") and name: "@@PLUGINFILE@@/sub/name.png".
        folder = (f.get("path") or "/").strip("/")
        embedded[f"{folder}/{f.get('name') or ''}".lstrip("/")] = f
    stem, images, placed = common["stem"], [], []
    for tag in _IMG_TAG.findall(stem):
        attributes = _TagAttributes(tag).attributes
        src = attributes.get("src", "").strip()
        if not src.startswith(PLUGINFILE):
            continue  # an image from elsewhere is the sanitiser's business, not a file to import
        name = unquote(src[len(PLUGINFILE) :])
        file_element = embedded.get(name)
        line = file_element.sourceline if file_element is not None else common["line"]
        if file_element is None:
            raise _QuestionError(line, f"the image {name!r} is placed but not embedded in the file")
        alt = " ".join(attributes.get("alt", "").split())
        if not alt:
            raise _QuestionError(
                line,
                f'the image {name!r} has no alt text: add alt="what the picture shows" to its <img> '
                "in the question text and import the file again",
            )
        data = _decoded_file(file_element, line, name)
        try:
            clean = clean_image(data, declared_type(name))
        except ImageRefused as refused:
            raise _QuestionError(line, f"the embedded image {name!r} was refused: {refused}") from None
        file_name = file_element.get("name")
        key = image_key(file_name, clean.data, alt)
        images.append(EmbeddedImage(key, file_name, alt, clean, line))
        placed.append(key)
        stem = stem.replace(tag, "", 1)
    if placed:
        # A paragraph that held only the picture (as our export writes it) goes with it.
        stem = _EMPTY_PARAGRAPH.sub("", stem).strip() + "".join(f"\n\n[[image:{key}]]" for key in placed)
    return stem, images


def _read_question(question, category):
    line = question.sourceline or 1
    qtype = question.get("type", "").strip()
    common = _common(question, line, category)
    if qtype in _UNSUPPORTED:
        raise _QuestionError(line, _UNSUPPORTED[qtype], unsupported=_KIND_NAMES.get(qtype, qtype))
    reader = _READERS.get(qtype)
    if reader is None:
        raise _QuestionError(
            line, f"questions of Moodle type {qtype!r} are not supported", unsupported=qtype or "unknown"
        )
    if not common["stem"]:
        raise _QuestionError(line, "the question has no text")
    if len(_children(question, "answer")) + len(_children(question, "subquestion")) > MAX_ANSWERS:
        raise _QuestionError(line, f"more than {MAX_ANSWERS} answers")
    return reader(question, line, common)


def question_problem(error):
    """A question refused while reading (Moodle XML or QTI: anything with `line`, `message` and
    `unsupported`) as the problem the import report lists."""
    message = f"Line {error.line}: {error.message}"
    if error.unsupported:
        return GiftUnsupported(error.line, message, kind=error.unsupported)
    return GiftSyntaxError(error.line, message)


def parse_moodle_xml(data, *, max_questions=DEFAULT_MAX_QUESTIONS):
    """Parse a Moodle XML file (bytes or str). Never raises; see the module docstring."""
    try:
        root = parse_xml(data)
    except XmlRefused as refused:
        return BankParseResult(
            (), (GiftSyntaxError(refused.line, f"Line {refused.line}: {refused.message}"),)
        )
    if local_name(root) != "quiz":
        line = root.sourceline or 1
        message = f"Line {line}: a Moodle XML file starts with <quiz>, not <{local_name(root)}>"
        return BankParseResult((), (GiftSyntaxError(line, message),))
    elements = _children(root, "question")
    if len(elements) > max_questions:
        line = elements[max_questions].sourceline or 1
        message = f"Line {line}: too many questions (the limit is {max_questions:,}); nothing was imported, split the file"
        return BankParseResult((), (GiftLimitExceeded(line, message),))

    questions, problems, categories, notes, images = [], [], [], [], []
    category = None
    for element in elements:
        line = element.sourceline or 1
        if element.get("type") == "category":
            path = _plain(element, "category")
            if not path:
                problems.append(GiftSyntaxError(line, f"Line {line}: a category without a path"))
                continue
            categories.append(GiftCategory(line, path))
            category = path
            continue
        try:
            question = _read_question(element, category)
            stem, stem_images = _stem_images(element, {"stem": question.stem, "line": line})
        except _QuestionError as error:
            problems.append(question_problem(error))
            continue
        if stem_images:
            question = replace(question, stem=stem)
            images.extend(image for image in stem_images if image.key not in {i.key for i in images})
        imported = {image.name for image in stem_images}
        for file_line, name in _files(element):
            if name in imported and _is_stem_file(element, file_line):
                continue
            notes.append(
                GiftProblem(
                    file_line,
                    f"Line {file_line}: the embedded file {name!r} was skipped (only images the "
                    "question text places are imported; add others to the question after the import)",
                )
            )
        questions.append(question)
    return BankParseResult(tuple(questions), tuple(problems), tuple(categories), tuple(notes), tuple(images))


def _is_stem_file(question, line):
    container = _child(question, "questiontext")
    return container is not None and any(f.sourceline == line for f in _children(container, "file"))


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _text_element(parent, name, text, fmt=None):
    container = etree.SubElement(parent, name)
    if fmt is not None:
        container.set("format", _TO_MOODLE.get(fmt, "html"))
    etree.SubElement(container, "text").text = text or ""
    return container


def _plain_element(parent, name, value):
    etree.SubElement(parent, name).text = value


def _fraction_text(value):
    value = Decimal(value)
    if not value.is_finite() or not Decimal(-100) <= value <= Decimal(100):
        raise ValueError(f"answer fraction {value} must be between -100 and 100")
    text = f"{value.normalize():f}"
    return text


def _answer(parent, text, fmt, fraction, feedback, feedback_format, question_format):
    answer = etree.SubElement(parent, "answer", fraction=_fraction_text(fraction))
    answer.set("format", _TO_MOODLE.get(fmt or question_format, "html"))
    etree.SubElement(answer, "text").text = text
    _text_element(answer, "feedback", feedback or "", feedback_format or fmt or question_format)
    return answer


def _moodle_type(q):
    if q.kind == "cloze" or (q.kind == "numerical" and BLANK in q.stem):
        return "cloze"
    names = {"single": "multichoice", "multiple": "multichoice", "true_false": "truefalse"}
    qtype = names.get(q.kind, q.kind.replace("_", ""))
    if qtype not in ("multichoice", "truefalse", "matching", "shortanswer", "numerical"):
        raise ValueError(f"Moodle XML has no question type for {q.kind!r} questions")
    return qtype


@dataclass(frozen=True)
class ImageFile:
    """An image to embed on export: what a stem's ``[[image:KEY]]`` shows."""

    alt: str
    data: bytes
    extension: str


def _placed_images(stem, images):
    """(stem with each ``[[image:KEY]]`` paragraph we hold an image for as an ``<img>``, files).

    The ``<img>`` gets its own paragraph, as the figure had, and points at the embedded file the
    way Moodle's own files do; a key we hold no image for is left as written.
    """
    files = {}

    def img(match):
        key = match.group(1)
        image = images.get(key)
        if image is None:
            return match.group(0)
        name = f"{key}.{image.extension}"
        files[name] = image
        return f'<p><img src="{PLUGINFILE}{quote(name)}" alt="{html_escape(image.alt)}"></p>'

    return IMAGE_KEYS.sub(img, stem), files


def _write_question(quiz, q, images):
    fmt = q.stem_format or "html"
    qtype = _moodle_type(q)
    element = etree.SubElement(quiz, "question", type=qtype)
    stem = q.stem.replace(BLANK, moodle_cloze.write_blank(q), 1) if qtype == "cloze" else q.stem
    stem, files = _placed_images(stem, images)
    _text_element(element, "name", q.title or q.id or "Question")
    stem_container = _text_element(element, "questiontext", stem, fmt)
    for name, image in files.items():
        embedded = etree.SubElement(stem_container, "file", name=name, path="/", encoding="base64")
        embedded.text = base64.b64encode(image.data).decode("ascii")
    _text_element(element, "generalfeedback", q.general_feedback or "", q.general_feedback_format or fmt)
    if qtype != "cloze":
        _plain_element(element, "defaultgrade", "1")
    _plain_element(element, "hidden", "0")
    _plain_element(element, "idnumber", q.id or "")
    if qtype == "multichoice":
        _plain_element(element, "single", "true" if q.kind == "single" else "false")
        _plain_element(element, "shuffleanswers", "true")
        _plain_element(element, "answernumbering", "abc")
        for c in q.choices:
            _answer(element, c.text, c.text_format, c.credit, c.feedback, c.feedback_format, fmt)
    elif qtype == "truefalse":
        answer = q.true_false_answer
        if answer is None:
            answer = next(c.text == "True" for c in q.choices if c.is_correct)
        by_label = {c.text: c for c in q.choices}
        for label, value in (("True", True), ("False", False)):
            c = by_label.get(label)
            feedback = (c.feedback, c.feedback_format) if c else (None, None)
            _answer(element, label.lower(), "moodle", 100 if value == answer else 0, *feedback, fmt)
    elif qtype == "matching":
        _plain_element(element, "shuffleanswers", "true")
        for c in q.choices:
            sub = _text_element(element, "subquestion", c.text, c.text_format or fmt)
            answer = etree.SubElement(sub, "answer")
            etree.SubElement(answer, "text").text = c.match or ""
    elif qtype == "shortanswer":
        _plain_element(element, "usecase", "1" if q.case_sensitive else "0")
        for c in q.choices:
            _answer(element, c.text, "plain", c.credit, c.feedback, c.feedback_format, fmt)
    elif qtype == "numerical":
        _write_numerical(element, q, fmt)
    if q.tags:
        tags = etree.SubElement(element, "tags")
        for tag in q.tags:
            _text_element(tags, "tag", tag)


def _decimal_text(value):
    return f"{Decimal(value).normalize():f}"


def _write_numerical(element, q, fmt):
    for c in q.choices:
        if c.number is not None:
            value, tolerance = c.number, c.tolerance
        elif c.range_low is not None:
            # Moodle XML has no ranges: the same interval as its middle ± half its width.
            value, tolerance = (c.range_low + c.range_high) / 2, (c.range_high - c.range_low) / 2
        else:
            value, tolerance = None, None
        text = "*" if value is None else _decimal_text(value)
        answer = _answer(element, text, "plain", c.credit, c.feedback, c.feedback_format, fmt)
        etree.SubElement(answer, "tolerance").text = _decimal_text(tolerance) if tolerance is not None else ""
    if q.units:
        grading = {"optional": "0", "graded": "1"}.get(q.unit_handling, "0")
        _plain_element(element, "unitgradingtype", grading)
        _plain_element(element, "unitpenalty", _decimal_text(Decimal(q.unit_penalty) / 100))
        _plain_element(element, "showunits", _UNITS_HIDDEN if q.unit_handling == "none" else "0")
        _plain_element(element, "unitsleft", "0")
        units = etree.SubElement(element, "units")
        for unit in q.units:
            entry = etree.SubElement(units, "unit")
            _plain_element(entry, "multiplier", _decimal_text(unit.multiplier))
            _plain_element(entry, "unit_name", unit.name)


def export_moodle_xml(questions: Iterable[GiftQuestion], images=None) -> bytes:
    """Questions as a Moodle XML file (UTF-8 bytes) that ``parse_moodle_xml`` reads back equal.

    `images` (key -> ImageFile) are embedded, base64, in the question text that places them.

    A ``category`` entry is written whenever the category changes. Raises ValueError for a
    kind this format has no element for.
    """
    quiz = etree.Element("quiz")
    category = None
    for q in questions:
        if q.category is not None and q.category != category:
            entry = etree.SubElement(quiz, "question", type="category")
            _text_element(entry, "category", q.category)
            category = q.category
        _write_question(quiz, q, images or {})
    return etree.tostring(quiz, encoding="UTF-8", xml_declaration=True, pretty_print=True)
