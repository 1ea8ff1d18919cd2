"""Grade a learner's response against a frozen answer key.

Pure Python: no Django, no database, so an attempt can be re-graded from its JSON snapshot alone.
Scores are Decimal throughout; floats never appear, because pass/fail hangs on them.

Rounding: ``grade`` rounds *down* to the cent. A learner is never credited with points not earned,
and only a fully correct response shows full marks (with half-up, 0.995 of a point would show 1.00).
``fraction`` is exact where the ratio terminates and otherwise carries 28 significant digits.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from decimal import localcontext as decimal_context
from functools import lru_cache, partial
from itertools import combinations, pairwise
from types import MappingProxyType

KINDS = frozenset(
    {"single", "multiple", "true_false", "ordering", "matching", "numerical", "short_answer", "cloze"}
)
MULTIPLE_MODES = frozenset({"all_or_nothing", "partial"})
# Where a missing-word question's blank sits in its stem (and in a GIFT question's stem). Written
# so that Markdown and the HTML sanitiser leave it as it is, and no sentence contains it by chance.
BLANK = "[[blank]]"
BLANK_INPUTS = frozenset({"select", "text"})  # missing word: a list of choices, or typed (short answer)
UNIT_HANDLINGS = frozenset({"none", "optional", "graded"})  # Moodle's three unit roles

# Moodle's qtype_ordering grading types (the suffix of its GRADING_* constants) -> our mode names.
MOODLE_ORDERING_MODES: Mapping[str, str] = MappingProxyType(
    {
        "ALL_OR_NOTHING": "all_or_nothing",
        "ABSOLUTE_POSITION": "absolute_position",
        "RELATIVE_NEXT_EXCLUDE_LAST": "relative_next_exclude_last",
        "RELATIVE_NEXT_INCLUDE_LAST": "relative_next_include_last",
        "RELATIVE_ONE_PREVIOUS_AND_NEXT": "relative_one_previous_and_next",
        "RELATIVE_ALL_PREVIOUS_AND_NEXT": "relative_all_previous_and_next",
        "LONGEST_ORDERED_SUBSET": "longest_ordered_subset",
        "LONGEST_CONTIGUOUS_SUBSET": "longest_contiguous_subset",
        "RELATIVE_TO_CORRECT": "relative_to_correct",
    }
)
ORDERING_MODES = frozenset(MOODLE_ORDERING_MODES.values())

CENT = Decimal("0.01")
# A cap keeps points * earned exact within 28 digits, so rounding happens once, at the cent.
MAX_POINTS = Decimal("1000000")
# GIFT files write thirds as 33.33333%, so the positive weights of a partial-credit question may
# miss 100 by a rounding error; we divide by their actual sum so that all-correct is exactly 1.
WEIGHT_SUM_TOLERANCE = Decimal("0.1")
MAX_WEIGHT_PLACES = 7  # Moodle stores fractions with 7 decimals
_ARITHMETIC = Context(prec=28, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])

Order = tuple[str, ...]


@dataclass(frozen=True)
class IncompleteOrder:
    """An ordering question the learner has begun but not finished: some items have a position.

    Kept so that no input is lost (the attempt page shows it again as entered), and graded as
    unanswered: 0 points whatever the ordering mode, because a partial sequence is not an answer
    to "put these in order" and Moodle's modes are defined on complete orders only.
    """

    positions: tuple[tuple[str, int], ...]  # (item id, 1-based position), fewer than every item


@dataclass(frozen=True)
class NumericResponse:
    """A learner's number as read: the value as typed and the unit after it (None when none)."""

    value: Decimal
    unit: str | None


NormalizedResponse = str | frozenset[str] | tuple[str, ...] | dict[str, str] | IncompleteOrder | None
# The stored (JSON) form of an IncompleteOrder: {"incomplete": {item id: position}}.
INCOMPLETE = "incomplete"


class GradingError(ValueError):
    """A response that does not fit the question (forged or malformed). Message is user-presentable."""


