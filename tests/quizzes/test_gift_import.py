"""GIFT import and export of a post-test: dry runs write nothing, one bad question imports nothing,
export then import gives the same questions, and the commands report and exit as documented."""

import html
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils.html import strip_tags
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from modules.markdown import render_markdown
from modules.models import Course
from quizzes.gift import export_gift, parse_gift
from quizzes.gift_import import escape_markdown, gift_export, gift_import, gift_question, plan_question
from quizzes.models import Choice, Question, Quiz
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "proximal-hamstring-tendinopathy"

# Line numbers matter: tests below name them.
BANK = """\
// A small bank with every supported kind.
$CATEGORY: $course$/Post-test/Anatomy

::Tuberosity::[markdown]Where do the hamstrings **attach**?{
  =The ischial tuberosity#Right: that is their common origin.
  ~The greater trochanter#No: that is where the gluteus medius inserts.
  ~The linea aspera
}

// [id:risk-factors]
Which factors add to tendon overload?{
  ~%50%Overuse
  ~%50%Weak hamstrings
  ~%-100%Strong hamstrings
  ####Overload comes from overuse and weakness.
}

$CATEGORY: $course$/Post-test/Physical exam

The pain is usually deep in the buttock.{TRUE#Look again.#Yes.}

Match each test with what it stresses.{
  =Puranen-Orava -> hamstring stretch
  =Bent-knee stretch -> hamstring origin
  = -> the lumbar spine
}

::Both correct::[html]<p>Which <em>two</em> are hamstrings?</p>{
  =Semimembranosus
  =Biceps femoris
  ~Gracilis
}

[plain]Pick 1 * 2 = 2 (not *bold*):{
  =Yes
  ~No
}
"""


def make_quiz(slug="target"):
    return Quiz.objects.create(course=CourseFactory(slug=slug))


def questions_of(quiz):
    """What an import or export must keep, comparable across quizzes."""
    return [
        (
            q.kind,
            q.topic,
            q.title,
            q.stem_markdown,
            q.rationale_markdown,
            q.multiple_grading,
            [(c.text, c.is_correct, c.weight, c.match_text) for c in q.choices.all()],
        )
        for q in quiz.questions.filter(is_active=True).prefetch_related("choices").order_by("position", "id")
    ]


def row_counts():
    return Question.objects.count(), Choice.objects.count()


def run(command, *args):
    out, err = StringIO(), StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# ---------------------------------------------------------------------------
# The import service
# ---------------------------------------------------------------------------


def test_dry_run_lists_every_question_with_its_line_and_writes_nothing():
    quiz = make_quiz()
    report = gift_import(quiz=quiz, text=BANK, dry_run=True)
    assert report.ok and report.dry_run and report.created == 0
    assert [(p.line, p.kind, p.topic) for p in report.would_create] == [
        (4, "single", "anatomy"),
        (11, "multiple", "anatomy"),
        (20, "true_false", "physical-exam"),
        (22, "matching", "physical-exam"),
        (28, "multiple", "physical-exam"),
        (34, "single", "physical-exam"),
    ]
    assert report.would_create[0].stem_preview == "Where do the hamstrings **attach**?"
    assert (
        str(report.would_create[0])
        == "Line 4: single [anatomy] tuberosity: Where do the hamstrings **attach**?"
    )
    assert row_counts() == (0, 0)


