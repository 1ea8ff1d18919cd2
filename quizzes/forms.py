"""Turning the attempt form's POST data into raw answers for `services.attempt_save`.

Field names: `q<row>` for single, true/false and multiple; `q<row>-pos-<item>` for the
position chosen for each ordering item; `q<row>-match-<prompt>` for each matching prompt.
Forged or malformed data raises GradingError with a message for the learner.
"""

import re

from quizzes.grading import GradingError

FIELD = re.compile(r"^q(\d+)(?:-(pos|match)-(.+))?$")


def answers_from_post(rows, post):
    by_id = {row.pk: row for row in rows}
    for name in post:
        match = FIELD.match(name)
        if match and int(match.group(1)) not in by_id:
            raise GradingError("An answer was sent for a question that is not part of this attempt.")
    return {row.pk: _answer(row, post) for row in rows}


def _answer(row, post):
    kind = row.snapshot["kind"]
    name = f"q{row.pk}"
    if kind in ("single", "true_false"):
        values = post.getlist(name)
        if len(values) > 1:
            raise GradingError(f"Question {row.position}: choose one answer only.")
        return values[0] if values and values[0] else None
    if kind == "multiple":
        values = [v for v in post.getlist(name) if v]
        return values or None
    if kind == "ordering":
        return _ordering_answer(row, post, name)
    if kind == "matching":
        pairs = {}
        for prompt in row.snapshot["prompts"]:
            value = post.get(f"{name}-match-{prompt['id']}", "")
            if value:
                pairs[prompt["id"]] = value
        return pairs or None
    raise GradingError(f"Question {row.position}: unknown question kind.")


def _ordering_answer(row, post, name):
    items = [item["id"] for item in row.snapshot["items"]]
    chosen = {}
    for item in items:
        value = post.get(f"{name}-pos-{item}", "")
        if value == "":
            continue
        if not value.isdigit() or not 1 <= int(value) <= len(items):
            raise GradingError(f"Question {row.position}: positions run from 1 to {len(items)}.")
        chosen[item] = int(value)
    if not chosen:
        return None
    if len(chosen) != len(items):
        raise GradingError(f"Question {row.position}: give every item a position, or none.")
    if len(set(chosen.values())) != len(items):
        raise GradingError(f"Question {row.position}: use each position once.")
    return sorted(items, key=chosen.get)


def positions_for(row):
    """Ordering: item id -> saved position (1-based), for preselecting the selects."""
    return {item: i for i, item in enumerate(row.response or [], start=1)}


def is_answered(row):
    return row.response not in (None, [], {})
