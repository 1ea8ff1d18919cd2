"""QTI 3.0 items and IMS content packages in and out, as the GIFT module's dataclasses.

Pure Python, no Django. ``export_qti_item`` writes one ``qti-assessment-item`` (response
declaration, SCORE and MAXSCORE outcomes, body, response processing, the rationale as modal
feedback shown after responding); ``export_qti_package`` zips items with an ``imsmanifest.xml``.
``parse_qti`` reads one item (XML) or a package (ZIP) back into a ``BankParseResult``.

What each of our kinds becomes (and is read back as):

* single / true_false: ``qti-choice-interaction``, cardinality single, ``match_correct``; with
  partial credit, a ``qti-mapping`` (weight / 100) and ``map_response``. Read back as true_false
  when the two choices are exactly True and False.
* multiple: cardinality multiple, ``match_correct`` (all or nothing) or a mapping (partial credit;
  imported weights are each value over the sum of the positive values).
* matching: ``qti-match-interaction``, directedPair, a prompt set and an answer set.
* ordering: ``qti-order-interaction``, cardinality ordered, ``match_correct`` (our partial-credit
  ordering modes have no template; the mode is not carried).
* missing word by choice: ``qti-inline-choice-interaction`` at the blank; short answer and
  missing word typed in: ``qti-text-entry-interaction`` (string) with a mapping of the accepted
  answers (``*`` wildcards have no QTI mapping, such a question is refused); numerical: a float
  text entry with hand-written response processing (``qti-equal`` with an absolute tolerance).

The item's ``label`` carries the category (our topic), its ``identifier`` the question key.
Limits on import: a package of at most ``MAX_PACKAGE_FILES`` entries and ``MAX_UNPACKED_BYTES``
unpacked, no entry whose name climbs out of the package (``..``, absolute paths), and no entry
compressed more than ``MAX_RATIO`` to 1 (a zip bomb).
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from decimal import Decimal, InvalidOperation

import lxml.html
from lxml import etree

from quizzes.gift import (
    BLANK,
    GiftCategory,
    GiftChoice,
    GiftLimitExceeded,
    GiftProblem,
    GiftQuestion,
    GiftSyntaxError,
    GiftUnsupported,
)
from quizzes.moodle_xml import BankParseResult, question_problem
from quizzes.xml_safety import XmlRefused, local_name, parse_xml

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ITEM_SCHEMA = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
CP_SCHEMA = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd"
TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
MATCH_CORRECT = TEMPLATES + "match_correct"
MAP_RESPONSE = TEMPLATES + "map_response"
ITEM_TYPE = "imsqti_item_xmlv3p0"
QTI2_NAMESPACES = (
    "http://www.imsglobal.org/xsd/imsqti_v2p0",
    "http://www.imsglobal.org/xsd/imsqti_v2p1",
    "http://www.imsglobal.org/xsd/imsqti_v2p2",
)

MAX_PACKAGE_FILES = 5_000  # items (at most MAX_QUESTIONS), the manifest, and their media
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_RATIO = 100
MAX_QUESTIONS = 2_000

_TRUE_FALSE = ("True", "False")
# HTML elements and attributes the QTI 3.0 item body takes (a subset: what rendered Markdown uses).
_HTML_ELEMENTS = {
    "p", "br", "em", "strong", "b", "i", "u", "sub", "sup", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "img", "span", "div", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th",
    "td", "caption", "hr", "dl", "dt", "dd", "abbr", "cite", "q", "small", "kbd", "samp", "var", "figure",
    "figcaption",
}  # fmt: skip
_HTML_ATTRIBUTES = {"id", "class", "href", "src", "alt", "width", "height", "title"}


def _q(name):
    return f"{{{NS}}}{name}"


def _number_text(value):
    return f"{Decimal(value).normalize():f}"


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _html_into(parent, html):
    """Append an HTML fragment to `parent` as QTI-namespaced XHTML; unknown tags keep only their text."""
    if not html.strip():
        return
    wrapper = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in list(wrapper.iter()):
        if element is wrapper or not isinstance(element.tag, str):
            continue
        if element.tag not in _HTML_ELEMENTS:
            element.tag = "_unwrap"
            continue
        for attribute in list(element.attrib):
            if attribute not in _HTML_ATTRIBUTES:
                del element.attrib[attribute]
        if element.tag == "img" and "alt" not in element.attrib:
            element.set("alt", "")
    etree.strip_tags(wrapper, "_unwrap", etree.Comment, etree.ProcessingInstruction)
    if wrapper.text:
        _append_text(parent, wrapper.text)
    for child in wrapper:
        parent.append(_namespaced(child))


def _namespaced(element):
    copy_ = etree.Element(_q(element.tag), dict(element.attrib))
    copy_.text = element.text
    copy_.tail = element.tail
    for child in element:
        copy_.append(_namespaced(child))
    return copy_


def _append_text(parent, text):
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _declare(item, cardinality, base_type, correct, mapping=None, case_sensitive=None):
    declaration = etree.SubElement(
        item, _q("qti-response-declaration"), identifier="RESPONSE", cardinality=cardinality
    )
    declaration.set("base-type", base_type)
    if correct:
        correct_element = etree.SubElement(declaration, _q("qti-correct-response"))
        for value in correct:
            etree.SubElement(correct_element, _q("qti-value")).text = value
    if mapping:
        mapping_element = etree.SubElement(declaration, _q("qti-mapping"))
        mapping_element.set("default-value", "0")
        if cardinality != "single":
            mapping_element.set("lower-bound", "0")
        for key, value in mapping:
            entry = etree.SubElement(mapping_element, _q("qti-map-entry"))
            entry.set("map-key", key)
            entry.set("mapped-value", _number_text(value))
            if case_sensitive is not None:
                entry.set("case-sensitive", "true" if case_sensitive else "false")


def _outcome(item, identifier, base_type, default=None, cardinality="single"):
    outcome = etree.SubElement(
        item, _q("qti-outcome-declaration"), identifier=identifier, cardinality=cardinality
    )
    outcome.set("base-type", base_type)
    if default is not None:
        default_element = etree.SubElement(outcome, _q("qti-default-value"))
        etree.SubElement(default_element, _q("qti-value")).text = default


def _choice_ids(choices, prefix="C"):
    return [f"{prefix}{n}" for n in range(1, len(choices) + 1)]


def _weighted(q):
    return any(c.weight is not None for c in q.choices)


def _inline_body(body, stem_html, build_interaction):
    """The stem with the interaction where BLANK is (at the end, in its own paragraph, if there is none)."""
    if BLANK not in stem_html:
        _html_into(body, stem_html)
        paragraph = etree.SubElement(body, _q("p"))
        build_interaction(paragraph)
        return
    marker = '<span class="qti-blank-marker"></span>'
    _html_into(body, stem_html.replace(BLANK, marker, 1))
    (span,) = [e for e in body.iter(_q("span")) if e.get("class") == "qti-blank-marker"]
    parent = span.getparent()
    index = parent.index(span)
    tail = span.tail
    parent.remove(span)
    interaction = build_interaction(None)
    interaction.tail = tail
    parent.insert(index, interaction)


def export_qti_item(q: GiftQuestion, *, identifier, stem_html, rationale_html="", points=Decimal(1)) -> bytes:
    """One question as a QTI 3.0 item (UTF-8 bytes). `stem_html`/`rationale_html` are the texts as HTML.

    Raises ValueError for what QTI (or this writer) cannot hold.
    """
    item = etree.Element(_q("qti-assessment-item"), nsmap={None: NS, "xsi": XSI})
    item.set(f"{{{XSI}}}schemaLocation", f"{NS} {ITEM_SCHEMA}")
    item.set("identifier", identifier)
    item.set("title", (q.title or identifier)[:256])
    if q.category:
        item.set("label", q.category[:256])
    item.set("adaptive", "false")
    item.set("time-dependent", "false")

    kind = q.kind
    ids = _choice_ids(q.choices)
    body_builder = None
    custom_processing = None
    if kind in ("single", "true_false", "multiple"):
        cardinality = "multiple" if kind == "multiple" else "single"
        correct = [
            i
            for i, c in zip(ids, q.choices, strict=True)
            if (c.credit >= 100 if kind != "multiple" else c.credit > 0)
        ]
        mapping = [(i, c.credit / 100) for i, c in zip(ids, q.choices, strict=True)] if _weighted(q) else None
        _declare(item, cardinality, "identifier", correct, mapping)

        def body_builder(body):
            interaction = etree.SubElement(body, _q("qti-choice-interaction"))
            interaction.set("response-identifier", "RESPONSE")
            interaction.set("shuffle", "false" if kind == "true_false" else "true")
            interaction.set("max-choices", "0" if kind == "multiple" else "1")
            for i, c in zip(ids, q.choices, strict=True):
                etree.SubElement(interaction, _q("qti-simple-choice"), identifier=i).text = c.text

        template = MAP_RESPONSE if mapping else MATCH_CORRECT
    elif kind == "ordering":
        _declare(item, "ordered", "identifier", ids)

        def body_builder(body):
            interaction = etree.SubElement(body, _q("qti-order-interaction"))
            interaction.set("response-identifier", "RESPONSE")
            interaction.set("shuffle", "true")
            for i, c in zip(ids, q.choices, strict=True):
                etree.SubElement(interaction, _q("qti-simple-choice"), identifier=i).text = c.text

        template = MATCH_CORRECT
    elif kind == "matching":
        prompts = [c for c in q.choices if c.text]
        prompt_ids = _choice_ids(prompts, "P")
        answer_ids = _choice_ids(q.choices, "A")
        answer_of = {id(c): a for c, a in zip(q.choices, answer_ids, strict=True)}
        pairs = [f"{p} {answer_of[id(c)]}" for p, c in zip(prompt_ids, prompts, strict=True)]
        _declare(item, "multiple", "directedPair", pairs)

        def body_builder(body):
            interaction = etree.SubElement(body, _q("qti-match-interaction"))
            interaction.set("response-identifier", "RESPONSE")
            interaction.set("shuffle", "true")
            interaction.set("max-associations", str(len(prompts)))
            sources = etree.SubElement(interaction, _q("qti-simple-match-set"))
            for p, c in zip(prompt_ids, prompts, strict=True):
                choice = etree.SubElement(sources, _q("qti-simple-associable-choice"), identifier=p)
                choice.set("match-max", "1")
                choice.text = c.text
            targets = etree.SubElement(interaction, _q("qti-simple-match-set"))
            for a, c in zip(answer_ids, q.choices, strict=True):
                choice = etree.SubElement(targets, _q("qti-simple-associable-choice"), identifier=a)
                choice.set("match-max", "1")
                choice.text = c.match

        template = MATCH_CORRECT
    elif kind == "cloze" and q.blank_input == "select":
        correct = [i for i, c in zip(ids, q.choices, strict=True) if c.credit >= 100]
        mapping = [(i, c.credit / 100) for i, c in zip(ids, q.choices, strict=True)] if _weighted(q) else None
        _declare(item, "single", "identifier", correct, mapping)

        def body_builder(paragraph):
            interaction = etree.Element(_q("qti-inline-choice-interaction"))
            interaction.set("response-identifier", "RESPONSE")
            interaction.set("shuffle", "true")
            for i, c in zip(ids, q.choices, strict=True):
                etree.SubElement(interaction, _q("qti-inline-choice"), identifier=i).text = c.text
            if paragraph is not None:
                paragraph.append(interaction)
            return interaction

        template = MAP_RESPONSE if mapping else MATCH_CORRECT
    elif kind in ("short_answer", "cloze"):
        if any("*" in c.text for c in q.choices):
            raise ValueError(
                "QTI mappings match whole answers; an accepted answer with a * wildcard cannot be written"
            )
        full = [c.text for c in q.choices if c.credit >= 100]
        mapping = [(c.text, c.credit / 100) for c in q.choices]
        _declare(item, "single", "string", full[:1], mapping, case_sensitive=q.case_sensitive)
        body_builder = _text_entry_builder("string")
        template = MAP_RESPONSE
    elif kind == "numerical":
        body_builder, custom_processing = _numerical(item, q)
        template = None
    else:
        raise ValueError(f"QTI export of {kind!r} questions is not supported")

    _outcome(item, "SCORE", "float", "0")
    _outcome(item, "MAXSCORE", "float", _number_text(points))
    if rationale_html.strip():
        _outcome(item, "FEEDBACK", "identifier")
    body = etree.SubElement(item, _q("qti-item-body"))
    if kind in ("cloze", "short_answer", "numerical"):
        _inline_body(body, stem_html, body_builder)
    else:
        _html_into(body, stem_html)
        body_builder(body)
    if custom_processing is not None:
        item.append(custom_processing)
    else:
        etree.SubElement(item, _q("qti-response-processing"), template=template)
    if rationale_html.strip():
        # show-hide="hide" with an identifier FEEDBACK never takes: shown whenever feedback is shown.
        feedback = etree.SubElement(item, _q("qti-modal-feedback"), identifier="RATIONALE")
        feedback.set("outcome-identifier", "FEEDBACK")
        feedback.set("show-hide", "hide")
        feedback.set("title", "Rationale")
        content = etree.SubElement(feedback, _q("qti-content-body"))
        _html_into(content, rationale_html)
    return etree.tostring(item, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def _text_entry_builder(base_type):
    def build(paragraph):
        interaction = etree.Element(_q("qti-text-entry-interaction"))
        interaction.set("response-identifier", "RESPONSE")
        if paragraph is not None:
            paragraph.append(interaction)
        return interaction

    return build


def _numerical(item, q):
    """A float text entry whose response processing gives each answer's credit (first that accepts wins)."""
    answers = []
    for c in q.choices:
        if c.number is not None:
            answers.append((c.number, c.tolerance or Decimal(0), c.credit))
        elif c.range_low is not None:
            answers.append(((c.range_low + c.range_high) / 2, (c.range_high - c.range_low) / 2, c.credit))
    if q.units and q.unit_handling != "none":
        raise ValueError("QTI text entry has no units: a numerical question with units cannot be written")
    best = max(answers, key=lambda a: a[2])
    _declare(item, "single", "float", [_number_text(best[0])])
    processing = etree.Element(_q("qti-response-processing"))
    condition = etree.SubElement(processing, _q("qti-response-condition"))
    for n, (value, tolerance, credit) in enumerate(answers):
        branch = etree.SubElement(condition, _q("qti-response-if" if n == 0 else "qti-response-else-if"))
        equal = etree.SubElement(branch, _q("qti-equal"))
        equal.set("tolerance-mode", "absolute")
        equal.set("tolerance", f"{_number_text(tolerance)} {_number_text(tolerance)}")
        etree.SubElement(equal, _q("qti-variable"), identifier="RESPONSE")
        etree.SubElement(equal, _q("qti-base-value"), {"base-type": "float"}).text = _number_text(value)
        setter = etree.SubElement(branch, _q("qti-set-outcome-value"), identifier="SCORE")
        etree.SubElement(setter, _q("qti-base-value"), {"base-type": "float"}).text = _number_text(
            credit / 100
        )
    return _text_entry_builder("float"), processing