def test_import_maps_kinds_topics_keys_formats_and_feedback():
    quiz = make_quiz()
    report = gift_import(quiz=quiz, text=BANK, dry_run=False)
    assert report.ok and report.created == 6
    questions = {q.key: q for q in quiz.questions.prefetch_related("choices")}
    assert list(questions) == ["tuberosity", "risk-factors", "gift-20", "gift-22", "both-correct", "gift-34"]
    assert [q.position for q in questions.values()] == [1, 2, 3, 4, 5, 6]

    single = questions["tuberosity"]
    assert single.title == "Tuberosity" and single.points == 1
    assert "<strong>attach</strong>" in single.stem_html
    # No general feedback: the answers' feedback becomes the rationale.
    assert single.rationale_markdown == (
        "- **The ischial tuberosity**: Right: that is their common origin.\n"
        "- **The greater trochanter**: No: that is where the gluteus medius inserts."
    )

    partial = questions["risk-factors"]
    assert partial.multiple_grading == "partial"
    assert partial.rationale_markdown == "Overload comes from overuse and weakness."
    assert [(c.text, c.is_correct, c.weight) for c in partial.choices.all()] == [
        ("Overuse", True, Decimal(50)),
        ("Weak hamstrings", True, Decimal(50)),
        ("Strong hamstrings", False, Decimal(-100)),
    ]

    true_false = questions["gift-20"]
    assert [(c.text, c.is_correct) for c in true_false.choices.all()] == [("True", True), ("False", False)]

    matching = questions["gift-22"]
    assert [(c.text, c.match_text) for c in matching.choices.all()] == [
        ("Puranen-Orava", "hamstring stretch"),
        ("Bent-knee stretch", "hamstring origin"),
        ("", "the lumbar spine"),
    ]

    both = questions["both-correct"]
    assert both.kind == "multiple" and both.multiple_grading == "all_or_nothing"
    assert "<em>two</em>" in both.stem_html

    plain = questions["gift-34"]
    assert plain.stem_html == "<p>Pick 1 * 2 = 2 (not *bold*):</p>"

    # Questions without any feedback are imported, with a note asking for a rationale.
    assert [str(n) for n in report.notes if "no rationale" in n.message] == [
        "Line 22: no feedback, so the question has no rationale yet; add one in the admin.",
        "Line 28: no feedback, so the question has no rationale yet; add one in the admin.",
        "Line 34: no feedback, so the question has no rationale yet; add one in the admin.",
    ]


def test_an_unsupported_question_imports_nothing_and_names_its_line():
    quiz = make_quiz()
    text = BANK + "\nDescribe the pain.{}\n"
    report = gift_import(quiz=quiz, text=text, dry_run=False)
    assert not report.ok and report.created == 0
    assert [str(p) for p in report.problems] == ["Line 39: essay questions are not supported"]
    assert row_counts() == (0, 0)


def test_skip_unsupported_lists_each_skipped_item_by_line_and_imports_the_rest():
    quiz = make_quiz()
    text = BANK + "\nDescribe the pain.{}\n\nUse a pencil.\n"
    report = gift_import(quiz=quiz, text=text, dry_run=False, skip_unsupported=True)
    assert report.ok and report.created == 6
    assert [str(p) for p in report.skipped] == [
        "Line 39: essay questions are not supported",
        "Line 41: text without an answer block (a description) is not imported as a question",
    ]


def test_skip_unsupported_still_refuses_everything_when_any_other_item_is_broken():
    quiz = make_quiz()
    text = BANK + "\nDescribe the pain.{}\n\nBroken {=a ~b\n"
    report = gift_import(quiz=quiz, text=text, dry_run=False, skip_unsupported=True)
    assert not report.ok and report.created == 0
    assert [p.line for p in report.skipped] == [39]
    assert row_counts() == (0, 0)


def test_a_question_breaking_an_authoring_rule_imports_nothing_and_says_why():
    quiz = make_quiz()
    text = BANK + "\n\nWhich apply?{\n  ~%40%A\n  ~%50%B\n  ~%-50%C\n}\n"
    report = gift_import(quiz=quiz, text=text, dry_run=False)
    assert [str(p) for p in report.problems] == [
        "Line 40: The positive weights add up to 90%; they must add up to 100%."
    ]
    assert row_counts() == (0, 0)


def test_partial_credit_on_a_single_choice_question_imports_with_its_weights():
    quiz = make_quiz()
    report = gift_import(quiz=quiz, text="Pick one.{=Right ~%50%Half right ~Wrong}", dry_run=False)
    assert report.ok, report.problems
    question = quiz.questions.get()
    assert (question.kind, question.multiple_grading) == ("single", "partial")
    assert [(c.text, c.is_correct, c.weight) for c in question.choices.order_by("position")] == [
        ("Right", True, Decimal(100)),
        ("Half right", False, Decimal(50)),
        ("Wrong", False, Decimal(0)),
    ]


def test_model_limits_are_problems_not_database_errors():
    quiz = make_quiz()
    long_answer = "x" * 501
    report = gift_import(quiz=quiz, text=f"Pick one.{{={long_answer} ~Short}}", dry_run=False)
    assert [str(p) for p in report.problems] == [
        "Line 1: Answer 1: text: Ensure this value has at most 500 characters (it has 501)."
    ]
    assert row_counts() == (0, 0)


