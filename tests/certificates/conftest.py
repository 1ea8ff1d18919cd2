"""A learner who has passed the post-test, ready for the evaluation, attestation and certificate."""

import pytest

from certificates import services
from quizzes import services as quiz_services
from quizzes.grading import correct_response, key_from_snapshot
from quizzes.models import Quiz
from tests.quizzes.conftest import build_bank, complete_modules

EVALUATION = {
    "objective_ratings": [{"objective": "Describe the thing.", "rating": 5}],
    "evidence_based": True,
    "free_of_bias": True,
    "bias_comment": "",
    "intended_change": "Add proximal hamstring tendinopathy to my differential for buttock pain.",
    "comments": "",
}


def pass_post_test(user, quiz):
    attempt = quiz_services.attempt_start(user=user, quiz=quiz, all_modules_complete=True)
    answers = {}
    for row in attempt.questions.all():
        answers[row.pk] = correct_response(key_from_snapshot(row.key))
    quiz_services.attempt_save(attempt=attempt, answers=answers)
    return quiz_services.attempt_submit(attempt=attempt)


@pytest.fixture
def post_test(course):
    quiz = Quiz.objects.create(course=course, shuffle_questions=False)
    build_bank(quiz)
    return quiz


@pytest.fixture
def passed_learner(learner, course, post_test):
    complete_modules(learner, course)
    assert pass_post_test(learner, post_test).passed
    return learner


def finish_course(user, course):
    services.evaluation_submit(user=user, course=course, **EVALUATION)
    services.attestation_submit(user=user, course=course, minutes=60)
    return services.certificate_issue(user=user, course=course)


@pytest.fixture
def certificate(passed_learner, course):
    return finish_course(passed_learner, course)
