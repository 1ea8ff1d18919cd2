"""The "check a PDF" upload on /verify/: a hash match against every certificate issued, its status,
a plain answer for anything else (altered when it carries our signature or serial), clear 400s for
bad files, and nothing uploaded ever written to disk."""

import re
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from certificates import services, signing_keys
from certificates.pdf import render_certificate
from tests.certificates.test_signed_pdf import one_byte_changed
from tests.conftest import login

pytestmark = pytest.mark.django_db

NOT_OURS = "This file is not a certificate we issued, or it has been altered."


def check(client, content, name="certificate.pdf"):
    return client.post(reverse("verify_pdf"), {"pdf": SimpleUploadedFile(name, content, "application/pdf")})


def text_of(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_the_verify_page_offers_the_upload_form(client):
    html = client.get(reverse("verify")).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert f'action="{reverse("verify_pdf")}"' in html
    assert 'type="file" name="pdf"' in html and "up to 5.0" in html


def test_her_own_pdf_is_issued_by_us_and_valid_with_code_name_course_and_date(client, certificate):
    response = check(client, bytes(certificate.pdf))
    assert response.status_code == 200
    text = text_of(response)
    assert "Issued by us" in text and "Status: valid" in text
    for expected in (
        certificate.serial,
        certificate.verification_code,
        "Alice Nguyen",
        "Hamstring course",
        certificate.completion_date.strftime("%B %-d, %Y"),
    ):
        assert expected in text, expected
    assert NOT_OURS not in text


def test_a_revoked_certificate_pdf_says_revoked(client, certificate, board):
    services.certificate_revoke(certificate=certificate, reason="Issued in error", by=board)
    text = text_of(check(client, bytes(certificate.pdf)))
    assert "Issued by us" in text and "Status: revoked" in text and "Issued in error" in text


def test_a_replaced_certificate_pdf_says_replaced_and_names_the_replacement(client, certificate, board):
    new = services.certificate_reissue(certificate=certificate, reason="Name corrected", by=board)
    response = check(client, bytes(certificate.pdf))
    text = text_of(response)
    assert "Status: replaced" in text and new.serial in text
    assert reverse("verify_code", args=[new.verification_code]) in response.content.decode()


def test_one_changed_byte_is_called_altered(client, certificate):
    response = check(client, one_byte_changed(bytes(certificate.pdf)))
    assert response.status_code == 200
    text = text_of(response)
    assert NOT_OURS in text
    assert "carries our signature" in text and "it has been altered" in text
    assert "Issued by us" not in text and "Alice Nguyen" not in text


def test_an_unsigned_copy_naming_our_serial_is_called_altered(client, certificate):
    unsigned = render_certificate(services.certificate_data(certificate))
    text = text_of(check(client, unsigned))
    assert NOT_OURS in text
    assert f"names our certificate {certificate.serial}" in text and "it has been altered" in text


def test_a_pdf_we_never_issued_is_plainly_not_ours(client, certificate):
    other = render_certificate(services.certificate_data(certificate)).replace(
        certificate.serial.encode(), b"CE-1999-999999"
    )
    text = text_of(check(client, other))
    assert NOT_OURS in text
    assert "altered since" not in text and "Issued by us" not in text


def test_her_signed_transcript_is_signed_by_us_but_not_a_certificate(client, certificate, passed_learner):
    transcript = login(client, passed_learner).get(reverse("transcript_pdf")).content
    text = text_of(check(client, transcript))
    assert "Signed by us, but not a certificate" in text and NOT_OURS in text


def test_a_file_that_is_not_a_pdf_gets_a_clear_400(client):
    response = check(client, b"GIF89a not a pdf", name="certificate.pdf")
    assert response.status_code == 400
    assert "This file is not a PDF" in text_of(response)


def test_no_file_or_an_empty_file_gets_a_clear_400(client):
    response = client.post(reverse("verify_pdf"), {})
    assert response.status_code == 400 and "Choose the certificate" in text_of(response)
    response = check(client, b"")
    assert response.status_code == 400 and "The file is empty" in text_of(response)


def test_a_file_over_the_limit_gets_a_clear_400_while_it_is_read(client, settings, certificate):
    settings.CE_VERIFY_UPLOAD_MAX_BYTES = 10_000
    response = check(client, bytes(certificate.pdf))  # about 40 KB: within the envelope, over the limit
    assert response.status_code == 400
    assert "The file is larger than 9.8" in text_of(response)


def test_a_request_declaring_more_than_the_limit_is_refused_before_it_is_read(client, settings, monkeypatch):
    settings.CE_VERIFY_UPLOAD_MAX_BYTES = 1_000
    monkeypatch.setattr(
        "certificates.uploads.MemoryOnlyUploadHandler.receive_data_chunk",
        lambda *args: pytest.fail("the body was read"),
    )
    response = check(client, b"%PDF-1.7\n" + b"0" * 200_000)
    assert response.status_code == 400 and "The file is larger than" in text_of(response)


def test_nothing_uploaded_is_written_to_a_temporary_file(client, settings, certificate, monkeypatch):
    # Django's default handlers spill any file above this size to a temporary file on disk.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    spilled = []
    monkeypatch.setattr(
        "django.core.files.uploadhandler.TemporaryUploadedFile",
        lambda *args, **kwargs: spilled.append(args) or pytest.fail("an upload was written to disk"),
    )
    response = check(client, bytes(certificate.pdf))
    assert response.status_code == 200 and spilled == []


def test_the_upload_is_protected_against_cross_site_posts(certificate):
    from django.test import Client

    response = check(Client(enforce_csrf_checks=True), bytes(certificate.pdf))
    assert response.status_code == 403


def test_the_keys_page_lists_every_key_with_its_period_and_serves_its_certificate(client, settings, tmp_path):
    settings.CE_SIGNING_KEY_DIR = str(tmp_path / "keys")
    old = signing_keys.create_signing_key(
        common_name="Old provider key", development=False, now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    new = signing_keys.create_signing_key(
        common_name="New provider key", development=False, now=datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
    )
    text = text_of(client.get(reverse("verify_keys")))
    assert text.index(new.kid) < text.index(old.kid)
    assert "CN=Old provider key" in text and "CN=New provider key" in text
    assert "2026-01-01 00:00:00 UTC 2026-06-01 12:30:00 UTC" in text  # the old key: from, retired
    assert "2026-06-01 12:30:00 UTC Current key" in text
    response = client.get(reverse("verify_key_certificate", args=[old.kid]))
    assert response.status_code == 200 and response["Content-Type"] == "application/x-pem-file"
    assert response.content == old.certificate_pem
    assert (
        client.get(reverse("verify_key_certificate", args=["2020-01-01T000000Z-000000"])).status_code == 404
    )


def signed_again(pdf_bytes, times):
    """The PDF with `times` more of our signatures appended, each in its own field."""
    import io

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner

    from certificates import pdf_signing

    key = signing_keys.current_key()
    for number in range(times):
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        metadata = PdfSignatureMetadata(field_name=f"Extra{number}", md_algorithm="sha256")
        signer = PdfSigner(metadata, signer=pdf_signing._signer(key.kid, key))
        pdf_bytes = signer.sign_pdf(writer).getvalue()
    return pdf_bytes


def test_a_file_with_many_of_our_signatures_costs_one_validation(client, certificate, monkeypatch):
    from certificates import pdf_signing

    validated = []
    real_intact = pdf_signing._intact
    monkeypatch.setattr(pdf_signing, "_intact", lambda *args: validated.append(args) or real_intact(*args))
    response = check(client, signed_again(bytes(certificate.pdf), 6))
    assert response.status_code == 200
    # The last signature covers the whole file and is ours: signed by us, not the certificate issued.
    assert "Signed by us, but not a certificate" in text_of(response)
    assert len(validated) == 1


def test_an_address_gets_a_clear_429_after_its_checks_for_the_window(client, settings, certificate):
    settings.CE_VERIFY_PDF_CHECKS_PER_WINDOW = 3
    for _ in range(3):
        assert check(client, bytes(certificate.pdf), name="mine.pdf").status_code == 200
    refused = check(client, bytes(certificate.pdf))
    assert refused.status_code == 429
    assert "Too many checks from your address" in text_of(refused) and "Nothing was checked" in text_of(
        refused
    )
    assert 0 < int(refused["Retry-After"]) <= settings.CE_VERIFY_PDF_WINDOW_SECONDS
    # Another address is not held back by this one.
    other = client.post(
        reverse("verify_pdf"),
        {"pdf": SimpleUploadedFile("c.pdf", bytes(certificate.pdf), "application/pdf")},
        REMOTE_ADDR="192.0.2.77",
    )
    assert other.status_code == 200 and "Issued by us" in text_of(other)
