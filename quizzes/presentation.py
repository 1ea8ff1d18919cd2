"""What the attempt, summary and review templates show of each frozen question.

No queries, except question_inputs_html, which reads and fills the cache of rendered questions.

Built from the AttemptQuestion snapshot only, so the attempt page can never leak the key:
`correct_*` fields are filled only for the review, and only when the policy allows.
"""

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from quizzes.forms import is_answered, positions_for
from quizzes.models import AttemptQuestion, ReviewPolicy

# Long enough for any attempt; an entry that expires is simply rendered again.
QUESTION_INPUT_SECONDS = 12 * 60 * 60
# Each worker also keeps the entries of the attempts it served last (about 25 KB each), in front
# of the shared cache. An entry checks itself (digest per row), so an old one is never wrong.
QUESTION_INPUT_ATTEMPTS_KEPT = 500
_inputs_by_attempt = OrderedDict()
_inputs_lock = threading.Lock()  # the development server serves requests on threads


@dataclass
class QuestionView:
    row_id: int
    position: int
    kind: str
    stem_html: str
    answered: bool
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
        }[self.kind]


def _inline_stem(html):
    """A one-paragraph stem without its <p>, so it can sit inside the question's <legend>."""
    html = html.strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html


def question_view(row):
    snap = row.snapshot
    view = QuestionView(
        row_id=row.pk,
        position=row.position,
        kind=snap["kind"],
        stem_html=_inline_stem(snap["stem_html"]),
        answered=is_answered(row),
        points=Decimal(snap["points"]),
        points_awarded=row.points_awarded,
        rationale_html=snap.get("rationale_html", ""),
        reference=snap.get("reference", ""),
    )
    response = row.response
    if view.kind in ("single", "true_false", "multiple"):
        picked = set(response if isinstance(response, list) else [response] if response else [])
        view.choices = [{**c, "checked": c["id"] in picked} for c in snap["choices"]]
        view.response_summary = [c["text"] for c in view.choices if c["checked"]]
    elif view.kind == "ordering":
        positions = positions_for(row)
        view.items = [{**item, "position": positions.get(item["id"])} for item in snap["items"]]
        view.positions = range(1, len(snap["items"]) + 1)
        by_id = {item["id"]: item["text"] for item in snap["items"]}
        view.response_summary = [by_id[i] for i in (response or []) if i in by_id]
    elif view.kind == "matching":
        chosen = response or {}
        answers = {a["id"]: a["text"] for a in snap["answers"]}
        view.prompts = [{**p, "selected": chosen.get(p["id"])} for p in snap["prompts"]]
        view.answers = snap["answers"]
        view.response_summary = [
            f"{p['text']} → {answers.get(chosen.get(p['id']), '—')}" for p in snap["prompts"]
        ]
    return view


def question_views(rows):
    return [question_view(row) for row in rows]


def _answer_digest(response):
    return hashlib.sha256(json.dumps(response, sort_keys=True).encode()).hexdigest()[:20]


def question_inputs_html(attempt, answers):
    """Each question's inputs as HTML (quizzes/_question_input.html), in the order of `answers`.

    Rendering ten questions through the template was two thirds of the attempt page's time, so the
    attempt keeps one cache entry: row id -> (digest of the saved answer, HTML). Nothing ever needs
    invalidating: each question is frozen in its row when the attempt starts, and a changed answer
    has a different digest. Only questions never shown with their current answer are rendered (their
    snapshots read in one statement); at most one read and one write, whatever the question count,
    and no read when this worker served the attempt last (its entries are kept in front of the cache).
    `answers` are the learner's own (quizzes.selectors.attempt_with_answers: row id, saved answer).
    """
    # The start time as well as the id: an id reused after a restore can never meet this entry.
    key = f"quizzes:attempt-inputs:{attempt.pk}:{attempt.started_at.timestamp()}"
    held = _inputs_kept(key)
    if held is None:
        held = cache.get(key) or {}
    wanted = {answer.pk: _answer_digest(answer.response) for answer in answers}
    to_render = [pk for pk, digest in wanted.items() if held.get(pk, (None,))[0] != digest]
    if to_render:
        # The page read only the saved answers: read whole the questions to render, at once. Each
        # entry takes the digest of the answer it was rendered with, even if a save came in between.
        held = dict(held)
        for row in AttemptQuestion.objects.filter(pk__in=to_render).defer("key"):
            html = render_to_string("quizzes/_question_input.html", {"q": question_view(row)})
            held[row.pk] = (_answer_digest(row.response), str(html))
        held = {pk: held[pk] for pk in wanted}
        cache.set(key, held, QUESTION_INPUT_SECONDS)
    _inputs_keep(key, held)
    return [mark_safe(held[pk][1]) for pk in wanted]  # our template's output, escaped when rendered


def _inputs_kept(key):
    with _inputs_lock:
        return _inputs_by_attempt.get(key)  # _inputs_keep marks it as used last


def inputs_forget_kept():
    """Empty this worker's copies (the tests do, with the cache, since ids repeat between tests)."""
    with _inputs_lock:
        _inputs_by_attempt.clear()


def _inputs_keep(key, held):
    with _inputs_lock:
        _inputs_by_attempt[key] = held
        _inputs_by_attempt.move_to_end(key)
        while len(_inputs_by_attempt) > QUESTION_INPUT_ATTEMPTS_KEPT:
            _inputs_by_attempt.popitem(last=False)


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
