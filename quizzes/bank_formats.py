"""Question-bank files of every format we read or write, for the admin's import and export pages.

The parsers are pure (`quizzes.gift`, `moodle_xml`, `aiken`, `qti`) and all produce GIFT's
dataclasses; the one write is `gift_import.questions_import` (plan, dry run, all or nothing).
This module picks the parser for an upload, and maps saved questions to the dataclasses for
the Moodle XML and QTI exports.
"""

import json
from dataclasses import dataclass

from django.db import transaction

from modules.markdown import IMAGE_KEYS, image_keys, render_markdown
from modules.models import Image
from modules.services import IMAGE_FOLDER, image_save
from quizzes.aiken import parse_aiken
from quizzes.authoring import frozen_question
from quizzes.gift import GiftChoice, GiftQuestion, GiftSyntaxError, GiftUnit, parse_gift
from quizzes.gift_import import (
    MAX_QUESTIONS,
    ImportMessage,
    SkippedQuestion,
    _choice_fields,
    escape_markdown,
    questions_import,
)
from quizzes.models import AttemptQuestion, Choice, Kind, MultipleGrading, Question, Unit
from quizzes.moodle_xml import BankParseResult, ImageFile, export_moodle_xml, parse_moodle_xml
from quizzes.presentation import question_view, render_question
from quizzes.qti import export_qti_item, export_qti_package, parse_qti

# One limit for every format, generous because a Moodle XML file with its images embedded as
# base64 is far larger than the same questions in GIFT; a bigger upload is refused unread.
MAX_BANK_UPLOAD_BYTES = 5 * 1024 * 1024

FORMAT_CHOICES = [
    ("detect", "Detect from the file"),
    ("gift", "GIFT (.gift, .txt)"),
    ("moodle_xml", "Moodle XML (.xml)"),
    ("aiken", "Aiken (.txt)"),
    ("qti", "QTI 3.0 item (.xml) or package (.zip)"),
]
FORMAT_NAMES = dict(FORMAT_CHOICES)


def detect_format(data, filename=""):
    """The format of an upload from its first bytes (and, for text, its name and look)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data[:4] == b"PK\x03\x04":
        return "qti"
    # "<" alone is not enough: a GIFT question may start with HTML ("<b>Pick one</b>{...}").
    if head.startswith((b"<?xml", b"<!", b"<quiz", b"<qti-", b"<manifest", b"<imscp:")):
        return "qti" if b"qti-assessment-item" in data[:8192] or b"imsqti" in data[:8192] else "moodle_xml"
    name = filename.lower()
    if name.endswith(".gift"):
        return "gift"
    text = data[:65536].decode("utf-8", "replace")
    if "ANSWER:" in text.upper() and "{" not in text:
        return "aiken"
    return "gift"


def _decoded(data):
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        message = (
            f"Line 1: the file is not UTF-8 text (byte {error.start + 1} cannot be read). "
            "Save it with UTF-8 encoding and upload it again."
        )
        return None, BankParseResult((), (GiftSyntaxError(1, message),))


def parse_upload(fmt, data):
    """A BankParseResult for the upload's bytes in `fmt` (never raises)."""
    if fmt in ("gift", "aiken"):
        text, refused = _decoded(data)
        if refused:
            return refused
        if fmt == "aiken":
            return parse_aiken(text, max_questions=MAX_QUESTIONS)
        parsed = parse_gift(text, max_questions=MAX_QUESTIONS, max_chars=MAX_BANK_UPLOAD_BYTES)
        return BankParseResult(parsed.questions, parsed.problems, parsed.categories)
    if fmt == "moodle_xml":
        return parse_moodle_xml(data, max_questions=MAX_QUESTIONS)
    if fmt == "qti":
        return parse_qti(data)
    raise ValueError(f"unknown format {fmt!r}")


def bank_import(*, quiz, fmt, data, dry_run, skip_unsupported=False, user=None):
    """Import an upload of format `fmt` into `quiz`. Returns (ImportReport, the format used).

    Side effects: as `questions_import` (nothing is written on a dry run or when anything is
    wrong), and the images the questions place (Moodle XML) are stored first with `image_save`,
    in the same transaction. The parser's notes (e.g. embedded files left out) join the report's
    notes; ``report.images`` lists the embedded images, for the preview.
    """
    if fmt == "detect":
        fmt = detect_format(data)
    parsed = parse_upload(fmt, data)
    images = getattr(parsed, "images", ())
    report = _import_with_images(quiz, parsed, images, dry_run=True, skip_unsupported=skip_unsupported)
    if report.ok and not dry_run:
        report = _import_with_images(
            quiz, parsed, images, dry_run=False, skip_unsupported=skip_unsupported, user=user
        )
    report.images = list(images)
    report.notes.extend(
        ImportMessage(n.line, n.message.split(": ", 1)[-1]) for n in getattr(parsed, "notes", ())
    )
    report.notes.sort(key=lambda n: n.line)
    return report, fmt


