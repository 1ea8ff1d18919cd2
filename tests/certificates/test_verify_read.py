"""The public verification page reads one row pair in one statement, without any PDF bytes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certificates import services
from certificates.selectors import certificate_for_verification

pytestmark = pytest.mark.django_db


def test_a_replaced_certificate_is_verified_in_one_statement_without_pdf_bytes(
    client, certificate, admin_user
):
    corrected = services.certificate_reissue(certificate=certificate, reason="Name corrected", by=admin_user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("verify_code", args=[certificate.verification_code]))
    assert response.status_code == 200 and corrected.serial in response.text
    (query,) = [q["sql"] for q in ctx.captured_queries if "certificates_certificate" in q["sql"]]
    assert '"pdf"' not in query and "ORDER BY" not in query
    read = certificate_for_verification(certificate.verification_code)
    assert "pdf" in read.get_deferred_fields() and "pdf" in read.replaced_by.get_deferred_fields()


def test_an_unknown_code_is_nobody(db):
    assert certificate_for_verification("NOPE-NOPE") is None
