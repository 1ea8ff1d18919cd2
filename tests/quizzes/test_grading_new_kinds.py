"""quizzes.grading for numerical, short-answer and missing-word questions and partial-credit single
choice: properties (hypothesis) and the reading of typed answers. Pure: no database."""

import json
import re
import unicodedata
from decimal import ROUND_DOWN, Decimal
from itertools import product

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from quizzes.grading import (
    AnswerKeyError,
    GradingError,
    Key,
    grade,
    key_from_snapshot,
    key_to_snapshot,
    normalize_text,
    read_number,
    text_matches,
    validate_response,
)

CENT = Decimal("0.01")

decimals = st.decimals(min_value=-10_000, max_value=10_000, places=3, allow_nan=False, allow_infinity=False)
tolerances = st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False)
points = st.decimals(min_value=Decimal("0.01"), max_value=100, places=2)
credits = st.decimals(min_value=0, max_value=100, places=2)


def numerical(answers, *, points=Decimal(1), units=(), handling="none", penalty=Decimal(0)):
    return Key(
        kind="numerical",
        points=points,
        numeric_answers=answers,
        units=list(units),
        unit_handling=handling,
        unit_penalty=penalty,
    )


def written(value: Decimal, comma: bool) -> str:
    text = f"{value:f}"
    return text.replace(".", ",") if comma else text


# --- numerical: properties ------------------------------------------------------------------------


@st.composite
def numerical_cases(draw):
    answers = []
    for index in range(draw(st.integers(1, 3))):
        low = draw(decimals)
        high = low + draw(tolerances)
        answers.append((low, high, Decimal(100) if index == 0 else draw(credits)))
    key = numerical(tuple(answers), points=draw(points))
    response = written(draw(decimals), draw(st.booleans())) + draw(st.sampled_from(["", " mg", "kg"]))
    return key, response


@given(numerical_cases())
def test_numerical_grade_is_always_between_zero_and_the_points(case):
    key, response = case
    assert Decimal(0) <= grade(key, response) <= key.points


@given(decimals, tolerances, points, st.booleans(), st.sampled_from([-1, 0, 1]))
def test_numerical_tolerance_edges_are_inclusive_and_a_hair_outside_is_wrong(
    value, tolerance, pts, comma, edge
):
    key = numerical(((value - tolerance, value + tolerance, Decimal(100)),), points=pts)
    on_edge = value + edge * tolerance
    assert grade(key, written(on_edge, comma)) == pts  # full marks exactly, both ends included
    hair = Decimal("0.0001")
    assert grade(key, written(value + tolerance + hair, comma)) == 0
    assert grade(key, written(value - tolerance - hair, comma)) == 0


@given(decimals, tolerances, st.booleans())
def test_a_decimal_comma_reads_as_a_point(value, tolerance, comma):
    key = numerical(((value - tolerance, value + tolerance, Decimal(100)),))
    assert grade(key, written(value, comma)) == grade(key, written(value, not comma)) == 1


@given(decimals, st.decimals(min_value=Decimal("0.001"), max_value=1000, places=3), points)
def test_a_listed_unit_converts_exactly(value, multiplier, pts):
    key = numerical(
        ((value, value, Decimal(100)),),
        points=pts,
        units=[("mg", 1), ("x", multiplier)],
        handling="graded",
        penalty=Decimal(25),
    )
    assert grade(key, f"{value:f} mg") == pts
    assert grade(key, f"{value * multiplier:f} x") == pts
    # A missing or unlisted unit is graded as the first unit, less the penalty (of the answer's credit).
    expected = (pts * Decimal("0.75")).quantize(CENT, rounding=ROUND_DOWN)
    assert grade(key, f"{value:f}") == expected
    assert grade(key, f"{value:f} kg") == expected


@given(credits, points)
def test_partial_credit_of_the_first_matching_answer(credit, pts):
    key = numerical(((Decimal(10), Decimal(10), Decimal(100)), (Decimal(0), Decimal(20), credit)), points=pts)
    assert grade(key, "10") == pts  # the first answer wins, though the second covers it too
    assert grade(key, "15") == (pts * credit / 100).quantize(CENT, rounding=ROUND_DOWN)


def test_units_not_used_ignore_the_unit_and_optional_units_refuse_an_unlisted_one():
    plain = numerical(((Decimal(5), Decimal(5), Decimal(100)),))
    assert grade(plain, "5 tests") == 1
    optional = numerical(
        ((Decimal(5), Decimal(5), Decimal(100)),), units=[("mg", 1), ("g", "0.001")], handling="optional"
    )
    assert grade(optional, "5") == grade(optional, "5 mg") == grade(optional, "0.005 g") == 1
    with pytest.raises(
        GradingError, match=re.escape("“kg” is not a unit this question accepts. Use mg, g, or no unit.")
    ):
        validate_response(optional, "5 kg")