def export_qti_package(items) -> bytes:
    """A content package ZIP: `items` are (identifier, item XML bytes); one resource per item."""
    manifest = etree.Element(f"{{{CP_NS}}}manifest", nsmap={None: CP_NS, "xsi": XSI})
    manifest.set(f"{{{XSI}}}schemaLocation", f"{CP_NS} {CP_SCHEMA}")
    manifest.set("identifier", "MANIFEST-question-bank")
    metadata = etree.SubElement(manifest, f"{{{CP_NS}}}metadata")
    etree.SubElement(metadata, f"{{{CP_NS}}}schema").text = "QTI Package"
    etree.SubElement(metadata, f"{{{CP_NS}}}schemaversion").text = "3.0.0"
    etree.SubElement(manifest, f"{{{CP_NS}}}organizations")
    resources = etree.SubElement(manifest, f"{{{CP_NS}}}resources")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for identifier, data in items:
            href = f"items/{identifier}.xml"
            resource = etree.SubElement(
                resources, f"{{{CP_NS}}}resource", identifier=f"RES-{identifier}", type=ITEM_TYPE, href=href
            )
            etree.SubElement(resource, f"{{{CP_NS}}}file", href=href)
            package.writestr(href, data)
        package.writestr(
            "imsmanifest.xml",
            etree.tostring(manifest, encoding="UTF-8", xml_declaration=True, pretty_print=True),
        )
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