class AnswerKeyError(ValueError):
    """An answer key (or its snapshot) that is inconsistent: a data bug, never the learner's fault."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise AnswerKeyError(message)


def _as_decimal(value: object, what: str) -> Decimal:
    # Floats are refused outright: 0.1 as a float is not 0.1, and the key is the record of truth.
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise AnswerKeyError(f"{what} must be a Decimal, int or numeric string, not {type(value).__name__}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise AnswerKeyError(f"{what} is not a number: {value!r}") from None
    _require(number.is_finite(), f"{what} must be finite")
    return number


def _decimal_places(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _id_tuple(value: object, what: str, *, unique: bool = True) -> tuple[str, ...]:
    # A bare string is iterable too; without this check "abc" would become ids "a", "b", "c".
    _require(
        isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping),
        f"{what} must be a list of ids",
    )
    ids = tuple(value)  # type: ignore[arg-type]  # checked just above
    _require(all(isinstance(item, str) and item for item in ids), f"{what} must hold non-empty string ids")
    _require(not unique or len(set(ids)) == len(ids), f"{what} has a duplicate id")
    return ids


@dataclass(frozen=True)
class Key:
    """A frozen answer key; construction normalizes the fields and rejects inconsistent keys."""

    kind: str
    points: Decimal
    choice_ids: tuple[str, ...] = ()  # every choice / ordering item / matching prompt id
    correct_ids: frozenset[str] = frozenset()
    weights: Mapping[str, Decimal] = field(default_factory=dict, hash=False)  # percent per choice
    multiple_mode: str = "all_or_nothing"
    correct_order: tuple[str, ...] = ()
    ordering_mode: str = "all_or_nothing"
    matches: Mapping[str, str] = field(default_factory=dict, hash=False)  # prompt id -> answer id
    answer_ids: tuple[str, ...] = ()  # matching: every answer offered, distractors included
    blank_input: str = "select"  # cloze: "select" grades like single, "text" like short_answer
    # numerical: (low, high, credit percent) per accepted answer, tried in order; value ± tolerance
    # is stored as its range. Units: name -> multiplier, the first being the answers' unit.
    numeric_answers: tuple[tuple[Decimal, Decimal, Decimal], ...] = ()
    units: Mapping[str, Decimal] = field(default_factory=dict, hash=False)
    unit_handling: str = "none"
    unit_penalty: Decimal = Decimal(0)  # percent of the answer's credit lost to a wrong unit (graded)
    # short_answer and cloze typed in: (pattern, credit percent) per accepted answer, tried in order.
    text_answers: tuple[tuple[str, Decimal], ...] = ()
    case_sensitive: bool = False

    def __post_init__(self) -> None:
        normalized = {
            "points": _as_decimal(self.points, "points"),
            "choice_ids": _id_tuple(self.choice_ids, "choice_ids"),
            "correct_ids": frozenset(_id_tuple(self.correct_ids, "correct_ids", unique=False)),
            "weights": MappingProxyType(_normalized_weights(self.weights)),
            "correct_order": _id_tuple(self.correct_order, "correct_order", unique=False),
            "matches": MappingProxyType(_normalized_matches(self.matches)),
            "answer_ids": _id_tuple(self.answer_ids, "answer_ids"),
            "numeric_answers": _normalized_numeric_answers(self.numeric_answers),
            "units": MappingProxyType(_normalized_units(self.units)),
            "unit_penalty": _as_decimal(self.unit_penalty, "unit_penalty"),
            "text_answers": _normalized_text_answers(self.text_answers),
        }
        for name, value in normalized.items():
            object.__setattr__(self, name, value)  # frozen: __post_init__ is the one place to normalize
        _check_key(self)

    def __reduce__(self) -> tuple[object, ...]:
        # Read-only mapping proxies cannot be pickled or deep-copied; the JSON snapshot can.
        return key_from_snapshot, (key_to_snapshot(self),)


def _normalized_weights(weights: object) -> dict[str, Decimal]:
    if not isinstance(weights, Mapping) or not all(isinstance(choice, str) for choice in weights):
        raise AnswerKeyError("weights must map choice ids (strings) to percent")
    return {choice: _as_decimal(weight, f"weight of {choice!r}") for choice, weight in weights.items()}


def _pairs(value: object, what: str) -> list[tuple[object, ...]]:
    _require(
        isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping),
        f"{what} must be a list",
    )
    items = [tuple(item) if isinstance(item, list | tuple) else (item,) for item in value]  # type: ignore[union-attr]
    return items


def _normalized_numeric_answers(answers: object) -> tuple[tuple[Decimal, Decimal, Decimal], ...]:
    normalized = []
    for item in _pairs(answers, "numeric_answers"):
        _require(len(item) == 3, "each numeric answer is (low, high, credit)")
        low, high, credit = (_as_decimal(part, "a numeric answer") for part in item)
        normalized.append((low, high, credit))
    return tuple(normalized)


def _normalized_text_answers(answers: object) -> tuple[tuple[str, Decimal], ...]:
    normalized = []
    for item in _pairs(answers, "text_answers"):
        _require(len(item) == 2 and isinstance(item[0], str), "each text answer is (pattern, credit)")
        normalized.append((item[0], _as_decimal(item[1], "a text answer's credit")))
    return tuple(normalized)


def _normalized_units(units: object) -> dict[str, Decimal]:
    # A list of pairs keeps the order (the first unit is the answers' own) through JSON.
    pairs = list(units.items()) if isinstance(units, Mapping) else _pairs(units, "units")
    normalized: dict[str, Decimal] = {}
    for item in pairs:
        _require(len(item) == 2 and isinstance(item[0], str) and item[0], "each unit is (name, multiplier)")
        _require(item[0] not in normalized, f"unit {item[0]!r} is listed twice")
        normalized[item[0]] = _as_decimal(item[1], f"multiplier of unit {item[0]!r}")
    return normalized


def _normalized_matches(matches: object) -> dict[str, str]:
    if not isinstance(matches, Mapping) or not all(
        isinstance(prompt, str) and isinstance(answer, str) for prompt, answer in matches.items()
    ):
        raise AnswerKeyError("matches must map prompt ids to answer ids (strings)")
    return dict(matches)


def _by_choice(key: Key) -> bool:
    """Answered by picking one choice: single, true/false, and a missing word offered as a list."""
    return key.kind in {"single", "true_false"} or (key.kind == "cloze" and key.blank_input == "select")


def _by_text(key: Key) -> bool:
    return key.kind == "short_answer" or (key.kind == "cloze" and key.blank_input == "text")


def _check_key(key: Key) -> None:
    _require(key.kind in KINDS, f"unknown question kind {key.kind!r}")
    # is_signed() also refuses -0, which would print as a grade of "-0.00".
    _require(not key.points.is_signed() and key.points <= MAX_POINTS, f"points must be 0 to {MAX_POINTS}")
    _require(_decimal_places(key.points) <= 2, "points may have at most two decimal places")
    _require(key.blank_input in BLANK_INPUTS, f"unknown blank_input {key.blank_input!r}")
    _require(
        key.kind == "cloze" or key.blank_input == "select", "blank_input applies to cloze questions only"
    )
    typed = key.kind == "numerical" or _by_text(key)
    _require(typed or bool(key.choice_ids), "a question needs at least one choice")
    _require(key.multiple_mode in MULTIPLE_MODES, f"unknown multiple_mode {key.multiple_mode!r}")
    _require(key.ordering_mode in ORDERING_MODES, f"unknown ordering_mode {key.ordering_mode!r}")
    _require(key.unit_handling in UNIT_HANDLINGS, f"unknown unit_handling {key.unit_handling!r}")
    single_partial = key.kind in {"single", "cloze"} and _by_choice(key) and key.multiple_mode == "partial"
    # Fields that do not apply to the kind must stay empty, so a mistyped key fails loudly here.
    uses = {
        "choice_ids": not typed,
        "correct_ids": key.kind in {"single", "true_false", "multiple"} or _by_choice(key),
        "weights": (key.kind == "multiple" and key.multiple_mode == "partial") or single_partial,
        "correct_order": key.kind == "ordering",
        "matches": key.kind == "matching",
        "answer_ids": key.kind == "matching",
        "numeric_answers": key.kind == "numerical",
        "units": key.kind == "numerical",
        "text_answers": _by_text(key),
        "case_sensitive": _by_text(key),
    }
    for name, applies in uses.items():
        _require(applies or not getattr(key, name), f"{name} does not apply to a {key.kind} question")
    _require(key.correct_ids <= set(key.choice_ids), "correct_ids must be among choice_ids")
    if _by_choice(key):
        _require(len(key.correct_ids) == 1, f"a {key.kind} question has exactly one correct choice")
    if single_partial:
        _check_single_weights(key)
    if key.kind == "numerical":
        _check_numerical_key(key)
    if _by_text(key):
        _check_credits([credit for _, credit in key.text_answers], "accepted answer")
        _require(all(pattern.strip() for pattern, _ in key.text_answers), "an accepted answer is empty")
    if key.kind == "true_false":
        _require(len(key.choice_ids) == 2, "a true/false question has exactly two choices")
    if key.kind == "multiple":
        _check_multiple_key(key)
    if key.kind == "ordering":
        # With one item Moodle's relative modes have nothing to compare and award 0 for a right answer.
        _require(len(key.choice_ids) >= 2, "an ordering question needs at least two items")
        _require(sorted(key.correct_order) == sorted(key.choice_ids), "correct_order must hold every item")
    if key.kind == "matching":
        _require(set(key.matches) == set(key.choice_ids), "matches must give an answer for every prompt")
        _require(set(key.matches.values()) <= set(key.answer_ids), "matches must use offered answer_ids")


def _check_credits(credits: list[Decimal], what: str) -> None:
    _require(bool(credits), f"a question needs at least one {what}")
    for credit in credits:
        _require(Decimal(0) <= credit <= Decimal(100), f"each {what}'s credit must be 0 to 100 percent")
        _require(_decimal_places(credit) <= MAX_WEIGHT_PLACES, "credits have too many decimal places")
    # Moodle asks for one answer worth 100%, so that full marks can be earned.
    _require(max(credits) == 100, f"one {what} must earn 100 percent")


def _check_single_weights(key: Key) -> None:
    _require(set(key.weights) == set(key.choice_ids), "weights must give every choice a weight")
    for weight in key.weights.values():
        _require(Decimal(-100) <= weight <= Decimal(100), "each weight must be between -100 and 100")
        _require(_decimal_places(weight) <= MAX_WEIGHT_PLACES, "weights have too many decimal places")
    full = {choice for choice, weight in key.weights.items() if weight == 100}
    _require(full == key.correct_ids, "the one correct choice must be the one weighted 100")


def _check_numerical_key(key: Key) -> None:
    for low, high, _ in key.numeric_answers:
        _require(low <= high, "a numeric answer's low end must not exceed its high end")
    _check_credits([credit for _, _, credit in key.numeric_answers], "accepted answer")
    _require(all(multiplier > 0 for multiplier in key.units.values()), "unit multipliers must be positive")
    _require(
        not key.units or next(iter(key.units.values())) == 1,
        "the first unit is the answers' own (multiplier 1)",
    )
    _require(key.unit_handling == "none" or bool(key.units), "graded or optional units need a unit list")
    _require(Decimal(0) <= key.unit_penalty <= Decimal(100), "unit_penalty must be 0 to 100 percent")


def _check_multiple_key(key: Key) -> None:
    if not key.weights:
        _require(bool(key.correct_ids), "a multiple-answer question needs at least one correct choice")
        return
    _require(set(key.weights) <= set(key.choice_ids), "weights must name only choice_ids")
    for weight in key.weights.values():
        _require(Decimal(-100) <= weight <= Decimal(100), "each weight must be between -100 and 100")
        _require(_decimal_places(weight) <= MAX_WEIGHT_PLACES, "weights have too many decimal places")
    positive = {choice for choice, weight in key.weights.items() if weight > 0}
    _require(key.correct_ids == positive, "correct_ids must be exactly the choices with a positive weight")
    total = sum((key.weights[choice] for choice in positive), Decimal(0))
    _require(abs(total - 100) <= WEIGHT_SUM_TOLERANCE, "the positive weights must add up to 100")


# --- snapshots ------------------------------------------------------------------------------------

_SNAPSHOT_FIELDS = frozenset(Key.__dataclass_fields__)


def key_to_snapshot(key: Key) -> dict[str, object]:
    """A JSON-safe dict (Decimals as strings) that ``key_from_snapshot`` turns back into an equal Key."""
    snapshot = _choice_key_snapshot(key)
    # The fields of the newer kinds are written only when they say something, so the snapshots of
    # the five first kinds stay as they were.
    extra = {
        "blank_input": key.blank_input if key.kind == "cloze" else None,
        "numeric_answers": [[str(part) for part in answer] for answer in key.numeric_answers] or None,
        "units": [[name, str(multiplier)] for name, multiplier in key.units.items()] or None,
        "unit_handling": key.unit_handling if key.unit_handling != "none" else None,
        "unit_penalty": str(key.unit_penalty) if key.unit_penalty else None,
        "text_answers": [[pattern, str(credit)] for pattern, credit in key.text_answers] or None,
        "case_sensitive": key.case_sensitive or None,
    }
    snapshot.update({name: value for name, value in extra.items() if value is not None})
    return snapshot


def _choice_key_snapshot(key: Key) -> dict[str, object]:
    return {
        "kind": key.kind,
        "points": str(key.points),
        "choice_ids": list(key.choice_ids),
        "correct_ids": sorted(key.correct_ids),
        "weights": {choice: str(weight) for choice, weight in key.weights.items()},
        "multiple_mode": key.multiple_mode,
        "correct_order": list(key.correct_order),
        "ordering_mode": key.ordering_mode,
        "matches": dict(key.matches),
        "answer_ids": list(key.answer_ids),
    }


def key_from_snapshot(data: Mapping[str, object]) -> Key:
    """Rebuild a Key from ``key_to_snapshot`` output; raises AnswerKeyError if the snapshot is corrupt."""
    if not isinstance(data, Mapping):
        raise AnswerKeyError("an answer key snapshot must be a JSON object")
    unknown = set(data) - _SNAPSHOT_FIELDS
    _require(not unknown, f"unknown fields in answer key snapshot: {sorted(unknown)}")
    missing = {"kind", "points", "choice_ids"} - set(data)
    _require(not missing, f"answer key snapshot lacks {sorted(missing)}")
    try:
        return Key(**data)  # type: ignore[arg-type]  # Key.__post_init__ checks and converts every field
    except TypeError as error:  # e.g. a list where the kind or a mode should be
        raise AnswerKeyError(f"malformed answer key snapshot: {error}") from None


# --- response validation --------------------------------------------------------------------------

_NOT_ACCEPTED = "This answer is not in a form this question accepts."
_FOREIGN_CHOICE = "This answer mentions a choice that is not part of the question."


def _require_ids(values: Iterable[object], allowed: Iterable[str], message: str = _FOREIGN_CHOICE) -> None:
    allowed_ids = set(allowed)
    for value in values:
        # Check the type before hashing: a forged nested list must become a GradingError, not a TypeError.
        if not isinstance(value, str):
            raise GradingError(_NOT_ACCEPTED)
        if value not in allowed_ids:
            raise GradingError(message)


def _validate_choice(key: Key, response: object) -> str:
    _require_ids([response], key.choice_ids)
    return str(response)


def _validate_selection(key: Key, response: object) -> frozenset[str]:
    if not isinstance(response, list | tuple | set | frozenset):
        raise GradingError(_NOT_ACCEPTED)
    _require_ids(response, key.choice_ids)
    if len(set(response)) != len(response):
        raise GradingError("Each choice can be selected only once.")
    return frozenset(response)


def _validate_order(key: Key, response: object) -> tuple[str, ...] | IncompleteOrder:
    if isinstance(response, IncompleteOrder):
        response = incomplete_to_json(response)
    if isinstance(response, Mapping):
        return _validate_incomplete_order(key, response)
    if not isinstance(response, list | tuple):
        raise GradingError(_NOT_ACCEPTED)
    _require_ids(response, key.choice_ids, "This answer mentions an item that is not part of the question.")
    if len(set(response)) != len(response):
        raise GradingError("Each item must appear exactly once in the order.")
    if len(response) != len(key.choice_ids):
        raise GradingError("Every item must be placed in the order.")
    return tuple(response)


def _validate_incomplete_order(key: Key, response: Mapping[object, object]) -> IncompleteOrder:
    if set(response) != {INCOMPLETE} or not isinstance(response[INCOMPLETE], Mapping):
        raise GradingError(_NOT_ACCEPTED)
    positions = response[INCOMPLETE]
    _require_ids(
        positions.keys(), key.choice_ids, "This answer mentions an item that is not part of the question."
    )
    count = len(key.choice_ids)
    for position in positions.values():
        # bool is an int: True must not pass as position 1.
        if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= count:
            raise GradingError(f"Positions run from 1 to {count}.")
    if len(set(positions.values())) != len(positions):
        raise GradingError("Use each position once.")
    if not positions or len(positions) == count:
        # Nothing placed is unanswered (None); everything placed is a complete order (a list).
        raise GradingError(_NOT_ACCEPTED)
    return IncompleteOrder(tuple(sorted(positions.items(), key=lambda pair: pair[1])))


def incomplete_to_json(answer: IncompleteOrder) -> dict[str, dict[str, int]]:
    return {INCOMPLETE: dict(answer.positions)}


def _validate_pairs(key: Key, response: object) -> dict[str, str]:
    if not isinstance(response, Mapping):
        raise GradingError(_NOT_ACCEPTED)
    # A prompt left blank (None) is simply unanswered, i.e. wrong for that pair.
    pairs = {prompt: answer for prompt, answer in response.items() if answer is not None}
    _require_ids(response.keys(), key.choice_ids, "This answer mentions a prompt not in the question.")
    _require_ids(pairs.values(), key.answer_ids, "This answer uses an option that was not offered.")
    return pairs


# --- typed answers: numbers and words -------------------------------------------------------------

MAX_TYPED_LENGTH = 200  # characters a typed answer may have; more is not an answer to these questions
_SPACES = re.compile(r"\s+")
# A number: sign, digits with one decimal point or comma, an optional exponent; then the unit, if any.
_NUMBER = re.compile(
    r"(?P<sign>[+\-\u2212]?)(?P<int>\d*)(?:(?P<sep>[.,])(?P<frac>\d*))?(?:[eE](?P<exp>[+\-\u2212]?\d{1,3}))?"
)
_MAX_NUMBER_DIGITS = 30


def normalize_text(text: str) -> str:
    """NFC, trimmed, every run of whitespace one space: how typed answers and patterns are compared."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def read_number(text: str) -> NumericResponse | None:
    """The number (and unit) a learner typed, or None if the box is empty. A decimal comma reads as a
    point; thousands separators are refused (1,000 would be ambiguous). Raises GradingError saying
    what could not be read."""
    if not isinstance(text, str):
        raise GradingError(_NOT_ACCEPTED)
    typed = normalize_text(text)
    if not typed:
        return None
    if len(typed) > MAX_TYPED_LENGTH:
        raise GradingError(f"The answer is longer than {MAX_TYPED_LENGTH} characters.")
    match = _NUMBER.match(typed)
    digits = match.group("int") + (match.group("frac") or "")
    if not digits:
        raise GradingError(
            f"“{typed}” is not a number. Type digits, with a decimal point or comma if needed (e.g. 2.5 or 2,5)."
        )
    rest = typed[match.end() :].strip()
    if rest[:1].isdigit() or rest[:1] in {".", ","}:
        raise GradingError(
            f"“{typed}” could not be read as one number: use one decimal point or comma, "
            "and no thousands separators or spaces inside the number."
        )
    if len(digits.lstrip("0")) > _MAX_NUMBER_DIGITS:
        raise GradingError(f"“{typed}” has more digits than any answer needs.")
    sign = "-" if match.group("sign") in {"-", "\u2212"} else ""
    exponent = (match.group("exp") or "").replace("\u2212", "-")
    number = f"{sign}{match.group('int') or '0'}.{match.group('frac') or '0'}" + (
        f"e{exponent}" if exponent else ""
    )
    return NumericResponse(Decimal(number), rest or None)


