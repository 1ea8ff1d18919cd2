"""Tests for quizzes.gift: conformance against the GIFT-grammar-PEG.js test corpus,
round trips (including a Hypothesis property), line-numbered problems and hostile input.

Conformance data is read at test time from ../shared (beside the clone).  When it is
absent the conformance tests skip, except in CI (CI=true) where they fail.

How the reference JSON maps onto our model (see ``_question_to_reference_shape``):

* "MC" -> kind "single" (exactly one ``=`` answer) or "multiple"; "TF" -> "true_false";
  "Matching" -> "matching"; "Category" -> a ``GiftCategory``.
* "Short", "Numerical", "Essay" -> a ``GiftUnsupported`` problem of kind "short answer",
  "numerical", "essay".  Any other type with ``hasEmbeddedAnswers`` -> kind "missing word".
* "Description" -> a ``GiftUnsupported`` problem of kind "description": we never import a
  description as a question, but we do not drop it silently either.
* TF feedback: the reference names the first ``#`` feedback ``trueFeedback`` and the second
  ``falseFeedback`` whatever the answer.  Moodle defines the first as the feedback for a
  wrong response and the second as the one for a right response, and that is what we store
  (on the incorrect and the correct ``GiftChoice`` respectively).  So ``trueFeedback`` is
  compared with the incorrect choice's feedback and ``falseFeedback`` with the correct one's.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from quizzes.gift import (
    BLANK,
    FORMATS,
    MAX_ANSWERS,
    MAX_TAGS,
    GiftCategory,
    GiftChoice,
    GiftLimitExceeded,
    GiftParseResult,
    GiftProblem,
    GiftQuestion,
    GiftSyntaxError,
    GiftUnsupported,
    export_gift,
    parse_gift,
)

CONFORMANCE_DIR = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "conformance"
    / "gift"
    / "fuhrmanator_GIFT-grammar-PEG.js"
    / "tests"
    / "questions"
)

# Conformance files deliberately not checked, with the reason.  None: every file is checked
# (supported kinds field by field, unsupported kinds as GiftUnsupported problems).
EXCLUDED: dict[str, str] = {}

UNSUPPORTED_TYPES = {
    "Essay": "essay",
    "Description": "description",
}
SUPPORTED_TYPES = {"MC", "TF", "Matching", "Short", "Numerical"}
# The reference grammar writes a missing word's blank as five underscores; we write BLANK.
REFERENCE_BLANK = "_____"
WS = " \t\n\r\f\v"


def _require_conformance_dir() -> Path:
    if not CONFORMANCE_DIR.is_dir():
        reason = (
            f"GIFT conformance data not found at {CONFORMANCE_DIR} (it lives in ../shared beside the clone)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; CI must provide it")
        pytest.skip(reason)
    return CONFORMANCE_DIR


def _conformance_names() -> list[str]:
    if not CONFORMANCE_DIR.is_dir():
        return ["<conformance data missing>"]
    return sorted(p.stem for p in CONFORMANCE_DIR.glob("*.gift"))


def _load(name: str) -> tuple[str, list[dict]]:
    directory = _require_conformance_dir()
    gift = (directory / f"{name}.gift").read_text(encoding="utf-8")
    expected = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"), parse_float=Decimal)
    return gift, expected


# ---------------------------------------------------------------------------
# Adapter between our model and the reference JSON
# ---------------------------------------------------------------------------


def _text(text: str | None, fmt: str | None) -> dict | None:
    return None if text is None else {"format": fmt, "text": text}


def _blank_spacing(stem: dict) -> dict:
    # The reference puts a space on each side of its blank; we keep the text as written around it.
    return {**stem, "text": re.sub(r"\s*_____\s*", "_____", stem["text"])}


def _weight(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _number(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _numeric_text(c: GiftChoice) -> dict:
    if c.range_low is not None:
        return {"type": "high-low", "numberHigh": c.range_high, "numberLow": c.range_low}
    if c.tolerance is None:
        return {"type": "simple", "number": c.number}
    return {"type": "range", "number": c.number, "range": c.tolerance}


def _question_to_reference_shape(q: GiftQuestion) -> dict:
    """Our GiftQuestion in the reference JSON's shape (only the fields we compare)."""
    shape = {
        "title": q.title,
        "stem": _blank_spacing(_text(q.stem.replace(BLANK, REFERENCE_BLANK), q.stem_format))
        if BLANK in q.stem
        else _text(q.stem, q.stem_format),
        "hasEmbeddedAnswers": BLANK in q.stem,
        "globalFeedback": _text(q.general_feedback, q.general_feedback_format),
        "id": q.id,
        "tags": list(q.tags) or None,
    }
    if q.kind == "numerical":
        shape["type"] = "Numerical"
        if len(q.choices) == 1 and q.choices[0].weight is None and q.choices[0].feedback is None:
            shape["choices"] = _numeric_text(q.choices[0])  # the short form, {#3:2}
        else:
            shape["choices"] = [
                {
                    "isCorrect": c.is_correct,
                    "weight": c.weight,
                    "text": _numeric_text(c)
                    if c.is_correct
                    else _text("*", "moodle"),  # Moodle: "*" is any other
                    "feedback": _text(c.feedback, c.feedback_format),
                }
                for c in q.choices
            ]
    elif q.kind in ("single", "multiple", "short_answer", "cloze"):
        shape["type"] = "Short" if q.kind == "short_answer" or q.blank_input == "text" else "MC"
        shape["choices"] = [
            {
                "isCorrect": c.is_correct,
                "weight": c.weight,
                "text": _text(c.text, c.text_format),
                "feedback": _text(c.feedback, c.feedback_format),
            }
            for c in q.choices
        ]
    elif q.kind == "true_false":
        right = next(c for c in q.choices if c.is_correct)
        wrong = next(c for c in q.choices if not c.is_correct)
        assert right.text == ("True" if q.true_false_answer else "False")
        shape["type"] = "TF"
        shape["isTrue"] = q.true_false_answer
        shape["trueFeedback"] = _text(wrong.feedback, wrong.feedback_format)  # first '#'
        shape["falseFeedback"] = _text(right.feedback, right.feedback_format)  # second '#'
    elif q.kind == "matching":
        shape["type"] = "Matching"
        shape["matchPairs"] = [
            {"subquestion": _text(c.text, c.text_format), "subanswer": c.match} for c in q.choices
        ]
    else:  # pragma: no cover
        raise AssertionError(q.kind)
    return shape


