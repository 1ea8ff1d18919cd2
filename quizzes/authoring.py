"""Authoring rules for questions, and how a question becomes a frozen key and snapshot.

Pure functions over plain values or unsaved/prefetched objects: no queries here, except
`question_units` for a numerical question whose units were not prefetched. The admin,
the content loader and the GIFT import all check questions with `question_problems`, so an
author sees the same explanation whichever way a question arrives.
"""

import random
from dataclasses import dataclass
from decimal import Decimal

from quizzes.grading import BLANK, Key, key_to_snapshot


@dataclass(frozen=True)
class ChoiceData:
    text: str = ""
    is_correct: bool = False
    weight: Decimal | None = None
    correct_position: int | None = None
    match_text: str = ""
    # numerical answers: value ± tolerance, or a range
    number: Decimal | None = None
    tolerance: Decimal | None = None
    range_low: Decimal | None = None
    range_high: Decimal | None = None


def question_problems(
    kind,
    choices,
    *,
    multiple_grading="all_or_nothing",
    stem=None,
    blank_input="select",
    unit_handling="none",
    units=None,
):
    """Everything wrong with a question's choices, as sentences an author understands.

    `stem` (Markdown) is checked for the blank when given; `units` (a list of (name, multiplier))
    when given. The admin checks the choices and the units in their own inlines.
    """
    problems = []
    if stem is not None:
        problems += _blank_problems(kind, stem)
    if kind in ("single", "cloze") and not (kind == "cloze" and blank_input == "text"):
        what = "A single-choice question" if kind == "single" else "A missing word offered as a list"
        if len(choices) < 2:
            problems.append(f"{what} needs at least two choices.")
        if sum(c.is_correct for c in choices) != 1:
            problems.append(f"{what} needs exactly one correct choice.")
        if multiple_grading == "partial":
            problems.extend(_single_weight_problems(choices))
    elif kind in ("short_answer", "cloze"):
        problems.extend(_typed_answer_problems(choices, numeric=False))
    elif kind == "numerical":
        problems.extend(_typed_answer_problems(choices, numeric=True))
        if units is not None:
            problems.extend(unit_problems(unit_handling, units))
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
    if kind not in ("matching", "numerical") and len(set(texts)) != len(texts):
        problems.append("Two choices have the same text.")
    return problems


def _blank_problems(kind, stem):
    count = stem.count(BLANK)
    if kind == "cloze" and count != 1:
        return [
            f"A missing-word question needs its blank, {BLANK}, exactly once in the stem (found {count})."
        ]
    if kind in ("numerical", "short_answer") and count > 1:
        return [f"The stem may hold the blank {BLANK} once at most."]
    if kind not in ("cloze", "numerical", "short_answer") and count:
        return [f"Only missing-word, numerical and short-answer stems may hold the blank {BLANK}."]
    return []


def _credit(choice):
    if choice.weight is not None:
        return choice.weight
    return Decimal(100) if choice.is_correct else Decimal(0)


def _single_weight_problems(choices):
    if any(c.weight is None for c in choices):
        return ["Partial credit needs a weight (percent) on every choice."]
    problems = []
    if [c.weight == 100 for c in choices] != [c.is_correct for c in choices]:
        problems.append("Partial credit on one answer: the correct choice is the one weighted 100%.")
    if any(not Decimal(-100) <= c.weight <= Decimal(100) for c in choices):
        problems.append("Each weight must be between -100% and 100%.")
    return problems


def _typed_answer_problems(choices, *, numeric):
    if not choices:
        return ["Give at least one accepted answer."]
    problems = []
    credits = [_credit(c) for c in choices]
    if any(not Decimal(0) <= credit <= Decimal(100) for credit in credits):
        problems.append("Each accepted answer earns 0% to 100% (its weight).")
    elif max(credits) != 100:
        problems.append("One accepted answer must earn 100% (mark it correct, or weight it 100).")
    for number, c in enumerate(choices, start=1):
        if numeric and c.number is None and (c.range_low is None or c.range_high is None):
            problems.append(f"Answer {number}: give a value (± tolerance) or a range (low and high).")
        if numeric and c.number is not None and c.range_low is not None:
            problems.append(f"Answer {number}: give a value or a range, not both.")
        if numeric and c.range_low is not None and c.range_high is not None and c.range_low > c.range_high:
            problems.append(f"Answer {number}: the range's low end is above its high end.")
        if numeric and c.tolerance is not None and c.tolerance < 0:
            problems.append(f"Answer {number}: the tolerance cannot be negative.")
        if not numeric and not c.text.strip():
            problems.append(f"Answer {number} is empty.")
    return problems