def _validate_number(key: Key, response: object) -> str | None:
    """The typed text, normalized, once it reads as a number (kept as typed: "2,5 mg" shows again
    as the learner wrote it, and is read again when graded)."""
    answer = read_number(response)  # type: ignore[arg-type]  # read_number refuses a non-string
    if answer is None:
        return None
    if answer.unit is not None and answer.unit not in key.units and key.unit_handling == "optional":
        # Optional units have no penalty to charge, so an unknown unit is refused rather than guessed.
        listed = ", ".join(key.units)
        raise GradingError(f"“{answer.unit}” is not a unit this question accepts. Use {listed}, or no unit.")
    return normalize_text(response)  # type: ignore[arg-type]  # a string: read_number checked


def _validate_text(key: Key, response: object) -> str | None:
    if not isinstance(response, str):
        raise GradingError(_NOT_ACCEPTED)
    typed = normalize_text(response)
    if len(typed) > MAX_TYPED_LENGTH:
        raise GradingError(f"The answer is longer than {MAX_TYPED_LENGTH} characters.")
    return typed or None


def _validate_cloze(key: Key, response: object) -> str | None:
    return _validate_text(key, response) if _by_text(key) else _validate_choice(key, response)


_VALIDATORS: dict[str, Callable[[Key, object], NormalizedResponse]] = {
    "single": _validate_choice,
    "true_false": _validate_choice,
    "multiple": _validate_selection,
    "ordering": _validate_order,
    "matching": _validate_pairs,
    "numerical": _validate_number,
    "short_answer": _validate_text,
    "cloze": _validate_cloze,
}


