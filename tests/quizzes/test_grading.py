"""quizzes.grading: pure functions, no database."""

import copy
import json
import os
import pickle
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import combinations, pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizzes.grading import (
    MOODLE_ORDERING_MODES,
    ORDERING_MODES,
    AnswerKeyError,
    GradingError,
    IncompleteOrder,
    Key,
    fraction,
    grade,
    key_from_snapshot,
    key_to_snapshot,
    validate_response,
)

MOODLE_CASES_FILE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "conformance"
    / "ordering"
    / "moodle_qtype_ordering_grading_cases.json"
)

SINGLE = Key(kind="single", points=Decimal("2"), choice_ids=("a", "b", "c"), correct_ids=frozenset({"b"}))
TRUE_FALSE = Key(
    kind="true_false", points=Decimal("1"), choice_ids=("true", "false"), correct_ids=frozenset({"false"})
)
MULTIPLE = Key(
    kind="multiple", points=Decimal("3"), choice_ids=("a", "b", "c", "d"), correct_ids=frozenset("ab")
)
WEIGHTED = Key(
    kind="multiple",
    points=Decimal("4"),
    choice_ids=("a", "b", "c", "d"),
    correct_ids=frozenset("ab"),
    multiple_mode="partial",
    weights={"a": Decimal("50"), "b": Decimal("50"), "c": Decimal("-100"), "d": Decimal("-25")},
)
DERIVED_WEIGHTS = replace(MULTIPLE, multiple_mode="partial", correct_ids=frozenset("abc"))
MATCHING = Key(
    kind="matching",
    points=Decimal("3"),
    choice_ids=("heart", "lung", "knee"),
    matches={"heart": "cardiology", "lung": "pulmonology", "knee": "orthopedics"},
    answer_ids=("cardiology", "pulmonology", "orthopedics", "dermatology"),
)
ITEMS = ("one", "two", "three", "four")


def ordering_key(mode: str, items: tuple[str, ...] = ITEMS, points: str = "1") -> Key:
    return Key(
        kind="ordering", points=Decimal(points), choice_ids=items, correct_order=items, ordering_mode=mode
    )


EVERY_KIND = {
    "single": SINGLE,
    "true_false": TRUE_FALSE,
    "multiple": MULTIPLE,
    "multiple_weighted": WEIGHTED,
    "multiple_derived_weights": DERIVED_WEIGHTS,
    "matching": MATCHING,
    "ordering": ordering_key("all_or_nothing"),
}


# --- one kind at a time ---------------------------------------------------------------------------


def test_single_choice_earns_full_points_only_for_the_correct_choice():
    assert grade(SINGLE, "b") == Decimal("2.00")
    assert grade(SINGLE, "a") == Decimal("0.00")


def test_true_false_earns_full_points_only_for_the_correct_answer():
    assert grade(TRUE_FALSE, "false") == Decimal("1.00")
    assert grade(TRUE_FALSE, "true") == Decimal("0.00")


@pytest.mark.parametrize("key", EVERY_KIND.values(), ids=EVERY_KIND.keys())
def test_unanswered_question_scores_zero_and_is_not_an_error(key):
    assert grade(key, None) == Decimal("0.00")
    assert fraction(key, None) == 0


def test_grade_is_quantized_to_the_cent():
    assert grade(SINGLE, "b").as_tuple().exponent == -2


def test_all_or_nothing_multiple_needs_exactly_the_correct_set():
    assert grade(MULTIPLE, ["b", "a"]) == Decimal("3.00")
    assert grade(MULTIPLE, {"a"}) == 0
    assert grade(MULTIPLE, ("a", "b", "c")) == 0
    assert grade(MULTIPLE, []) == 0


def test_partial_credit_multiple_adds_the_weights_of_the_selected_choices():
    assert grade(WEIGHTED, ["a"]) == Decimal("2.00")
    assert grade(WEIGHTED, ["a", "b", "d"]) == Decimal("3.00")
    assert grade(WEIGHTED, ["a", "b"]) == Decimal("4.00")