def _reference_shape(item: dict) -> tuple:
    """The reference JSON item reduced to what we check: ("question", shape),
    ("unsupported", kind) or ("category", path)."""
    kind = item["type"]
    if kind == "Category":
        return ("category", item["title"])
    if kind in UNSUPPORTED_TYPES:
        return ("unsupported", UNSUPPORTED_TYPES[kind])
    assert kind in SUPPORTED_TYPES, kind
    keys = ["type", "title", "stem", "hasEmbeddedAnswers", "globalFeedback"]
    keys += {
        "MC": ["choices"],
        "Short": ["choices"],
        "Numerical": ["choices"],
        "TF": ["isTrue", "trueFeedback", "falseFeedback"],
        "Matching": ["matchPairs"],
    }[kind]
    shape = {key: item[key] for key in keys}
    if item["hasEmbeddedAnswers"]:
        shape["stem"] = _blank_spacing(item["stem"])
    shape["id"] = item.get("id")
    shape["tags"] = item.get("tags")
    if kind in ("MC", "Short"):
        shape["choices"] = [{**c, "weight": _weight(c["weight"])} for c in item["choices"]]
    if kind == "Numerical" and isinstance(item["choices"], dict):
        shape["choices"] = _reference_numbers(item["choices"])
    elif kind == "Numerical":
        shape["choices"] = [
            {**c, "weight": _weight(c["weight"]), "text": _reference_numbers(c["text"])}
            for c in item["choices"]
        ]
    return ("question", shape)


def _reference_numbers(text: dict) -> dict:
    numbers = {"number", "range", "numberHigh", "numberLow"}
    return {key: _number(value) if key in numbers else value for key, value in text.items()}


def _actual_sequence(result: GiftParseResult) -> list[tuple]:
    entries: list[tuple[int, tuple]] = []
    entries += [(c.line, ("category", c.path)) for c in result.categories]
    entries += [(q.line, ("question", _question_to_reference_shape(q))) for q in result.questions]
    for p in result.problems:
        assert isinstance(p, GiftUnsupported), p.message  # conformance files hold no syntax errors
        entries += [(p.line, ("unsupported", p.kind))]
    entries.sort(key=lambda entry: entry[0])
    return [shape for _, shape in entries]


# ---------------------------------------------------------------------------
# Conformance
# ---------------------------------------------------------------------------


def test_conformance_corpus_is_complete():
    directory = _require_conformance_dir()
    gifts = {p.stem for p in directory.glob("*.gift")}
    jsons = {p.stem for p in directory.glob("*.json")}
    assert gifts == jsons
    assert len(gifts) >= 50
    assert set(EXCLUDED) <= gifts


@pytest.mark.parametrize("name", _conformance_names())
def test_conformance(name):
    gift, expected = _load(name)
    if name in EXCLUDED:
        pytest.skip(EXCLUDED[name])
    result = parse_gift(gift)
    assert _actual_sequence(result) == [_reference_shape(item) for item in expected]
    for q in result.questions:
        correct = sum(c.is_correct for c in q.choices)
        if q.kind == "single":
            assert correct == 1
        elif q.kind == "multiple":
            assert correct != 1


