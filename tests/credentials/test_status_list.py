"""Revocation a verifier can check: the published Bitstring Status List, its bits and its caching."""

import json
from unittest import mock

import pytest
from django.urls import reverse

from certificates import services
from credentials.models import Credential
from tests.credentials.conftest import published_jwks, revoked_per_status_list, verify_vc_jwt

pytestmark = pytest.mark.django_db


def status_path(credential):
    return reverse("credentials_status_list", args=[credential.status_list_id])


def test_revoking_a_certificate_sets_its_bit_in_the_published_list(client, issued_credential, board):
    document = json.loads(issued_credential.document)
    assert revoked_per_status_list(client, document) is False
    services.certificate_revoke(certificate=issued_credential.certificate, reason="Wrong hours", by=board)
    assert revoked_per_status_list(client, document) is True
    # The credential itself still verifies: it was valid when issued; its status says revoked.
    verify_vc_jwt(issued_credential.jws, published_jwks(client))


def test_a_failing_revoke_leaves_the_bit_unset(client, issued_credential, board):
    with (
        mock.patch("certificates.services.audit_record", side_effect=RuntimeError("audit table down")),
        pytest.raises(RuntimeError),
    ):
        services.certificate_revoke(certificate=issued_credential.certificate, reason="Wrong hours", by=board)
    issued_credential.refresh_from_db()
    assert issued_credential.revoked_at is None
    assert revoked_per_status_list(client, json.loads(issued_credential.document)) is False


def test_reissue_revokes_the_old_credential_and_issues_a_new_one(client, issued_credential, board):
    old_certificate = issued_credential.certificate
    new_certificate = services.certificate_reissue(
        certificate=old_certificate, reason="Name corrected", by=board
    )
    new_credential = new_certificate.credential
    assert new_credential.pk != issued_credential.pk
    assert new_credential.credential_id != issued_credential.credential_id
    assert (new_credential.status_list_id, new_credential.status_index) != (
        issued_credential.status_list_id,
        issued_credential.status_index,
    )
    assert revoked_per_status_list(client, json.loads(issued_credential.document)) is True
    assert revoked_per_status_list(client, json.loads(new_credential.document)) is False
    assert Credential.objects.count() == 2


def test_no_two_credentials_share_a_bit(issued_credential, board):
    from django.db import IntegrityError, transaction

    new = services.certificate_reissue(
        certificate=issued_credential.certificate, reason="Fix", by=board
    ).credential
    with pytest.raises(IntegrityError), transaction.atomic():
        Credential.objects.filter(pk=new.pk).update(
            status_list=issued_credential.status_list, status_index=issued_credential.status_index
        )


def test_status_list_is_served_with_caching_headers_and_answers_conditional_requests(
    client, issued_credential, board
):
    response = client.get(status_path(issued_credential))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+jwt"
    assert "max-age=" in response["Cache-Control"] and "public" in response["Cache-Control"]
    etag, last_modified = response["ETag"], response["Last-Modified"]
    assert etag.startswith('"') and last_modified.endswith("GMT")
    assert client.get(status_path(issued_credential), HTTP_IF_NONE_MATCH=etag).status_code == 304
    # The same list again: the same bytes (the ETag is honest).
    assert client.get(status_path(issued_credential)).content == response.content

    services.certificate_revoke(certificate=issued_credential.certificate, reason="Wrong hours", by=board)
    after = client.get(status_path(issued_credential), HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200 and after["ETag"] != etag


def test_unknown_status_list_is_404_and_post_is_refused(client, issued_credential):
    assert client.get(reverse("credentials_status_list", args=[999999])).status_code == 404
    assert client.post(status_path(issued_credential)).status_code == 405


def test_certificates_without_a_credential_get_one_and_a_revoked_one_is_revoked_in_the_list(
    client, issued_credential, board
):
    from django.core.management import call_command

    certificate = issued_credential.certificate
    services.certificate_revoke(certificate=certificate, reason="Wrong hours", by=board)
    Credential.objects.all().delete()  # as before credentials existed
    call_command("issue_missing_credentials", stdout=__import__("io").StringIO())
    call_command("issue_missing_credentials", stdout=__import__("io").StringIO())  # again: nothing new
    (credential,) = Credential.objects.all()
    assert credential.certificate_id == certificate.pk
    assert revoked_per_status_list(client, json.loads(credential.document)) is True


def test_backfilling_a_long_revoked_certificate_moves_the_list_date_forward_never_back(
    client, issued_credential, board
):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone
    from django.utils.http import parse_http_date

    from certificates.models import Certificate
    from credentials.models import StatusList

    certificate = issued_credential.certificate
    services.certificate_revoke(certificate=certificate, reason="Wrong hours", by=board)
    revoked_long_ago = timezone.now() - timedelta(days=30)
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at=revoked_long_ago)
    Credential.objects.all().delete()  # as before credentials existed; the list stays
    StatusList.objects.update(updated_at=timezone.now() - timedelta(days=1))
    before = client.get(status_path(issued_credential))
    last_modified = before["Last-Modified"]

    call_command("issue_missing_credentials", stdout=__import__("io").StringIO())

    (credential,) = Credential.objects.all()
    assert credential.revoked_at == revoked_long_ago  # the credential keeps its own date
    assert credential.status_list_id == issued_credential.status_list_id
    after = client.get(status_path(credential), HTTP_IF_MODIFIED_SINCE=last_modified)
    assert after.status_code == 200  # the list changed: no 304 for a verifier holding the old one
    assert parse_http_date(after["Last-Modified"]) >= parse_http_date(last_modified)  # never back
    assert revoked_per_status_list(client, json.loads(credential.document)) is True
