"""The activity file an accreditor audits: one course's planning, disclosures, evaluation and participants.

An ANCC-style reviewer asks for the same record of every activity: who planned it and their
financial relationships, how conflicts were resolved, how contact hours were set, how learning was
evaluated and what learners said, and who completed it. This renders that record from the course
as it stands and the learners' frozen evaluations and certificates.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from reportlab.lib.pagesizes import letter
from reportlab.platypus import Flowable, Paragraph, Spacer

from certificates.fonts import register_fonts
from certificates.pdf import clean, format_date, format_hours, markup
from modules.disclosures import commercial_support_text
from reports.pdf_summary import (
    DASH,
    Column,
    build_pdf,
    heading,
    label_value_table,
    license_lines,
    record_table,
    short_date,
    status_text,
    styles,
)

FORMAT = "Enduring material, online"
INTENT_CAP = 200  # enough to show the range of answers without turning the file into a book
RATING_SCALE = (1, 5)
LABEL_WIDTHS = (150, 390)  # portrait Letter: 540 pt between the margins

PLANNER_COLUMNS = (
    Column("Name", 120, wrap=True),
    Column("Credentials", 80, wrap=True),
    Column("Role", 130, wrap=True),
    Column("Relevant financial relationships", 210, wrap=True),
)
OBJECTIVE_COLUMNS = (
    Column("Objective", 380, wrap=True),
    Column("Responses", 70, align="RIGHT"),
    Column("Mean rating (1–5)", 90, align="RIGHT"),
)
PARTICIPANT_COLUMNS = (
    Column("Name", 140, wrap=True),
    Column("Credentials", 70, wrap=True),
    Column("Licenses", 120, wrap=True),
    Column("Completed", 66),
    Column("Certificate", 96, wrap=True),
    Column("Status", 48),
)


# --- evaluation results (pure) -------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectiveResult:
    objective: str
    responses: int
    mean: Decimal  # to two places


@dataclass(frozen=True)
class EvaluationResults:
    responses: int
    objectives: tuple[ObjectiveResult, ...]  # in the order learners first rated them
    evidence_based_yes: int
    free_of_bias_yes: int
    intended_changes: tuple[str, ...]  # the non-blank answers, cleaned, in evaluation order

    @property
    def evidence_based_percent(self) -> Decimal | None:
        return _percent(self.evidence_based_yes, self.responses)

    @property
    def free_of_bias_percent(self) -> Decimal | None:
        return _percent(self.free_of_bias_yes, self.responses)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _ratings(objective_ratings) -> Iterable[tuple[str, int]]:
    """(objective, rating) pairs; an entry that is not a 1-5 rating of a named objective is skipped.

    The JSON field is checked by the form, not the database, so an imported or hand-edited row
    must not stop the whole file from rendering.
    """
    for entry in objective_ratings or ():
        try:
            objective, rating = clean(str(entry["objective"])), int(entry["rating"])
        except (KeyError, TypeError, ValueError):
            continue
        if objective and RATING_SCALE[0] <= rating <= RATING_SCALE[1]:
            yield objective, rating


def evaluation_results(evaluations: Iterable) -> EvaluationResults:
    """Aggregate Evaluation rows (objective_ratings, evidence_based, free_of_bias, intended_change).

    Pure: reads the attributes only, iterates once. Means are Decimal, rounded half up.
    """
    responses = evidence = unbiased = 0
    totals: dict[str, list[int]] = {}  # objective -> [count, sum]; dicts keep first-seen order
    changes: list[str] = []
    for evaluation in evaluations:
        responses += 1
        evidence += bool(evaluation.evidence_based)
        unbiased += bool(evaluation.free_of_bias)
        for objective, rating in _ratings(evaluation.objective_ratings):
            count_sum = totals.setdefault(objective, [0, 0])
            count_sum[0] += 1
            count_sum[1] += rating
        change = clean(evaluation.intended_change)
        if change:
            changes.append(change)
    objectives = tuple(
        ObjectiveResult(
            objective, count, (Decimal(total) / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        )
        for objective, (count, total) in totals.items()
    )
    return EvaluationResults(responses, objectives, evidence, unbiased, tuple(changes))


# --- text ---------------------------------------------------------------------------------------

MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)")
AUTOLINK = re.compile(r"<(https?://[^>]+)>")
EMPHASIS = re.compile(r"(\*{1,2})(\S(?:.*?\S)?)\1")
BULLET = re.compile(r"^[-*+]\s+")
NUMBERED = re.compile(r"^\d+[.)]\s+")
HEADING = re.compile(r"^#{1,6}\s+")
ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>])")
HELD = re.compile("\x00(\\d+)\x00")


def _plain_markdown_line(line: str) -> str:
    held: list[str] = []

    def hold(match: re.Match) -> str:
        # Backslash-escaped characters are literal: keep them away from the emphasis rules.
        held.append(match.group(1))
        return f"\x00{len(held) - 1}\x00"

    line = ESCAPED.sub(hold, line)
    line = HEADING.sub("", BULLET.sub("", line))
    line = MARKDOWN_LINK.sub(r"\1 (\2)", AUTOLINK.sub(r"\1", line))
    line = EMPHASIS.sub(r"\2", line).replace("`", "")
    return clean(HELD.sub(lambda match: held[int(match.group(1))], line))


def markdown_lines(text: str) -> list[str]:
    """Markdown references as plain text, one entry per list item or paragraph.

    Plain text, not HTML: the PDF must not depend on the HTML renderer, and a reviewer reads the
    citations, not their formatting. A line without a list marker continues the entry above it,
    as a soft line break does in Markdown.
    """
    entries: list[str] = []
    continuing = False
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continuing = False
            continue
        starts_item = BULLET.match(line) or NUMBERED.match(line) or HEADING.match(line)
        if continuing and not starts_item:
            entries[-1] = f"{entries[-1]} {_plain_markdown_line(line)}"
        else:
            entries.append(_plain_markdown_line(line))
        continuing = True
    return [entry for entry in entries if entry]


def text_paragraphs(text: str) -> list[str]:
    """Author text split at blank lines, so a long disclosure keeps its paragraphs."""
    return [clean(part) for part in re.split(r"\n\s*\n", text or "") if clean(part)]


# --- the document -------------------------------------------------------------------------------


def _post_test(course):
    try:
        return course.quiz
    except ObjectDoesNotExist:
        return None


def evaluation_method(course) -> str:
    """The sentence describing how learning and the activity are evaluated."""
    low, high = RATING_SCALE
    text = (
        "Post-activity evaluation: each learner rates how well each learning objective was met on a "
        f"scale of {low} (not met) to {high} (fully met), answers whether the content was "
        "evidence-based and whether it was free of commercial bias, and describes what they intend "
        "to change in their practice."
    )
    quiz = _post_test(course)
    if quiz is not None:
        attempts = (
            f"{quiz.attempts_allowed} attempts allowed" if quiz.attempts_allowed else "unlimited attempts"
        )
        pass_mark = Decimal(quiz.pass_mark_percent).normalize()
        text += f" Learning is measured by a post-test with a pass mark of {pass_mark:f}% ({attempts})."
    return text


class ActivityFile:
    """Builds the story section by section; subclass and override a section to change it."""

    def __init__(self, course, *, generated_on: date):
        self.course = course
        self.generated_on = generated_on
        self.sheet = styles(register_fonts())

    def heading(self, text: str) -> list[Flowable]:
        return heading(text)

    def paragraphs(self, text: str, empty: str = DASH) -> list[Paragraph]:
        return [Paragraph(markup(part), self.sheet.body) for part in text_paragraphs(text) or [empty]]

    def story(self, results: EvaluationResults, participants: Iterable) -> list[Flowable]:
        return [
            *self.title(),
            *self.activity(),
            *self.planners(),
            *self.disclosures(),
            *self.outcomes(),
            *self.references(),
            *self.evaluation(results),
            *self.participants(participants),
        ]

    def title(self) -> list[Flowable]:
        course = self.course
        return [
            Paragraph("Activity file", self.sheet.muted),
            Paragraph(markup(course.title), self.sheet.title),
            Paragraph(f"Generated {markup(format_date(self.generated_on))}", self.sheet.muted),
            Spacer(0, 6),
        ]

    def activity(self) -> list[Flowable]:
        course = self.course
        pairs = [
            ("Provider", course.provider_name),
            ("Provider approval number", course.provider_approval_number or DASH),
            ("Format", FORMAT),
            ("Release date", format_date(course.release_date)),
            ("Expiry date", format_date(course.expiry_date)),
            ("Contact hours", format_hours(course.contact_hours)),
        ]
        if course.last_review_date:
            pairs.insert(4, ("Last review date", format_date(course.last_review_date)))
        if course.ce_broker_course_number:
            pairs.append(("CE Broker course number", course.ce_broker_course_number))
        if course.provider.ce_broker_provider_number:
            pairs.append(("CE Broker provider number", course.provider.ce_broker_provider_number))
        for joint in course.joint_providers.all():
            pairs.append(
                (
                    "Joint provider",
                    f"{joint.organization.name}: {joint.role}; agreement {format_date(joint.agreement_date)}",
                )
            )
        return [
            *self.heading("Activity"),
            label_value_table(pairs, LABEL_WIDTHS),
            *self.heading("How contact hours were calculated"),
            *self.paragraphs(course.contact_hours_calculation),
            *self.heading("Accreditation statement"),
            *self.paragraphs(course.accreditation_statement),
        ]

    def planners(self) -> list[Flowable]:
        rows = [
            (
                (
                    clean(p.name),
                    clean(p.credentials) or DASH,
                    _planner_role(p),
                    clean(p.financial_relationships),
                ),
                True,
            )
            for p in self.course.planners.all()
        ]
        table = (
            record_table(PLANNER_COLUMNS, rows)
            if rows
            else Paragraph("No planners recorded.", self.sheet.body)
        )
        return [*self.heading("Planners and authors"), table]

    def disclosures(self) -> list[Flowable]:
        course = self.course
        return [
            *self.heading("Disclosures"),
            Paragraph("<b>Relevant financial relationships</b>", self.sheet.body),
            *self.paragraphs(course.disclosure_relationships),
            Paragraph(
                "<b>Resolution and mitigation of relevant financial relationships</b>", self.sheet.body
            ),
            *self.paragraphs(course.disclosure_mitigation, "None needed."),
            Paragraph("<b>Commercial support</b>", self.sheet.body),
            *self.paragraphs(commercial_support_text(list(course.support_records.all()))),
            *[
                Paragraph(
                    markup(
                        f"• {support.supporter.name}: agreement signed {format_date(support.agreement_date)} "
                        f"by {support.signatories}"
                    ),
                    self.sheet.body,
                )
                for support in course.support_records.all()
            ],
        ]

    def outcomes(self) -> list[Flowable]:
        course = self.course
        story = [*self.heading("Learning outcome"), *self.paragraphs(course.learning_outcome)]
        modules = [m for m in course.modules.all() if m.objectives]
        if modules:
            story += self.heading("Learning objectives")
        for module in modules:
            story.append(Paragraph(f"<b>{markup(f'{module.position}. {module.title}')}</b>", self.sheet.body))
            story += [Paragraph(f"• {markup(str(o))}", self.sheet.body) for o in module.objectives]
        story += [
            *self.heading("Criteria for successful completion"),
            *self.paragraphs(course.completion_criteria),
        ]
        return story

    def references(self) -> list[Flowable]:
        lines = markdown_lines(self.course.references_markdown) or [DASH]
        return [*self.heading("References"), *(Paragraph(markup(line), self.sheet.body) for line in lines)]

    def evaluation(self, results: EvaluationResults) -> list[Flowable]:
        story = [
            *self.heading("Evaluation method"),
            Paragraph(markup(evaluation_method(self.course)), self.sheet.body),
            *self.heading("Evaluation results"),
            Paragraph(markup(f"Evaluations submitted: {results.responses}"), self.sheet.body),
        ]
        if not results.responses:
            return story
        rows = [((o.objective, str(o.responses), f"{o.mean}"), True) for o in results.objectives]
        if rows:
            story.append(record_table(OBJECTIVE_COLUMNS, rows))
        story += [
            Spacer(0, 6),
            label_value_table(
                [
                    ("Evidence-based", _share(results.evidence_based_yes, results.responses)),
                    ("Free of commercial bias", _share(results.free_of_bias_yes, results.responses)),
                ],
                LABEL_WIDTHS,
            ),
            *self.intended_changes(results.intended_changes),
        ]
        return story

    def intended_changes(self, changes: tuple[str, ...]) -> list[Flowable]:
        story = [*self.heading("Intended changes in practice")]
        if len(changes) > INTENT_CAP:
            note = f"Showing the first {INTENT_CAP} of {len(changes)} answers."
            story.append(Paragraph(markup(note), self.sheet.muted))
        story += [Paragraph(f"• {markup(change)}", self.sheet.body) for change in changes[:INTENT_CAP]]
        return story if changes else [*story, Paragraph("No answers.", self.sheet.body)]

    def participants(self, participants: Iterable) -> list[Flowable]:
        rows = [
            (
                (
                    clean(c.learner_name),
                    clean(c.learner_credentials) or DASH,
                    license_lines(c) or DASH,
                    short_date(c.completion_date),
                    clean(c.serial),
                    status_text(c),
                ),
                bool(c.is_live),
            )
            for c in participants
        ]
        count = Paragraph(markup(f"Certificates issued: {len(rows)}"), self.sheet.body)
        if not rows:
            return [*self.heading("Participants"), count]
        return [*self.heading("Participants"), count, record_table(PARTICIPANT_COLUMNS, rows)]


def _planner_role(planner) -> str:
    role = clean(planner.role)
    if planner.is_nurse_planner and "nurse planner" not in role.lower():
        return f"{role} (nurse planner; signs the certificates)"
    return role


def _share(yes: int, responses: int) -> str:
    return f"Yes: {yes} of {responses} ({_percent(yes, responses)}%)"


def activity_file_pdf(
    course, *, evaluations: Iterable, participants: Iterable, generated_on: date | None = None
) -> bytes:
    """The activity file PDF (portrait US Letter).

    course: a Course (its planners, modules and post-test are read); evaluations: its Evaluation
    rows; participants: its certificates, licenses prefetched. Each iterable is read once.
    """
    generated_on = generated_on or timezone.localdate()
    document = ActivityFile(course, generated_on=generated_on)
    story = document.story(evaluation_results(evaluations), participants)
    return build_pdf(
        story,
        pagesize=letter,
        title=f"Activity file — {clean(course.title)}",
        author=course.provider_name,
        subject="Accreditation activity file: planning, disclosures, evaluation and participants",
        footer=f"Activity file · generated {format_date(generated_on)}",
    )
