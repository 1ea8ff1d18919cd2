"""Authoring rules for questions, and how a question becomes a frozen key and snapshot.

Pure functions over plain values or unsaved/prefetched objects: no queries here. The admin,
the content loader and the GIFT import all check questions with `question_problems`, so an
author sees the same explanation whichever way a question arrives.
"""

import random
from dataclasses import dataclass
from decimal import Decimal

from quizzes.grading import Key, key_to_snapshot


@dataclass(frozen=True)
class ChoiceData:
    text: str = ""
    is_correct: bool = False
    weight: Decimal | None = None
    correct_position: int | None = None
    match_text: str = ""


def question_problems(kind, choices, *, multiple_grading="all_or_nothing"):
    """Everything wrong with a question's choices, as sentences an author understands."""
    problems = []
    if kind == "single":
        if len(choices) < 2:
            problems.append("A single-choice question needs at least two choices.")
        if sum(c.is_correct for c in choices) != 1:
            problems.append("A single-choice question needs exactly one correct choice.")
    elif kind == "true_false":
        if len(choices) != 2:
            problems.append("A true/false question has exactly two choices (True and False).")
        elif sum(c.is_correct for c in choices) != 1:
            problems.append("A true/false question needs exactly one of its two choices marked correct.")
    elif kind == "multiple":
        if len(choices) < 2:
            problems.append("A multiple-select question needs at least two choices.")
        if not any(c.is_correct for c in choices):
            problems.append("A multiple-select question needs at least one correct choice.")
        if multiple_grading == "partial":
            problems.extend(_weight_problems(choices))
    elif kind == "ordering":
        if len(choices) < 3:
            problems.append("An ordering question needs at least three items.")
        positions = sorted(c.correct_position or 0 for c in choices)
        if positions != list(range(1, len(choices) + 1)):
            problems.append(f"The items' correct positions must be 1 to {len(choices)}, each used once.")
    elif kind == "matching":
        prompts = [c for c in choices if c.text.strip()]
        if len(prompts) < 2:
            problems.append("A matching question needs at least two pairs.")
        if any(not c.match_text.strip() for c in choices):
            problems.append("Every matching prompt needs the answer it matches.")
        answers = [c.match_text.strip() for c in choices if c.match_text.strip()]
        if len(set(answers)) != len(answers):
            problems.append("Two matching answers have the same text; learners could not tell them apart.")
    else:
        problems.append(f"Unknown question kind {kind!r}.")
    texts = [c.text.strip() for c in choices if c.text.strip()]
    if kind != "matching" and len(set(texts)) != len(texts):
        problems.append("Two choices have the same text.")
    return problems


def _weight_problems(choices):
    if any(c.weight is None for c in choices):
        return ["Partial credit needs a weight (percent) on every choice."]
    problems = []
    positive = sum((c.weight for c in choices if c.weight > 0), Decimal(0))
    if abs(positive - 100) > Decimal("0.1"):
        problems.append(f"The positive weights add up to {positive}%; they must add up to 100%.")
    if any((c.weight > 0) != c.is_correct for c in choices):
        problems.append("Mark exactly the choices with a positive weight as correct.")
    if any(not Decimal(-100) <= c.weight <= Decimal(100) for c in choices):
        problems.append("Each weight must be between -100% and 100%.")
    return problems


def _choice_id(choice):
    return str(choice.pk)


def _answer_id(choice):
    return f"a{choice.pk}"


def question_key(question, choices):
    """The grading Key for a saved question and its saved choices (in authoring order)."""
    kind = question.kind
    if kind == "matching":
        prompts = [c for c in choices if c.text.strip()]
        return Key(
            kind=kind,
            points=question.points,
            choice_ids=tuple(_choice_id(c) for c in prompts),
            matches={_choice_id(c): _answer_id(c) for c in prompts},
            answer_ids=tuple(_answer_id(c) for c in choices),
        )
    if kind == "ordering":
        ordered = sorted(choices, key=lambda c: c.correct_position)
        return Key(
            kind=kind,
            points=question.points,
            choice_ids=tuple(_choice_id(c) for c in choices),
            correct_order=tuple(_choice_id(c) for c in ordered),
            ordering_mode=question.ordering_mode,
        )
    partial = kind == "multiple" and question.multiple_grading == "partial"
    return Key(
        kind=kind,
        points=question.points,
        choice_ids=tuple(_choice_id(c) for c in choices),
        correct_ids=frozenset(_choice_id(c) for c in choices if c.is_correct),
        weights={_choice_id(c): c.weight for c in choices} if partial else {},
        multiple_mode=question.multiple_grading if kind == "multiple" else "all_or_nothing",
    )


def _shuffled(items, rng):
    items = list(items)
    rng.shuffle(items)
    return items


def question_snapshot(question, choices, *, shuffle_choices, rng=None):
    """What the learner sees of a question, frozen: never the key. Texts are stored raw; templates escape.

    Ordering items are always shown scrambled (in their authored order they could be the answer),
    and never in the correct order when there is any other.
    """
    rng = rng or random.SystemRandom()
    snapshot = {
        "kind": question.kind,
        "topic": question.topic,
        "title": question.title,
        "stem_html": question.stem_html,
        "rationale_html": question.rationale_html,
        "reference": question.reference,
        "points": str(question.points),
    }
    if question.kind == "matching":
        prompts = [c for c in choices if c.text.strip()]
        answers = _shuffled(choices, rng) if shuffle_choices else sorted(choices, key=lambda c: c.match_text)
        snapshot["prompts"] = [{"id": _choice_id(c), "text": c.text} for c in prompts]
        snapshot["answers"] = [{"id": _answer_id(c), "text": c.match_text} for c in answers]
        snapshot["correct"] = {_choice_id(c): c.match_text for c in prompts}
        return snapshot
    if question.kind == "ordering":
        shown = _shuffled(choices, rng)
        correct = sorted(choices, key=lambda c: c.correct_position)
        if len(shown) > 1 and shown == correct:
            shown = shown[1:] + shown[:1]
        snapshot["items"] = [{"id": _choice_id(c), "text": c.text} for c in shown]
        snapshot["correct"] = [c.text for c in correct]
        return snapshot
    shown = choices if (question.kind == "true_false" or not shuffle_choices) else _shuffled(choices, rng)
    snapshot["choices"] = [{"id": _choice_id(c), "text": c.text} for c in shown]
    snapshot["correct"] = [c.text for c in choices if c.is_correct]
    return snapshot


def frozen_question(question, choices, *, shuffle_choices, rng=None):
    """(snapshot, key snapshot) to store in an AttemptQuestion."""
    return (
        question_snapshot(question, choices, shuffle_choices=shuffle_choices, rng=rng),
        key_to_snapshot(question_key(question, choices)),
    )
