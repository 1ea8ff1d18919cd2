"""Turning the attempt form's POST data into raw answers for `services.attempt_save`.

Field names: `q<row>` for single, true/false, multiple, and the one input of a numerical,
short-answer or missing-word question (its text, or the choice picked in the blank);
`q<row>-pos-<item>` for the position chosen for each ordering item; `q<row>-match-<prompt>`
for each matching prompt.

Each question is read on its own: one question's bad input never stops the others being saved.
A question whose input does not parse gets a message (for the learner) and no answer; a field
naming a question that is not part of the attempt is a forged request, refused whole.
"""

import re
from dataclasses import dataclass, field

from quizzes.grading import INCOMPLETE, GradingError

FIELD = re.compile(r"^q(\d+)(?:-(pos|match)-(.+))?$")
# Kinds answered with one typed or chosen value; the text is read (and refused) by grading.
ONE_VALUE = ("numerical", "short_answer", "cloze")


@dataclass
class PostedAnswers:
    answers: dict = field(default_factory=dict)  # row id -> raw answer, for the questions that parsed
    errors: dict = field(default_factory=dict)  # row id -> message, for those that did not
    entered: dict = field(default_factory=dict)  # row id -> the inputs as sent, to show them again


def answers_from_post(rows, post):
    by_id = {row.pk: row for row in rows}
    for name in post:
        match = FIELD.match(name)
        if match and int(match.group(1)) not in by_id:
            raise GradingError("An answer was sent for a question that is not part of this attempt.")
    posted = PostedAnswers()
    for row in rows:
        posted.entered[row.pk] = entered_inputs(row, post)
        try:
            posted.answers[row.pk] = _answer(row, post)
        except GradingError as error:
            posted.errors[row.pk] = str(error)
    return posted


def entered_inputs(row, post):
    """What the learner's form held for this question, valid or not, in the shape of a saved answer
    (choice ids; item -> position; prompt -> answer), so the page can show it again as it was."""
    kind = row.snapshot["kind"]
    name = f"q{row.pk}"
    if kind in ("single", "true_false", "multiple"):
        return [value for value in post.getlist(name) if value]
    if kind in ONE_VALUE:
        return post.get(name, "")
    if kind == "ordering":
        return {
            INCOMPLETE: {
                item["id"]: post.get(f"{name}-pos-{item['id']}", "") for item in row.snapshot["items"]
            }
        }
    if kind == "matching":
        return {p["id"]: post.get(f"{name}-match-{p['id']}", "") for p in row.snapshot["prompts"]}
    return None


def _answer(row, post):
    kind = row.snapshot["kind"]
    name = f"q{row.pk}"
    if kind in ("single", "true_false"):
        values = post.getlist(name)
        if len(values) > 1:
            raise GradingError("Choose one answer only.")
        return values[0] if values and values[0] else None
    if kind == "multiple":
        values = [v for v in post.getlist(name) if v]
        return values or None
    if kind in ONE_VALUE:
        values = post.getlist(name)
        if len(values) > 1:
            raise GradingError("Give one answer only.")
        # Text as typed: grading reads it (a number, a unit, a word) and says what it could not read.
        return values[0] if values and values[0].strip() else None
    if kind == "ordering":
        return _ordering_answer(row, post, name)
    if kind == "matching":
        pairs = {}
        for prompt in row.snapshot["prompts"]:
            value = post.get(f"{name}-match-{prompt['id']}", "")
            if value:
                pairs[prompt["id"]] = value
        return pairs or None
    raise GradingError("Unknown question kind.")


def _ordering_answer(row, post, name):
    """None (no item placed), the items in order (all placed), or {"incomplete": {item: position}}.

    A half-ordered question is kept, not refused: the learner may be part way through it, and
    refusing it would lose what they entered. It is graded as unanswered (grading.IncompleteOrder).
    """
    items = [item["id"] for item in row.snapshot["items"]]
    chosen = {}
    for item in items:
        value = post.get(f"{name}-pos-{item}", "")
        if value == "":
            continue
        if not value.isdigit() or not 1 <= int(value) <= len(items):
            raise GradingError(f"Positions run from 1 to {len(items)}.")
        chosen[item] = int(value)
    if not chosen:
        return None
    if len(set(chosen.values())) != len(chosen):
        raise GradingError("Use each position once.")
    if len(chosen) != len(items):
        return {INCOMPLETE: chosen}
    return sorted(items, key=chosen.get)


def positions_for(response):
    """Ordering: item id -> position (1-based; a string as sent when shown again from a form)."""
    if isinstance(response, dict):
        return dict(response.get(INCOMPLETE) or {})
    return {item: i for i, item in enumerate(response or [], start=1)}


def is_incomplete(kind, response):
    # Only an ordering answer can be incomplete (a matching answer is a dict too).
    return kind == "ordering" and isinstance(response, dict)


def is_answered(kind, response):
    return response not in (None, [], {}) and not is_incomplete(kind, response)
