"""Moodle XML in and out: Moodle's own fixtures with the results its tests state, round trips
field by field, and hostile files refused with a line and a reason."""

from decimal import Decimal

import pytest

from quizzes.gift import GiftSyntaxError, GiftUnsupported
from quizzes.moodle_xml import export_moodle_xml, parse_moodle_xml
from tests.conftest import shared_path


def fixture(name):
    data = shared_path("conformance", "moodlexml", name).read_bytes()
    # The xmlformat_test snippets are bare <question> elements (the README says to wrap them).
    return data if b"<quiz" in data else b"<quiz>" + data + b"</quiz>"


def only(name):
    parsed = parse_moodle_xml(fixture(name))
    assert parsed.problems == ()
    (question,) = parsed.questions
    return question


def test_multichoice_19_multiple_answers_with_their_fractions_and_feedback():
    q = only("moodle_xmlformat_test_test_import_multichoice_19.xml")
    assert (q.kind, q.title, q.stem, q.stem_format) == (
        "multiple",
        "Multiple choice question",
        "Which are the even numbers?",
        "html",
    )
    assert q.general_feedback == "The even numbers are 2 and 4."
    assert [(c.text, c.credit) for c in q.choices] == [("1", 0), ("2", 100), ("3", 0), ("4", 100)]
    assert all(c.text_format == "html" and c.feedback is None for c in q.choices)


def test_truefalse_19_keeps_the_answer_and_each_feedback():
    q = only("moodle_xmlformat_test_test_import_truefalse_19.xml")
    assert (q.kind, q.title, q.true_false_answer) == ("true_false", "True false question", True)
    assert q.general_feedback == "General feedback: You should have chosen true."
    assert [(c.text, c.is_correct, c.feedback) for c in q.choices] == [
        ("True", True, "Well done!"),
        ("False", False, "Doh!"),
    ]


def test_match_19_empty_subquestion_is_an_extra_answer():
    q = only("moodle_xmlformat_test_test_import_match_19.xml")
    assert q.kind == "matching" and q.title == "Matching question"
    assert [(c.text, c.match) for c in q.choices] == [("A", "a"), ("B", "b"), ("C", "c"), ("", "d")]
    assert q.general_feedback == "The answer is A -> a, B -> b and C -> c."
    assert q.tags == ("tagMatching", "tagTest")


def test_shortanswer_19_answers_fractions_feedback_and_case():
    q = only("moodle_xmlformat_test_test_import_shortanswer_19.xml")
    assert (q.kind, q.case_sensitive) == ("short_answer", False)
    assert [(c.text, c.credit, c.feedback) for c in q.choices] == [
        ("Beta", 100, "Well done!"),
        ("*", 0, "Doh!"),
    ]


def test_numerical_19_tolerances_and_the_catch_all_answer():
    q = only("moodle_xmlformat_test_test_import_numerical_19.xml")
    assert q.kind == "numerical"
    assert [(c.number, c.tolerance, c.credit, c.feedback) for c in q.choices] == [
        (Decimal("42"), Decimal("0.001"), 100, "Well done!"),
        (Decimal("13"), Decimal("1"), 0, "What were you thinking?!"),
        (None, None, 0, "Completely wrong."),
    ]


@pytest.mark.parametrize(
    "name, kind",
    [
        ("moodle_xmlformat_test_test_import_description.xml", "description"),
        ("moodle_xmlformat_test_test_import_essay_21.xml", "essay"),
        ("moodle_xmlformat_test_test_import_multianswer.xml", "cloze"),
    ],
)
def test_descriptions_essays_and_multi_blank_cloze_are_reported_unsupported_with_their_line(name, kind):
    parsed = parse_moodle_xml(fixture(name))
    assert parsed.questions == ()
    (problem,) = parsed.problems
    assert isinstance(problem, GiftUnsupported) and problem.kind == kind
    assert problem.message.startswith("Line 1: ")


def test_broken_cloze_questions_import_nothing_each_with_its_reason():
    parsed = parse_moodle_xml(fixture("moodle_fixtures_broken_cloze_questions.xml"))
    assert parsed.questions == ()
    messages = [p.message for p in parsed.problems]
    assert len(messages) == 5 and all(isinstance(p, GiftSyntaxError) for p in parsed.problems)
    assert "must include an embedded answer" in messages[0]
    assert "at least 2 choices" in messages[1] and "at least 2 choices" in messages[2]
    assert "score of 100%" in messages[3]
    assert "'zero' must be a number" in messages[4]


def test_categories_follow_the_file_in_any_order_and_nested():
    parsed = parse_moodle_xml(fixture("moodle_fixtures_categories_reverse_order.xml"))
    (sigma,) = parsed.questions  # "Tau Question" is an essay: reported
    assert (sigma.title, sigma.category, sigma.kind) == ("Sigma Question", "$course$/Sigma", "short_answer")
    assert [c.path for c in parsed.categories] == ["$course$/Sigma/Tau", "$course$/Sigma"]
    assert parsed.problems[0].kind == "essay"
    nested = parse_moodle_xml(fixture("moodle_fixtures_nested_categories.xml"))
    (zeta,) = nested.questions
    assert (zeta.title, zeta.category, zeta.true_false_answer) == (
        "Zeta Question",
        "$module$/Delta/Epsilon/Zeta",
        True,
    )
    old = parse_moodle_xml(fixture("moodle_fixtures_old_format_file.xml"))
    assert [(q.title, q.category) for q in old.questions] == [
        ("Pi Question", "$course$/Pi"),
        ("Rho Question", "$course$/Pi/Rho"),
    ]