def validate_response(key: Key, response: object) -> NormalizedResponse:
    """Check a response against the key and normalize it; raise GradingError if it does not fit.

    Returns None (unanswered), a choice id (single, true_false, cloze by list), a frozenset of
    ids (multiple), a tuple of ids (ordering; an IncompleteOrder when only some items are
    placed), a dict prompt id -> answer id (matching), or the typed text, normalized
    (numerical once it reads as a number, short_answer, cloze typed in).
    """
    if response is None:
        return None
    return _VALIDATORS[key.kind](key, response)


# --- ordering modes (Moodle qtype_ordering) -------------------------------------------------------
# Each returns (earned, possible); the fraction is earned / possible, as in Moodle.


def _all_or_nothing(correct: Order, response: Order) -> tuple[int, int]:
    return (1 if response == correct else 0), 1


def _absolute_position(correct: Order, response: Order) -> tuple[int, int]:
    return sum(right == given for right, given in zip(correct, response, strict=True)), len(correct)


def _successors(order: Order, include_last: bool) -> dict[str, str | None]:
    following: dict[str, str | None] = dict(pairwise(order))
    if include_last:
        following[order[-1]] = None  # "nothing follows" is itself a fact to get right
    return following


def _relative_next(correct: Order, response: Order, *, include_last: bool) -> tuple[int, int]:
    expected, given = _successors(correct, include_last), _successors(response, include_last)
    return sum(given.get(item, "") == following for item, following in expected.items()), len(expected)