@pytest.mark.parametrize(
    ("typed", "value", "unit"),
    [
        ("2.5", Decimal("2.5"), None),
        ("2,5", Decimal("2.5"), None),
        (" -0,25 mg ", Decimal("-0.25"), "mg"),
        ("\u22123", Decimal(-3), None),
        (".5", Decimal("0.5"), None),
        ("5.", Decimal(5), None),
        ("1e3 mcg", Decimal(1000), "mcg"),
        ("38%", Decimal(38), "%"),
        ("12  mL/h", Decimal(12), "mL/h"),
    ],
)
def test_read_number_accepts_points_commas_signs_exponents_and_units(typed, value, unit):
    answer = read_number(typed)
    assert (answer.value, answer.unit) == (value, unit)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "“abc” is not a number"),
        ("-", "“-” is not a number"),
        ("1,000.5", "could not be read as one number: use one decimal point or comma"),
        ("1 000", "no thousands separators or spaces inside the number"),
        ("2.5.1", "could not be read as one number"),
        ("9" * 40, "more digits than any answer needs"),
        ("1" * 201, "longer than 200 characters"),
    ],
)
def test_read_number_says_what_it_could_not_read(typed, message):
    with pytest.raises(GradingError, match=message):
        read_number(typed)


def test_an_empty_box_is_unanswered():
    key = numerical(((Decimal(1), Decimal(1), Decimal(100)),))
    assert validate_response(key, "   ") is None
    assert grade(key, "   ") == 0


# --- short answer: properties and rules -----------------------------------------------------------

words = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "Nd"]), min_size=1, max_size=12)


def short(answers, *, points=Decimal(1), case_sensitive=False):
    return Key(kind="short_answer", points=points, text_answers=answers, case_sensitive=case_sensitive)


@given(st.lists(words, min_size=1, max_size=3), points, st.booleans())
def test_an_accepted_answer_earns_full_marks_whatever_its_spacing(parts, pts, case_sensitive):
    answer = " ".join(parts)
    key = short(((answer, Decimal(100)),), points=pts, case_sensitive=case_sensitive)
    assert grade(key, "  " + "   ".join(parts) + "\t") == pts


@given(words, words, points)
def test_short_answer_grade_is_between_zero_and_the_points(pattern, typed, pts):
    key = short(((pattern + "*", Decimal(100)), ("*" + pattern, Decimal(40))), points=pts)
    assert Decimal(0) <= grade(key, typed) <= pts


@given(words, words, words)
def test_a_star_matches_any_characters_even_none(start, middle, end):
    assume("*" not in start + middle + end)
    key = short(((f"{start}*{end}", Decimal(100)),), case_sensitive=True)
    assert grade(key, start + middle + end) == 1
    assert grade(key, start + end) == 1


def test_case_sensitivity_per_question_and_an_escaped_star_is_literal():
    assert grade(short((("MRI", Decimal(100)),)), "mri") == 1
    assert grade(short((("MRI", Decimal(100)),), case_sensitive=True), "mri") == 0
    literal = short((("a\\*b", Decimal(100)),))
    assert grade(literal, "a*b") == 1 and grade(literal, "axb") == 0
    assert text_matches("Stra*e", "STRASSE", case_sensitive=False)  # casefold: ß and SS agree


def _regex_matches(pattern, typed, *, case_sensitive):
    """The former matcher, `.*` per run of stars: the reference for the linear one."""
    pattern = normalize_text(pattern)
    if not case_sensitive:
        pattern, typed = pattern.casefold(), typed.casefold()
    parts = []
    for literal, star in re.findall(r"((?:\\\*|[^*])*)(\**)", pattern):
        parts.append(re.escape(literal.replace("\\*", "*")))
        if star:
            parts.append(".*")
    return re.fullmatch("".join(parts), typed, re.DOTALL) is not None


# Few letters, so that pieces repeat and overlap; ß and S for casefolding, "\\" for escapes.
wildcard_text = st.one_of(st.text(alphabet="ab*", max_size=8), st.text(alphabet="aAb*\\ßS\n", max_size=10))


@given(wildcard_text, wildcard_text, st.booleans())
def test_the_wildcard_matcher_agrees_with_the_regular_expression_it_replaces(pattern, typed, case_sensitive):
    expected = _regex_matches(pattern, typed, case_sensitive=case_sensitive)
    assert text_matches(pattern, typed, case_sensitive=case_sensitive) == expected


@given(st.lists(st.text(alphabet="ab*\\", max_size=3), min_size=1, max_size=4), st.booleans())
def test_a_pattern_matches_the_text_it_was_built_around(pieces, case_sensitive):
    # Sharper than random text: the typed answer is the pattern's own pieces with filler for the stars.
    typed = "xy".join(piece.replace("*", "") for piece in pieces)
    pattern = "*".join(pieces)
    expected = _regex_matches(pattern, typed, case_sensitive=case_sensitive)
    assert text_matches(pattern, typed, case_sensitive=case_sensitive) == expected