def test_partial_credit_multiple_never_goes_below_zero():
    assert grade(WEIGHTED, ["c", "d"]) == Decimal("0.00")
    assert grade(WEIGHTED, ["a", "c"]) == Decimal("0.00")


def test_partial_credit_without_weights_gives_each_correct_choice_an_equal_share_and_wrong_ones_minus_it():
    # Three correct choices: +100/3 % each; the one wrong choice costs 100/3 %.
    assert fraction(DERIVED_WEIGHTS, ["a"]) == Decimal(1) / Decimal(3)
    assert grade(DERIVED_WEIGHTS, ["a", "b", "d"]) == Decimal("1.00")
    assert grade(DERIVED_WEIGHTS, ["a", "b", "c"]) == Decimal("3.00")
    assert grade(DERIVED_WEIGHTS, ["d"]) == 0


def test_partial_credit_with_gift_style_thirds_gives_full_marks_for_every_correct_choice():
    thirds = Key(
        kind="multiple",
        points=Decimal("1"),
        choice_ids=("africa", "asia", "china", "antarctica", "america"),
        correct_ids=frozenset({"africa", "asia", "antarctica"}),
        multiple_mode="partial",
        weights={"africa": "33.33333", "asia": "33.33333", "china": "-100", "antarctica": "33.33333"},
    )
    assert fraction(thirds, ["africa", "asia", "antarctica"]) == 1
    assert grade(thirds, ["africa", "asia"]) == Decimal("0.66")
    assert grade(thirds, ["africa", "asia", "antarctica", "america"]) == Decimal("1.00")  # no weight: 0 %


def test_matching_scores_the_share_of_correct_pairs_and_a_missing_prompt_is_wrong():
    assert grade(MATCHING, {"heart": "cardiology", "lung": "pulmonology", "knee": "orthopedics"}) == 3
    assert grade(MATCHING, {"heart": "cardiology", "lung": "dermatology", "knee": "orthopedics"}) == 2
    assert grade(MATCHING, {"heart": "cardiology", "knee": None}) == 1
    assert grade(MATCHING, {}) == 0


def test_grade_rounds_down_so_nobody_is_credited_with_points_not_earned():
    six_items = ("one", "two", "three", "four", "five", "six")
    swapped_last_two = [*six_items[:4], "six", "five"]
    longest_subset = ordering_key("longest_ordered_subset", six_items, points="2")
    assert fraction(longest_subset, swapped_last_two) == Decimal(5) / Decimal(6)
    assert grade(longest_subset, swapped_last_two) == Decimal("1.66")  # 1.666..., not 1.67


# --- ordering, one Moodle mode at a time (correct order: one two three four) ----------------------


def test_ordering_all_or_nothing_gives_nothing_for_one_misplaced_item():
    key = ordering_key("all_or_nothing")
    assert fraction(key, ITEMS) == 1
    assert fraction(key, ["one", "two", "four", "three"]) == 0


@pytest.mark.parametrize("mode", sorted(ORDERING_MODES))
def test_a_half_ordered_question_is_kept_as_incomplete_and_graded_as_unanswered(mode):
    key = ordering_key(mode)
    # "one" and "two" placed right: a mode that credits single positions would give something.
    stored = {"incomplete": {"one": 1, "two": 2}}
    assert validate_response(key, stored) == IncompleteOrder((("one", 1), ("two", 2)))
    assert fraction(key, stored) == 0
    assert grade(key, stored) == 0


@pytest.mark.parametrize(
    ("positions", "message"),
    [
        ({"one": 1, "two": 1}, "Use each position once."),
        ({"one": 5}, "Positions run from 1 to 4."),
        ({"one": True}, "Positions run from 1 to 4."),
        ({"one": "1"}, "Positions run from 1 to 4."),
        ({"five": 1}, "not part of the question"),
        ({}, "not in a form"),
        ({"one": 1, "two": 2, "three": 3, "four": 4}, "not in a form"),
    ],
)
def test_an_incomplete_order_that_does_not_fit_is_refused(positions, message):
    with pytest.raises(GradingError, match=message):
        validate_response(ordering_key("absolute_position"), {"incomplete": positions})