def _neighbours(order: Order) -> dict[str, tuple[str | None, str | None]]:
    padded = (None, *order, None)  # None marks "first" / "last", which Moodle also checks
    return {item: (padded[index], padded[index + 2]) for index, item in enumerate(order)}


def _one_previous_and_next(correct: Order, response: Order) -> tuple[int, int]:
    expected, given = _neighbours(correct), _neighbours(response)
    earned = sum(
        (given[item][0] == before) + (given[item][1] == after) for item, (before, after) in expected.items()
    )
    return earned, 2 * len(correct)


def _ranks(correct: Order, response: Order) -> list[int]:
    """Each response item's position in the correct order."""
    position = {item: index for index, item in enumerate(correct)}
    return [position[item] for item in response]


def _all_previous_and_next(correct: Order, response: Order) -> tuple[int, int]:
    # Moodle counts each pair twice (a before b, b after a); counting once gives the same fraction.
    ranks = _ranks(correct, response)
    in_order = sum(first < second for first, second in combinations(ranks, 2))
    return in_order, len(ranks) * (len(ranks) - 1) // 2


def _ignoring_single_items(length: int) -> int:
    # Moodle does not credit a "subset" of one item, so a fully reversed order scores 0, not 1/n.
    return length if length >= 2 else 0


def _longest_ordered_subset(correct: Order, response: Order) -> tuple[int, int]:
    smallest_tail: list[int] = []  # smallest_tail[k]: least last rank of an increasing run of length k+1
    for rank in _ranks(correct, response):
        slot = bisect_left(smallest_tail, rank)
        smallest_tail[slot : slot + 1] = [rank]
    return _ignoring_single_items(len(smallest_tail)), len(correct)


