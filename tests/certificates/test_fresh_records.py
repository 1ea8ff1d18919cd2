"""A certificate is a legal record: it prints the learner, her licenses and the course as the
database holds them at the moment of issue, never a copy a view or a cache kept."""

import io
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import License
from certificates import services
from certificates.models import Certificate
from modules.models import Course
from tests.certificates.conftest import EVALUATION

pytestmark = pytest.mark.django_db


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(content))).pages)


def ready_to_claim(user, course):
    services.evaluation_submit(user=user, course=course, **EVALUATION)
    services.attestation_submit(user=user, course=course, minutes=20)


def rename_everything(user, course):
    """Change the name, credentials, license and course the way the profile and the admin save them."""
    fresh_user = type(user).objects.get(pk=user.pk)
    fresh_user.first_name, fresh_user.last_name, fresh_user.credentials = "Alicia", "Renamed", "MSN, RN"
    fresh_user.save()
    license = License.objects.get(user=user)
    license.number = "RN7777777"
    license.save()
    fresh_course = Course.objects.get(pk=course.pk)
    fresh_course.title = "A retitled course"
    fresh_course.provider.legal_name = "Renamed Provider"
    fresh_course.provider.save()
    fresh_course.contact_hours = Decimal("1.25")
    fresh_course.save()


def assert_prints_the_new_values(certificate):
    text = pdf_text(certificate.pdf)
    for expected in (
        "Alicia Renamed",
        "MSN, RN",
        "RN7777777",
        "A retitled course",
        "Renamed Provider",
        "1.25",
    ):
        assert expected in text, expected
    for stale in ("Alice Nguyen", "RN1234567", "Hamstring course"):
        assert stale not in text, stale
    assert certificate.learner_name == "Alicia Renamed" and certificate.course_title == "A retitled course"
    assert certificate.contact_hours == Decimal("1.25")


def test_issue_prints_the_database_rows_not_the_stale_objects_it_was_given(passed_learner, course):
    ready_to_claim(passed_learner, course)
    stale_user = type(passed_learner).objects.get(pk=passed_learner.pk)
    stale_course = Course.objects.get(pk=course.pk)
    rename_everything(passed_learner, course)

    certificate = services.certificate_issue(user=stale_user, course=stale_course)

    assert_prints_the_new_values(certificate)


def test_claim_through_the_page_prints_a_rename_made_a_moment_before(client, passed_learner, course):
    ready_to_claim(passed_learner, course)
    client.force_login(passed_learner)
    url = reverse("certificate", args=[course.slug])
    assert client.get(url).status_code == 200  # warms the cached user and the worker's course copy
    stale_course = Course.objects.get(pk=course.pk)
    response = client.post(
        reverse("profile"), {"first_name": "Alicia", "last_name": "Renamed", "credentials": "MSN, RN"}
    )
    assert response.status_code == 302
    license = License.objects.get(user=passed_learner)
    client.post(
        reverse("license_edit", args=[license.pk]),
        {"profession": license.profession, "state": license.state, "number": "RN7777777", "is_primary": "on"},
    )
    assert License.objects.get(pk=license.pk).number == "RN7777777"
    rename_everything(passed_learner, course)

    # The view is handed the copy of the course it held before the change, as a worker's memo would.
    with mock.patch("certificates.views.course_for_learner", return_value=stale_course):
        assert client.post(url, {"action": "claim"}).status_code == 302

    assert_prints_the_new_values(Certificate.objects.get(user=passed_learner))


def test_reissue_prints_the_database_rows_not_the_stale_objects_it_was_given(
    client, certificate, passed_learner, course, board
):
    stale = Certificate.objects.select_related("user", "course").get(pk=certificate.pk)
    rename_everything(passed_learner, course)

    new = services.certificate_reissue(certificate=stale, reason="Legal name changed", by=board)

    assert_prints_the_new_values(new)
    assert new.completion_date == certificate.completion_date