def test_ordering_absolute_position_counts_items_in_their_own_place():
    assert fraction(ordering_key("absolute_position"), ["one", "three", "two", "four"]) == Decimal("0.5")


def test_ordering_relative_next_exclude_last_checks_what_follows_each_item_but_the_last():
    # Pairs one>two, two>three, three>four; "four three two one" has none of them.
    key = ordering_key("relative_next_exclude_last")
    assert fraction(key, ["two", "three", "four", "one"]) == Decimal(2) / Decimal(3)
    assert fraction(key, ["four", "three", "two", "one"]) == 0


def test_ordering_relative_next_include_last_also_checks_that_nothing_follows_the_last_item():
    # Four facts now: "nothing follows four" is one of them, so the same answer as above earns 2/4.
    key = ordering_key("relative_next_include_last")
    assert fraction(key, ["two", "three", "four", "one"]) == Decimal("0.5")
    assert fraction(key, ["four", "three", "two", "one"]) == 0


def test_ordering_one_previous_and_next_checks_both_neighbours_including_the_ends():
    # Each item has a previous and a next neighbour (being first or last counts): 8 facts in all.
    key = ordering_key("relative_one_previous_and_next")
    assert fraction(key, ["one", "two", "four", "three"]) == Decimal(3) / Decimal(8)  # one: both; two: prev
    assert fraction(key, ["three", "four", "one", "two"]) == Decimal(4) / Decimal(8)


def test_ordering_all_previous_and_next_counts_every_pair_in_the_right_relative_order():
    # 6 pairs; swapping the last two breaks one of them.
    key = ordering_key("relative_all_previous_and_next")
    assert fraction(key, ["one", "two", "four", "three"]) == Decimal(5) / Decimal(6)


def test_ordering_longest_ordered_subset_counts_the_longest_run_in_order_even_with_gaps():
    key = ordering_key("longest_ordered_subset")
    assert fraction(key, ["one", "four", "two", "three"]) == Decimal("0.75")


def test_ordering_longest_subsets_give_nothing_for_a_single_item():
    for mode in ("longest_ordered_subset", "longest_contiguous_subset"):
        assert fraction(ordering_key(mode), ["four", "three", "two", "one"]) == 0


def test_ordering_longest_contiguous_subset_needs_consecutive_items_of_the_correct_order():
    # one,two,three are in order (the gap made by "four" does not matter) but "four" precedes them.
    key = ordering_key("longest_contiguous_subset")
    assert fraction(key, ["one", "four", "two", "three"]) == Decimal("0.75")
    assert fraction(key, ["one", "three", "two", "four"]) == Decimal("0.5")


def test_ordering_relative_to_correct_credits_items_by_distance_from_their_place():
    # Each item earns 3 (that is n - 1) minus its distance from its place, never below 0; 12 at most.
    key = ordering_key("relative_to_correct")
    assert fraction(key, ["one", "three", "two", "four"]) == Decimal(10) / Decimal(12)
    assert fraction(key, ["four", "three", "two", "one"]) == Decimal(4) / Decimal(12)


# --- Moodle conformance ---------------------------------------------------------------------------


def _moodle_data() -> dict | None:
    return json.loads(MOODLE_CASES_FILE.read_text(encoding="utf-8")) if MOODLE_CASES_FILE.is_file() else None


def _moodle_cases() -> list:
    data = _moodle_data()
    if data is None:
        return [pytest.param(None, None, None, id="moodle-data-absent")]
    return [
        pytest.param(mode, case["response"], case["expected_fraction"], id=f"{mode}-{number}")
        for mode, cases in data["grading"].items()
        for number, case in enumerate(cases)
    ]