@pytest.mark.parametrize("name", _conformance_names())
def test_conformance_round_trip(name):
    gift, _ = _load(name)
    first = parse_gift(gift)
    exported = export_gift(first.questions)
    second = parse_gift(exported)
    assert second.problems == (), exported
    assert second.questions == first.questions


def test_conformance_supported_kinds_are_all_exercised():
    _require_conformance_dir()
    kinds = set()
    unsupported = set()
    for name in _conformance_names():
        gift, _ = _load(name)
        result = parse_gift(gift)
        kinds |= {q.kind for q in result.questions}
        unsupported |= {p.kind for p in result.problems}
    assert kinds == {"single", "multiple", "true_false", "matching", "numerical", "short_answer", "cloze"}
    assert unsupported == {"essay", "description"}


def test_conformance_line_numbers():
    gift, _ = _load("giftFormatPhpExamples")
    result = parse_gift(gift)
    assert result.problems == ()
    assert [(q.line, q.kind) for q in result.questions] == [
        (5, "single"),
        (7, "cloze"),
        (9, "true_false"),
        (11, "short_answer"),
        (13, "numerical"),
        (15, "matching"),
        (22, "cloze"),
        (28, "single"),
        (33, "cloze"),
        (40, "numerical"),
    ]


# ---------------------------------------------------------------------------
# Parsing details
# ---------------------------------------------------------------------------


def _one(text: str) -> GiftQuestion:
    result = parse_gift(text)
    assert result.problems == (), [p.message for p in result.problems]
    assert len(result.questions) == 1
    return result.questions[0]


def _problem(text: str) -> GiftProblem:
    result = parse_gift(text)
    assert result.questions == ()
    assert len(result.problems) == 1, result.problems
    return result.problems[0]


def test_single_choice_with_title_feedback_and_general_feedback():
    q = _one("::Dose::What is 2+2?{\n=4#Right\n~5#Off by one\n####Basic arithmetic\n}")
    assert q.kind == "single"
    assert q.title == "Dose"
    assert q.stem == "What is 2+2?"
    assert q.stem_format == "moodle"
    assert q.general_feedback == "Basic arithmetic"
    assert q.general_feedback_format == "moodle"
    assert q.choices == (
        GiftChoice("4", True, None, "Right", text_format="moodle", feedback_format="moodle"),
        GiftChoice("5", False, None, "Off by one", text_format="moodle", feedback_format="moodle"),
    )
    assert [c.credit for c in q.choices] == [100, 0]
    assert q.category is None and q.id is None and q.tags == ()


def test_multiple_answers_with_weights():
    q = _one("Pick two{~%50%a ~%50%b ~%-33.33333%c ~d}")
    assert q.kind == "multiple"
    assert [c.weight for c in q.choices] == [Decimal(50), Decimal(50), Decimal("-33.33333"), None]
    assert [c.is_correct for c in q.choices] == [False] * 4
    assert [c.credit for c in q.choices] == [50, 50, Decimal("-33.33333"), 0]


def test_several_equals_answers_are_multiple_and_partial_credit_stays_single():
    assert _one("Seasons?{=spring =summer ~easter}").kind == "multiple"
    q = _one("Hard{~wrong ~%50%half =full}")
    assert q.kind == "single"
    assert q.choices[1].weight == 50


@pytest.mark.parametrize(
    ("block", "answer"), [("{T}", True), ("{TRUE}", True), ("{F}", False), ("{FALSE}", False)]
)
def test_true_false_spellings(block, answer):
    q = _one(f"The sky is blue.{block}")
    assert q.kind == "true_false"
    assert q.true_false_answer is answer
    assert [c.text for c in q.choices] == ["True", "False"]
    assert [c.is_correct for c in q.choices] == [answer, not answer]
    assert all(c.feedback is None for c in q.choices)


def test_true_false_feedback_follows_moodle():
    # First '#': feedback for a wrong response; second: for a right response.
    q = _one("Grant is buried in Grant's tomb.{FALSE#No one is.#Well done.####See the history.}")
    true_choice, false_choice = q.choices
    assert q.true_false_answer is False
    assert true_choice.feedback == "No one is."  # picking True is wrong here
    assert false_choice.feedback == "Well done."
    assert q.general_feedback == "See the history."
    q = _one("Water is wet.{TRUE# #[html]<b>Yes</b>}")
    assert q.choices[0].feedback == "<b>Yes</b>"
    assert q.choices[0].feedback_format == "html"
    assert q.choices[1].feedback is None


def test_matching_with_formats_and_distractor():
    q = _one("[html]Match<b>!</b>{\n=[plain]Canada -> Ottawa\n=Italy  ->  Rome\n= -> Paris\n}")
    assert q.kind == "matching"
    assert q.stem_format == "html"
    assert [(c.text, c.text_format, c.match) for c in q.choices] == [
        ("Canada", "plain", "Ottawa"),
        ("Italy", "html", "Rome"),
        ("", "html", "Paris"),
    ]
    assert all(c.is_correct and c.weight is None and c.feedback is None for c in q.choices)