def test_an_html_answer_with_no_text_is_a_problem():
    report = gift_import(quiz=make_quiz(), text="Pick one.{=[html]<br> ~Other}", dry_run=False)
    assert [str(p) for p in report.problems] == ["Line 1: Answer 1 has no text once its HTML is removed."]
    assert row_counts() == (0, 0)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "Line 1: The file holds no questions."),
        ("// only a comment\n", "Line 1: The file holds no questions."),
        ("Unclosed {=a ~b\n", "Line 1: the answer block opened with '{' is never closed with '}'"),
    ],
)
def test_files_without_questions_or_with_syntax_errors_import_nothing(text, message):
    report = gift_import(quiz=make_quiz(), text=text, dry_run=False)
    assert str(report.problems[0]).startswith(message)
    assert row_counts() == (0, 0)


def test_importing_twice_adds_questions_with_new_keys_and_leaves_the_first_ones_alone():
    quiz = make_quiz()
    gift_import(quiz=quiz, text=BANK, dry_run=False)
    first = {q.pk: q.updated_at for q in quiz.questions.all()}
    report = gift_import(quiz=quiz, text=BANK, dry_run=False)
    assert report.created == 6
    assert [p.key for p in report.would_create][:2] == ["tuberosity-2", "risk-factors-2"]
    assert {q.pk: q.updated_at for q in quiz.questions.filter(pk__in=first)} == first
    assert list(quiz.questions.order_by("position").values_list("position", flat=True)) == list(range(1, 13))


def test_import_export_import_gives_the_same_questions():
    first = make_quiz("first")
    gift_import(quiz=first, text=BANK, dry_run=False)
    text, skipped = gift_export(first)
    assert skipped == []
    second = make_quiz("second")
    report = gift_import(quiz=second, text=text, dry_run=False)
    assert report.ok, report.problems
    assert questions_of(second) == questions_of(first)
    assert list(second.questions.values_list("key", flat=True)) == list(
        first.questions.values_list("key", flat=True)
    )


def test_shipped_post_test_exports_without_its_ordering_questions_and_reimports():
    call_command("load_course", str(SHIPPED), stdout=StringIO())
    shipped = Quiz.objects.get(course__slug="proximal-hamstring-tendinopathy")
    text, skipped = gift_export(shipped)

    ordering = list(shipped.questions.filter(kind="ordering").values_list("key", flat=True))
    assert len(ordering) == 3
    assert [s.key for s in skipped] == ordering
    assert all(s.reason == "GIFT has no ordering questions." for s in skipped)
    assert "// Not exported (GIFT cannot hold them): " + ", ".join(ordering) in text

    fresh = make_quiz("fresh")
    report = gift_import(quiz=fresh, text=text, dry_run=False)
    assert report.ok, report.problems
    assert report.created == shipped.questions.count() - 3
    expected = [q for q in questions_of(shipped) if q[0] != "ordering"]
    assert questions_of(fresh) == expected
    assert {q.topic for q in fresh.questions.all()} == {"anatomy", "physical-exam", "treatment"}


def test_export_skips_what_gift_would_read_back_as_a_different_question():
    quiz = make_quiz()
    question = Question.objects.create(
        quiz=quiz, key="one-right", kind="multiple", topic="t", stem_markdown="Which?", rationale_markdown="R"
    )
    Choice.objects.create(question=question, position=1, text="A", is_correct=True)
    Choice.objects.create(question=question, position=2, text="B")
    text, skipped = gift_export(quiz)
    assert [(s.key, s.kind) for s in skipped] == [("one-right", "multiple")]
    assert "at least two right and one wrong answer" in skipped[0].reason
    assert parse_gift(text).questions == ()


texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and s)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stem=texts, rationale=texts, right=texts, wrong=texts, match=texts)
def test_any_text_survives_export_and_import(stem, rationale, right, wrong, match):
    """Pure mapping (no database): escapes, formats and guards keep every text as it was."""
    assume(right != wrong and "->" not in right + wrong)
    for kind, choices in (
        ("single", [Choice(text=right, is_correct=True), Choice(text=wrong)]),
        ("matching", [Choice(text=right, match_text=match), Choice(text=wrong, match_text=match + " 2")]),
    ):
        question = Question(key="k", kind=kind, topic="t", stem_markdown=stem, rationale_markdown=rationale)
        gq = gift_question(question, choices, category="course/t")
        (parsed,) = parse_gift(export_gift([gq])).questions
        planned, problems, _ = plan_question(parsed, taken_keys=set())
        assert problems == []
        assert planned.fields["stem_markdown"] == stem
        assert planned.fields["rationale_markdown"] == rationale
        assert [(c.text, c.is_correct, c.match_text) for c in planned.choices] == [
            (c.text, c.is_correct, c.match_text) for c in choices
        ]


def test_escaped_plain_text_renders_literally():
    text = "1. *not* a list <b>or</b> [a](link) # & `code` | : x"
    assert render_markdown(escape_markdown(text)) == (
        "<p>1. *not* a list &lt;b&gt;or&lt;/b&gt; [a](link) # &amp; `code` | : x</p>"
    )


# ---------------------------------------------------------------------------
# The commands
# ---------------------------------------------------------------------------


@pytest.fixture
def bank_file(tmp_path):
    path = tmp_path / "bank.gift"
    path.write_text(BANK, encoding="utf-8")
    return path


def test_import_command_dry_run_prints_what_it_would_create_and_writes_nothing(bank_file):
    make_quiz()
    out, err = run("import_gift", str(bank_file), "--quiz", "target", "--dry-run")
    assert "Line 4: single [anatomy] tuberosity: Where do the hamstrings **attach**?" in out
    assert "Dry run: 6 questions would be added" in out and "nothing was written" in out
    assert err == ""
    assert row_counts() == (0, 0)


def test_import_command_imports(bank_file):
    quiz = make_quiz()
    out, _ = run("import_gift", str(bank_file), "--quiz", "target")
    assert "Imported 6 questions" in out
    assert quiz.questions.count() == 6