def _moodle_data_or_skip() -> dict:
    data = _moodle_data()
    if data is None:
        reason = f"Moodle ordering cases not found at {MOODLE_CASES_FILE}: ../shared is absent"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must have ../shared beside the clone")
        pytest.skip(reason)
    return data


def assert_fraction_meets(actual: Decimal, expectation: str) -> None:
    """Moodle's test wording: "==0.6", "==1 right", "0.66<x<0.67 (4/6)" (bounds are exclusive)."""
    if exact := re.match(r"==(?P<value>[\d.]+)\b", expectation):
        assert actual == Decimal(exact["value"])
    elif between := re.match(r"(?P<low>[\d.]+)<x<(?P<high>[\d.]+)", expectation):
        assert Decimal(between["low"]) < actual < Decimal(between["high"])
    else:
        pytest.fail(f"unrecognised expected_fraction {expectation!r}")
    if ratio := re.search(r"\((?P<earned>\d+)/(?P<possible>\d+)\)", expectation):
        assert abs(actual - Decimal(ratio["earned"]) / Decimal(ratio["possible"])) < Decimal("1e-20")


@pytest.mark.parametrize(("moodle_mode", "response", "expected"), _moodle_cases())
def test_ordering_fraction_matches_moodle(moodle_mode, response, expected):
    data = _moodle_data_or_skip()
    key = ordering_key(MOODLE_ORDERING_MODES[moodle_mode], tuple(data["correct_order"]))
    assert_fraction_meets(fraction(key, response), expected)


def test_every_moodle_ordering_mode_in_the_conformance_data_is_supported():
    assert set(_moodle_data_or_skip()["grading"]) <= set(MOODLE_ORDERING_MODES)
    assert set(MOODLE_ORDERING_MODES.values()) == ORDERING_MODES


@pytest.mark.parametrize(
    ("actual", "expectation", "met"),
    [
        (Decimal(1), "==1 right", True),
        (Decimal("0.4"), "==0.4 partial (a note)", True),
        (Decimal("0.41"), "==0.4 partial (a note)", False),
        (Decimal(4) / Decimal(6), "0.66<x<0.67 (4/6)", True),
        (Decimal("0.665"), "0.66<x<0.67 (4/6)", False),  # within the bounds but not 4/6
        (Decimal("0.7"), "0.6<x<0.7", False),  # the bounds are exclusive
    ],
)
def test_moodle_expectation_parser_reads_each_format_in_the_data(actual, expectation, met):
    if met:
        assert_fraction_meets(actual, expectation)
    else:
        with pytest.raises(AssertionError):
            assert_fraction_meets(actual, expectation)


# --- forged and malformed responses ---------------------------------------------------------------

FORGED_RESPONSES = [
    pytest.param(SINGLE, "zz", id="single-foreign-id"),
    pytest.param(SINGLE, "", id="single-empty-id"),
    pytest.param(SINGLE, 1, id="single-int"),
    pytest.param(SINGLE, ["b"], id="single-list"),
    pytest.param(TRUE_FALSE, True, id="true-false-bool"),
    pytest.param(MULTIPLE, ["a", "zz"], id="multiple-foreign-id"),
    pytest.param(MULTIPLE, ["a", "a"], id="multiple-duplicate"),
    pytest.param(MULTIPLE, "ab", id="multiple-bare-string"),
    pytest.param(MULTIPLE, [["a"]], id="multiple-nested-list"),
    pytest.param(WEIGHTED, ["a", 2], id="multiple-int-id"),
    pytest.param(WEIGHTED, {"a": True}, id="multiple-dict"),
    pytest.param(ordering_key("absolute_position"), ["one", "two", "three", "zz"], id="ordering-foreign-id"),
    pytest.param(
        ordering_key("absolute_position"), ["one", "two", "three", "three"], id="ordering-duplicate"
    ),
    pytest.param(ordering_key("absolute_position"), ["one", "two", "three"], id="ordering-missing-item"),
    pytest.param(ordering_key("absolute_position"), [], id="ordering-empty"),
    pytest.param(ordering_key("absolute_position"), set(ITEMS), id="ordering-unordered-set"),
    pytest.param(ordering_key("absolute_position"), [*ITEMS, "one"], id="ordering-extra-copy"),
    pytest.param(ordering_key("relative_to_correct"), [[*ITEMS]], id="ordering-nested-list"),
    pytest.param(MATCHING, {"spleen": "cardiology"}, id="matching-foreign-prompt"),
    pytest.param(MATCHING, {"heart": "neurology"}, id="matching-answer-not-offered"),
    pytest.param(MATCHING, {"heart": ["cardiology"]}, id="matching-nested-answer"),
    pytest.param(MATCHING, {1: "cardiology"}, id="matching-int-prompt"),
    pytest.param(MATCHING, [("heart", "cardiology")], id="matching-list-of-pairs"),
]