def _longest_contiguous_subset(correct: Order, response: Order) -> tuple[int, int]:
    # Contiguous in the correct order (items k, k+1, ...), placed in that relative order by the learner,
    # though other items may sit between them in the response: that is how Moodle reads "contiguous".
    position = {item: index for index, item in enumerate(response)}
    longest = run = 1
    for previous, item in pairwise(correct):
        run = run + 1 if position[item] > position[previous] else 1
        longest = max(longest, run)
    return _ignoring_single_items(longest), len(correct)


def _relative_to_correct(correct: Order, response: Order) -> tuple[int, int]:
    # Each item earns (n - 1) minus its distance from the right place, never below zero.
    spread = len(correct) - 1
    position = {item: index for index, item in enumerate(response)}
    earned = sum(max(0, spread - abs(index - position[item])) for index, item in enumerate(correct))
    return earned, len(correct) * spread


_ORDERING_SCORERS: dict[str, Callable[[Order, Order], tuple[int, int]]] = {
    "all_or_nothing": _all_or_nothing,
    "absolute_position": _absolute_position,
    "relative_next_exclude_last": partial(_relative_next, include_last=False),
    "relative_next_include_last": partial(_relative_next, include_last=True),
    "relative_one_previous_and_next": _one_previous_and_next,
    "relative_all_previous_and_next": _all_previous_and_next,
    "longest_ordered_subset": _longest_ordered_subset,
    "longest_contiguous_subset": _longest_contiguous_subset,
    "relative_to_correct": _relative_to_correct,
}