def test_every_escape():
    q = _one(r"Escapes \~ \= \# \{ \} \: \\ a\nb \q{=\~x\#y ~\\z}")
    assert q.stem == "Escapes ~ = # { } : \\ a\nb \\q"
    assert [c.text for c in q.choices] == ["~x#y", "\\z"]


def test_formats_and_whitespace():
    q = _one("[markdown]line one  \n    indented\\nescaped{\n=a\n~[html]<i>b</i>#[plain]fb\n}")
    assert q.stem == "line one  \n    indented\nescaped"
    assert q.stem_format == "markdown"
    assert (q.choices[0].text_format, q.choices[1].text_format) == ("markdown", "html")
    assert q.choices[1].feedback_format == "plain"
    # moodle format joins lines; runs of spaces without a line break are kept
    q = _one("one\n   two  three{\n=a\n  continued\n~b}")
    assert q.stem == "one two  three"
    assert q.choices[0].text == "a continued"


def test_comments_ids_tags_and_categories():
    text = (
        "// leading comment\n"
        "$CATEGORY: $course$/top/Cardiac\n"
        "\n"
        "// [id:Q-17]\n"
        "// [tag:cardiac] [tag:ce-2024]\n"
        "::Rate:: Normal adult resting heart rate?{\n"
        "// a comment inside the answers\n"
        "=60-100 bpm\n"
        "~120-160 bpm\n"
        "}\n"
        "// trailing comment in the same block\n"
        "\n"
        "$CATEGORY: $course$/top/Renal\n"
        "Kidneys filter blood.{T}\n"
    )
    result = parse_gift(text)
    assert result.problems == ()
    assert result.categories == (
        GiftCategory(2, "$course$/top/Cardiac"),
        GiftCategory(13, "$course$/top/Renal"),
    )
    first, second = result.questions
    assert (first.line, first.category, first.id, first.tags) == (
        6,
        "$course$/top/Cardiac",
        "Q-17",
        ("cardiac", "ce-2024"),
    )
    assert (second.line, second.category, second.id, second.tags) == (14, "$course$/top/Renal", None, ())


def test_crlf_and_bom():
    q = _one("\ufeffQ?\r\n{\r\n=a\r\n~b\r\n}\r\n")
    assert q.stem == "Q?"
    assert [c.text for c in q.choices] == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Tell me.{}", "essay"),
        ("Tell me.{####general}", "essay"),
        ("Grant is {=buried =entombed ~living} in the tomb.", "missing word"),
        ("Match {=a -> b =c -> d} here.", "missing word"),
        ("Answer {T} later.", "missing word"),
        ("Just some text.", "description"),
        ("::Intro:: Use a pencil.", "description"),
    ],
)
def test_unsupported_kinds_are_reported_not_guessed(text, kind):
    problem = _problem(text)
    assert isinstance(problem, GiftUnsupported)
    assert (problem.line, problem.kind) == (1, kind)
    assert problem.message.startswith("Line 1: ")


def test_unsupported_problem_has_exact_line_and_message():
    text = "\n".join(["Q1{T}", "", "Q2{F}", "", "// c", "// c", "", "Q3{~a =b}", "", "", "", "Tell me.{}"])
    result = parse_gift(text)
    assert len(result.questions) == 3
    assert result.problems == (
        GiftUnsupported(line=12, kind="essay", message="Line 12: essay questions are not supported"),
    )


