"""GIFT files in and out of a course's post-test: the mapping to our questions, the import, the export.

Reading and writing GIFT text is `quizzes.gift` (pure, no Django). This module maps its
GiftQuestion to Question and Choice rows and back, and holds the one write, `gift_import`.

What GIFT cannot carry, and so does not survive an export and re-import: ordering questions
(there is no GIFT syntax for them; the export lists them as skipped), numerical questions with
units and case-sensitive short answers (skipped likewise), points (every imported question is
worth 1), the reference, the ordering mode, and retired questions (only active questions are
exported).
"""

import html
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.html import strip_tags
from django.utils.text import slugify

from quizzes.authoring import ChoiceData, question_problems
from quizzes.gift import GiftChoice, GiftQuestion, GiftUnsupported, export_gift, parse_gift
from quizzes.models import Choice, Kind, MultipleGrading, Question, Quiz, Unit

MAX_UPLOAD_BYTES = 1_048_576  # 1 MB
# Room for a provider's whole item bank in one file (the parser's own default; a 2,000-question
# import takes about 2 s), while a bigger file is a mistake or an attack, and is refused whole.
MAX_QUESTIONS = 2_000
DEFAULT_TOPIC = "general"
KEY_LENGTH = Question._meta.get_field("key").max_length
TOPIC_LENGTH = Question._meta.get_field("topic").max_length
PREVIEW_LENGTH = 80

_LINE_PREFIX = re.compile(r"^Line \d+: ")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()>#+\-.!|])")


@dataclass(frozen=True)
class ImportMessage:
    """A problem or a note about one place in the file."""

    line: int
    message: str

    def __str__(self):
        return f"Line {self.line}: {self.message}"


@dataclass(frozen=True)
class PlannedQuestion:
    """A question the import would create (and does create, when nothing is wrong)."""

    line: int
    key: str
    kind: str
    topic: str
    stem_preview: str
    fields: dict = field(repr=False, compare=False)
    choices: tuple[ChoiceData, ...] = field(repr=False, compare=False)
    units: tuple[tuple[str, Decimal], ...] = field(default=(), repr=False, compare=False)

    def __str__(self):
        return f"Line {self.line}: {self.kind} [{self.topic}] {self.key}: {self.stem_preview}"


@dataclass
class ImportReport:
    dry_run: bool
    would_create: list[PlannedQuestion] = field(default_factory=list)
    problems: list[ImportMessage] = field(default_factory=list)
    notes: list[ImportMessage] = field(default_factory=list)
    skipped: list[ImportMessage] = field(default_factory=list)  # unsupported items left out on request
    created: int = 0

    @property
    def ok(self):
        return not self.problems


@dataclass(frozen=True)
class SkippedQuestion:
    """A question the export left out, and why."""

    key: str
    kind: str
    reason: str

    def __str__(self):
        return f"{self.key} ({self.kind}): {self.reason}"


# ---------------------------------------------------------------------------
# Text formats
# ---------------------------------------------------------------------------