# --- scoring --------------------------------------------------------------------------------------


def _partial_weights(key: Key) -> tuple[Mapping[str, Decimal], Decimal]:
    """(weight per choice, weight of a fully correct selection).

    Without explicit weights each correct choice is worth 100/len(correct) percent and each wrong
    one -100/len(correct); we use +1 / -1 out of len(correct), the same ratio without rounding 100/3.
    """
    if key.weights:
        return key.weights, sum((weight for weight in key.weights.values() if weight > 0), Decimal(0))
    derived = {choice: Decimal(1 if choice in key.correct_ids else -1) for choice in key.choice_ids}
    return derived, Decimal(len(key.correct_ids))


def _multiple_credit(key: Key, selected: frozenset[str]) -> tuple[Decimal, Decimal]:
    if key.multiple_mode == "all_or_nothing":
        return Decimal(selected == key.correct_ids), Decimal(1)
    weights, full = _partial_weights(key)
    total = sum((weights.get(choice, Decimal(0)) for choice in selected), Decimal(0))
    return min(max(total, Decimal(0)), full), full  # like Moodle: never below zero, never above full


@lru_cache(maxsize=1024)
def _pattern_pieces(pattern: str, case_sensitive: bool) -> tuple[str, ...]:
    """An accepted answer as its literal pieces: a `*` (or a run of them) between two pieces matches
    any characters, `\\*` is a literal star, everything else is literal. Normalized like the response.
    One piece means no wildcard; pieces ("", ...) or (..., "") mean a leading or trailing star."""
    pattern = normalize_text(pattern)
    if not case_sensitive:
        pattern = pattern.casefold()
    pieces = [""]
    for literal, star in re.findall(r"((?:\\\*|[^*])*)(\**)", pattern):
        pieces[-1] += literal.replace("\\*", "*")
        if star:
            pieces.append("")
    return tuple(pieces)


def text_matches(pattern: str, typed: str, *, case_sensitive: bool) -> bool:
    """Whether a typed answer (already normalized) matches an accepted answer, wildcards and all.

    Matched greedily rather than as a regular expression: the first piece anchors the start, the
    last the end, and each piece between is taken at its leftmost place after the one before. That is
    linear in the answer's length, where `.*` per star backtracks exponentially on a pattern like
    `*a*a*a*a*b` (the pattern comes from an author or an import, the answer from any learner)."""
    pieces = _pattern_pieces(pattern, case_sensitive)
    if not case_sensitive:
        typed = typed.casefold()
    if len(pieces) == 1:
        return typed == pieces[0]
    first, *middle, last = pieces
    if len(typed) < len(first) + len(last) or not typed.startswith(first) or not typed.endswith(last):
        return False
    position, end = len(first), len(typed) - len(last)
    for piece in middle:
        found = typed.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _text_credit(key: Key, typed: str) -> tuple[Decimal, Decimal]:
    # As Moodle: the accepted answers are tried in order and the first that matches counts.
    for pattern, credit in key.text_answers:
        if text_matches(pattern, typed, case_sensitive=key.case_sensitive):
            return credit, Decimal(100)
    return Decimal(0), Decimal(100)


