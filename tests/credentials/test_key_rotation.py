"""Key rotation: the new key signs from then on; what the old key signed still verifies."""

import base64
import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from certificates import services, signing_keys
from tests.certificates.conftest import EVALUATION
from tests.credentials.conftest import NotVerified, published_jwks, verify_vc_jwt

pytestmark = pytest.mark.django_db


def header_kid(token):
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"]


def rotate_after_one_credential(user, course):
    """Key 1 from two hours ago signs a credential an hour ago; key 2 takes over half an hour ago."""
    now = timezone.now()
    first = signing_keys.create_signing_key(
        common_name="Provider 2025", development=False, now=now - timedelta(hours=2)
    )
    services.evaluation_submit(user=user, course=course, **EVALUATION)
    services.attestation_submit(user=user, course=course, minutes=60)
    credential = services.certificate_issue(user=user, course=course, now=now - timedelta(hours=1)).credential
    second = signing_keys.create_signing_key(
        common_name="Provider 2026", development=False, now=now - timedelta(minutes=30)
    )
    return first, credential, second


def test_a_rotated_out_key_still_verifies_its_credentials_and_new_ones_use_the_new_key(
    client, settings, tmp_path, passed_learner, course, board
):
    settings.CE_SIGNING_KEY_DIR = str(tmp_path)
    first, old_credential, second = rotate_after_one_credential(passed_learner, course)
    assert old_credential.key_id == first.kid
    new_credential = services.certificate_reissue(
        certificate=old_credential.certificate, reason="Re-issued after rotation", by=board
    ).credential

    assert new_credential.key_id == second.kid != first.kid
    jwks = published_jwks(client)
    assert verify_vc_jwt(old_credential.jws, jwks)["id"] == f"urn:uuid:{old_credential.credential_id}"
    assert verify_vc_jwt(new_credential.jws, jwks)["id"] == f"urn:uuid:{new_credential.credential_id}"
    assert header_kid(old_credential.jws) != header_kid(new_credential.jws)

    # The retired key's validity shows: when it started and when the next key took over.
    by_kid = {key["kid"]: key for key in jwks["keys"]}
    retired, current = by_kid[header_kid(old_credential.jws)], by_kid[header_kid(new_credential.jws)]
    assert current["retired_at"] is None
    assert datetime.fromisoformat(retired["retired_at"]) == second.not_before
    assert datetime.fromisoformat(retired["valid_from"]) == first.not_before
    assert datetime.fromisoformat(retired["valid_from"]) < datetime.fromisoformat(retired["retired_at"])
    assert [key["kid"] for key in jwks["keys"]] == [
        header_kid(new_credential.jws),
        header_kid(old_credential.jws),
    ]


def test_a_key_no_longer_published_does_not_verify(client, settings, tmp_path, issued_credential):
    # The provider's key set without the key that signed: the verifier finds no key for the kid.
    settings.CE_SIGNING_KEY_DIR = str(tmp_path)
    signing_keys.create_signing_key(common_name="Another provider", development=False)
    with pytest.raises(NotVerified, match="no published key"):
        verify_vc_jwt(issued_credential.jws, published_jwks(client))


def test_a_token_signed_with_the_retired_key_after_its_retirement_is_refused(
    client, settings, tmp_path, passed_learner, course
):
    # Someone holding the old private key signs a new credential after the rotation: the key is
    # still published (for its old credentials), and its validity says it was no longer in service.
    from credentials import addresses, jose

    settings.CE_SIGNING_KEY_DIR = str(tmp_path)
    old_key, credential, new_key = rotate_after_one_credential(passed_learner, course)
    forged = jose.sign(
        json.loads(credential.document),
        signing_key=old_key,
        key_url=addresses.key_url(old_key.kid),
        signed_at=new_key.not_before + timedelta(minutes=1),
    )
    jwks = published_jwks(client)
    verify_vc_jwt(credential.jws, jwks)
    with pytest.raises(NotVerified, match="retired"):
        verify_vc_jwt(forged, jwks)