class _ItemError(Exception):
    def __init__(self, line, message, *, unsupported=None):
        super().__init__(message)
        self.line = line
        self.message = message
        self.unsupported = unsupported


def _find(element, name):
    return element.find(f".//{_q(name)}")


def _values(element):
    return [(v.text or "").strip() for v in element.iter(_q("qti-value"))] if element is not None else []


def _text(element):
    return " ".join("".join(element.itertext()).split())


def _html_of(elements_parent, skip=()):
    """The children of `elements_parent` as an HTML string without namespaces."""
    holder = copy.deepcopy(elements_parent)
    for element in list(holder.iter()):
        if local_name(element) in skip:
            element.getparent().remove(element) if element.getparent() is not None else None
    for element in holder.iter():
        if isinstance(element.tag, str):
            element.tag = local_name(element)
    etree.cleanup_namespaces(holder)
    parts = [holder.text or ""]
    for child in holder:
        parts.append(etree.tostring(child, method="html", encoding="unicode"))
    html = "".join(parts).strip()
    if "<pre" not in html:
        # Indented lines would read as code blocks once the stem is Markdown; HTML ignores the indent.
        html = "\n".join(line.strip() for line in html.splitlines() if line.strip())
    return html


def _mapping(declaration):
    mapping = declaration.find(_q("qti-mapping"))
    if mapping is None:
        return None
    entries = []
    for entry in mapping.iter(_q("qti-map-entry")):
        try:
            entries.append(
                (
                    entry.get("map-key", ""),
                    Decimal(entry.get("mapped-value", "0")),
                    entry.get("case-sensitive"),
                )
            )
        except InvalidOperation:
            raise _ItemError(
                entry.sourceline or 1, "a qti-map-entry has a mapped-value that is not a number"
            ) from None
    return entries