def test_bad_question_reports_its_line_and_the_rest_still_parses():
    text = (
        "First?{=a ~b}\n"  # 1
        "\n"  # 2
        "// a comment\n"  # 3
        "Second? {\n"  # 4
        "=a\n"  # 5
        "~b\n"  # 6
        "\n"  # 7  blank line before '}': the '{' on line 4 is never closed
        "Third?{T}\n"  # 8
        "\n"  # 9
        "::Fourth::\n"  # 10
        "Pick {\n"  # 11
        "  =a\n"  # 12
        "  ~b }  }\n"  # 13 stray '}'
        "\n"
        "Fifth?{~a =b}\n"  # 15
    )
    result = parse_gift(text)
    assert [q.stem for q in result.questions] == ["First?", "Third?", "Fifth?"]
    assert [q.line for q in result.questions] == [1, 8, 15]
    assert [(type(p), p.line) for p in result.problems] == [(GiftSyntaxError, 4), (GiftSyntaxError, 13)]
    assert result.problems[0].message.startswith("Line 4: the answer block opened with '{' is never closed")
    assert result.problems[1].message.startswith("Line 13: unexpected '}'")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("Q}{=a ~b}", 1, "unexpected '}' before any '{'"),
        ("Q{=a\n~{b}", 2, "unexpected '{' inside an answer block"),
        ("Q{=a ~b}\nR{T}", 2, "a second answer block"),
        ("::Title\nQ{T}", 1, "title starting with '::' is never closed"),
        ("Q{junk =a ~b}", 1, "unexpected text before the first answer"),
        ("Q{=a\n~b#one#two}", 2, "an answer takes one feedback"),
        ("Q{T#a#b#c}", 1, "at most two feedbacks"),
        ("Q{\n=a\n~%150%b}", 3, "outside -100%..100%"),
        ("Q{=a ~}", 1, "empty answer after '~'"),
        ("Q{~only =}", 1, "empty answer after '='"),
        ("Q{~a ~b}", 1, "no answer earns credit"),
        ("Q{~%0%a ~%-50%b}", 1, "no answer earns credit"),
        ("Q{~a}", 1, "at least two answers"),
        ("::T::{~a =b}", 1, "the question text is empty"),
        ("Q{=a -> b =c}", 1, "needs 'prompt -> answer'"),
        ("Q{=a -> b#fb =c -> d}", 1, "matching pairs cannot have feedback"),
        ("Q{=%50%a -> b =c -> d}", 1, "matching pairs cannot have a %weight%"),
        ("Q{=a -> b = -> c}", 1, "at least two pairs"),
        ("Q{=a -> }", 1, "empty answer after '->'"),
        ("$CATEGORY:   ", 1, "empty $CATEGORY path"),
    ],
)
def test_syntax_errors(text, line, fragment):
    problem = _problem(text)
    assert isinstance(problem, GiftSyntaxError)
    assert problem.kind is None
    assert problem.line == line
    assert fragment in problem.message
    assert problem.message.startswith(f"Line {line}: ")


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def _mc(stem="Q?", category=None, title=None):
    choices = (
        GiftChoice("right", True, None, None),
        GiftChoice("wrong", False, None, None),
    )
    return GiftQuestion(line=0, kind="single", title=title, stem=stem, choices=choices, category=category)


def test_export_writes_categories_titles_formats_feedback_and_weights():
    questions = [
        _mc(category="top/A", title="T: 1"),
        _mc(category="top/A"),
        GiftQuestion(
            line=0,
            kind="multiple",
            title=None,
            stem="<p>Pick {two}</p>",
            stem_format="html",
            choices=(
                GiftChoice("a~b", False, Decimal("33.33333"), "yes #1", text_format="plain"),
                GiftChoice("c=d", False, Decimal("66.66667"), None),
                GiftChoice("e", False, Decimal("-100"), "no", feedback_format="markdown"),
            ),
            general_feedback="x\\y",
            category="top/B",
        ),
    ]
    text = export_gift(questions)
    assert text == (
        "$CATEGORY: top/A\n"
        "\n"
        "::T\\: 1::Q?{\n\t=right\n\t~wrong\n}\n"
        "\n"
        "Q?{\n\t=right\n\t~wrong\n}\n"
        "\n"
        "$CATEGORY: top/B\n"
        "\n"
        "[html]<p>Pick \\{two\\}</p>{\n"
        "\t~%33.33333%[plain]a\\~b#yes \\#1\n"
        "\t~%66.66667%c\\=d\n"
        "\t~%-100%e#[markdown]no\n"
        "\t####x\\\\y\n"
        "}\n"
    )
    parsed = parse_gift(text)
    assert parsed.problems == ()
    # parsing fills in formats that were left as "same as the question"
    assert parsed.questions[2].choices[1].text_format == "html"
    assert [q.category for q in parsed.questions] == ["top/A", "top/A", "top/B"]


def test_export_true_false_and_matching():
    tf = GiftQuestion(
        line=0,
        kind="true_false",
        title=None,
        stem="Sky is blue",
        true_false_answer=True,
        choices=(
            GiftChoice("True", True, None, "Right!"),
            GiftChoice("False", False, None, None),
        ),
    )
    assert export_gift([tf]) == "Sky is blue{TRUE##Right!}\n"
    assert _one(export_gift([tf])).choices[0].feedback == "Right!"
    matching = GiftQuestion(
        line=0,
        kind="matching",
        title=None,
        stem="Match",
        choices=(
            GiftChoice("a-", True, None, None, match="->x"),
            GiftChoice("%b", True, None, None, match="y#"),
            GiftChoice("", True, None, None, match="z"),
        ),
    )
    assert export_gift([matching]) == "Match{\n\t=a- -> ->x\n\t=[moodle]%b -> y\\#\n\t= -> z\n}\n"
    assert [(c.text, c.match) for c in _one(export_gift([matching])).choices] == [
        ("a-", "->x"),
        ("%b", "y#"),
        ("", "z"),
    ]