def _import_with_images(quiz, parsed, images, *, dry_run, skip_unsupported, user=None):
    """questions_import with the embedded images in the library, so stems placing them validate.

    A dry run (and any import the report refuses) rolls back; a dry run writes the image rows
    only inside that rolled-back transaction and stores no file. An image whose key the library
    holds already (the same bytes and alt text, imported before) is used as it is.
    """
    with transaction.atomic():
        taken = set(Image.objects.filter(key__in=[i.key for i in images]).values_list("key", flat=True))
        for embedded in images:
            if embedded.key in taken:
                continue
            image = Image(key=embedded.key, alt_text=embedded.alt, source=f"Imported from {embedded.name}")
            if dry_run:
                clean = embedded.clean
                # The name image_file_store would give it, so the figure's URL resolves; no file is written.
                image.file.name = f"{IMAGE_FOLDER}/{embedded.key}-{clean.sha256[:16]}.{clean.extension}"
                image.content_type, image.width, image.height = clean.content_type, clean.width, clean.height
                image.bytes, image.sha256 = len(clean.data), clean.sha256
                image.save()
            else:
                image_save(image=image, clean=embedded.clean, user=user)
        report = questions_import(
            quiz=quiz,
            questions=parsed.questions,
            problems=parsed.problems,
            dry_run=dry_run,
            skip_unsupported=skip_unsupported,
        )
        if dry_run or not report.ok:
            transaction.set_rollback(True)
    return report


# ---------------------------------------------------------------------------
# Saved questions -> dataclasses, for export
# ---------------------------------------------------------------------------


def _weight(value):
    return value.normalize() if value is not None else None


def _choices(question, choices):
    kind = question.kind
    partial = question.multiple_grading == MultipleGrading.PARTIAL
    if kind == Kind.MATCHING:
        return tuple(GiftChoice(c.text, True, None, None, c.match_text, "plain", None) for c in choices)
    if kind == Kind.ORDERING:
        ordered = sorted(choices, key=lambda c: c.correct_position or 0)
        return tuple(GiftChoice(c.text, True, None, None, None, "plain", None) for c in ordered)
    if kind == Kind.TRUE_FALSE:
        right = next((c.text.strip().lower() == "true" for c in choices if c.is_correct), True)
        return (
            GiftChoice("True", right, None, None, None, "moodle", None),
            GiftChoice("False", not right, None, None, None, "moodle", None),
        )
    if kind == Kind.NUMERICAL:
        return tuple(
            GiftChoice(
                "",
                c.is_correct or (c.weight or 0) > 0,
                None if c.weight in (None, 0, 100) else _weight(c.weight),
                None,
                None,
                "plain",
                None,
                number=c.number,
                tolerance=c.tolerance,
                range_low=c.range_low,
                range_high=c.range_high,
            )
            for c in choices
        )
    if kind == Kind.MULTIPLE and partial:
        return tuple(GiftChoice(c.text, False, _weight(c.weight), None, None, "plain", None) for c in choices)
    if partial or kind in (Kind.SHORT_ANSWER, Kind.CLOZE):
        # A weight of 100 or 0 is what "=" and "~" mean already; others are partial credit.
        return tuple(
            GiftChoice(
                c.text,
                c.is_correct,
                None if c.weight is None or c.weight == (100 if c.is_correct else 0) else _weight(c.weight),
                None,
                None,
                "plain",
                None,
            )
            for c in choices
        )
    return tuple(GiftChoice(c.text, c.is_correct, None, None, None, "plain", None) for c in choices)


def bank_question(question, choices, units=(), *, category):
    """A saved question (with its choices and units) as a GiftQuestion, Markdown texts."""
    return GiftQuestion(
        line=0,
        kind=question.kind,
        title=question.title or None,
        stem=question.stem_markdown,
        stem_format="markdown",
        choices=_choices(question, choices),
        general_feedback=question.rationale_markdown or None,
        general_feedback_format="markdown" if question.rationale_markdown else None,
        category=category,
        true_false_answer=(
            next((c.text.strip().lower() == "true" for c in choices if c.is_correct), True)
            if question.kind == Kind.TRUE_FALSE
            else None
        ),
        id=question.key,
        case_sensitive=getattr(question, "case_sensitive", False),
        blank_input=getattr(question, "blank_input", "select"),
        units=tuple(GiftUnit(u.name, u.multiplier.normalize()) for u in units),
        unit_handling=getattr(question, "unit_handling", "none"),
        unit_penalty=getattr(question, "unit_penalty", 10),
    )