def _weights(values, *, single=False):
    """Percent weights from QTI mapped values: each over the sum of the positive ones (over the
    best one when a single answer is chosen)."""
    positive = max(values, default=Decimal(0)) if single else sum((v for v in values if v > 0), Decimal(0))
    if positive <= 0:
        return None
    return [
        max(Decimal(-100), _plain_decimal((v / positive * 100).quantize(Decimal("0.0000001"))))
        for v in values
    ]


def _plain_decimal(value):
    """50.000 -> 50 and never 5E+1, so weights read as authors write them."""
    return Decimal(f"{value.normalize():f}")


def _read_item(root, category_default=None):
    line = root.sourceline or 1
    identifier = root.get("identifier") or None
    body = root.find(_q("qti-item-body"))
    if body is None:
        raise _ItemError(line, "the item has no qti-item-body")
    interactions = [e for e in body.iter() if local_name(e).endswith("-interaction")]
    if len(interactions) != 1:
        raise _ItemError(
            line,
            f"the item has {len(interactions)} interactions; only items with exactly one are imported",
            unsupported="QTI item",
        )
    interaction = interactions[0]
    name = local_name(interaction)
    response_id = interaction.get("response-identifier")
    declaration = next(
        (d for d in root.iter(_q("qti-response-declaration")) if d.get("identifier") == response_id), None
    )
    if declaration is None:
        raise _ItemError(line, f"no qti-response-declaration for {response_id!r}")
    correct = _values(declaration.find(_q("qti-correct-response")))
    mapping = _mapping(declaration)
    common = {
        "line": line,
        # Our export writes the identifier as the title of an untitled question.
        "title": root.get("title") if root.get("title") not in (None, "", identifier) else None,
        "stem_format": "html",
        "category": root.get("label") or category_default,
        "id": identifier,
    }
    feedback = list(root.iter(_q("qti-modal-feedback")))
    if feedback:
        content = feedback[0].find(_q("qti-content-body"))
        rationale = _html_of(content if content is not None else feedback[0])
        if rationale:
            common["general_feedback"], common["general_feedback_format"] = rationale, "html"
    notes = []

    if name in ("qti-choice-interaction", "qti-order-interaction"):
        prompt = interaction.find(_q("qti-prompt"))
        stem = _html_of(body, skip={name})
        if prompt is not None:
            stem = (stem + "\n" + _html_of(prompt)).strip()
        choices = [(c.get("identifier"), _text(c)) for c in interaction.iter(_q("qti-simple-choice"))]
        if any(not text for _, text in choices):
            raise _ItemError(line, "a choice has no text (images or other media in choices are not imported)")
        if name == "qti-order-interaction":
            by_id = dict(choices)
            if sorted(correct) != sorted(by_id):
                raise _ItemError(line, "the correct order must list every choice once")
            if mapping or _custom_processing(root):
                notes.append(
                    "its partial-credit scoring was not kept: imported as an ordering question (absolute position)"
                )
            gift_choices = tuple(GiftChoice(by_id[i], True, None, None, None, "plain", None) for i in correct)
            return GiftQuestion(kind="ordering", stem=stem, choices=gift_choices, **common), notes
        cardinality = declaration.get("cardinality")
        if mapping:
            values = {key: value for key, value, _ in mapping}
            weights = _weights(
                [values.get(i, Decimal(0)) for i, _ in choices], single=cardinality != "multiple"
            )
        else:
            weights = None
        if cardinality == "multiple":
            if weights:
                gift_choices = tuple(
                    GiftChoice(t, False, w, None, None, "plain", None)
                    for (_, t), w in zip(choices, weights, strict=True)
                )
            else:
                gift_choices = tuple(
                    GiftChoice(t, i in correct, None, None, None, "plain", None) for i, t in choices
                )
            kind = "multiple"
        else:
            gift_choices = tuple(
                GiftChoice(
                    t,
                    i in correct[:1],
                    None if not weights or w in (0, 100) else w,
                    None,
                    None,
                    "plain",
                    None,
                )
                for (i, t), w in zip(choices, weights or [None] * len(choices), strict=True)
            )
            kind = (
                "true_false"
                if tuple(t for _, t in choices) in (_TRUE_FALSE, _TRUE_FALSE[::-1]) and not weights
                else "single"
            )
            if kind == "true_false":
                answer = next(t for i, t in choices if i in correct[:1]) == "True"
                by_text = {c.text: c for c in gift_choices}
                return GiftQuestion(
                    kind=kind,
                    stem=stem,
                    choices=(by_text["True"], by_text["False"]),
                    true_false_answer=answer,
                    **common,
                ), notes
        return GiftQuestion(kind=kind, stem=stem, choices=gift_choices, **common), notes

    if name == "qti-match-interaction":
        stem = _html_of(body, skip={name})
        prompt = interaction.find(_q("qti-prompt"))
        if prompt is not None:
            stem = (stem + "\n" + _html_of(prompt)).strip()
        sets = interaction.findall(_q("qti-simple-match-set"))
        if len(sets) != 2:
            raise _ItemError(line, "a match interaction needs two qti-simple-match-set elements")
        sources = [(c.get("identifier"), _text(c)) for c in sets[0].iter(_q("qti-simple-associable-choice"))]
        targets = {c.get("identifier"): _text(c) for c in sets[1].iter(_q("qti-simple-associable-choice"))}
        pairs = {}
        for value in correct:
            source, _, target = value.partition(" ")
            if source in pairs:
                raise _ItemError(
                    line, f"{source!r} has more than one correct match; a prompt here has one answer"
                )
            pairs[source] = target
        if any(not text for _, text in sources) or any(not text for text in targets.values()):
            raise _ItemError(line, "a prompt or answer has no text (images are not imported)")
        choices = []
        for source, text in sources:
            if source not in pairs or pairs[source] not in targets:
                raise _ItemError(line, f"the prompt {text!r} has no correct answer")
            choices.append(GiftChoice(text, True, None, None, targets[pairs[source]], "plain", None))
        used = set(pairs.values())
        choices += [
            GiftChoice("", True, None, None, t, "plain", None) for i, t in targets.items() if i not in used
        ]
        if mapping:
            notes.append("its partial credit per pair was not kept: imported as all or nothing")
        return GiftQuestion(kind="matching", stem=stem, choices=tuple(choices), **common), notes

    if name in ("qti-inline-choice-interaction", "qti-text-entry-interaction"):
        inline = not _alone_at_end(body, interaction)
        stem = _stem_with_blank(body, interaction) if inline else _stem_without(body, interaction)
        if name == "qti-inline-choice-interaction":
            options = [(c.get("identifier"), _text(c)) for c in interaction.iter(_q("qti-inline-choice"))]
            values = {key: value for key, value, _ in mapping} if mapping else {}
            weights = (
                _weights([values.get(i, Decimal(0)) for i, _ in options], single=True) if mapping else None
            )
            gift_choices = tuple(
                GiftChoice(
                    t,
                    i in correct[:1],
                    None if not weights or w in (0, 100) else w,
                    None,
                    None,
                    "plain",
                    None,
                )
                for (i, t), w in zip(options, weights or [None] * len(options), strict=True)
            )
            return GiftQuestion(
                kind="cloze", stem=stem, choices=gift_choices, blank_input="select", **common
            ), notes
        base_type = declaration.get("base-type")
        if base_type == "string":
            entries = mapping or [(value, Decimal(1), None) for value in correct]
            if not entries:
                raise _ItemError(line, "a text entry needs a correct response or a mapping")
            top = max(value for _, value, _ in entries)
            if top <= 0:
                raise _ItemError(line, "no accepted answer earns credit")
            case_sensitive = any((flag or "false") == "true" for _, _, flag in entries)
            gift_choices = tuple(
                GiftChoice(
                    key,
                    value > 0,
                    None if value == top else _plain_decimal(value / top * 100),
                    None,
                    None,
                    "plain",
                    None,
                )
                for key, value, _ in entries
            )
            # A text box inside the sentence is a missing word typed in; one after the stem a short answer.
            typed = {"kind": "cloze", "blank_input": "text"} if inline else {"kind": "short_answer"}
            return GiftQuestion(
                stem=stem, choices=gift_choices, case_sensitive=case_sensitive, **typed, **common
            ), notes
        if base_type in ("float", "integer"):
            if not correct:
                raise _ItemError(line, "a numeric text entry needs a correct response")
            return _read_numerical(root, stem, correct, common, notes, line)
        raise _ItemError(
            line, f"text entries of base-type {base_type!r} are not supported", unsupported="QTI item"
        )
    raise _ItemError(line, f"{name} is not supported", unsupported="QTI item")