def test_export_guards_texts_that_would_be_misread():
    q = GiftQuestion(
        line=0,
        kind="single",
        title=None,
        stem="// not a comment",
        choices=(
            GiftChoice("%50%literal", True, None, "[html] literal"),
            GiftChoice("[plain] literal", False, None, None),
        ),
    )
    text = export_gift([q])
    assert text.startswith("[moodle]// not a comment{")
    assert _one(text) == replace(
        q,
        choices=(
            GiftChoice(
                "%50%literal", True, None, "[html] literal", text_format="moodle", feedback_format="moodle"
            ),
            GiftChoice("[plain] literal", False, None, None, text_format="moodle"),
        ),
    )


@pytest.mark.parametrize(
    "question",
    [
        _mc(stem=""),
        replace(_mc(), kind="short answer"),
        replace(_mc(), stem_format="rtf"),
        replace(_mc(), choices=(GiftChoice("a", True, None, None), GiftChoice("b", True, None, None))),
        replace(_mc(), choices=(GiftChoice("a", True, None, None),)),
        replace(
            _mc(), choices=(GiftChoice("a", True, Decimal(101), None), GiftChoice("b", False, None, None))
        ),
        replace(_mc(), id="bad]id"),
        replace(_mc(), tags=("a[b",)),
        replace(_mc(), kind="multiple"),
        replace(
            _mc(),
            kind="matching",
            choices=(
                GiftChoice("a->b", True, None, None, match="c"),
                GiftChoice("d", True, None, None, match="e"),
            ),
        ),
    ],
)
def test_export_rejects_what_gift_cannot_express(question):
    with pytest.raises(ValueError):
        export_gift([question])


def test_export_rejects_uncategorised_after_categorised():
    with pytest.raises(ValueError, match="uncategorised"):
        export_gift([_mc(category="a"), _mc()])
    assert export_gift([_mc(), _mc(category="a")]).count("$CATEGORY") == 1


# ---------------------------------------------------------------------------
# Round trip property
# ---------------------------------------------------------------------------

HOSTILE = [
    *"~=#{}:\\\n\t []%->/$*&;<>\"'",
    "->",
    "//",
    "####",
    "\\n",
    "[html]",
    "%50%",
    "::",
    "\u00a0",
    "é",
    "😀",
]
_chars = st.one_of(
    st.sampled_from(HOSTILE),
    st.characters(exclude_categories=("Cs",), exclude_characters="\r"),
)
clean_text = (
    st.lists(_chars, min_size=1, max_size=12).map(lambda parts: "".join(parts).strip(WS)).filter(bool)
)
optional_text = st.none() | clean_text
formats = st.sampled_from(FORMATS)
weights = st.none() | st.decimals(
    min_value=-100, max_value=100, places=5, allow_nan=False, allow_infinity=False
)
simple_ids = st.from_regex(r"[A-Za-z0-9_.-]{1,10}", fullmatch=True)


@st.composite
def _feedback(draw):
    text = draw(optional_text)
    return text, (draw(formats) if text is not None else None)


@st.composite
def questions(draw):
    stem_format = draw(formats)
    kind = draw(st.sampled_from(["mc", "true_false", "matching"]))
    if kind == "mc":
        choices = []
        for _ in range(draw(st.integers(2, 5))):
            feedback, feedback_format = draw(_feedback())
            choices.append(
                GiftChoice(
                    text=draw(clean_text),
                    is_correct=draw(st.booleans()),
                    weight=draw(weights),
                    feedback=feedback,
                    text_format=draw(formats),
                    feedback_format=feedback_format,
                )
            )
        assume(any(not c.is_correct for c in choices) and any(c.credit > 0 for c in choices))
        kind = "single" if sum(c.is_correct for c in choices) == 1 else "multiple"
        answer = None
    elif kind == "true_false":
        answer = draw(st.booleans())
        (true_fb, true_fmt), (false_fb, false_fmt) = draw(_feedback()), draw(_feedback())
        choices = [
            GiftChoice("True", answer, None, true_fb, text_format=stem_format, feedback_format=true_fmt),
            GiftChoice(
                "False", not answer, None, false_fb, text_format=stem_format, feedback_format=false_fmt
            ),
        ]
    else:
        answer = None
        prompt = clean_text.filter(lambda t: "->" not in t)
        prompts = draw(st.lists(prompt, min_size=2, max_size=4)) + draw(st.lists(st.just(""), max_size=1))
        choices = [
            GiftChoice(p, True, None, None, match=draw(clean_text), text_format=draw(formats))
            for p in prompts
        ]
    general_feedback, general_feedback_format = draw(_feedback())
    return GiftQuestion(
        line=0,
        kind=kind,
        title=draw(optional_text),
        stem=draw(clean_text),
        stem_format=stem_format,
        choices=tuple(choices),
        general_feedback=general_feedback,
        general_feedback_format=general_feedback_format,
        true_false_answer=answer,
        id=draw(st.none() | simple_ids),
        tags=tuple(draw(st.lists(simple_ids, max_size=3))),
    )