def unit_problems(unit_handling, units):
    """The units of a numerical question: [(name, multiplier)], the first being the answers' own."""
    problems = []
    names = [name.strip() for name, _ in units]
    if unit_handling != "none" and not units:
        problems.append("Optional or graded units need at least one unit (the answers' own, multiplier 1).")
    if units and units[0][1] != 1:
        problems.append("The first unit is the answers' own: its multiplier must be 1.")
    if any(multiplier is None or multiplier <= 0 for _, multiplier in units):
        problems.append("Each unit's multiplier must be above 0.")
    if len(set(names)) != len(names) or not all(names):
        problems.append("Each unit needs a name, and no two the same.")
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


def numeric_range(choice):
    """(low, high) an accepted numerical answer covers, both ends included."""
    if choice.number is None:
        return choice.range_low, choice.range_high
    tolerance = choice.tolerance or Decimal(0)
    return choice.number - tolerance, choice.number + tolerance


def numeric_answer_text(choice, unit=""):
    """An accepted numerical answer as the review shows it: "3.5 ± 0.1 mg" or "1 to 5 mg"."""
    suffix = f" {unit}" if unit else ""
    if choice.number is None:
        return f"{_plain(choice.range_low)} to {_plain(choice.range_high)}{suffix}"
    if choice.tolerance:
        return f"{_plain(choice.number)} ± {_plain(choice.tolerance)}{suffix}"
    return f"{_plain(choice.number)}{suffix}"


def _plain(number):
    # 3.5000000000 -> 3.5, 100 -> 100 (not 1E+2)
    text = f"{Decimal(number).normalize():f}"
    return text


def _by_text(question):
    return question.kind == "short_answer" or (question.kind == "cloze" and question.blank_input == "text")


def question_key(question, choices, units=()):
    """The grading Key for a saved question and its saved choices (in authoring order) and units."""
    kind = question.kind
    if kind == "numerical":
        return Key(
            kind=kind,
            points=question.points,
            numeric_answers=tuple((*numeric_range(c), _credit(c)) for c in choices),
            units=[(u.name, u.multiplier) for u in units],
            unit_handling=question.unit_handling,
            unit_penalty=question.unit_penalty if question.unit_handling == "graded" else Decimal(0),
        )
    if _by_text(question):
        return Key(
            kind=kind,
            points=question.points,
            blank_input=question.blank_input if kind == "cloze" else "select",
            text_answers=tuple((c.text, _credit(c)) for c in choices),
            case_sensitive=question.case_sensitive,
        )
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
    partial = kind in ("multiple", "single", "cloze") and question.multiple_grading == "partial"
    return Key(
        kind=kind,
        points=question.points,
        choice_ids=tuple(_choice_id(c) for c in choices),
        correct_ids=frozenset(_choice_id(c) for c in choices if c.is_correct),
        weights={_choice_id(c): c.weight for c in choices} if partial else {},
        multiple_mode="partial"
        if partial
        else question.multiple_grading
        if kind == "multiple"
        else "all_or_nothing",
    )


def _shuffled(items, rng):
    items = list(items)
    rng.shuffle(items)
    return items


def question_snapshot(question, choices, *, shuffle_choices, rng=None, units=()):
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
    if question.kind == "numerical":
        base = units[0].name if units else ""
        snapshot["units"] = [u.name for u in units] if question.unit_handling != "none" else []
        snapshot["correct"] = [numeric_answer_text(c, base) for c in choices if _credit(c) == 100]
        return snapshot
    if _by_text(question):
        snapshot["blank_input"] = "text" if question.kind == "cloze" else ""
        # Only the full-credit answers, and with `\*` shown as the star it stands for.
        snapshot["correct"] = [c.text.replace("\\*", "*") for c in choices if _credit(c) == 100]
        return snapshot
    if question.kind == "cloze":
        snapshot["blank_input"] = "select"
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


def question_units(question):
    """A numerical question's units, in order: the one query this module makes, and only for that
    kind (prefetch "units" to make it none)."""
    if question.kind != "numerical" or question.pk is None:
        return []
    return list(question.units.all())


def frozen_question(question, choices, *, shuffle_choices, rng=None, units=None):
    """(snapshot, key snapshot) to store in an AttemptQuestion. `units`: a numerical question's
    (read from the question when not given)."""
    units = question_units(question) if units is None else list(units)
    return (
        question_snapshot(question, choices, shuffle_choices=shuffle_choices, rng=rng, units=units),
        key_to_snapshot(question_key(question, choices, units)),
    )
