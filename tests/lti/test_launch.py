from django.contrib.auth import get_user_model
from django.test import Client

from lti.models import Identity
from tests.conftest import PASSWORD


def test_first_launch_offers_a_new_account_and_creates_it_from_the_claims(client, lms, course):
    response = lms.launch(client)
    assert response.status_code == 302 and response["Location"] == "/lti/account/"
    page = client.get("/lti/account/")
    assert b"Welcome from Hospital LMS" in page.content
    response = client.post("/lti/account/", {"action": "create"})
    assert response.status_code == 302 and response["Location"] == f"/courses/{course.slug}/"
    identity = Identity.objects.get(platform=lms.registration, sub="lms-user-42")
    assert identity.user.email == "ally.lms@hospital.test"
    assert (identity.user.first_name, identity.user.last_name) == ("Ally", "Nguyen")
    assert identity.identity_confirmed_at is None and not identity.user.has_usable_password()
    assert int(client.session["_auth_user_id"]) == identity.user.pk


def test_returning_launch_signs_the_same_account_in_without_a_question(client, lms, course):
    lms.launch(client)
    client.post("/lti/account/", {"action": "create"})
    client.logout()
    response = lms.launch(client)
    assert response.status_code == 302 and response["Location"] == f"/courses/{course.slug}/"
    assert get_user_model().objects.filter(email="ally.lms@hospital.test").count() == 1
    assert int(client.session["_auth_user_id"]) == Identity.objects.get().user.pk


def test_a_nurse_links_her_existing_account_once_with_her_password(
    client, lms, course, learner, other_learner
):
    lms.launch(client)
    wrong = client.post("/lti/account/", {"action": "link", "email": learner.email, "password": "nope"})
    assert wrong.status_code == 400 and b"do not match" in wrong.content
    response = client.post("/lti/account/", {"action": "link", "email": learner.email, "password": PASSWORD})
    assert response.status_code == 302
    identity = Identity.objects.get()
    assert identity.user == learner and identity.identity_confirmed_at is not None
    # A second LMS user cannot take the same account.
    client.logout()
    lms.launch(client, sub="lms-user-99")
    again = client.post("/lti/account/", {"action": "link", "email": learner.email, "password": PASSWORD})
    assert again.status_code == 400 and b"linked to another user" in again.content
    assert Identity.objects.count() == 1


def test_launch_pages_may_be_framed_only_by_the_registered_platform(client, lms, course):
    lms.launch(client)
    response = client.post("/lti/account/", {"action": "create"})
    page = client.get(response["Location"])
    assert "frame-ancestors https://lms.hospital.test" in page["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers
    other = client.get("/")  # a session without a launch keeps the site's policy
    client.logout()
    assert "frame-ancestors 'none'" in client.get("/").headers["Content-Security-Policy"]
    assert other.status_code == 200


def test_the_login_step_in_a_frame_checks_cookies_and_offers_a_new_window(client, lms):
    response = client.post(
        "/lti/login/",
        {"iss": lms.issuer, "login_hint": "h", "client_id": lms.client_id, "target_link_uri": "x"},
    )
    assert response.status_code == 200
    assert b'id="lti-new-window"' in response.content and b"lti1p3_new_window=1" in response.content
    assert "frame-ancestors https://lms.hospital.test" in response["Content-Security-Policy"]


def test_over_https_the_lti_sessions_cookies_are_sent_samesite_none_so_they_survive_the_frame(
    client, lms, course, learner
):
    lms.launch(client)
    response = client.post("/lti/account/", {"action": "create"}, secure=True)
    session_cookie = response.cookies["sessionid"]
    assert session_cookie["samesite"] == "None" and session_cookie["secure"]
    # A sign-in that did not come from an LMS keeps the site's Lax cookie.
    other = Client()
    signed_in = other.post("/accounts/login/", {"username": learner.email, "password": PASSWORD}, secure=True)
    assert signed_in.cookies["sessionid"]["samesite"] == "Lax"


def test_a_new_account_is_refused_when_the_lms_email_belongs_to_an_account_here(client, lms, course, learner):
    lms.launch(client, email=learner.email)
    response = client.post("/lti/account/", {"action": "create"})
    assert response.status_code == 400 and b"link it with its password" in response.content
    assert not Identity.objects.exists()
    assert get_user_model().objects.filter(email__iexact=learner.email).count() == 1