def test_import_command_with_problems_prints_them_by_line_fails_and_imports_nothing(tmp_path):
    make_quiz()
    path = tmp_path / "bad.gift"
    path.write_text(BANK + "\nHow many?{}\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match=r"1 problem in .*bad\.gift; nothing was imported"):
        call_command("import_gift", str(path), "--quiz", "target", stdout=StringIO(), stderr=err)
    assert "bad.gift: Line 39: essay questions are not supported" in err.getvalue()
    assert row_counts() == (0, 0)


@pytest.mark.parametrize(
    "content, message",
    [
        ("Caf\xe9?{=Oui ~Non}".encode("latin-1"), "not UTF-8 text"),
        (b"x" * 1_048_577, "1,048,577 bytes; the limit is 1,048,576"),
    ],
)
def test_import_command_refuses_files_that_are_not_utf8_or_too_large(tmp_path, content, message):
    make_quiz()
    path = tmp_path / "bank.gift"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run("import_gift", str(path), "--quiz", "target")
    assert row_counts() == (0, 0)


def test_import_command_names_an_unknown_course(bank_file):
    with pytest.raises(CommandError, match="No post-test for a course with slug 'nope'"):
        run("import_gift", str(bank_file), "--quiz", "nope")


def test_export_command_writes_gift_and_lists_skipped_ordering_questions_on_stderr(tmp_path):
    call_command("load_course", str(SHIPPED), stdout=StringIO())
    out, err = run("export_gift", "--quiz", "proximal-hamstring-tendinopathy")
    assert out.startswith("// Post-test")
    assert "$CATEGORY: proximal-hamstring-tendinopathy/anatomy" in out
    skipped_lines = [line for line in err.splitlines() if line.startswith("skipped ")]
    assert len(skipped_lines) == 3
    assert all("(ordering): GIFT has no ordering questions." in line for line in skipped_lines)

    target = tmp_path / "out.gift"
    out, err = run("export_gift", "--quiz", "proximal-hamstring-tendinopathy", "--output", str(target))
    assert out == ""
    assert f"Wrote {target}." in err
    assert (
        target.read_text(encoding="utf-8")
        == run("export_gift", "--quiz", "proximal-hamstring-tendinopathy")[0]
    )
    assert Course.objects.count() == 1


NEW_KINDS_GIFT = """$CATEGORY: course/treatment
// [id:relief-percent]
::Relief::Under what percent of patients reported relief at six months?{#38:2####From module 4.}

// [id:relief-range]
Give the percent.{#
\t=%100%36..40#right
\t=%50%30..45#close
}

// [id:muscle]
Name the muscle group.{
\t=hamstring*
\t=%50%ham#nearly
}

// [id:blank-select]
Pain sits at the {=ischial ~tibial ~%50%femoral} tuberosity.

// [id:blank-text]
The {=bent-knee =%50%bent knee} stretch test loads the tendon.

// [id:partial-single]
Pick one.{=Right ~%50%Half right ~Wrong}
"""


def test_gift_to_us_to_gift_keeps_every_new_kind_field_by_field():
    quiz = make_quiz()
    report = gift_import(quiz=quiz, text=NEW_KINDS_GIFT, dry_run=False)
    assert report.ok, [str(p) for p in report.problems]
    assert [q.kind for q in report.would_create] == [
        "numerical",
        "numerical",
        "short_answer",
        "cloze",
        "cloze",
        "single",
    ]
    text, skipped = gift_export(quiz)
    assert skipped == []
    original = parse_gift(NEW_KINDS_GIFT).questions
    reparsed = parse_gift(text)
    assert reparsed.problems == (), text
    again = reparsed.questions
    assert len(again) == len(original)
    for before, after in zip(original, again, strict=True):
        assert (after.kind, after.id, after.title, after.blank_input) == (
            before.kind,
            before.id,
            before.title,
            before.blank_input,
        )
        assert after.stem == before.stem
        if before.general_feedback:  # else the answers' feedback became the rationale, by design
            assert after.general_feedback == before.general_feedback
        for b, a in zip(before.choices, after.choices, strict=True):
            assert (a.text, a.credit, a.number, a.tolerance, a.range_low, a.range_high) == (
                b.text,
                b.credit,
                b.number,
                b.tolerance,
                b.range_low,
                b.range_high,
            )


def test_import_command_can_skip_what_cannot_be_imported(tmp_path):
    make_quiz()
    path = tmp_path / "bank.gift"
    path.write_text(BANK + "\nHow many?{}\n", encoding="utf-8")
    out = StringIO()
    call_command(
        "import_gift", str(path), "--quiz", "target", "--skip-unsupported", stdout=out, stderr=StringIO()
    )
    assert "bank.gift: skipped: Line 39: essay questions are not supported" in out.getvalue()
    assert row_counts()[0] == 6


CORPUS = (
    Path(__file__).resolve().parents[2].parent
    / "shared/conformance/gift/fuhrmanator_GIFT-grammar-PEG.js/tests/questions"
)


def _corpus_names():
    return sorted(p.stem for p in CORPUS.glob("*.gift")) if CORPUS.is_dir() else ["<corpus missing>"]


def _comparable(gq):
    """What survives GIFT -> our rows -> GIFT: the kind, title, stem text and each answer's meaning."""
    answers = [
        (
            html.unescape(strip_tags(c.text)).strip() if c.text_format == "html" else c.text,
            c.match,
            c.credit,
            c.number,
            c.tolerance,
            c.range_low,
            c.range_high,
        )
        for c in gq.choices
        if gq.kind != "numerical" or c.number is not None or c.range_low is not None
    ]
    return (gq.kind, gq.title, gq.blank_input, gq.stem if gq.stem_format != "plain" else None, answers)


@pytest.mark.parametrize("name", _corpus_names())
def test_the_gift_corpus_goes_through_our_questions_and_back_unchanged(name):
    if not CORPUS.is_dir():
        pytest.skip(f"GIFT conformance data not found at {CORPUS}")
    text = (CORPUS / f"{name}.gift").read_text(encoding="utf-8")
    parsed = parse_gift(text)
    quiz = make_quiz()
    report = gift_import(quiz=quiz, text=text, dry_run=False, skip_unsupported=True)
    if not parsed.questions:  # only essays, descriptions or categories: all skipped, nothing to import
        assert [p.message for p in report.problems] == ["The file holds no questions."]
        assert len(report.skipped) == len(parsed.problems)
        return
    assert report.ok, [str(p) for p in report.problems]
    exported, skipped = gift_export(quiz)
    assert skipped == []
    again = parse_gift(exported)
    assert again.problems == ()
    assert [_comparable(q) for q in again.questions] == [_comparable(q) for q in parsed.questions]