def test_the_wildcard_matcher_agrees_with_the_regular_expression_on_every_short_text():
    # Exhaustive where random examples rarely reach: overlapping ends ("a*a" and "a") and escapes.
    texts = ["".join(letters) for size in range(5) for letters in product("ab*\\", repeat=size)]
    answers = [text for text in texts if len(text) <= 4]
    for pattern in texts:
        for typed in answers:
            expected = _regex_matches(pattern, typed, case_sensitive=True)
            assert text_matches(pattern, typed, case_sensitive=True) == expected, (pattern, typed)


def test_many_stars_against_a_long_answer_take_linear_time():
    # With `.*` per star this backtracks exponentially and does not finish; a test that hangs fails.
    assert not text_matches("*a*a*a*a*a*a*b", "a" * 5_000, case_sensitive=False)
    assert text_matches("*a*a*a*a*a*a*b", "a" * 5_000 + "b", case_sensitive=True)
    assert not text_matches("a*a*a*a*a*a*a", "a" * 6, case_sensitive=True)
    assert text_matches("ab*ba", "aba", case_sensitive=True) is False  # first and last may not overlap


def test_comparison_is_nfc_normalized():
    decomposed = "Cafe\u0301"
    assert unicodedata.normalize("NFC", decomposed) != decomposed
    assert grade(short((("Café", Decimal(100)),)), decomposed) == 1
    assert normalize_text("  a \u00a0\n b  ") == "a b"


def test_the_first_matching_answer_counts_with_its_credit():
    key = short((("tuberosity", Decimal(100)), ("*tuberosity", Decimal(50))), points=Decimal(2))
    assert grade(key, "Tuberosity") == 2
    assert grade(key, "ischial tuberosity") == 1
    assert grade(key, "femur") == 0


# --- missing word and partial-credit single choice ------------------------------------------------


def test_a_missing_word_is_graded_by_choice_or_as_a_short_answer():
    select = Key(kind="cloze", points=Decimal(1), choice_ids=("a", "b"), correct_ids=frozenset({"a"}))
    assert grade(select, "a") == 1 and grade(select, "b") == 0
    with pytest.raises(GradingError):
        grade(select, "c")
    typed = Key(
        kind="cloze", points=Decimal(1), blank_input="text", text_answers=(("eccentric", Decimal(100)),)
    )
    assert grade(typed, " Eccentric ") == 1 and grade(typed, "concentric") == 0


@given(st.decimals(min_value=-100, max_value=99, places=2), points)
def test_single_choice_partial_credit_is_the_chosen_weight_never_below_zero(weight, pts):
    key = Key(
        kind="single",
        points=pts,
        choice_ids=("right", "other"),
        correct_ids=frozenset({"right"}),
        multiple_mode="partial",
        weights={"right": Decimal(100), "other": weight},
    )
    assert grade(key, "right") == pts
    assert grade(key, "other") == (pts * max(weight, Decimal(0)) / 100).quantize(CENT, rounding=ROUND_DOWN)


# --- keys -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        numerical(
            ((Decimal("2.4"), Decimal("2.6"), Decimal(100)),),
            units=[("mg", 1), ("g", "0.001")],
            handling="graded",
            penalty=Decimal(10),
        ),
        short((("ham*", Decimal(100)), ("h", Decimal(10))), case_sensitive=True),
        Key(kind="cloze", points=Decimal(1), blank_input="text", text_answers=(("x", Decimal(100)),)),
    ],
)
def test_new_keys_survive_a_json_snapshot_round_trip(key):
    assert key_from_snapshot(json.loads(json.dumps(key_to_snapshot(key)))) == key


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "numerical", "numeric_answers": ((1, 2, 50),)}, "must earn 100 percent"),
        ({"kind": "numerical", "numeric_answers": ((3, 2, 100),)}, "low end must not exceed"),
        (
            {"kind": "numerical", "numeric_answers": ((1, 1, 100),), "unit_handling": "graded"},
            "need a unit list",
        ),
        ({"kind": "numerical", "numeric_answers": ((1, 1, 100),), "units": [("g", 2)]}, "multiplier 1"),
        ({"kind": "short_answer", "text_answers": (("a", 120),)}, "0 to 100"),
        ({"kind": "short_answer", "text_answers": ((" ", 100),)}, "empty"),
        (
            {"kind": "short_answer", "text_answers": (("a", 100),), "choice_ids": ("x",)},
            "choice_ids does not apply",
        ),
        (
            {
                "kind": "single",
                "choice_ids": ("a", "b"),
                "correct_ids": {"a"},
                "multiple_mode": "partial",
                "weights": {"a": 100},
            },
            "every choice a weight",
        ),
    ],
)
def test_inconsistent_new_keys_are_refused(fields, message):
    with pytest.raises(AnswerKeyError, match=message):
        Key(points=Decimal(1), **fields)