def _custom_processing(root):
    processing = root.find(_q("qti-response-processing"))
    return processing is not None and processing.get("template") is None and len(processing)


def _read_numerical(root, stem, correct, common, notes, line):
    try:
        value = Decimal(correct[0])
    except InvalidOperation:
        raise _ItemError(line, f"the correct response {correct[0]!r} is not a number") from None
    processing = root.find(_q("qti-response-processing"))
    found = []  # (number, tolerance, score) per branch that compares the response with a tolerance
    branches = [] if processing is None else [
        e for e in processing.iter() if local_name(e) in ("qti-response-if", "qti-response-else-if")
    ]  # fmt: skip
    for branch in branches:
        equal = branch.find(_q("qti-equal"))
        if equal is None or equal.get("tolerance-mode", "exact") == "exact":
            continue
        try:
            first = Decimal((equal.get("tolerance") or "0").split()[0])
            bases = [Decimal((b.text or "0").strip()) for b in equal if local_name(b) == "qti-base-value"]
            setter = branch.find(_q("qti-set-outcome-value"))
            scores = (
                []
                if setter is None
                else [Decimal((b.text or "0").strip()) for b in setter.iter(_q("qti-base-value"))]
            )
        except (InvalidOperation, IndexError):
            continue
        center = bases[0] if bases else value
        tolerance = abs(center * first / 100) if equal.get("tolerance-mode") == "relative" else first
        found.append((center, _plain_decimal(tolerance), scores[-1] if scores else Decimal(1)))
    best = max((score for _, _, score in found), default=Decimal(1))
    answers = []
    for center, tolerance, score in found:
        credit = _plain_decimal(score / best * 100) if best > 0 else Decimal(0)
        weight = None if credit in (0, 100) else credit
        answers.append(
            GiftChoice("", credit > 0, weight, None, None, "plain", None, number=center, tolerance=tolerance)
        )
    if not answers:
        answers.append(GiftChoice("", True, None, None, None, "plain", None, number=value))
        if _custom_processing(root):
            notes.append("its hand-written scoring was read as: the correct value, exactly")
    return GiftQuestion(kind="numerical", stem=stem, choices=tuple(answers), **common), notes


