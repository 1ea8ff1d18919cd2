"""The dashboard (plain-SQL reads) names the same next step as the completion rule, at every stage."""

import pytest
from django.urls import reverse

from certificates import services
from modules.selectors import course_progress
from tests.certificates.conftest import EVALUATION, pass_post_test
from tests.factories import EnrollmentFactory
from tests.quizzes.conftest import complete_modules

pytestmark = pytest.mark.django_db


def next_step_on_dashboard(client):
    page = client.get(reverse("dashboard")).text
    if "All steps complete." in page:
        return None
    return page.split("Next step: ", 1)[1].split("</p>", 1)[0]


def next_step_of_the_rule(user, course):
    step = course_progress(user=user, course=course).current_step
    return step.label if step else None


def test_dashboard_and_completion_rule_agree_from_enrolment_to_certificate(
    client, learner, course, post_test
):
    client.force_login(learner)
    stages = []

    def check():
        shown = next_step_on_dashboard(client)
        assert shown == next_step_of_the_rule(learner, course)
        stages.append(shown)

    EnrollmentFactory(user=learner, course=course)
    check()
    complete_modules(learner, course)
    check()
    assert pass_post_test(learner, post_test).passed
    check()
    services.evaluation_submit(user=learner, course=course, **EVALUATION)
    check()
    services.attestation_submit(user=learner, course=course, minutes=60)
    check()
    services.certificate_issue(user=learner, course=course)
    check()
    assert stages == [
        "Complete every module",
        "Take the post-test",
        "Complete the evaluation",
        "Attest the time you spent",
        "Claim your certificate",
        None,
    ]


def test_dashboard_shows_an_open_attempt_and_a_failed_one_with_attempts_left(
    client, learner, course, post_test
):
    from quizzes import services as quiz_services

    client.force_login(learner)
    complete_modules(learner, course)
    attempt = quiz_services.attempt_start(user=learner, quiz=post_test, all_modules_complete=True)
    assert next_step_on_dashboard(client) == "Finish your post-test attempt"
    quiz_services.attempt_submit(attempt=attempt)  # nothing answered: a fail
    assert next_step_on_dashboard(client) == "Pass the post-test (you have attempts left)"
