"""Question-bank files of every format we read or write, for the admin's import and export pages.

The parsers are pure (`quizzes.gift`, `moodle_xml`, `aiken`, `qti`) and all produce GIFT's
dataclasses; the one write is `gift_import.questions_import` (plan, dry run, all or nothing).
This module picks the parser for an upload, and maps saved questions to the dataclasses for
the Moodle XML and QTI exports.
"""

import json
from dataclasses import dataclass

from modules.markdown import render_markdown
from quizzes.aiken import parse_aiken
from quizzes.authoring import frozen_question
from quizzes.gift import GiftChoice, GiftQuestion, GiftSyntaxError, GiftUnit, parse_gift
from quizzes.gift_import import (
    MAX_QUESTIONS,
    ImportMessage,
    SkippedQuestion,
    _choice_fields,
    questions_import,
)
from quizzes.models import AttemptQuestion, Choice, Kind, MultipleGrading, Question, Unit
from quizzes.moodle_xml import BankParseResult, export_moodle_xml, parse_moodle_xml
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


def bank_import(*, quiz, fmt, data, dry_run, skip_unsupported=False):
    """Import an upload of format `fmt` into `quiz`. Returns (ImportReport, the format used).

    Side effects: as `questions_import` (nothing is written on a dry run or when anything is wrong).
    The parser's notes (e.g. embedded files left out) join the report's notes.
    """
    if fmt == "detect":
        fmt = detect_format(data)
    parsed = parse_upload(fmt, data)
    report = questions_import(
        quiz=quiz,
        questions=parsed.questions,
        problems=parsed.problems,
        dry_run=dry_run,
        skip_unsupported=skip_unsupported,
    )
    report.notes.extend(
        ImportMessage(n.line, n.message.split(": ", 1)[-1]) for n in getattr(parsed, "notes", ())
    )
    report.notes.sort(key=lambda n: n.line)
    return report, fmt


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


def moodle_xml_export(quiz):
    """The quiz's active questions as a Moodle XML file. No side effects."""
    exported, skipped = [], []
    for question, gq in _exported_questions(quiz):
        try:
            export_moodle_xml([gq])
        except ValueError as error:
            skipped.append(SkippedQuestion(question.key, question.kind, str(error)))
            continue
        exported.append(gq)
    return BankExport(
        export_moodle_xml(exported), skipped, f"{quiz.course.slug}-post-test.xml", "text/xml; charset=utf-8"
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


def question_previews(planned_questions):
    """The learner's view of each planned (unsaved) question; no queries, nothing saved.

    Built the way attempt_start freezes a question (authoring.frozen_question), rendered with the
    attempt page's own template (presentation.render_question), without a response or the key.
    """
    previews = []
    for position, planned in enumerate(planned_questions, start=1):
        question = Question(pk=-position, key=planned.key, **planned.fields)
        question.stem_html = render_markdown(question.stem_markdown)
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
