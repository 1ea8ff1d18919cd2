"""Aiken: single-choice questions, and errors that name their line."""

import pytest

from quizzes.aiken import parse_aiken

GOOD = """\
Where do the hamstrings attach?
A. The ischial tuberosity
B. The greater trochanter
ANSWER: A

Which test loads the tendon
in a bent-knee position?
A) The bent-knee stretch
B) The straight-leg raise
C) Thomas test
ANSWER: A
"""


def test_questions_options_and_answers_with_either_option_mark_and_multiline_stems():
    parsed = parse_aiken(GOOD)
    assert parsed.problems == ()
    first, second = parsed.questions
    assert (first.line, first.kind, first.stem, first.stem_format) == (
        1,
        "single",
        "Where do the hamstrings attach?",
        "plain",
    )
    assert [(c.text, c.is_correct) for c in first.choices] == [
        ("The ischial tuberosity", True),
        ("The greater trochanter", False),
    ]
    assert second.line == 6 and second.stem == "Which test loads the tendon\nin a bent-knee position?"
    assert [c.is_correct for c in second.choices] == [True, False, False]


@pytest.mark.parametrize(
    "text, message",
    [
        ("Q?\nA. one\nB. two\nANSWER: C\n", "Line 4: ANSWER: C is not an option; expected one of A, B"),
        ("Q?\nA. one\nANSWER: A\n", "Line 3: a question needs at least two options"),
        ("Q?\nA. one\nC. two\nANSWER: A\n", "Line 3: option C where B was expected"),
        ("Q?\nA. one\nB. two\n", "Line 1: the question has no 'ANSWER: X' line"),
        ("Q?\nA. one\nB. two\nmore text\nANSWER: A\n", "Line 4: text after the options"),
        ("ANSWER: A\n", "Line 1: ANSWER: without a question"),
        ("\n\n", "Line 1: the file holds no questions"),
    ],
)
def test_each_mistake_is_reported_once_with_its_line(text, message):
    parsed = parse_aiken(text)
    assert parsed.questions == ()
    (problem,) = parsed.problems
    assert problem.message.startswith(message)


def test_one_bad_question_does_not_hide_the_next_ones_problems_or_questions():
    parsed = parse_aiken("Q1?\nA. a\nB. b\nANSWER: Z\n\nQ2?\nA. a\nB. b\nANSWER: B\n")
    assert [p.line for p in parsed.problems] == [4]
    assert [q.line for q in parsed.questions] == [6]


def test_too_large_input_is_refused_whole():
    parsed = parse_aiken("x" * 11, max_chars=10)
    assert parsed.questions == () and "too large" in parsed.problems[0].message