def _exported_questions(quiz):
    questions = (
        quiz.questions.filter(is_active=True).prefetch_related("choices", "units").order_by("position", "id")
    )
    for question in questions:
        category = f"{quiz.course.slug}/{question.topic}"
        yield (
            question,
            bank_question(
                question, list(question.choices.all()), list(question.units.all()), category=category
            ),
        )


@dataclass(frozen=True)
class BankExport:
    content: bytes
    skipped: list
    filename: str
    content_type: str


def _image_files(questions):
    """key -> ImageFile for every library image the stems place (the file read from storage)."""
    keys = set().union(*(image_keys(q.stem) for q in questions))
    files = {}
    for image in Image.objects.filter(key__in=keys):
        with image.file.open("rb") as stored:
            data = stored.read()
        alt = "" if image.decorative else image.alt_text
        files[image.key] = ImageFile(alt, data, image.file.name.rsplit(".", 1)[-1])
    return files


def moodle_xml_export(quiz):
    """The quiz's active questions as a Moodle XML file, with the images their stems place
    embedded. No side effects."""
    exported, skipped = [], []
    for question, gq in _exported_questions(quiz):
        try:
            export_moodle_xml([gq])
        except ValueError as error:
            skipped.append(SkippedQuestion(question.key, question.kind, str(error)))
            continue
        exported.append(gq)
    return BankExport(
        export_moodle_xml(exported, _image_files(exported)),
        skipped,
        f"{quiz.course.slug}-post-test.xml",
        "text/xml; charset=utf-8",
    )


def qti_export(quiz):
    """The quiz's active questions as a QTI 3.0 content package (ZIP). No side effects."""
    items, skipped = [], []
    for question, gq in _exported_questions(quiz):
        identifier = (
            question.key if question.key[:1].isalpha() or question.key[:1] == "_" else f"q-{question.key}"
        )
        try:
            item = export_qti_item(
                gq,
                identifier=identifier,
                stem_html=question.stem_html,
                rationale_html=question.rationale_html,
                points=question.points,
            )
        except ValueError as error:
            skipped.append(SkippedQuestion(question.key, question.kind, str(error)))
            continue
        items.append((identifier, item))
    return BankExport(
        export_qti_package(items), skipped, f"{quiz.course.slug}-post-test-qti.zip", "application/zip"
    )


# ---------------------------------------------------------------------------
# Preview: each planned question as the learner's attempt page shows it
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionPreview:
    planned: object
    html: str  # the learner's question markup, or "" when it cannot be shown
    problem: str = ""


def _image_placeholders(stem, images):
    """The stem with each embedded image's figure paragraph as a line saying what it will be:
    the preview stores nothing, and the page's CSP (img-src 'self') shows no inline image data."""
    by_key = {image.key: image for image in images}

    def placeholder(match):
        image = by_key.get(match.group(1))
        if image is None:
            return match.group(0)
        clean = image.clean
        size = f"{clean.width} × {clean.height} px, {clean.extension.upper()}, {len(clean.data):,} bytes"
        return f"*[Image: {escape_markdown(image.alt)} ({size}); stored when you confirm the import]*"

    return IMAGE_KEYS.sub(placeholder, stem)


def question_previews(planned_questions, images=()):
    """The learner's view of each planned (unsaved) question; no queries, nothing saved.

    Built the way attempt_start freezes a question (authoring.frozen_question), rendered with the
    attempt page's own template (presentation.render_question), without a response or the key.
    An embedded image (`images`, from the report) is shown as a line with its alt text and size.
    """
    previews = []
    for position, planned in enumerate(planned_questions, start=1):
        question = Question(pk=-position, key=planned.key, **planned.fields)
        question.stem_html = render_markdown(_image_placeholders(question.stem_markdown, images))
        question.rationale_html = render_markdown(question.rationale_markdown)
        choices = [
            Choice(pk=position * 1000 + n, question=question, position=n, **_choice_fields(data))
            for n, data in enumerate(planned.choices, start=1)
        ]
        try:
            units = [Unit(question=question, position=n, name=name, multiplier=multiplier)
                     for n, (name, multiplier) in enumerate(planned.units, start=1)]  # fmt: skip
            snapshot, key = frozen_question(question, choices, shuffle_choices=False, units=units)
            snapshot = json.loads(json.dumps(snapshot, default=str))
            row = AttemptQuestion(pk=position, position=position, snapshot=snapshot, key=key, response=None)
            previews.append(QuestionPreview(planned, str(render_question(question_view(row)))))
        except Exception as error:  # a question the grader refuses is already a problem in the report
            previews.append(QuestionPreview(planned, "", f"No preview ({type(error).__name__}: {error})."))
    return previews