def _alone_at_end(body, interaction):
    """True when the interaction is the only thing in the body's last paragraph (how we write a
    question whose input follows the stem): then the stem has no blank."""
    parent = interaction.getparent()
    return (
        parent is not body
        and parent.getparent() is body
        and body[-1] is parent
        and len(parent) == 1
        and not (parent.text or "").strip()
        and not (interaction.tail or "").strip()
    )


def _stem_without(body, interaction):
    holder = copy.deepcopy(body)
    holder.remove(holder[-1])
    return _html_of(holder)


def _stem_with_blank(body, interaction):
    marker = etree.Element("qti-blank-marker")
    marker.tail = interaction.tail
    interaction.getparent().replace(interaction, marker)
    try:
        html = _html_of(body)
    finally:
        marker.getparent().replace(marker, interaction)
    return re.sub(r"<qti-blank-marker></qti-blank-marker>", BLANK, html, count=1)


def _parse_item_bytes(data, where=""):
    """(question or None, problems, notes) for one item file."""
    prefix = f"{where}: " if where else ""
    try:
        root = parse_xml(data)
    except XmlRefused as refused:
        return None, [GiftSyntaxError(refused.line, f"Line {refused.line}: {prefix}{refused.message}")], []
    namespace = etree.QName(root).namespace
    line = root.sourceline or 1
    if namespace in QTI2_NAMESPACES:
        message = (
            f"Line {line}: {prefix}this is a QTI 2 item ({namespace}); only QTI 3.0 items are imported. "
            "Convert it to QTI 3.0 first"
        )
        return None, [GiftUnsupported(line, message, kind="QTI 2")], []
    if namespace != NS or local_name(root) != "qti-assessment-item":
        message = f"Line {line}: {prefix}not a QTI 3.0 item (expected <qti-assessment-item> in {NS})"
        return None, [GiftSyntaxError(line, message)], []
    try:
        question, notes = _read_item(root)
    except _ItemError as error:
        error.message = prefix + error.message
        return None, [question_problem(error)], []
    return question, [], [GiftProblem(question.line, f"Line {question.line}: {prefix}{n}") for n in notes]