@st.composite
def question_lists(draw):
    items = draw(st.lists(questions(), min_size=1, max_size=5))
    paths = st.none() | st.sampled_from(["$course$/top/Unit 1: Topic", "top/Cardiac ~ {x}", "top/ü \\ //"])
    category = None
    result = []
    for q in items:
        category = draw(paths) or category  # GIFT cannot return to "no category"
        result.append(replace(q, category=category))
    return result


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question_lists())
def test_round_trip_property(qs):
    text = export_gift(qs)
    result = parse_gift(text)
    assert result.problems == (), (text, result.problems)
    assert result.questions == tuple(qs), text
    assert export_gift(result.questions) == text


@settings(max_examples=300, deadline=None)
@given(st.lists(_chars, max_size=80).map("".join))
def test_arbitrary_text_never_raises(text):
    result = parse_gift(text)
    assert isinstance(result, GiftParseResult)
    line_count = text.count("\n") + text.count("\r") + 1
    for item in (*result.questions, *result.problems, *result.categories):
        assert 1 <= item.line <= line_count
    for p in result.problems:
        assert p.message.startswith(f"Line {p.line}: ")
        assert "internal error" not in p.message


GIFT_TOKENS = [
    *"{}~=#:\\ \n\t%-a1",
    "\n\n",
    "::",
    "->",
    "####",
    "%50%",
    "%-33.5%",
    "[html]",
    "[markdown]",
    "T",
    "FALSE",
    "// [id:7] [tag:x]",
    "$CATEGORY: c",
    "\\n",
]


_words = st.lists(st.sampled_from([*"ab \n", "\\~", "\\#", "\\{", "\\n", "\\\\", "é", "->"]), max_size=6).map(
    "".join
)


@st.composite
def _answer(draw):
    text = draw(st.sampled_from(["~", "=", "~%50%", "=%-25%", "~[plain]"])) + draw(_words)
    if draw(st.booleans()):
        text += " -> " + draw(_words)
    if draw(st.booleans()):
        text += "#" + draw(st.sampled_from(["", "[html]"])) + draw(_words)
    return text


@st.composite
def gift_like_text(draw):
    """Mostly well-formed GIFT with a few random tokens thrown in."""
    questions = []
    for _ in range(draw(st.integers(1, 4))):
        head = draw(st.sampled_from(["", "::t::", "::a\\:b::", "// [id:1]\n", "$CATEGORY: c\n"]))
        head += draw(st.sampled_from(["", "[html]", "[markdown]"])) + draw(_words) + "x"
        if draw(st.booleans()):
            body = draw(st.sampled_from(["T", "FALSE", "TRUE#a#b", "F##b"]))
        else:
            body = "\n".join(draw(st.lists(_answer(), min_size=1, max_size=4)))
        if draw(st.booleans()):
            body += "####" + draw(_words)
        questions.append(head + "{" + body + "}" + draw(st.sampled_from(["", "", ".", "\n// c"])))
    text = "\n\n".join(questions)
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(GIFT_TOKENS)) + text[at:]
    return text


@settings(max_examples=500, deadline=None)
@given(st.one_of(gift_like_text(), st.lists(st.sampled_from(GIFT_TOKENS), max_size=60).map("".join)))
def test_whatever_parses_also_exports_and_round_trips(text):
    result = parse_gift(text)
    assert all("internal error" not in p.message for p in result.problems)
    exported = export_gift(result.questions)
    again = parse_gift(exported)
    assert again.problems == ()
    assert again.questions == result.questions


# ---------------------------------------------------------------------------
# Hostile input
# ---------------------------------------------------------------------------

FAST = 5.0  # seconds; generous so that slow CI machines do not flake


def _timed(text, **kw):
    start = time.perf_counter()
    result = parse_gift(text, **kw)
    return result, time.perf_counter() - start


def test_ten_megabytes_is_refused_quickly():
    result, elapsed = _timed("x{" * 5_000_000)
    assert elapsed < FAST
    assert result.questions == ()
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert isinstance(problem, GiftLimitExceeded)
    assert problem.message == "Line 1: the input is too large (10,000,000 characters; the limit is 2,000,000)"


def test_max_chars_is_configurable():
    result = parse_gift("Q{T}", max_chars=3)
    assert isinstance(result.problems[0], GiftLimitExceeded)
    assert parse_gift("Q{T}", max_chars=4).problems == ()


def test_too_many_questions_is_refused_quickly():
    result, elapsed = _timed("Q{T}\n\n" * 100_000)
    assert elapsed < FAST
    assert result.questions == ()
    assert result.problems == (
        GiftLimitExceeded(
            line=4001,
            message="Line 4001: too many questions (the limit is 2,000); nothing was imported, split the file",
        ),
    )
    assert len(parse_gift("Q{T}\n\n" * 10, max_questions=10).questions) == 10
    assert isinstance(parse_gift("Q{T}\n\n" * 11, max_questions=10).problems[0], GiftLimitExceeded)