@pytest.mark.parametrize(("key", "response"), FORGED_RESPONSES)
def test_forged_or_malformed_response_raises_grading_error_with_a_readable_message(key, response):
    for grading_function in (validate_response, grade, fraction):
        with pytest.raises(GradingError) as raised:
            grading_function(key, response)
        message = str(raised.value)
        assert message[0].isupper() and message.endswith(".")


def test_validate_response_normalizes_each_kind():
    assert validate_response(SINGLE, "b") == "b"
    assert validate_response(MULTIPLE, ["b", "a"]) == frozenset({"a", "b"})
    assert validate_response(ordering_key("absolute_position"), list(ITEMS)) == ITEMS
    assert validate_response(MATCHING, {"heart": "cardiology", "knee": None}) == {"heart": "cardiology"}
    assert validate_response(MATCHING, None) is None


# --- answer keys and their snapshots --------------------------------------------------------------


@pytest.mark.parametrize(
    "key", [*EVERY_KIND.values(), *(ordering_key(mode) for mode in sorted(ORDERING_MODES))]
)
def test_snapshot_survives_a_json_round_trip_unchanged(key):
    snapshot = json.loads(json.dumps(key_to_snapshot(key)))
    assert key_from_snapshot(snapshot) == key
    assert isinstance(snapshot["points"], str)


def test_key_can_be_pickled_and_hashed():
    assert pickle.loads(pickle.dumps(WEIGHTED)) == WEIGHTED  # noqa: S301  (bytes we just made)
    assert copy.deepcopy(MATCHING) == MATCHING
    assert hash(replace(WEIGHTED)) == hash(WEIGHTED)


def test_snapshot_keeps_decimals_exact_as_strings():
    snapshot = key_to_snapshot(WEIGHTED)
    assert snapshot["points"] == "4"
    assert snapshot["weights"]["d"] == "-25"


