"""The whole gate to a certificate, the frozen PDF, downloads, verification and corrections."""

import hashlib
import io
import threading
from unittest import mock

import pytest
from django.core import mail
from django.db import close_old_connections
from django.urls import reverse
from pypdf import PdfReader

from certificates import services
from certificates.models import Attestation, Certificate, Evaluation
from modules.models import ModuleProgress
from tests.certificates.conftest import EVALUATION, finish_course
from tests.quizzes.conftest import complete_modules

pytestmark = pytest.mark.django_db


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(content))).pages)


def test_no_certificate_before_each_step_and_the_missing_step_is_named(learner, course, post_test):
    with pytest.raises(services.CertificateError, match="Enrol"):
        services.certificate_issue(user=learner, course=course)
    complete_modules(learner, course)
    with pytest.raises(services.CertificateError, match="Take the post-test"):
        services.certificate_issue(user=learner, course=course)
    with pytest.raises(services.CertificateError, match="Pass the post-test first"):
        services.evaluation_submit(user=learner, course=course, **EVALUATION)
    from tests.certificates.conftest import pass_post_test

    pass_post_test(learner, post_test)
    with pytest.raises(services.CertificateError, match="Complete the evaluation"):
        services.certificate_issue(user=learner, course=course)
    services.evaluation_submit(user=learner, course=course, **EVALUATION)
    with pytest.raises(services.CertificateError, match="Attest the time"):
        services.certificate_issue(user=learner, course=course)
    services.attestation_submit(user=learner, course=course, minutes=45)
    certificate = services.certificate_issue(user=learner, course=course)
    assert certificate.serial.startswith("CE-") and len(certificate.verification_code) >= 10
    assert not set(certificate.verification_code) & set("01OIL")
    assert Certificate.objects.count() == 1


def test_minimum_time_gate_says_how_much_is_missing(passed_learner, course):
    course.minimum_minutes = 30
    course.save()
    services.evaluation_submit(user=passed_learner, course=course, **EVALUATION)
    with pytest.raises(services.CertificateError, match="30 more minutes"):
        services.attestation_submit(user=passed_learner, course=course, minutes=30)
    ModuleProgress.objects.update(seconds_spent=10 * 60)  # 3 modules x 10 minutes tracked
    services.attestation_submit(user=passed_learner, course=course, minutes=30)
    assert services.certificate_issue(user=passed_learner, course=course)


def test_evaluation_is_submitted_once(passed_learner, course):
    services.evaluation_submit(user=passed_learner, course=course, **EVALUATION)
    with pytest.raises(services.CertificateError, match="already"):
        services.evaluation_submit(user=passed_learner, course=course, **EVALUATION)
    assert Evaluation.objects.count() == 1


def test_issuing_twice_returns_the_same_certificate(certificate, passed_learner, course):
    assert services.certificate_issue(user=passed_learner, course=course).pk == certificate.pk
    assert Certificate.objects.count() == 1


def test_pdf_is_stored_with_its_hash_and_prints_everything(certificate, passed_learner):
    content = bytes(certificate.pdf)
    assert hashlib.sha256(content).hexdigest() == certificate.pdf_sha256
    text = pdf_text(content)
    for expected in (
        "Alice Nguyen",
        "RN, BSN",
        "RN1234567",
        "Hamstring course",
        "1.00 contact hour",
        "Example Provider",
        certificate.serial,
        f"/verify/{certificate.verification_code}/",
        "Pat Planner",
    ):
        assert expected in text, expected


def test_download_serves_the_stored_bytes_even_after_renames(client, certificate, passed_learner, course):
    client.force_login(passed_learner)
    url = reverse("certificate_download", args=[certificate.serial])
    first = client.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    passed_learner.first_name, passed_learner.last_name = "Alicia", "Renamed"
    passed_learner.save()
    course.title = "A renamed course"
    course.save()
    second = client.get(url)
    assert second.content == first.content
    assert hashlib.sha256(second.content).hexdigest() == certificate.pdf_sha256
    assert "Alicia" not in pdf_text(second.content)


def test_download_permissions(client, certificate, other_learner, board, author, admin_user):
    url = reverse("certificate_download", args=[certificate.serial])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    assert certificate.serial not in anonymous["Location"].split("next=")[0]
    for persona, status in ((other_learner, 404), (author, 404), (board, 200), (admin_user, 200)):
        client.force_login(persona)
        assert client.get(url).status_code == status, persona
    client.force_login(other_learner)
    assert client.get(reverse("certificate_download", args=["CE-2026-999999"])).status_code == 404


