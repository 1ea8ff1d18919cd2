"""The hamstring course ships a post-test bank that meets the accreditation brief."""

from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

from quizzes import services
from quizzes.content import read_quiz_file
from quizzes.models import Quiz
from tests.quizzes.conftest import complete_modules

COURSE = Path(__file__).resolve().parents[2] / "content" / "proximal-hamstring-tendinopathy"


def test_bank_has_24_questions_balanced_by_topic_with_ordering_and_matching():
    spec = read_quiz_file(COURSE / "post-test.toml")
    topics = Counter(q.topic for q in spec.questions)
    assert len(spec.questions) >= 24
    assert topics["anatomy"] >= 8 and topics["physical-exam"] >= 8 and topics["treatment"] >= 8
    ordering = [q for q in spec.questions if q.kind == "ordering"]
    assert len(ordering) >= 3 and all(q.topic == "treatment" for q in ordering)
    assert sum(q.kind == "matching" for q in spec.questions) >= 2
    assert {q.kind for q in spec.questions} == {
        "single",
        "multiple",
        "true_false",
        "ordering",
        "matching",
        "numerical",
        "short_answer",
        "cloze",
    }
    new_kinds = Counter(q.kind for q in spec.questions if q.kind in ("numerical", "short_answer", "cloze"))
    assert min(new_kinds.values()) >= 2
    assert {q.blank_input for q in spec.questions if q.kind == "cloze"} == {"select", "text"}
    for question in spec.questions:
        assert question.rationale.strip() and question.reference.strip(), question.key
        assert any(
            source in question.rationale + question.reference for source in ("Degen", "Bates", "Pourcho")
        )
    assert sum(count for _, count in spec.draw) == 10


def test_treatment_ordering_puts_conservative_care_before_injection_and_surgery():
    spec = read_quiz_file(COURSE / "post-test.toml")
    for question in (q for q in spec.questions if q.kind == "ordering"):
        order = [c.text.lower() for c in sorted(question.choices, key=lambda c: c.correct_position)]
        surgery = next((i for i, text in enumerate(order) if "surg" in text), None)
        injection = next((i for i, text in enumerate(order) if "inject" in text), None)
        if surgery is not None:
            assert surgery == len(order) - 1, question.key
        if injection is not None and surgery is not None:
            assert injection < surgery, question.key


@pytest.mark.django_db
def test_an_attempt_on_the_shipped_course_draws_ten_questions(learner):
    call_command("load_course", str(COURSE), stdout=open("/dev/null", "w"))  # noqa: SIM115
    quiz = Quiz.objects.get(course__slug="proximal-hamstring-tendinopathy")
    complete_modules(learner, quiz.course)
    attempt = services.attempt_start(user=learner, quiz=quiz, all_modules_complete=True)
    assert attempt.questions.count() == 10
    assert Counter(attempt.questions.values_list("snapshot__topic", flat=True)) == {
        "anatomy": 3,
        "physical-exam": 3,
        "treatment": 4,
    }


def test_numerical_questions_rest_on_figures_the_course_teaches():
    spec = read_quiz_file(COURSE / "post-test.toml")
    taught = " ".join(path.read_text(encoding="utf-8") for path in COURSE.glob("0*.md"))
    for question in (q for q in spec.questions if q.kind == "numerical"):
        for choice in question.choices:
            figure = f"{choice.number.normalize():f}"
            assert figure in question.rationale, question.key
    assert "fewer than 38%" in taught and "Five tests" in taught
