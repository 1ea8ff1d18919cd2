"""What the attempt, summary and review templates show of each frozen question.

No queries, except question_inputs_html, which reads the snapshots of the questions it renders.

Built from the AttemptQuestion snapshot only, so the attempt page can never leak the key:
`correct_*` fields are filled only for the review, and only when the policy allows.
"""

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from quizzes import forms
from quizzes.forms import is_answered, is_incomplete, positions_for
from quizzes.grading import BLANK
from quizzes.models import ReviewPolicy
from quizzes.selectors import snapshots_load

QUESTION_TEMPLATE = "quizzes/_question_input.html"
# How a blank shows where no input sits in it (review, summary): a line, as on paper.
BLANK_SHOWN = '<span aria-hidden="true">_____</span><span class="visually-hidden">(blank)</span>'


@dataclass
class QuestionView:
    row_id: int
    position: int
    kind: str
    stem_html: str
    answered: bool
    incomplete: bool = False  # an ordering with only some items placed: counts as unanswered
    error: str = ""  # why the input sent last was not saved
    choices: list = field(default_factory=list)  # single/multiple/true_false: {id, text, checked}
    items: list = field(default_factory=list)  # ordering: {id, text, position}
    prompts: list = field(default_factory=list)  # matching: {id, text, selected}
    answers: list = field(default_factory=list)  # matching: {id, text}
    positions: range = range(0)
    points: Decimal = Decimal(0)
    points_awarded: Decimal | None = None
    rationale_html: str = ""
    reference: str = ""
    correct_answers: list = field(default_factory=list)
    correct_matches: dict = field(default_factory=dict)
    response_summary: list = field(default_factory=list)
    typed: str = ""  # numerical, short answer, missing word typed in: the text as entered
    units: list = field(default_factory=list)  # numerical: the units the learner may write
    blank_input: str = ""  # "select" or "text" when the input sits in a blank in the stem
    stem_before: str = ""  # the stem's HTML up to the blank, and after it, when it has one
    stem_after: str = ""

    @property
    def has_blank(self):
        return bool(self.stem_before or self.stem_after)

    @property
    def inputmode(self):
        # A decimal keypad has no letters: offered only when no unit is to be typed.
        return "text" if self.units else "decimal"

    @property
    def field_name(self):
        return f"q{self.row_id}"

    @property
    def is_right(self):
        return self.points_awarded is not None and self.points_awarded == self.points

    @property
    def is_partly_right(self):
        return self.points_awarded is not None and 0 < self.points_awarded < self.points

    @property
    def kind_hint(self):
        return {
            "single": "Choose one answer.",
            "true_false": "Choose true or false.",
            "multiple": "Choose every answer that applies.",
            "ordering": "Give each item its position in the sequence, 1 first.",
            "matching": "Match each item on the left with one answer.",
            "numerical": (
                f"Type a number (a decimal point or comma both work), then its unit: {', '.join(self.units)}."
                if self.units
                else "Type a number; a decimal point or comma both work."
            ),
            "short_answer": "Type a short answer.",
            "cloze": "Choose the word for the blank."
            if self.blank_input == "select"
            else "Type the word for the blank.",
        }[self.kind]


def _inline_stem(html):
    """A one-paragraph stem without its <p>, so it can sit inside the question's <legend>."""
    html = html.strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html


def question_view(row, response=None, *, as_entered=False, error=""):
    """The question as the page shows it, with the saved answer, or with `response` as the
    learner entered it (as_entered: forms.entered_inputs, possibly invalid) after a refused save."""
    snap = row.snapshot
    if not as_entered:
        response = row.response
    stem_html = snap["stem_html"]
    view = QuestionView(
        row_id=row.pk,
        position=row.position,
        kind=snap["kind"],
        stem_html=_inline_stem(stem_html.replace(BLANK, BLANK_SHOWN, 1)),
        answered=is_answered(snap["kind"], row.response),
        incomplete=is_incomplete(snap["kind"], row.response),
        error=error,
        points=Decimal(snap["points"]),
        points_awarded=row.points_awarded,
        rationale_html=snap.get("rationale_html", ""),
        reference=snap.get("reference", ""),
    )
    if BLANK in stem_html and view.kind in ("numerical", "short_answer", "cloze"):
        view.stem_before, _, view.stem_after = stem_html.partition(BLANK)
        view.blank_input = snap.get("blank_input") or "text"
    if view.kind == "numerical":
        view.units = snap.get("units", [])
    if view.kind in ("numerical", "short_answer") or (view.kind == "cloze" and view.blank_input == "text"):
        view.typed = response if isinstance(response, str) else ""
        view.response_summary = [view.typed] if view.typed else []
    elif view.kind in ("single", "true_false", "multiple", "cloze"):
        picked = set(response if isinstance(response, list) else [response] if response else [])
        view.choices = [{**c, "checked": c["id"] in picked} for c in snap["choices"]]
        view.response_summary = [c["text"] for c in view.choices if c["checked"]]
    elif view.kind == "ordering":
        positions = {item: _position(value) for item, value in positions_for(response).items()}
        view.items = [{**item, "position": positions.get(item["id"])} for item in snap["items"]]
        view.positions = range(1, len(snap["items"]) + 1)
        by_id = {item["id"]: item["text"] for item in snap["items"]}
        view.response_summary = [by_id[i] for i in (response or []) if i in by_id] if view.answered else []
    elif view.kind == "matching":
        chosen = {prompt: answer for prompt, answer in (response or {}).items() if answer}
        answers = {a["id"]: a["text"] for a in snap["answers"]}
        view.prompts = [{**p, "selected": chosen.get(p["id"])} for p in snap["prompts"]]
        view.answers = snap["answers"]
        view.response_summary = [
            f"{p['text']} → {answers.get(chosen.get(p['id']), '—')}" for p in snap["prompts"]
        ]
    return view


