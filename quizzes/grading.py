"""Grade a learner's response against a frozen answer key.

Pure Python: no Django, no database, so an attempt can be re-graded from its JSON snapshot alone.
Scores are Decimal throughout; floats never appear, because pass/fail hangs on them.

Rounding: ``grade`` rounds *down* to the cent. A learner is never credited with points not earned,
and only a fully correct response shows full marks (with half-up, 0.995 of a point would show 1.00).
``fraction`` is exact where the ratio terminates and otherwise carries 28 significant digits.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from decimal import localcontext as decimal_context
from functools import partial
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
    choice_ids: tuple[str, ...]  # every choice / ordering item / matching prompt id
    correct_ids: frozenset[str] = frozenset()
    weights: Mapping[str, Decimal] = field(default_factory=dict, hash=False)  # percent per choice
    multiple_mode: str = "all_or_nothing"
    correct_order: tuple[str, ...] = ()
    ordering_mode: str = "all_or_nothing"
    matches: Mapping[str, str] = field(default_factory=dict, hash=False)  # prompt id -> answer id
    answer_ids: tuple[str, ...] = ()  # matching: every answer offered, distractors included

    def __post_init__(self) -> None:
        normalized = {
            "points": _as_decimal(self.points, "points"),
            "choice_ids": _id_tuple(self.choice_ids, "choice_ids"),
            "correct_ids": frozenset(_id_tuple(self.correct_ids, "correct_ids", unique=False)),
            "weights": MappingProxyType(_normalized_weights(self.weights)),
            "correct_order": _id_tuple(self.correct_order, "correct_order", unique=False),
            "matches": MappingProxyType(_normalized_matches(self.matches)),
            "answer_ids": _id_tuple(self.answer_ids, "answer_ids"),
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


def _normalized_matches(matches: object) -> dict[str, str]:
    if not isinstance(matches, Mapping) or not all(
        isinstance(prompt, str) and isinstance(answer, str) for prompt, answer in matches.items()
    ):
        raise AnswerKeyError("matches must map prompt ids to answer ids (strings)")
    return dict(matches)


def _check_key(key: Key) -> None:
    _require(key.kind in KINDS, f"unknown question kind {key.kind!r}")
    # is_signed() also refuses -0, which would print as a grade of "-0.00".
    _require(not key.points.is_signed() and key.points <= MAX_POINTS, f"points must be 0 to {MAX_POINTS}")
    _require(_decimal_places(key.points) <= 2, "points may have at most two decimal places")
    _require(bool(key.choice_ids), "a question needs at least one choice")
    _require(key.multiple_mode in MULTIPLE_MODES, f"unknown multiple_mode {key.multiple_mode!r}")
    _require(key.ordering_mode in ORDERING_MODES, f"unknown ordering_mode {key.ordering_mode!r}")
    # Fields that do not apply to the kind must stay empty, so a mistyped key fails loudly here.
    uses = {
        "correct_ids": key.kind in {"single", "true_false", "multiple"},
        "weights": key.kind == "multiple" and key.multiple_mode == "partial",
        "correct_order": key.kind == "ordering",
        "matches": key.kind == "matching",
        "answer_ids": key.kind == "matching",
    }
    for name, applies in uses.items():
        _require(applies or not getattr(key, name), f"{name} does not apply to a {key.kind} question")
    _require(key.correct_ids <= set(key.choice_ids), "correct_ids must be among choice_ids")
    if key.kind in {"single", "true_false"}:
        _require(len(key.correct_ids) == 1, f"a {key.kind} question has exactly one correct choice")
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


_VALIDATORS: dict[str, Callable[[Key, object], NormalizedResponse]] = {
    "single": _validate_choice,
    "true_false": _validate_choice,
    "multiple": _validate_selection,
    "ordering": _validate_order,
    "matching": _validate_pairs,
}


def validate_response(key: Key, response: object) -> NormalizedResponse:
    """Check a response against the key and normalize it; raise GradingError if it does not fit.

    Returns None (unanswered), a choice id (single, true_false), a frozenset of ids (multiple),
    a tuple of ids (ordering; an IncompleteOrder when only some items are placed) or a dict
    prompt id -> answer id (matching).
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


def _credit(key: Key, response: object) -> tuple[Decimal, Decimal]:
    """(earned, possible) for a response, with 0 <= earned <= possible and possible > 0."""
    answer = validate_response(key, response)
    if answer is None or isinstance(answer, IncompleteOrder):
        return Decimal(0), Decimal(1)  # an unfinished order counts as unanswered (IncompleteOrder says why)
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