@pytest.mark.parametrize(
    "snapshot",
    [
        pytest.param(
            {"kind": "single", "points": 1.5, "choice_ids": ["a"], "correct_ids": ["a"]}, id="float"
        ),
        pytest.param(
            {"kind": "single", "points": "1", "choice_ids": "ab", "correct_ids": ["a"]}, id="str-ids"
        ),
        pytest.param({"kind": "single", "points": "1"}, id="missing-choices"),
        pytest.param(
            {"kind": "single", "points": "1", "choice_ids": ["a"], "colour": "red"}, id="unknown-field"
        ),
        pytest.param({"kind": ["single"], "points": "1", "choice_ids": ["a"]}, id="unhashable-kind"),
        pytest.param({"kind": "essay", "points": "1", "choice_ids": ["a"]}, id="unknown-kind"),
        pytest.param([], id="not-an-object"),
    ],
)
def test_corrupt_snapshot_raises_answer_key_error(snapshot):
    with pytest.raises(AnswerKeyError):
        key_from_snapshot(snapshot)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param(
            {"kind": "single", "choice_ids": ("a", "b"), "correct_ids": frozenset({"z"})}, id="foreign"
        ),
        pytest.param(
            {"kind": "single", "choice_ids": ("a", "a"), "correct_ids": frozenset("a")}, id="dup-choice"
        ),
        pytest.param(
            {"kind": "single", "choice_ids": ("a", "b"), "correct_ids": frozenset("ab")}, id="two-right"
        ),
        pytest.param(
            {"kind": "ordering", "choice_ids": ("a", "b"), "correct_order": ("a", "a")}, id="bad-order"
        ),
        pytest.param({"kind": "ordering", "choice_ids": ("a",), "correct_order": ("a",)}, id="one-item"),
        pytest.param(
            {"kind": "ordering", "choice_ids": ("a", "b"), "correct_order": ("a", "b"), "ordering_mode": "x"},
            id="unknown-mode",
        ),
        pytest.param(
            {
                "kind": "multiple",
                "choice_ids": ("a", "b"),
                "correct_ids": frozenset("a"),
                "weights": {"a": 100},
            },
            id="weights-without-partial-mode",
        ),
        pytest.param(
            {
                "kind": "multiple",
                "choice_ids": ("a", "b"),
                "correct_ids": frozenset("a"),
                "multiple_mode": "partial",
                "weights": {"a": 60},
            },
            id="weights-not-adding-to-100",
        ),
        pytest.param(
            {"kind": "matching", "choice_ids": ("p",), "matches": {"p": "x"}, "answer_ids": ("y",)},
            id="match-not-offered",
        ),
    ],
)
def test_inconsistent_key_is_refused(fields):
    with pytest.raises(AnswerKeyError):
        Key(points=Decimal("1"), **fields)


@pytest.mark.parametrize("points", [Decimal("-1"), Decimal("-0"), Decimal("0.005"), Decimal("NaN"), 1.5])
def test_points_must_be_a_non_negative_amount_of_cents(points):
    with pytest.raises(AnswerKeyError):
        replace(SINGLE, points=points)


# --- properties -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    key: Key
    response: object
    equals_key: bool  # the response is exactly what the key asks for (full marks expected)


ids = st.text(alphabet="abcdefgh", min_size=1, max_size=3)
id_lists = st.lists(ids, min_size=2, max_size=6, unique=True)
points = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000"), places=2)


def subsets_of(items: list[str], min_size: int = 0) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(items), unique=True, min_size=min_size)


@st.composite
def single_cases(draw) -> Case:
    kind = draw(st.sampled_from(["single", "true_false"]))
    choices = ["true", "false"] if kind == "true_false" else draw(id_lists)
    right = draw(st.sampled_from(choices))
    key = Key(kind=kind, points=draw(points), choice_ids=tuple(choices), correct_ids=frozenset({right}))
    response = draw(st.none() | st.sampled_from(choices))
    return Case(key, response, response == right)


@st.composite
def multiple_cases(draw) -> Case:
    choices = draw(id_lists)
    right = draw(subsets_of(choices, min_size=1))
    mode = draw(st.sampled_from(["all_or_nothing", "partial"]))
    key = Key(
        kind="multiple",
        points=draw(points),
        choice_ids=tuple(choices),
        correct_ids=frozenset(right),
        multiple_mode=mode,
    )
    selected = draw(st.just(right) | subsets_of(choices))
    return Case(key, draw(st.sampled_from([list(selected), set(selected)])), set(selected) == set(right))


@st.composite
def weighted_cases(draw) -> Case:
    """Partial credit with explicit weights: the positive ones add up to exactly 100."""
    choices = draw(id_lists)
    right = draw(subsets_of(choices, min_size=1))
    cuts = sorted(
        draw(st.lists(st.integers(1, 9999), min_size=len(right) - 1, max_size=len(right) - 1, unique=True))
    )
    bounds = [0, *cuts, 10000]
    weights = {
        choice: Decimal(high - low) / 100 for choice, (low, high) in zip(right, pairwise(bounds), strict=True)
    }
    for wrong in set(choices) - set(right):
        if draw(st.booleans()):  # a wrong choice with no weight at all counts 0 %
            weights[wrong] = draw(st.decimals(min_value=-100, max_value=0, places=2))
    key = Key(
        kind="multiple",
        points=draw(points),
        choice_ids=tuple(choices),
        correct_ids=frozenset(right),
        multiple_mode="partial",
        weights=weights,
    )
    selected = set(draw(st.just(right) | subsets_of(choices)))
    no_negative = all(weights.get(choice, 0) >= 0 for choice in selected)
    return Case(key, list(selected), set(right) <= selected and no_negative)


