"""Key rotation: the new key signs from then on; what the old key signed still verifies."""

import base64
import json
from datetime import datetime

import pytest

from certificates import services, signing_keys
from tests.certificates.conftest import finish_course
from tests.credentials.conftest import published_jwks, verify_vc_jwt

pytestmark = pytest.mark.django_db


def header_kid(token):
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"]


def test_a_rotated_out_key_still_verifies_its_credentials_and_new_ones_use_the_new_key(
    client, settings, tmp_path, passed_learner, course, board
):
    settings.CE_SIGNING_KEY_DIR = str(tmp_path)
    first = signing_keys.create_signing_key(common_name="Provider 2025", development=False)
    old_credential = finish_course(passed_learner, course).credential
    assert old_credential.key_id == first.kid

    second = signing_keys.create_signing_key(common_name="Provider 2026", development=False)
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
    from tests.credentials.conftest import NotVerified

    with pytest.raises(NotVerified, match="no published key"):
        verify_vc_jwt(issued_credential.jws, published_jwks(client))
