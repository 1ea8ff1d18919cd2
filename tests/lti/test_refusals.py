"""Every refused launch: a 4xx page that names what failed, no stack trace, and an audit row."""

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from ce_course.models import AuditEvent
from lti.models import Identity


def assert_refused(response, code, words, status=None):
    assert 400 <= response.status_code < 500
    if status:
        assert response.status_code == status
    text = response.content.decode()
    assert words in text and f"<code>{code}</code>" in text
    assert "Traceback" not in text
    event = AuditEvent.objects.filter(action="lti.launch_refused").latest("pk")
    assert event.data["reason"] == code
    assert not Identity.objects.exists()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_a_token_signed_by_another_key_is_refused(client, lms, course):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = lms.launch(client, key=stranger)
    assert_refused(response, "bad_signature", "signature does not match", status=403)


def test_a_token_for_another_tool_is_refused(client, lms, course):
    response = lms.launch(client, body_changes={"aud": "some-other-tool"})
    assert_refused(response, "wrong_audience", "issued for another tool", status=403)


def test_a_token_from_an_unknown_issuer_is_refused(client, lms, course):
    state, nonce = lms.login_step(client)
    body = lms.claims(nonce=nonce, iss="https://unknown-lms.test")
    response = client.post("/lti/launch/", {"id_token": lms.sign(body), "state": state})
    assert_refused(response, "unknown_issuer", "not registered here", status=403)
    # The issuer the unverified token claims is kept for the LMS admin (never trusted otherwise).
    assert AuditEvent.objects.get(action="lti.launch_refused").data["issuer"] == "https://unknown-lms.test"


def test_the_login_step_from_an_unknown_issuer_is_refused(client, lms):
    response = client.post("/lti/login/", {"iss": "https://unknown-lms.test", "login_hint": "h"})
    assert_refused(response, "unknown_issuer", "not registered here", status=403)


def test_an_unknown_deployment_is_refused(client, lms, course):
    response = lms.launch(
        client, body_changes={"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "dep-9"}
    )
    assert_refused(response, "unknown_deployment", "deployment that is not registered", status=403)


def test_an_expired_token_is_refused(client, lms, course):
    past = int(time.time()) - 3600
    response = lms.launch(client, body_changes={"exp": past, "iat": past - 300})
    assert_refused(response, "expired", "has expired", status=400)


def test_a_replayed_token_is_refused(client, lms, course):
    state, nonce = lms.login_step(client)
    token = lms.sign(lms.claims(nonce=nonce))
    first = client.post("/lti/launch/", {"id_token": token, "state": state})
    assert first.status_code == 302
    client.logout()
    Identity.objects.all().delete()
    again = client.post("/lti/launch/", {"id_token": token, "state": state})
    assert_refused(again, "replayed_nonce", "used already", status=400)


def test_a_nonce_the_tool_never_issued_is_refused(client, lms, course):
    state, _ = lms.login_step(client)
    response = client.post(
        "/lti/launch/", {"id_token": lms.sign(lms.claims(nonce="made-up")), "state": state}
    )
    assert_refused(response, "unknown_nonce", "not issued by this site", status=400)


@pytest.mark.parametrize(
    "claim",
    [
        "sub",
        "exp",
        "iat",
        "https://purl.imsglobal.org/spec/lti/claim/version",
        "https://purl.imsglobal.org/spec/lti/claim/roles",
        "https://purl.imsglobal.org/spec/lti/claim/resource_link",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id",
    ],
)
def test_a_token_missing_a_required_claim_is_refused(client, lms, course, claim):
    response = lms.launch(client, drop=[claim])
    assert_refused(response, "missing_claim", "lacks a claim", status=400)


def test_a_launch_without_the_login_state_is_refused(client, lms, course):
    _, nonce = lms.login_step(client)
    response = client.post(
        "/lti/launch/", {"id_token": lms.sign(lms.claims(nonce=nonce)), "state": "state-forged"}
    )
    assert_refused(response, "state_not_found", "new window", status=400)


def test_a_launch_for_an_unknown_course_is_refused(client, lms, course):
    response = lms.launch(
        client, body_changes={"https://purl.imsglobal.org/spec/lti/claim/custom": {"course": "nope"}}
    )
    assert_refused(response, "unknown_course", "does not name a course", status=400)


def test_the_nonce_cleanup_forgets_only_nonces_older_than_any_token(lms):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from lti.models import UsedNonce

    old = UsedNonce.objects.create(platform=lms.registration, nonce="old")
    UsedNonce.objects.filter(pk=old.pk).update(used_at=timezone.now() - timedelta(days=3))
    UsedNonce.objects.create(platform=lms.registration, nonce="recent")
    call_command("lti_nonces_cleanup")
    assert list(UsedNonce.objects.values_list("nonce", flat=True)) == ["recent"]


def test_a_site_without_its_lti_key_says_so_instead_of_failing(client, lms, settings, tmp_path):
    settings.LTI_KEY_DIR = str(tmp_path / "empty")
    response = client.post(
        "/lti/login/",
        {"iss": lms.issuer, "login_hint": "h", "client_id": lms.client_id, "lti1p3_new_window": "1"},
    )
    assert response.status_code == 503
    assert b"lti_keys --create" in response.content and b"Traceback" not in response.content
    assert AuditEvent.objects.get(action="lti.launch_refused").data["reason"] == "tool_keys_missing"