@st.composite
def ordering_cases(draw) -> Case:
    items = draw(id_lists)
    right = draw(st.permutations(items))
    key = Key(
        kind="ordering",
        points=draw(points),
        choice_ids=tuple(items),
        correct_order=tuple(right),
        ordering_mode=draw(st.sampled_from(sorted(ORDERING_MODES))),
    )
    response = draw(st.none() | st.just(right) | st.permutations(items))
    return Case(key, response, response == right)


@st.composite
def matching_cases(draw) -> Case:
    prompts = draw(id_lists)
    answers = draw(id_lists)
    matches = {prompt: draw(st.sampled_from(answers)) for prompt in prompts}
    key = Key(
        kind="matching",
        points=draw(points),
        choice_ids=tuple(prompts),
        matches=matches,
        answer_ids=tuple(answers),
    )
    response = draw(
        st.none() | st.just(matches) | st.dictionaries(st.sampled_from(prompts), st.sampled_from(answers))
    )
    return Case(key, response, response == matches)


any_case = st.one_of(single_cases(), multiple_cases(), weighted_cases(), ordering_cases(), matching_cases())


@given(any_case)
def test_grade_is_always_between_zero_and_the_points(case):
    assert Decimal(0) <= grade(case.key, case.response) <= case.key.points
    assert Decimal(0) <= fraction(case.key, case.response) <= Decimal(1)


@given(any_case)
def test_full_points_exactly_when_the_response_equals_the_key(case):
    assert (grade(case.key, case.response) == case.key.points) is case.equals_key
    assert (fraction(case.key, case.response) == 1) is case.equals_key


@given(any_case, st.data())
def test_shuffling_the_displayed_choices_does_not_change_the_grade(case, data):
    shuffled = replace(
        case.key,
        choice_ids=tuple(data.draw(st.permutations(case.key.choice_ids))),
        answer_ids=tuple(data.draw(st.permutations(case.key.answer_ids))),
    )
    assert grade(shuffled, case.response) == grade(case.key, case.response)
    assert fraction(shuffled, case.response) == fraction(case.key, case.response)


@given(any_case)
def test_every_key_survives_a_json_snapshot_round_trip(case):
    assert key_from_snapshot(json.loads(json.dumps(key_to_snapshot(case.key)))) == case.key


junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=8,
)


@given(any_case, junk)
def test_arbitrary_junk_is_graded_or_refused_with_grading_error_never_a_crash(case, response):
    try:
        awarded = grade(case.key, response)
    except GradingError:
        return
    assert Decimal(0) <= awarded <= case.key.points


def _brute_force_longest(correct: tuple[str, ...], response: list[str], contiguous: bool) -> int:
    """Largest set of items the learner put in correct relative order (adjacent in the key if contiguous)."""
    ranks = [correct.index(item) for item in response]
    best = 0
    for size in range(2, len(ranks) + 1):
        for chosen in combinations(ranks, size):
            steps = [later - earlier for earlier, later in pairwise(chosen)]
            if all(step == 1 if contiguous else step > 0 for step in steps):
                best = size
    return best


@given(st.permutations((*ITEMS, "five", "six")), st.booleans())
def test_longest_subset_modes_agree_with_a_brute_force_search(response, contiguous):
    items = (*ITEMS, "five", "six")
    key = ordering_key("longest_contiguous_subset" if contiguous else "longest_ordered_subset", items)
    assert fraction(key, response) == Decimal(_brute_force_longest(items, response, contiguous)) / 6