def test_truefalse_fixture_imports_two_questions_and_lists_its_feedback_images_as_skipped():
    parsed = parse_moodle_xml(fixture("moodle_fixtures_truefalse.xml"))
    assert [(q.title, q.true_false_answer) for q in parsed.questions] == [
        ("Moodle acronym (False)", False),
        ("Moodle acronym (True)", True),
    ]
    assert 'is an acronym for <span style="font-style: italic;">Modular Object-Oriented Dynamic Learning' in (
        parsed.questions[0].stem
    )
    assert parsed.problems == ()
    assert len(parsed.notes) == 6  # the logo in the question texts is imported (test_moodle_xml_images)
    assert parsed.notes[0].message == (
        "Line 21: the embedded file 'infos.jpg' was skipped (only images the question text places are "
        "imported; add others to the question after the import)"
    )


def test_multichoice_fixture_greeting_has_french_right():
    parsed = parse_moodle_xml(fixture("moodle_fixtures_multichoice.xml"))
    (q,) = parsed.questions
    assert (q.title, q.kind) == ("Greeting", "single")
    assert "What language is being spoken?" in q.stem
    assert [c.is_correct for c in q.choices] == [False, True, False, False]
    assert q.choices[1].feedback == "<p>Yes, well done!</p>"


ALL_FIXTURES = [
    "moodle_fixtures_multichoice.xml",
    "moodle_fixtures_truefalse.xml",
    "moodle_fixtures_nested_categories.xml",
    "moodle_fixtures_old_format_file.xml",
    "moodle_fixtures_categories_reverse_order.xml",
    "moodle_fixtures_category_with_description.xml",
    "moodle_xmlformat_test_test_import_match_19.xml",
    "moodle_xmlformat_test_test_import_multichoice_19.xml",
    "moodle_xmlformat_test_test_import_numerical_19.xml",
    "moodle_xmlformat_test_test_import_shortanswer_19.xml",
    "moodle_xmlformat_test_test_import_truefalse_19.xml",
]


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_moodle_xml_to_us_to_moodle_xml_keeps_every_field(name):
    first = parse_moodle_xml(fixture(name))
    again = parse_moodle_xml(export_moodle_xml(first.questions))
    assert again.problems == ()
    assert again.questions == first.questions  # every dataclass field, choice by choice


def test_one_blank_cloze_and_numerical_units_survive_a_round_trip():
    text = b"""<quiz>
  <question type="cloze"><name><text>Blank</text></name>
    <questiontext format="html"><text>The {1:MULTICHOICE:=ischial~%50%pubic#close~sacral} tuberosity.</text></questiontext>
  </question>
  <question type="numerical"><name><text>Dose</text></name>
    <questiontext format="markdown"><text>How many mg?</text></questiontext>
    <answer fraction="100"><text>3.5</text><tolerance>0.1</tolerance></answer>
    <answer fraction="50"><text>3</text><tolerance>0</tolerance></answer>
    <unitgradingtype>1</unitgradingtype><unitpenalty>0.2</unitpenalty><showunits>0</showunits>
    <units><unit><multiplier>1</multiplier><unit_name>mg</unit_name></unit>
      <unit><multiplier>0.001</multiplier><unit_name>g</unit_name></unit></units>
  </question>
</quiz>"""
    parsed = parse_moodle_xml(text)
    assert parsed.problems == ()
    cloze, numerical = parsed.questions
    assert (cloze.kind, cloze.blank_input, cloze.stem) == ("cloze", "select", "The [[blank]] tuberosity.")
    assert [(c.text, c.credit, c.feedback) for c in cloze.choices] == [
        ("ischial", 100, None),
        ("pubic", 50, "close"),
        ("sacral", 0, None),
    ]
    assert (numerical.unit_handling, numerical.unit_penalty) == ("graded", Decimal(20))
    assert [(u.name, u.multiplier) for u in numerical.units] == [("mg", 1), ("g", Decimal("0.001"))]
    assert parse_moodle_xml(export_moodle_xml(parsed.questions)).questions == parsed.questions


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<quiz><question type="truefalse"><name><text>&lol3;</text></name></question></quiz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="truefalse"><questiontext><text>&secret;</text></questiontext></question></quiz>"""


@pytest.mark.parametrize(
    "data, message",
    [
        (BILLION_LAUGHS, "Line 2: the file declares a document type or entities"),
        (EXTERNAL_ENTITY, "Line 2: the file declares a document type or entities"),
        (b"<quiz>" * 300 + b"</quiz>" * 300, "the markup is nested too deeply (more than 256 levels)"),
        (bytes(range(256)) * 4, "Line 1: the file is binary data, not an XML text file."),
        (b"<quiz><question type='truefalse'>", "Line 1: the file is not well-formed XML"),
        (b"<questions/>", "a Moodle XML file starts with <quiz>, not <questions>"),
        # In UTF-16 the byte scan for "<!DOCTYPE" sees every other byte as NUL and misses it; lxml
        # reads the BOM, and the check of the parsed tree's internal DTD is what refuses these.
        (b"\xff\xfe" + BILLION_LAUGHS.decode().encode("utf-16-le"), "declares a document type"),
        (b"\xfe\xff" + EXTERNAL_ENTITY.decode().encode("utf-16-be"), "declares a document type"),
    ],
)
def test_hostile_or_broken_xml_is_refused_with_a_line_and_a_reason(data, message):
    parsed = parse_moodle_xml(data)
    assert parsed.questions == ()
    (problem,) = parsed.problems
    assert message in problem.message
