"""Every stage of the completion rule holds on its own: a learner who has done everything except one
stage gets no certificate, from the services or through the pages.

Each test builds the other stages' rows directly (as a bug elsewhere, an import or an admin edit
could leave them), so that it fails when that one stage's check is removed from every place that
enforces it (the services, the completion rule's steps, the views).
"""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from certificates import services
from certificates.models import Attestation, Certificate, Evaluation
from modules.models import ModuleProgress
from modules.services import module_complete
from quizzes import services as quiz_services
from quizzes.models import Attempt
from tests.certificates.conftest import EVALUATION, pass_post_test
from tests.factories import EnrollmentFactory
from tests.quizzes.conftest import wrong_post

pytestmark = pytest.mark.django_db

STAGES = ("modules", "post_test", "evaluation", "attestation")


def everything_but(learner, course, quiz, missing, *, tracked_minutes=60):
    """The learner with every stage done except `missing` (or all of them when it is None)."""
    enrollment = EnrollmentFactory(user=learner, course=course)
    modules = list(course.modules.order_by("position"))
    for module in modules if missing != "modules" else modules[:-1]:
        module_complete(enrollment=enrollment, module=module)
    ModuleProgress.objects.filter(enrollment=enrollment).update(seconds_spent=tracked_minutes * 60 // 3)
    if missing != "post_test":
        assert pass_post_test(learner, quiz).passed  # starts with all_modules_complete=True, as a bug would
    if missing != "evaluation":
        Evaluation.objects.create(enrollment=enrollment, submitted_at=timezone.now(), **EVALUATION)
    if missing != "attestation":
        Attestation.objects.create(
            enrollment=enrollment,
            minutes_attested=tracked_minutes,
            minutes_tracked=tracked_minutes,
            attested_at=timezone.now(),
        )
    return enrollment


MESSAGES = {
    "modules": "Complete every module",
    "post_test": "post-test",
    "evaluation": "Complete the evaluation",
    "attestation": "Attest the time",
}


@pytest.mark.parametrize("missing", STAGES)
def test_the_service_issues_nothing_while_one_stage_is_missing(learner, course, post_test, missing):
    everything_but(learner, course, post_test, missing)
    with pytest.raises(services.CertificateError, match=MESSAGES[missing]):
        services.certificate_issue(user=learner, course=course)
    assert not Certificate.objects.exists()


@pytest.mark.parametrize("missing", STAGES)
def test_claiming_through_the_page_issues_nothing_while_one_stage_is_missing(
    client, learner, course, post_test, missing
):
    everything_but(learner, course, post_test, missing)
    client.force_login(learner)
    response = client.post(reverse("certificate", args=[course.slug]), {"action": "claim"})
    assert response.status_code == 302
    assert not Certificate.objects.exists()
    assert any(MESSAGES[missing] in str(m) for m in get_messages(response.wsgi_request))


def test_with_every_stage_done_the_same_learner_is_issued_a_certificate(learner, course, post_test):
    """The control for the tests above: their arrangement alone does not block a certificate."""
    everything_but(learner, course, post_test, None)
    assert services.certificate_issue(user=learner, course=course).is_live


@pytest.mark.parametrize("missing", ["modules", "post_test"])
def test_no_evaluation_before_the_modules_and_the_post_test(client, learner, course, post_test, missing):
    everything_but(learner, course, post_test, missing)
    Evaluation.objects.all().delete()
    with pytest.raises(services.CertificateError):
        services.evaluation_submit(user=learner, course=course, **EVALUATION)
    client.force_login(learner)
    form = {"objective_0": "5", "evidence_based": "yes", "free_of_bias": "yes", "intended_change": "More."}
    client.post(reverse("evaluation", args=[course.slug]), form)
    assert not Evaluation.objects.exists()


def test_no_attestation_before_the_evaluation(client, learner, course, post_test):
    everything_but(learner, course, post_test, "evaluation")
    Attestation.objects.all().delete()
    with pytest.raises(services.CertificateError, match="Complete the evaluation"):
        services.attestation_submit(user=learner, course=course, minutes=60)
    client.force_login(learner)
    client.post(
        reverse("certificate", args=[course.slug]), {"action": "attest", "minutes": "60", "confirm": "on"}
    )
    assert not Attestation.objects.exists()
    assert not Certificate.objects.exists()


def test_below_the_minimum_time_nothing_is_attested_or_issued(client, learner, course, post_test):
    course.minimum_minutes = 30
    course.save()
    everything_but(learner, course, post_test, None, tracked_minutes=12)  # an attestation slipped in
    with pytest.raises(services.CertificateError, match="Study at least 30 minutes"):
        services.certificate_issue(user=learner, course=course)
    client.force_login(learner)
    client.post(reverse("certificate", args=[course.slug]), {"action": "claim"})
    assert not Certificate.objects.exists()

    Attestation.objects.all().delete()
    with pytest.raises(services.CertificateError, match="18 more minutes"):
        services.attestation_submit(user=learner, course=course, minutes=30)
    client.post(
        reverse("certificate", args=[course.slug]), {"action": "attest", "minutes": "30", "confirm": "on"}
    )
    assert not Attestation.objects.exists()


def test_the_attempt_limit_holds_in_the_service_and_on_the_page(client, learner, course, post_test):
    post_test.attempts_allowed = 2
    post_test.save()
    everything_but(learner, course, post_test, "post_test")
    client.force_login(learner)
    url = reverse("post_test", args=[course.slug])
    for number in (1, 2):
        assert client.post(url).status_code == 302
        attempt = Attempt.objects.get(user=learner, number=number)
        client.post(reverse("attempt_detail", args=[course.slug, number]), wrong_post(attempt))
        client.post(reverse("attempt_submit", args=[course.slug, number]))
    assert not Attempt.objects.filter(passed=True).exists()

    with pytest.raises(quiz_services.PostTestError, match="used every attempt"):
        quiz_services.attempt_start(user=learner, quiz=post_test, all_modules_complete=True)
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == url
    assert Attempt.objects.count() == 2
