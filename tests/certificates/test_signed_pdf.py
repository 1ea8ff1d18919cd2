"""Every certificate PDF and the transcript are signed at issue (PAdES, pyHanko) with the current key.

pdfsig (poppler, a second implementation) checks the signature; pyHanko's validator checks it
against the signing certificate as the only trust anchor, which is how a verifier holding a
published certificate from /verify/keys/ checks a PDF signed before a rotation.
"""

import hashlib
import io
import subprocess
from datetime import UTC, datetime

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from bench.bench_certificate import sample_data
from certificates import pdf_signing, services, signing_keys
from certificates.pdf import render_certificate
from tests.certificates.conftest import finish_course
from tests.certificates.test_pdf import decode_qr_codes, page_text, require_tool
from tests.conftest import login

pytestmark = pytest.mark.django_db


def pdfsig(pdf: bytes, tmp_path) -> str:
    tool = require_tool("pdfsig", "poppler-utils")
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    result = subprocess.run([tool, path], capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr


def one_byte_changed(pdf: bytes) -> bytes:
    """The file with one byte flipped inside the signed range (in the page content, not the signature)."""
    altered = bytearray(pdf)
    altered[len(pdf) // 4] ^= 0x01
    return bytes(altered)


def trusted_status(pdf: bytes, key: signing_keys.SigningKey):
    """pyHanko's validation of the file's one signature, trusting only `key`'s certificate."""
    root = asn1_x509.Certificate.load(key.certificate.public_bytes(serialization.Encoding.DER))
    signature = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[0]
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))


def test_a_fresh_certificate_is_signed_and_pdfsig_reports_it_valid(certificate, tmp_path):
    content = bytes(certificate.pdf)
    assert hashlib.sha256(content).hexdigest() == certificate.pdf_sha256
    assert certificate.signing_kid == signing_keys.current_key().kid
    report = pdfsig(content, tmp_path)
    assert "Signature is Valid" in report, report
    assert "Total document signed" in report, report
    assert "Signer Certificate Common Name: CE Course test signing key" in report, report
    assert "ETSI.CAdES.detached" in report, report  # PAdES, not the older adbe.pkcs7.detached


def test_one_changed_byte_makes_pdfsig_report_the_signature_invalid(certificate, tmp_path):
    report = pdfsig(one_byte_changed(bytes(certificate.pdf)), tmp_path)
    assert "Signature is Valid" not in report, report
    assert "Digest Mismatch" in report or "Signature is Invalid" in report, report


def test_the_signature_is_intact_and_trusted_with_the_signing_certificate(certificate):
    status = trusted_status(bytes(certificate.pdf), signing_keys.current_key())
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line
    assert status.signer_reported_dt is not None  # the signing time


def test_signed_pdf_still_prints_every_element_and_its_qr_decodes(tmp_path):
    data = sample_data()
    signed = pdf_signing.sign_with_current_key(render_certificate(data), reason="test").pdf
    text = page_text(signed)
    for expected in (
        "Zoë Ångström-Nguyễn",
        "Proximal Hamstring Tendinopathy",
        "Awarded 1.00 contact hour",
        f"Certificate {data.serial}",
        f"Verify at {data.verification_url}",
        "Provider approval number: FBN 50-12345",
    ):
        assert expected in text, expected
    assert decode_qr_codes(signed, tmp_path) == [data.verification_url]


def test_revoking_leaves_the_signed_pdf_unchanged(certificate, board):
    before = (bytes(certificate.pdf), certificate.pdf_sha256, certificate.signing_kid)
    services.certificate_revoke(certificate=certificate, reason="Issued in error", by=board)
    certificate.refresh_from_db()
    assert (bytes(certificate.pdf), certificate.pdf_sha256, certificate.signing_kid) == before


def test_a_reissued_certificate_is_signed_too(certificate, board, tmp_path):
    new = services.certificate_reissue(certificate=certificate, reason="Name corrected", by=board)
    assert new.signing_kid == signing_keys.current_key().kid
    assert "Signature is Valid" in pdfsig(bytes(new.pdf), tmp_path)


def test_the_transcript_download_is_signed(client, certificate, passed_learner, tmp_path):
    response = login(client, passed_learner).get("/dashboard/transcript.pdf")
    assert response.status_code == 200
    report = pdfsig(response.content, tmp_path)
    assert "Signature is Valid" in report and "Total document signed" in report, report


def test_after_a_rotation_old_pdfs_still_verify_with_the_old_certificate(
    settings, tmp_path, passed_learner, other_learner, course, board
):
    settings.CE_SIGNING_KEY_DIR = str(tmp_path / "keys")
    old_key = signing_keys.create_signing_key(
        common_name="Old provider key", development=False, now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    old_certificate = finish_course(passed_learner, course)
    new_key = signing_keys.create_signing_key(common_name="New provider key", development=False)
    new_certificate = services.certificate_reissue(certificate=old_certificate, reason="Rotation", by=board)

    assert (old_certificate.signing_kid, new_certificate.signing_kid) == (old_key.kid, new_key.kid)
    old_pdf = bytes(old_certificate.pdf)
    report = pdfsig(old_pdf, tmp_path)
    assert "Signature is Valid" in report and "Old provider key" in report, report
    assert trusted_status(old_pdf, signing_keys.key_by_kid(old_key.kid)).bottom_line
    # The new key does not vouch for the old file, and the old key's validity period is published.
    assert not trusted_status(old_pdf, new_key).trusted
    retired = signing_keys.key_by_kid(old_key.kid)
    assert retired.retired_at == new_key.not_before


def test_each_signature_carries_the_pades_b_attributes_with_the_certificate_reference_built_once_per_key(
    monkeypatch, tmp_path
):
    key = signing_keys.current_key()
    pdf_signing._signer.cache_clear()
    pdf_signing.sign_pdf(render_certificate(sample_data()), key, reason="warm-up")  # builds the signer
    monkeypatch.setattr(
        "pyhanko.sign.attributes.as_signing_certificate_v2",
        lambda *args: pytest.fail("the signing-certificate-v2 attribute was rebuilt for one signature"),
    )
    signed = pdf_signing.sign_pdf(render_certificate(sample_data()), key, reason="Certificate").pdf
    signature = PdfFileReader(io.BytesIO(signed), strict=False).embedded_signatures[0]
    names = [attribute["type"].native for attribute in signature.signer_info["signed_attrs"]]
    assert sorted(names) == ["content_type", "message_digest", "signing_certificate_v2"]  # no signing_time
    report = pdfsig(signed, tmp_path)
    assert "Signature is Valid" in report and "Total document signed" in report, report
    assert trusted_status(signed, key).bottom_line
