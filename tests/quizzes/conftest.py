"""A small post-test: three modules, and a bank of five question kinds in two topics."""

from decimal import Decimal

import pytest

from modules.models import Enrollment, ModuleProgress
from modules.services import module_complete
from quizzes.grading import correct_response, key_from_snapshot
from quizzes.models import Choice, DrawRule, Question, Quiz
from tests.factories import EnrollmentFactory


def make_question(quiz, key, kind, topic="anatomy", choices=(), **fields):
    question = Question.objects.create(
        quiz=quiz,
        key=key,
        kind=kind,
        topic=topic,
        stem_markdown=fields.pop("stem", f"Stem of {key}?"),
        rationale_markdown=fields.pop("rationale", f"Because {key}."),
        reference="Degen (2019)",
        **fields,
    )
    for position, values in enumerate(choices, start=1):
        Choice.objects.create(question=question, position=position, **values)
    return question


def build_bank(quiz):
    make_question(
        quiz,
        "single",
        "single",
        choices=[{"text": "Right", "is_correct": True}, {"text": "Wrong"}, {"text": "No"}],
    )
    make_question(quiz, "tf", "true_false", choices=[{"text": "True", "is_correct": True}, {"text": "False"}])
    make_question(
        quiz,
        "multi",
        "multiple",
        topic="treatment",
        multiple_grading="partial",
        choices=[
            {"text": "A", "is_correct": True, "weight": Decimal(50)},
            {"text": "B", "is_correct": True, "weight": Decimal(50)},
            {"text": "C", "weight": Decimal(-50)},
        ],
    )
    make_question(
        quiz,
        "order",
        "ordering",
        topic="treatment",
        ordering_mode="absolute_position",
        choices=[
            {"text": "NSAIDs", "correct_position": 1},
            {"text": "Eccentric loading", "correct_position": 2},
            {"text": "Injection", "correct_position": 3},
            {"text": "Surgery", "correct_position": 4},
        ],
    )
    make_question(
        quiz,
        "match",
        "matching",
        topic="treatment",
        choices=[
            {"text": "Injection", "match_text": "Under 38% relieved at six months"},
            {"text": "Surgery", "match_text": "Semimembranosus most often the culprit"},
            {"match_text": "A distractor"},
        ],
    )


@pytest.fixture
def quiz(course):
    quiz = Quiz.objects.create(
        course=course, attempts_allowed=3, shuffle_questions=False, shuffle_choices=False
    )
    build_bank(quiz)
    return quiz


@pytest.fixture
def drawn_quiz(quiz):
    DrawRule.objects.create(quiz=quiz, position=1, topic="anatomy", count=1)
    DrawRule.objects.create(quiz=quiz, position=2, topic="treatment", count=2)
    return quiz


def complete_modules(user, course):
    enrollment = Enrollment.objects.filter(user=user, course=course).first() or EnrollmentFactory(
        user=user, course=course
    )
    for module in course.modules.order_by("position"):
        module_complete(enrollment=enrollment, module=module)
    return enrollment


@pytest.fixture
def ready_learner(learner, course, quiz):
    complete_modules(learner, course)
    assert ModuleProgress.objects.filter(completed_at__isnull=False).count() == course.modules.count()
    return learner


def correct_post(attempt):
    """POST data answering every question of `attempt` correctly, built from the frozen key."""
    data = {}
    for row in attempt.questions.all():
        key = row.key
        name = f"q{row.pk}"
        if key["kind"] in ("single", "true_false"):
            data[name] = key["correct_ids"][0]
        elif key["kind"] == "multiple":
            data[name] = list(key["correct_ids"])
        elif key["kind"] == "ordering":
            for position, item in enumerate(key["correct_order"], start=1):
                data[f"{name}-pos-{item}"] = str(position)
        elif key["kind"] == "matching":
            for prompt, answer in key["matches"].items():
                data[f"{name}-match-{prompt}"] = answer
        else:  # numerical, short answer, missing word: one value
            data[name] = correct_response(key_from_snapshot(key))
    return data


def wrong_post(attempt):
    """POST data answering every question wrongly (or not at all)."""
    data = {}
    for row in attempt.questions.all():
        key = row.key
        if key["kind"] in ("single", "true_false"):
            data[f"q{row.pk}"] = next(c for c in key["choice_ids"] if c not in key["correct_ids"])
    return data