def escape_markdown(text):
    """Plain text that Markdown renders exactly as written (no emphasis, links, lists or HTML)."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    # A line starting with ":" would start a definition list (def_list extension).
    return re.sub(r"(?m)^(\s*):", r"\1&#58;", text)


def _as_markdown(text, fmt):
    """A GIFT text as our stems and rationales store it: Markdown, sanitised when rendered.

    "moodle" (GIFT's default, plain text that may hold HTML) and "markdown" are used as they are,
    since Markdown passes HTML through; "html" too (nh3 sanitises it when the question is saved);
    "plain" is escaped so it shows literally, its line breaks kept.
    """
    if fmt == "plain":
        return "  \n".join(escape_markdown(line.strip()) for line in text.splitlines())
    return text


def _as_plain(text, fmt):
    """A choice text: our choices are plain text (escaped when shown), so HTML is reduced to its text."""
    if fmt == "html":
        return html.unescape(strip_tags(text)).strip()
    return text


def _preview(text):
    text = " ".join(html.unescape(strip_tags(text)).split())
    return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"


# ---------------------------------------------------------------------------
# GIFT -> our question
# ---------------------------------------------------------------------------


def topic_for_category(category):
    """`$CATEGORY: $course$/Post-test/Physical exam` -> "physical-exam"; none -> "general"."""
    if not category:
        return DEFAULT_TOPIC
    last = category.strip().rstrip("/").rsplit("/", 1)[-1]
    return slugify(last)[:TOPIC_LENGTH].strip("-") or DEFAULT_TOPIC


def _unique_key(base, taken):
    base = base[:KEY_LENGTH].strip("-")
    key, n = base, 1
    while key in taken:
        n += 1
        suffix = f"-{n}"
        key = base[: KEY_LENGTH - len(suffix)].strip("-") + suffix
    taken.add(key)
    return key


def _key_for(gq, taken):
    """The GIFT `// [id:...]` (which our export writes), else the title, else the line."""
    base = slugify(gq.id or "") or slugify(gq.title or "") or f"gift-{gq.line}"
    return _unique_key(base, taken)


def _numeric_choice(c):
    return ChoiceData(
        is_correct=c.credit > 0,
        weight=c.weight,
        number=c.number,
        tolerance=c.tolerance,
        range_low=c.range_low,
        range_high=c.range_high,
    )


def _choices_for(gq):
    """(choices, multiple_grading, problems) for a parsed question."""
    if gq.kind == "numerical":
        # A '~' answer without a number is Moodle's "any other answer": it earns nothing anyway.
        answers = [c for c in gq.choices if c.number is not None or c.range_low is not None]
        return [_numeric_choice(c) for c in answers], MultipleGrading.ALL_OR_NOTHING, []
    if gq.kind == "short_answer" or (gq.kind == "cloze" and gq.blank_input == "text"):
        choices = [
            ChoiceData(text=_as_plain(c.text, c.text_format), is_correct=c.credit > 0, weight=c.weight)
            for c in gq.choices
        ]
        return choices, MultipleGrading.ALL_OR_NOTHING, []
    if gq.kind == "matching":
        choices = [
            ChoiceData(text=_as_plain(c.text, c.text_format), match_text=c.match or "") for c in gq.choices
        ]
        return choices, MultipleGrading.ALL_OR_NOTHING, []
    if gq.kind == "ordering":
        # Not GIFT syntax (QTI carries ordering): the choices come in their correct order.
        choices = [
            ChoiceData(text=_as_plain(c.text, c.text_format), correct_position=n)
            for n, c in enumerate(gq.choices, start=1)
        ]
        return choices, MultipleGrading.ALL_OR_NOTHING, []
    texts = [_as_plain(c.text, c.text_format) for c in gq.choices]
    if gq.kind == "multiple" and any(c.weight is not None for c in gq.choices):
        # Weights mean partial credit. An answer without a weight counts as GIFT counts it
        # (100 for "=", 0 for "~"); question_problems then checks that the weights add up.
        choices = [
            ChoiceData(text=text, is_correct=c.credit > 0, weight=c.credit)
            for text, c in zip(texts, gq.choices, strict=True)
        ]
        return choices, MultipleGrading.PARTIAL, []
    problems = []
    if gq.kind in ("single", "cloze") and any(
        c.weight is not None and c.weight != _plain_credit(c) for c in gq.choices
    ):
        # Partial credit on one answer: each answer earns its weight ("=" 100, "~" 0 unless weighted).
        choices = [
            ChoiceData(
                text=text, is_correct=c.is_correct, weight=c.weight if c.weight is not None else c.credit
            )
            for text, c in zip(texts, gq.choices, strict=True)
        ]
        return choices, MultipleGrading.PARTIAL, problems
    choices = [
        ChoiceData(text=text, is_correct=c.is_correct) for text, c in zip(texts, gq.choices, strict=True)
    ]
    return choices, MultipleGrading.ALL_OR_NOTHING, problems


def _plain_credit(choice):
    """What an unweighted "=" or "~" earns; a weight equal to it changes nothing."""
    return Decimal(100) if choice.is_correct else Decimal(0)


def _rationale(gq):
    """(rationale Markdown, note). The general feedback explains the whole question, so it wins;
    without one, the answers' own feedback is gathered into a list."""
    with_feedback = [c for c in gq.choices if c.feedback]
    if gq.general_feedback:
        note = (
            "per-answer feedback was left out; the rationale is the general feedback."
            if with_feedback
            else ""
        )
        return _as_markdown(gq.general_feedback, gq.general_feedback_format), note
    if not with_feedback:
        return "", "no feedback, so the question has no rationale yet; add one in the admin."
    lines = []
    for c in with_feedback:
        label = escape_markdown(_as_plain(c.text, c.text_format) or _numeric_label(c))
        feedback = _as_markdown(c.feedback, c.feedback_format).replace("\n", "\n    ")
        lines.append(f"- **{label}**: {feedback}")
    return "\n".join(lines), ""


def _numeric_label(choice):
    if choice.range_low is not None:
        return f"{choice.range_low:f} to {choice.range_high:f}"
    if choice.number is not None:
        return f"{choice.number:f}" + (f" ± {choice.tolerance:f}" if choice.tolerance else "")
    return "any other answer"


def _field_problems(question, choices):
    """The model's own limits (lengths, decimal places), in words, before anything is written."""
    problems = []
    try:
        question.full_clean(
            exclude={"quiz", "rationale_markdown"}, validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        problems.extend(_messages(error, Question))
    for number, data in enumerate(choices, start=1):
        try:
            Choice(**_choice_fields(data)).full_clean(exclude={"question"}, validate_constraints=False)
        except ValidationError as error:
            problems.extend(f"Answer {number}: {message}" for message in _messages(error, Choice))
    return problems


def _messages(error, model):
    messages = []
    for name, errors in error.message_dict.items():
        label = model._meta.get_field(name).verbose_name if name != "__all__" else ""
        messages.extend(f"{label}: {message}" if label else message for message in errors)
    return messages


def _choice_fields(data):
    return {
        "text": data.text,
        "is_correct": data.is_correct,
        "weight": data.weight,
        "correct_position": data.correct_position,
        "match_text": data.match_text,
        "number": data.number,
        "tolerance": data.tolerance,
        "range_low": data.range_low,
        "range_high": data.range_high,
    }


def plan_question(gq, *, taken_keys):
    """(PlannedQuestion, problems, note) for one parsed question. Adds its key to `taken_keys`."""
    choices, grading, problems = _choices_for(gq)
    if gq.kind not in (Kind.MATCHING, Kind.NUMERICAL):
        # Only possible for an [html] answer that is all markup; the database would refuse it.
        problems += [
            f"Answer {n} has no text once its HTML is removed."
            for n, c in enumerate(choices, 1)
            if not c.text
        ]
    stem = _as_markdown(gq.stem, gq.stem_format)
    units = tuple((u.name, u.multiplier) for u in gq.units)
    problems += question_problems(
        gq.kind,
        choices,
        multiple_grading=grading,
        stem=stem,
        blank_input=gq.blank_input,
        unit_handling=gq.unit_handling,
        units=list(units),
    )
    rationale, note = _rationale(gq)
    if gq.kind == "numerical" and len(choices) < len(gq.choices):
        note = " ".join(
            filter(None, [note, "the '~' (any other answer) entry was left out: it earns nothing."])
        )
    fields = {
        "kind": gq.kind,
        "topic": topic_for_category(gq.category),
        "title": gq.title or "",
        "stem_markdown": stem,
        "rationale_markdown": rationale,
        "multiple_grading": grading,
        "case_sensitive": gq.case_sensitive,
        "blank_input": gq.blank_input if gq.kind == "cloze" else "select",
        "unit_handling": gq.unit_handling,
        "unit_penalty": gq.unit_penalty,
    }
    key = _key_for(gq, taken_keys)
    problems += _field_problems(Question(key=key, **fields), choices)
    planned = PlannedQuestion(
        line=gq.line,
        key=key,
        kind=gq.kind,
        topic=fields["topic"],
        stem_preview=_preview(stem),
        fields=fields,
        choices=tuple(choices),
        units=units,
    )
    return planned, problems, note


def _without_prefix(message):
    return _LINE_PREFIX.sub("", message, count=1)


def gift_import(*, quiz, text, dry_run, skip_unsupported=False):
    """Add the questions of a GIFT text to `quiz`, all or nothing. Returns an ImportReport.

    See `questions_import`; this parses the text first.
    """
    parsed = parse_gift(text, max_questions=MAX_QUESTIONS, max_chars=MAX_UPLOAD_BYTES)
    report = questions_import(
        quiz=quiz,
        questions=parsed.questions,
        problems=parsed.problems,
        dry_run=dry_run,
        skip_unsupported=skip_unsupported,
    )
    return report


def questions_import(*, quiz, questions, problems, dry_run, skip_unsupported=False):
    """Add parsed questions (GiftQuestion, from any format) to `quiz`, all or nothing.

    `problems` are the parser's (GiftProblem). With `skip_unsupported`, items of a kind we do not
    import (GiftUnsupported: essays, descriptions, ...) are listed in `report.skipped` with their
    line and the rest goes in; any other problem still refuses the whole import.

    Side effects: unless `dry_run` is true or the report has any problem, creates the Question,
    Choice and Unit rows, after the quiz's existing questions, in one transaction. Never changes or
    deletes an existing question: a key already in the quiz gets a numeric suffix.
    """
    questions = list(questions)
    report = ImportReport(dry_run=dry_run)
    for p in problems:
        message = ImportMessage(p.line, _without_prefix(p.message))
        if skip_unsupported and isinstance(p, GiftUnsupported):
            report.skipped.append(message)
        else:
            report.problems.append(message)
    if not questions and not report.problems:
        report.problems.append(ImportMessage(1, "The file holds no questions."))

    with transaction.atomic():
        locked = Quiz.objects.all() if dry_run else Quiz.objects.select_for_update()
        # The lock makes two imports into one quiz take turns, so keys and positions cannot collide.
        quiz = locked.get(pk=quiz.pk)
        taken = set(quiz.questions.values_list("key", flat=True))
        for gq in questions:
            planned, question_problems_, note = plan_question(gq, taken_keys=taken)
            report.would_create.append(planned)
            report.problems.extend(ImportMessage(gq.line, message) for message in question_problems_)
            if note:
                report.notes.append(ImportMessage(gq.line, note))
        report.problems.sort(key=lambda p: p.line)
        if dry_run or report.problems:
            return report

        last = quiz.questions.aggregate(last=Max("position"))["last"] or 0
        for position, planned in enumerate(report.would_create, start=last + 1):
            # create() rather than bulk_create(): save() renders and sanitises the Markdown.
            question = Question.objects.create(
                quiz=quiz, key=planned.key, position=position, **planned.fields
            )
            Choice.objects.bulk_create(
                Choice(question=question, position=i, **_choice_fields(data))
                for i, data in enumerate(planned.choices, start=1)
            )
            Unit.objects.bulk_create(
                Unit(question=question, position=i, name=name, multiplier=multiplier)
                for i, (name, multiplier) in enumerate(planned.units, start=1)
            )
        report.created = len(report.would_create)
    return report


# ---------------------------------------------------------------------------
# Our question -> GIFT
# ---------------------------------------------------------------------------


def _gift_choices(question, choices):
    """(GiftChoice tuple, true_false_answer) or raise ValueError with the reason it cannot be GIFT."""
    if question.kind == Kind.NUMERICAL:
        return tuple(
            GiftChoice(
                "",
                True,
                _plain_decimal(c.weight),
                None,
                number=_plain_decimal(c.number),
                tolerance=_plain_decimal(c.tolerance),
                range_low=_plain_decimal(c.range_low),
                range_high=_plain_decimal(c.range_high),
            )
            for c in choices
        ), None
    if question.kind == Kind.SHORT_ANSWER or (question.kind == Kind.CLOZE and question.blank_input == "text"):
        return tuple(GiftChoice(c.text, True, _plain_decimal(c.weight), None) for c in choices), None
    if question.kind in (Kind.SINGLE, Kind.CLOZE) and question.multiple_grading == MultipleGrading.PARTIAL:
        # "=" for the 100% answer, "~%w%" for the others: Moodle's single choice with partial credit.
        return tuple(
            GiftChoice(c.text, c.is_correct, None if c.is_correct else _plain_decimal(c.weight), None)
            for c in choices
        ), None
    if question.kind == Kind.MATCHING:
        return tuple(GiftChoice(c.text, True, None, None, match=c.match_text) for c in choices), None
    if question.kind == Kind.TRUE_FALSE:
        texts = sorted(c.text.strip().lower() for c in choices)
        if texts != ["false", "true"]:
            raise ValueError("GIFT true/false questions have the choices True and False only.")
        answer = next(c.text.strip().lower() == "true" for c in choices if c.is_correct)
        return (GiftChoice("True", answer, None, None), GiftChoice("False", not answer, None, None)), answer
    if question.kind == Kind.MULTIPLE and question.multiple_grading == MultipleGrading.PARTIAL:
        # Every answer as "~" with its weight: GIFT's "multiple answers" form, which reads back as
        # partial credit whatever the number of right answers.
        return tuple(GiftChoice(c.text, False, _plain_decimal(c.weight), None) for c in choices), None
    if question.kind == Kind.MULTIPLE:
        correct = sum(c.is_correct for c in choices)
        if correct < 2 or correct == len(choices):
            raise ValueError(
                "an all-or-nothing multiple-select question reads back from GIFT only with at least two "
                "right and one wrong answer; use partial credit, or add answers."
            )
    return tuple(GiftChoice(c.text, c.is_correct, None, None) for c in choices), None


def _plain_decimal(value):
    # 34.0000000 -> 34, so the file reads "%34%" as an author would write it.
    return value.normalize() if value is not None else None


def gift_question(question, choices, *, category, units=()):
    """A saved question as a GiftQuestion, or ValueError saying why GIFT cannot hold it."""
    if question.kind == Kind.ORDERING:
        raise ValueError("GIFT has no ordering questions.")
    if question.kind == Kind.NUMERICAL and question.unit_handling != "none":
        raise ValueError("GIFT has no units; export this numerical question as Moodle XML or QTI.")
    if question.case_sensitive and (
        question.kind == Kind.SHORT_ANSWER or (question.kind == Kind.CLOZE and question.blank_input == "text")
    ):
        raise ValueError("GIFT cannot say that a short answer is case-sensitive.")
    gift_choices, answer = _gift_choices(question, choices)
    gq = GiftQuestion(
        line=0,
        kind=question.kind,
        title=question.title or None,
        stem=question.stem_markdown,
        stem_format="markdown",
        choices=gift_choices,
        general_feedback=question.rationale_markdown or None,
        general_feedback_format="markdown" if question.rationale_markdown else None,
        category=category,
        true_false_answer=answer,
        id=question.key,
        blank_input=question.blank_input if question.kind == Kind.CLOZE else "select",
    )
    export_gift([gq])  # raises ValueError for what GIFT cannot write (e.g. "->" in a matching prompt)
    return gq


def gift_export(quiz):
    """The quiz's active questions as GIFT text. Returns (text, skipped); no side effects.

    Each question's key goes into `// [id:...]` and its topic into `$CATEGORY: <course>/<topic>`,
    so importing the file into an empty quiz gives the same questions back.
    """
    questions = quiz.questions.filter(is_active=True).prefetch_related("choices").order_by("position", "id")
    exported, skipped = [], []
    for question in questions:
        category = f"{quiz.course.slug}/{question.topic}"
        try:
            exported.append(gift_question(question, list(question.choices.all()), category=category))
        except ValueError as error:
            skipped.append(SkippedQuestion(question.key, question.kind, str(error)))
    header = f"// {' '.join(str(quiz).split())} — exported as GIFT.\n"
    if skipped:
        header += "// Not exported (GIFT cannot hold them): " + ", ".join(s.key for s in skipped) + "\n"
    # The blank line keeps the header comments out of the first question's block.
    return header + "\n" + export_gift(exported), skipped