def _safe_name(name):
    return not (
        name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name) or re.match(r"^[A-Za-z]:", name)
    )


class _UnpackLimit(Exception):
    """The package inflated to more than MAX_UNPACKED_BYTES while being read."""


def _parse_package(data):
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        entries = package.infolist()
    except (zipfile.BadZipFile, ValueError) as error:
        return BankParseResult((), (GiftSyntaxError(1, f"Line 1: the ZIP package cannot be read ({error})"),))
    if len(entries) > MAX_PACKAGE_FILES:
        message = f"Line 1: the package holds {len(entries):,} files; the limit is {MAX_PACKAGE_FILES:,}"
        return BankParseResult((), (GiftLimitExceeded(1, message),))
    total = 0
    for entry in entries:
        if not _safe_name(entry.filename):
            message = (
                f"Line 1: the package entry {entry.filename!r} points outside the package; it is refused"
            )
            return BankParseResult((), (GiftSyntaxError(1, message),))
        total += entry.file_size
        if entry.file_size > MAX_RATIO * max(entry.compress_size, 1) and entry.file_size > 1_000_000:
            message = f"Line 1: the package entry {entry.filename!r} unpacks to {entry.file_size:,} bytes (a zip bomb?); refused"
            return BankParseResult((), (GiftLimitExceeded(1, message),))
    if total > MAX_UNPACKED_BYTES:
        message = f"Line 1: the package unpacks to {total:,} bytes; the limit is {MAX_UNPACKED_BYTES:,}"
        return BankParseResult((), (GiftLimitExceeded(1, message),))

    unpacked = 0

    def read(name):
        # The bytes actually inflated count against one budget for the whole package, so neither a
        # lying header nor an entry read again can make us unpack more than MAX_UNPACKED_BYTES.
        nonlocal unpacked
        with package.open(name) as handle:
            content = handle.read(MAX_UNPACKED_BYTES - unpacked + 1)
        unpacked += len(content)
        if unpacked > MAX_UNPACKED_BYTES:
            raise _UnpackLimit(
                f"Line 1: the package unpacks to more than {MAX_UNPACKED_BYTES:,} bytes; refused"
            )
        return content

    names = {e.filename for e in entries}
    try:
        if "imsmanifest.xml" in names:
            manifest = parse_xml(read("imsmanifest.xml"))
            hrefs = [
                r.get("href")
                for r in manifest.iter()
                if local_name(r) == "resource" and (r.get("type") or "").startswith("imsqti_item_xml")
            ]
        else:
            hrefs = sorted(n for n in names if n.endswith(".xml"))
        hrefs = list(dict.fromkeys(hrefs))  # an item listed twice is read, and imported, once
        questions, problems, notes = [], [], []
        if len(hrefs) > MAX_QUESTIONS:
            return BankParseResult((), (GiftLimitExceeded(1, f"Line 1: more than {MAX_QUESTIONS:,} items"),))
        for href in hrefs:
            if not href or href not in names or not _safe_name(href):
                problems.append(
                    GiftSyntaxError(1, f"Line 1: imsmanifest.xml lists {href!r}, which is not in the package")
                )
                continue
            question, item_problems, item_notes = _parse_item_bytes(read(href), href)
            problems += item_problems
            notes += item_notes
            if question is not None:
                questions.append(question)
    except XmlRefused as refused:
        return BankParseResult(
            (), (GiftSyntaxError(refused.line, f"Line {refused.line}: imsmanifest.xml: {refused.message}"),)
        )
    except _UnpackLimit as limit:
        return BankParseResult((), (GiftLimitExceeded(1, str(limit)),))
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as error:
        return BankParseResult((), (GiftSyntaxError(1, f"Line 1: the ZIP package cannot be read ({error})"),))
    categories = tuple(GiftCategory(q.line, q.category) for q in questions if q.category)
    return BankParseResult(tuple(questions), tuple(problems), categories, tuple(notes))


def parse_qti(data: bytes) -> BankParseResult:
    """A QTI 3.0 item (XML) or content package (ZIP) as questions. Never raises."""
    try:
        if data[:4] == b"PK\x03\x04":
            return _parse_package(data)
        question, problems, notes = _parse_item_bytes(data)
        return BankParseResult((question,) if question else (), tuple(problems), (), tuple(notes))
    except Exception as error:  # a safety net: a bug here must not take the caller down
        return BankParseResult(
            (), (GiftSyntaxError(1, f"Line 1: internal error while reading QTI ({type(error).__name__})"),)
        )