def test_verification_valid_shows_only_the_listed_fields(client, certificate):
    response = client.get(reverse("verify_code", args=[certificate.verification_code]))
    assert response.status_code == 200
    text = response.text
    assert "Valid certificate" in text and "Alice Nguyen" in text and "Hamstring course" in text
    assert "1.00 contact hour" in text and "Example Provider" in text
    for private in ("alice@example.com", "RN1234567", "RN, BSN", certificate.pdf_sha256):
        assert private not in text


def test_verify_form_normalises_what_was_typed(client, certificate):
    typed = " " + certificate.verification_code.lower()[:6] + "-" + certificate.verification_code.lower()[6:]
    response = client.get(reverse("verify"), {"code": typed}, follow=True)
    assert "Valid certificate" in response.text


def test_unknown_code_is_not_verified_404(client):
    response = client.get(reverse("verify_code", args=["ZZZZZZZZZZZZ"]))
    assert response.status_code == 404 and "Not verified" in response.text


def test_revoke_and_reissue_keep_both_and_link_them(client, certificate, board, passed_learner):
    passed_learner.last_name = "Nguyen-Smith"
    passed_learner.save()
    client.force_login(board)
    url = reverse("certificate_manage", args=[certificate.serial])
    assert client.post(url, {"action": "reissue", "reason": ""}).status_code == 400
    response = client.post(url, {"action": "reissue", "reason": "Legal name changed"})
    assert response.status_code == 302
    old = Certificate.objects.get(pk=certificate.pk)
    new = Certificate.objects.get(replaces=old)
    assert old.revoked_at and old.revoked_reason == "Legal name changed" and old.revoked_by == board
    assert new.is_live and new.learner_name == "Alice Nguyen-Smith"
    assert new.completion_date == old.completion_date
    assert "Replaces certificate" in pdf_text(new.pdf)
    page = client.get(reverse("verify_code", args=[old.verification_code]))
    assert "Revoked certificate" in page.text and "Legal name changed" in page.text
    assert reverse("verify_code", args=[new.verification_code]) in page.text


def test_learner_and_author_cannot_manage_certificates(client, certificate, passed_learner, author):
    url = reverse("certificate_manage", args=[certificate.serial])
    for persona in (passed_learner, author):
        client.force_login(persona)
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "revoke", "reason": "x"}).status_code == 404
    assert Certificate.objects.get().is_live


def test_revoked_certificate_allows_a_new_one(certificate, passed_learner, course, board):
    services.certificate_revoke(certificate=certificate, reason="Issued in error", by=board)
    again = services.certificate_issue(user=passed_learner, course=course)
    assert again.pk != certificate.pk and Certificate.objects.count() == 2


def test_issue_sends_an_email_with_links(passed_learner, course, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        certificate = finish_course(passed_learner, course)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert f"/certificates/{certificate.serial}/download/" in body
    assert f"/verify/{certificate.verification_code}/" in body


def test_a_failed_email_never_undoes_the_issue(passed_learner, course, django_capture_on_commit_callbacks):
    with (
        mock.patch("certificates.tasks.send_mail", side_effect=ConnectionRefusedError),
        django_capture_on_commit_callbacks(execute=True),
    ):
        certificate = finish_course(passed_learner, course)
    assert Certificate.objects.get(pk=certificate.pk).is_live


def test_a_pdf_failure_issues_nothing_and_the_learner_can_try_again(passed_learner, course):
    services.evaluation_submit(user=passed_learner, course=course, **EVALUATION)
    services.attestation_submit(user=passed_learner, course=course, minutes=50)
    with (
        mock.patch(
            "certificates.services.pdf.render_certificate", side_effect=RuntimeError("renderer broke")
        ),
        pytest.raises(RuntimeError),
    ):
        services.certificate_issue(user=passed_learner, course=course)
    assert not Certificate.objects.exists()
    assert services.certificate_issue(user=passed_learner, course=course).is_live


def test_records_are_protected_from_deletion(certificate, passed_learner, course):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        passed_learner.delete()
    with pytest.raises(ProtectedError):
        course.delete()
    assert Certificate.objects.exists() and Evaluation.objects.exists() and Attestation.objects.exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_threads_claiming_the_same_certificate_produce_one(passed_learner, course):
    services.evaluation_submit(user=passed_learner, course=course, **EVALUATION)
    services.attestation_submit(user=passed_learner, course=course, minutes=50)
    results, errors = [], []

    def claim():
        try:
            results.append(services.certificate_issue(user=passed_learner, course=course).pk)
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(set(results)) == 1
    assert Certificate.objects.count() == 1
