"""The first-launch account page: who may be linked or signed in by an LMS, and its edge cases."""

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.urls import reverse

from ce_course.models import AuditEvent
from lti.models import Identity
from tests.conftest import PASSWORD


def refusal_reasons():
    return [event.data["reason"] for event in AuditEvent.objects.filter(action="lti.launch_refused")]


@pytest.mark.parametrize("persona", ["author", "admin_user", "board"])
def test_staff_administrator_and_board_accounts_cannot_be_linked_to_an_lms_user(
    client, lms, course, persona, request
):
    user = request.getfixturevalue(persona)
    lms.launch(client)
    response = client.post("/lti/account/", {"action": "link", "email": user.email, "password": PASSWORD})
    assert response.status_code == 403 and b"privileged_account" in response.content
    assert b"cannot be signed in from an LMS" in response.content
    assert not Identity.objects.exists()
    assert SESSION_KEY not in client.session and "lti_pending" not in client.session
    assert refusal_reasons() == ["privileged_account"]


def test_a_linked_account_that_became_staff_is_no_longer_signed_in_by_a_launch(client, lms, course, learner):
    lms.launch(client)
    client.post("/lti/account/", {"action": "link", "email": learner.email, "password": PASSWORD})
    client.logout()
    learner.is_staff = True
    learner.save(update_fields=["is_staff"])
    response = lms.launch(client)
    assert response.status_code == 403 and b"privileged_account" in response.content
    assert SESSION_KEY not in client.session and "lti_platform_id" not in client.session
    assert refusal_reasons() == ["privileged_account"]


def test_the_account_page_refuses_clearly_when_the_platform_was_deactivated_after_the_launch(
    client, lms, course
):
    lms.launch(client)
    lms.registration.is_active = False
    lms.registration.save(update_fields=["is_active"])
    page = client.get("/lti/account/")
    assert page.status_code == 400 and b"LMS was disconnected" in page.content
    created = client.post("/lti/account/", {"action": "create"})
    assert created.status_code == 400 and not Identity.objects.exists()


def test_a_create_that_loses_the_race_to_a_double_submit_shows_a_clear_page(client, lms, course):
    lms.launch(client)
    # The first of two "Continue" clicks committed between the second's email check and its insert:
    # the LMS user is taken (a different email, so the check above cannot see it).
    winner = get_user_model().objects.create_user(email="first.click@hospital.test")
    Identity.objects.create(platform=lms.registration, sub="lms-user-42", user=winner, created_account=True)
    response = client.post("/lti/account/", {"action": "create"})
    assert response.status_code == 400 and b"just created by another request" in response.content
    assert not get_user_model().objects.filter(email="ally.lms@hospital.test").exists()
    assert Identity.objects.count() == 1


def test_the_link_form_is_held_to_the_sites_per_address_failure_limit(client, lms, course, learner, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):  # failures on three other accounts from this address (the test client's)
        client.post(reverse("login"), {"username": f"nurse{n}@example.com", "password": "wrong"})
    lms.launch(client)
    response = client.post("/lti/account/", {"action": "link", "email": learner.email, "password": PASSWORD})
    assert response.status_code == 429
    assert not Identity.objects.exists() and SESSION_KEY not in client.session
