"""Numerical, short-answer and missing-word questions, and single choice with partial credit, through
an attempt: shown accessibly, saved (or refused with a message), graded, reviewed, counted."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from quizzes import services
from quizzes.models import Attempt, Choice, Question, Quiz, ReviewPolicy, Unit
from reports.item_statistics import item_statistics
from tests.quizzes.conftest import complete_modules

pytestmark = pytest.mark.django_db


def _question(quiz, key, kind, stem, choices, **fields):
    question = Question.objects.create(
        quiz=quiz,
        key=key,
        kind=kind,
        topic="treatment",
        stem_markdown=stem,
        rationale_markdown=f"Because {key}.",
        **fields,
    )
    for position, values in enumerate(choices, start=1):
        Choice.objects.create(question=question, position=position, **values)
    return question


def build_new_kinds(quiz):
    dose = _question(
        quiz,
        "dose",
        "numerical",
        "How many mg?",
        [
            {"number": Decimal("2.5"), "tolerance": Decimal("0.1"), "is_correct": True},
            {"range_low": Decimal(2), "range_high": Decimal(3), "weight": Decimal(50), "is_correct": True},
        ],
        unit_handling="graded",
        unit_penalty=Decimal(20),
    )
    Unit.objects.create(question=dose, position=1, name="mg", multiplier=Decimal(1))
    Unit.objects.create(question=dose, position=2, name="g", multiplier=Decimal("0.001"))
    _question(
        quiz,
        "relief",
        "numerical",
        "Fewer than what percent still have relief?",
        [{"number": Decimal(38), "is_correct": True}],
    )
    _question(
        quiz,
        "bone",
        "short_answer",
        "Name the sit bone.",
        [{"text": "ischial tuberosit*", "is_correct": True}, {"text": "*tuberosity", "weight": Decimal(50)}],
    )
    _question(
        quiz,
        "tendon",
        "cloze",
        "The [[blank]] tendon is most often the culprit.",
        [{"text": "semimembranosus", "is_correct": True}, {"text": "biceps femoris"}],
        blank_input="select",
    )
    _question(
        quiz,
        "exercise",
        "cloze",
        "Care rests on [[blank]] exercise.",
        [{"text": "eccentric", "is_correct": True}],
        blank_input="text",
    )
    _question(
        quiz,
        "partial",
        "single",
        "Pick the best.",
        [
            {"text": "Best", "is_correct": True, "weight": Decimal(100)},
            {"text": "Half", "weight": Decimal(50)},
            {"text": "Bad", "weight": Decimal(-50)},
        ],
        multiple_grading="partial",
    )


@pytest.fixture
def quiz(course):
    quiz = Quiz.objects.create(
        course=course,
        attempts_allowed=3,
        shuffle_questions=False,
        shuffle_choices=False,
        review_policy=ReviewPolicy.ALWAYS,
    )
    build_new_kinds(quiz)
    return quiz


@pytest.fixture
def attempt(learner, course, quiz):
    complete_modules(learner, course)
    return services.attempt_start(user=learner, quiz=quiz, all_modules_complete=True)


@pytest.fixture
def rows(attempt):
    return {row.question.key: row for row in attempt.questions.select_related("question")}


def url(course, page="attempt_detail"):
    return reverse(page, args=[course.slug, 1])


def choice_id(row, text):
    return next(c["id"] for c in row.snapshot["choices"] if c["text"] == text)


def test_the_attempt_page_shows_each_new_kind_with_labelled_inputs(client, learner, course, attempt, rows):
    client.force_login(learner)
    html = client.get(url(course)).text
    dose, relief, bone, tendon, exercise = (rows[k] for k in ("dose", "relief", "bone", "tendon", "exercise"))
    # Typed answers: a label, inputmode (decimal keypad unless a unit is to be typed), the hint.
    assert f'<label class="form-label" for="q{relief.pk}">Your answer (a number)</label>' in html
    assert re.search(
        rf'id="q{relief.pk}"[^>]*inputmode="decimal"[^>]*aria-describedby="hint-{relief.pk}"', html
    )
    assert re.search(rf'id="q{dose.pk}"[^>]*inputmode="text"', html)
    assert "then its unit: mg, g." in html
    assert f'<label class="form-label" for="q{bone.pk}">Your answer</label>' in html
    # Missing words: the input inside the sentence, labelled "Blank" and described by the sentence.
    assert f'<label class="visually-hidden" for="q{tendon.pk}">Blank</label>' in html
    assert re.search(rf'<select [^>]*id="q{tendon.pk}" aria-describedby="q{tendon.pk}-sentence', html)
    assert re.search(rf'<input [^>]*id="q{exercise.pk}"', html)
    assert "[[blank]]" not in html
    assert "Fill in the blank." in html


def test_typed_answers_save_with_a_decimal_comma_and_an_unreadable_number_is_named(
    client, learner, course, attempt, rows
):
    client.force_login(learner)
    dose, relief, bone = rows["dose"], rows["relief"], rows["bone"]
    response = client.post(
        url(course),
        {f"q{dose.pk}": "2,5 mg", f"q{relief.pk}": "thirty-eight", f"q{bone.pk}": "  Ischial  TUBEROSITY "},
    )
    assert response.status_code == 400
    html = response.text
    assert "“thirty-eight” is not a number" in html
    assert f'id="error-{relief.pk}"' in html
    assert re.search(rf'id="q{relief.pk}"[^>]*aria-describedby="hint-{relief.pk} error-{relief.pk}"', html)
    assert 'value="thirty-eight"' in html  # shown again as typed
    dose.refresh_from_db()
    bone.refresh_from_db()
    relief.refresh_from_db()
    assert dose.response == "2,5 mg" and bone.response == "Ischial TUBEROSITY" and relief.response is None


def test_an_unlisted_unit_costs_the_penalty_and_a_listed_one_converts(attempt, rows):
    dose = rows["dose"]
    services.attempt_save(attempt=attempt, answers={dose.pk: "0.0025 g"})
    services.attempt_submit(attempt=attempt)
    dose.refresh_from_db()
    assert dose.points_awarded == Decimal("1.00")


def test_submit_grades_every_new_kind_and_the_review_shows_the_accepted_answers(
    client, learner, course, attempt, rows
):
    client.force_login(learner)
    answers = {
        f"q{rows['dose'].pk}": "2.5 kg",  # wrong unit: 100% less the 20% penalty
        f"q{rows['relief'].pk}": "38",
        f"q{rows['bone'].pk}": "tuberosity",  # 50%
        f"q{rows['tendon'].pk}": choice_id(rows["tendon"], "semimembranosus"),
        f"q{rows['exercise'].pk}": "Eccentric",
        f"q{rows['partial'].pk}": choice_id(rows["partial"], "Half"),  # 50%
    }
    assert client.post(url(course), answers).status_code == 302
    client.post(url(course, "attempt_submit"))
    points = {
        row.question.key: row.points_awarded
        for row in Attempt.objects.get().questions.select_related("question")
    }
    assert points == {
        "dose": Decimal("0.80"),
        "relief": Decimal("1.00"),
        "bone": Decimal("0.50"),
        "tendon": Decimal("1.00"),
        "exercise": Decimal("1.00"),
        "partial": Decimal("0.50"),
    }
    review = client.get(url(course, "attempt_review")).text
    assert "2.5 ± 0.1 mg" in review  # the accepted numerical answer, with its unit
    assert "ischial tuberosit*" in review and "semimembranosus" in review and "eccentric" in review
    assert "Your answer:</strong> 2.5 kg" in review
    assert "partly correct" in review
    assert "[[blank]]" not in review


def test_item_statistics_count_the_new_kinds(learner, course, quiz, attempt, rows):
    services.attempt_save(
        attempt=attempt,
        answers={rows["tendon"].pk: choice_id(rows["tendon"], "biceps femoris"), rows["relief"].pk: "38"},
    )
    services.attempt_submit(attempt=attempt)
    stats = {s.question_id: s for s in item_statistics(quiz)}
    tendon = stats[rows["tendon"].question_id]
    assert [(c.label, c.count) for c in tendon.choices] == [("semimembranosus", 0), ("biceps femoris", 1)]
    relief = stats[rows["relief"].question_id]
    assert relief.responses == 1 and relief.facility == Decimal("100.00")
    assert [(c.label, c.count) for c in relief.choices] == [("38", 1)]  # what was typed, counted