def _numeric_credit(key: Key, answer: NumericResponse) -> tuple[Decimal, Decimal]:
    multiplier, penalty = Decimal(1), Decimal(0)
    if key.unit_handling != "none":
        if answer.unit in key.units:
            multiplier = key.units[answer.unit]  # type: ignore[index]  # checked just above
        elif key.unit_handling == "graded":
            penalty = key.unit_penalty  # a missing or unlisted unit: the number as if in the first unit
    for low, high, credit in key.numeric_answers:
        # The answers are in the first unit: in another, compare with them times its multiplier
        # (multiplying keeps the comparison exact; dividing the response would round). Both ends count.
        if low * multiplier <= answer.value <= high * multiplier:
            return credit * (100 - penalty), Decimal(100 * 100)
    return Decimal(0), Decimal(100 * 100)


def _credit(key: Key, response: object) -> tuple[Decimal, Decimal]:
    """(earned, possible) for a response, with 0 <= earned <= possible and possible > 0."""
    answer = validate_response(key, response)
    if answer is None or isinstance(answer, IncompleteOrder):
        return Decimal(0), Decimal(1)  # an unfinished order counts as unanswered (IncompleteOrder says why)
    if key.kind == "numerical":
        return _numeric_credit(key, read_number(answer))  # type: ignore[arg-type]  # validated text
    if isinstance(answer, str) and _by_text(key):
        return _text_credit(key, answer)
    if isinstance(answer, str) and key.weights:
        # Single choice with partial credit: the chosen answer's weight, never below zero (Moodle).
        return max(key.weights[answer], Decimal(0)), Decimal(100)
    if isinstance(answer, str):
        return Decimal(answer in key.correct_ids), Decimal(1)
    if isinstance(answer, frozenset):
        return _multiple_credit(key, answer)
    if isinstance(answer, tuple):
        earned, possible = _ORDERING_SCORERS[key.ordering_mode](key.correct_order, answer)
        return Decimal(earned), Decimal(possible)
    right_pairs = sum(answer.get(prompt) == target for prompt, target in key.matches.items())
    return Decimal(right_pairs), Decimal(len(key.matches))


def fraction(key: Key, response: object) -> Decimal:
    """Share of the points earned, 0..1: exact when it terminates, else 28 significant digits."""
    with decimal_context(_ARITHMETIC):
        earned, possible = _credit(key, response)
        return earned / possible


def grade(key: Key, response: object) -> Decimal:
    """Points earned, rounded down to the cent: always 0 <= grade <= key.points."""
    with decimal_context(_ARITHMETIC):
        earned, possible = _credit(key, response)
        # Multiply before dividing so the only rounding is the final one to the cent.
        return (key.points * earned / possible).quantize(CENT, rounding=ROUND_DOWN)


def correct_response(key: Key) -> object:
    """A response, in the form attempt_save stores it, that earns full marks: for tests, demo data
    and benchmarks. Raises AnswerKeyError if no simple response does (a key whose every full-credit
    typed answer is caught first by a lesser one)."""
    if _by_choice(key):
        return sorted(key.correct_ids)[0]
    if key.kind == "multiple":
        return sorted(key.correct_ids)
    if key.kind == "ordering":
        return list(key.correct_order)
    if key.kind == "matching":
        return dict(key.matches)
    if key.kind == "numerical":
        unit = f" {next(iter(key.units))}" if key.units and key.unit_handling != "none" else ""
        candidates = [f"{low:f}{unit}" for low, _, credit in key.numeric_answers if credit == 100]
    else:
        # A pattern with its stars dropped (and "\*" as the star it stands for) is text it accepts.
        candidates = [
            re.sub(r"(?<!\\)\*+", "", pattern).replace("\\*", "*") or "x"
            for pattern, credit in key.text_answers
            if credit == 100
        ]
    for candidate in candidates:
        if fraction(key, candidate) == 1:
            return candidate
    raise AnswerKeyError("no simple response earns full marks for this key")


def wrong_response(key: Key) -> object:
    """A typed response that earns nothing (numerical: above every answer; text: unlike any answer)."""
    if key.kind == "numerical":
        return f"{max(high for _, high, _ in key.numeric_answers) + 1:f}"
    return "\u2014 no answer \u2014"