def test_category_lines_count_towards_the_limit():
    result, elapsed = _timed("$CATEGORY: a\n" * 150_000)
    assert elapsed < FAST
    assert result.categories == ()
    assert [(type(p), p.line) for p in result.problems] == [(GiftLimitExceeded, 2001)]


def test_too_many_tags_is_a_limit_problem():
    assert len(_one("// " + "[tag:t]" * MAX_TAGS + "\nQ{T}").tags) == MAX_TAGS
    problem = _problem("// " + "[tag:t]" * 200_000 + "\nQ{T}")
    assert isinstance(problem, GiftLimitExceeded)
    assert problem.message == f"Line 2: too many tags (the limit is {MAX_TAGS})"


def test_too_many_answers_is_a_limit_problem():
    assert len(_one("Q{=a" + " ~b" * (MAX_ANSWERS - 1) + "}").choices) == MAX_ANSWERS
    problem = _problem("Q{=a" + " ~b" * MAX_ANSWERS + "}")
    assert isinstance(problem, GiftLimitExceeded)
    assert problem.message == f"Line 1: too many answers (the limit is {MAX_ANSWERS})"


def test_unbalanced_braces():
    for text in [
        "Q{=a ~b",
        "Q=a ~b}",
        "{{{{",
        "}}}}",
        "Q{=a ~b}}",
        "Q{{=a ~b}",
        "{" * 1000 + "\n\n" + "}" * 1000,
    ]:
        result = parse_gift(text)
        assert result.questions == ()
        assert result.problems
        assert all(isinstance(p, GiftSyntaxError) for p in result.problems)


def test_deeply_nested_braces():
    text = "Q" + "{" * 900_000 + "}" * 900_000
    result, elapsed = _timed(text)
    assert elapsed < FAST
    assert [(type(p), p.line) for p in result.problems] == [(GiftSyntaxError, 1)]


def test_binary_looking_junk():
    rng = random.Random(1234)
    junk = bytes(rng.randrange(256) for _ in range(1_500_000)).decode("latin-1")
    result, elapsed = _timed(junk)
    assert elapsed < FAST
    assert isinstance(result, GiftParseResult)
    assert all(p.message.startswith(f"Line {p.line}: ") for p in result.problems)


@pytest.mark.parametrize(
    "text",
    [
        "\\" * 1_999_999 + "{",
        "Q{" + "=" * 1_999_990 + "}",
        "Q{=" + "\\-" * 999_990 + "}",
        "::" + ":" * 1_999_990,
        "Q{" + "#" * 1_999_990 + "}",
        "Q{~a =b}" + " " * 1_999_000 + "x",
        "\n" * 1_999_999,
        "Q{T}\n" * 399_999,
    ],
    ids=["backslashes", "equals", "escapes", "colons", "hashes", "spaces", "newlines", "one-block"],
)
def test_pathological_inputs_at_the_size_limit(text):
    result, elapsed = _timed(text)
    assert elapsed < FAST
    assert isinstance(result, GiftParseResult)


def test_non_text_input_is_a_problem_not_an_exception():
    result = parse_gift(b"Q{T}")  # type: ignore[arg-type]
    assert result.questions == ()
    assert result.problems[0].message == "Line 1: GIFT input must be text (str)"


def test_an_escaped_newline_alone_after_the_block_is_not_a_missing_word():
    # Found by the round-trip property: "\n" after the block decodes to whitespace, so it is not
    # text after a blank; read as a missing word, its stem could not be written back in GIFT.
    text = "x{=a}\\n"
    result = parse_gift(text)
    assert result.problems == ()
    (question,) = result.questions
    assert (question.kind, question.stem) == ("short_answer", "x")
    assert parse_gift(export_gift(result.questions)).questions == result.questions


def test_the_property_failure_with_a_trailing_escaped_newline_round_trips():
    # The shape the property reported (a first question in error, then a Markdown one ending "}\n").
    text = "x{~####}\n\n[markdown]x{~a -> #b\n=c}\\n"
    result = parse_gift(text)
    (question,) = result.questions
    assert (question.kind, question.stem) == ("single", "x")
    again = parse_gift(export_gift(result.questions))
    assert again.problems == () and again.questions == result.questions


def test_a_short_answer_whose_feedback_holds_an_arrow_is_refused():
    # Found by the round-trip property: "{> #->}" is one short answer with feedback "->", but
    # written back as "=>#->" it reads as a matching pair (GIFT cannot escape "->").
    result = parse_gift("x{> #->}")
    assert result.questions == ()
    assert [p.message for p in result.problems] == [
        "Line 1: a short answer's feedback cannot hold '->' (it marks a matching pair)"
    ]
