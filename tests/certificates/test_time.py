"""Honest time: the attestation suggests the tracked minutes and never more, and the shipped course
asks for a minimum study time, so minutes of clicking earn no contact hour."""

import re
import tomllib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from certificates import services
from certificates.models import Attestation, Certificate
from modules.models import Course, ModuleProgress
from quizzes.models import Quiz
from tests.certificates.conftest import EVALUATION, pass_post_test
from tests.factories import EnrollmentFactory
from tests.quizzes.conftest import complete_modules

pytestmark = pytest.mark.django_db

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "proximal-hamstring-tendinopathy"


def prefilled_minutes(client, course):
    page = client.get(reverse("certificate", args=[course.slug])).text
    tag = re.search(r'<input[^>]*name="minutes"[^>]*>', page).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1)


def test_no_minutes_are_suggested_when_none_were_tracked(client, passed_learner, course):
    services.evaluation_submit(user=passed_learner, course=course, **EVALUATION)
    client.force_login(passed_learner)
    assert prefilled_minutes(client, course) == ""
    assert "We tracked 0 minutes" in client.get(reverse("certificate", args=[course.slug])).text


def test_attestation_is_prefilled_with_the_tracked_minutes(client, passed_learner, course):
    ModuleProgress.objects.update(seconds_spent=250)  # 3 x 250 s = 12.5 minutes: 12 whole minutes
    services.evaluation_submit(user=passed_learner, course=course, **EVALUATION)
    client.force_login(passed_learner)
    assert prefilled_minutes(client, course) == "12"


def test_a_nurse_may_attest_more_than_was_tracked_and_both_are_kept(client, passed_learner, course):
    ModuleProgress.objects.update(seconds_spent=250)
    services.evaluation_submit(user=passed_learner, course=course, **EVALUATION)
    client.force_login(passed_learner)
    url = reverse("certificate", args=[course.slug])
    response = client.post(url, {"action": "attest", "minutes": "45", "confirm": "on"})
    assert response.status_code == 302
    attestation = Attestation.objects.get()
    assert (attestation.minutes_tracked, attestation.minutes_attested) == (12, 45)


def test_a_nurse_may_attest_less_than_was_tracked(passed_learner, course):
    ModuleProgress.objects.update(seconds_spent=20 * 60)
    services.evaluation_submit(user=passed_learner, course=course, **EVALUATION)
    attestation = services.attestation_submit(user=passed_learner, course=course, minutes=30)
    assert (attestation.minutes_tracked, attestation.minutes_attested) == (60, 30)


def test_shipped_course_asks_for_half_its_estimated_reading_time():
    call_command("load_course", str(SHIPPED), stdout=StringIO())
    course = Course.objects.get(slug="proximal-hamstring-tendinopathy")
    spec = tomllib.loads((SHIPPED / "course.toml").read_text())
    reading = sum(module["estimated_minutes"] for module in spec["modules"])
    assert reading == 52
    assert course.minimum_minutes == reading // 2 == 26


def test_zero_tracked_minutes_earn_no_certificate_of_the_shipped_course(learner):
    call_command("load_course", str(SHIPPED), stdout=StringIO())
    course = Course.objects.get(slug="proximal-hamstring-tendinopathy")
    EnrollmentFactory(user=learner, course=course)
    complete_modules(learner, course)  # every module marked complete in the same instant
    assert pass_post_test(learner, Quiz.objects.get(course=course)).passed
    services.evaluation_submit(user=learner, course=course, **EVALUATION)
    with pytest.raises(services.CertificateError, match="26 more minutes"):
        services.attestation_submit(user=learner, course=course, minutes=60)
    with pytest.raises(services.CertificateError, match="Study at least 26 minutes"):
        services.certificate_issue(user=learner, course=course)
    assert not Certificate.objects.exists()