def _position(value):
    # A position shown again from a form is the string sent; one that is not a number shows as unset.
    if isinstance(value, str):
        return int(value) if value.isdigit() else None
    return value


def question_views(rows):
    return [question_view(row) for row in rows]


def _template_version():
    """A digest of what makes a question's HTML: the template's source, this module (the view it
    is given) and quizzes/forms.py (positions and answered/incomplete rules the view uses). A deploy
    that changes any of them changes every question's inputs_key, so an open attempt never gets old
    markup. Worked out once, at import: a running server's files do not change."""
    template = Path(settings.BASE_DIR) / "ce_course" / "jinja2" / QUESTION_TEMPLATE
    sources = (template, Path(__file__), Path(forms.__file__))
    return hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:16]


TEMPLATE_VERSION = _template_version()


def _answer_digest(response):
    return hashlib.sha256(json.dumps(response, sort_keys=True).encode()).hexdigest()[:20]


def render_question(view):
    return mark_safe(render_to_string(QUESTION_TEMPLATE, {"q": view}))  # our template's output, escaped


def inputs_key(response):
    """What a question's stored inputs were rendered from: the template version and the response."""
    return f"{TEMPLATE_VERSION}:{_answer_digest(response)}"


def question_inputs_html(rows):
    """Each question's inputs as HTML (quizzes/_question_input.html), in the order of `rows`, and
    the rows rendered now, for services.attempt_inputs_keep to store.

    A row keeps the HTML of its last view with the key it was made from (AttemptQuestion.inputs_key);
    questions are frozen when the attempt starts, so only a new response or a new template version
    makes it differ, and then it is rendered again. Nothing needs invalidating.
    """
    stale = [row for row in rows if row.inputs_key != inputs_key(row.response)]
    for row in snapshots_load(stale):
        row.inputs_html = str(render_question(question_view(row)))
        row.inputs_key = inputs_key(row.response)
    return [mark_safe(row.inputs_html) for row in rows], stale  # our template's output, escaped


def question_inputs_as_entered(rows, posted):
    """After a save that refused some questions: every question as the learner left it (their
    inputs from the POST, valid or not), each refused one with its message. Never cached."""
    inputs = []
    for row in rows:
        view = question_view(
            row, posted.entered.get(row.pk), as_entered=True, error=posted.errors.get(row.pk, "")
        )
        view.incomplete = row.pk not in posted.errors and is_incomplete(view.kind, posted.answers.get(row.pk))
        inputs.append(render_question(view))
    return inputs


def save_outcome(rows, posted, *, changed):
    """What a save tells the learner (the autosave's JSON, and the page's error summary): how many
    answers changed, each refused question with its message, and the questions left incomplete."""
    errors = [
        {"question": row.position, "message": posted.errors[row.pk]}
        for row in rows
        if row.pk in posted.errors
    ]
    incomplete = [
        row.position
        for row in rows
        if row.pk not in posted.errors and is_incomplete(row.snapshot["kind"], posted.answers.get(row.pk))
    ]
    outcome = {"saved": changed, "errors": errors, "incomplete": incomplete}
    if errors:
        outcome["error"] = " ".join(f"Question {e['question']}: {e['message']}" for e in errors)
    return outcome


def with_correct_answers(views, rows):
    """Add the correct answers (from the frozen snapshot) for a review that may show them."""
    by_id = {row.pk: row for row in rows}
    for view in views:
        correct = by_id[view.row_id].snapshot.get("correct")
        if view.kind == "matching":
            prompts = {p["id"]: p["text"] for p in by_id[view.row_id].snapshot["prompts"]}
            view.correct_answers = [f"{prompts[k]} → {v}" for k, v in (correct or {}).items()]
        else:
            view.correct_answers = list(correct or [])
    return views


def review_shows_answers(quiz, status):
    if quiz.review_policy == ReviewPolicy.ALWAYS:
        return True
    if quiz.review_policy == ReviewPolicy.NEVER:
        return False
    return status.passed or status.attempts_left == 0
