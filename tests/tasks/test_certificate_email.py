"""The certificate email as a background task: enqueued after the commit, retried with backoff,
sent exactly once, and never able to undo the certificate."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from ce_course.deliveries import retry_delay
from certificates.models import Certificate, CertificateEmail
from certificates.tasks import EMAIL_MAX_ATTEMPTS, certificate_email_send
from tests.tasks.conftest import issue, queued, run_worker

pytestmark = pytest.mark.django_db


def test_retry_delays_grow_fourfold_from_one_minute():
    assert [retry_delay(n) for n in (1, 2, 3, 4, 5)] == [timedelta(minutes=m) for m in (1, 4, 16, 64, 256)]


def test_issuing_enqueues_the_email_instead_of_sending_it(
    passed_learner, course, database_tasks, django_capture_on_commit_callbacks
):
    certificate = issue(passed_learner, course, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    (job,) = queued("certificate_email_send")
    assert job.args_kwargs == {"args": [certificate.pk], "kwargs": {}}
    run_worker()
    assert len(mail.outbox) == 1
    assert CertificateEmail.objects.get(certificate=certificate).sent_at is not None


def test_nothing_is_enqueued_when_the_issue_rolls_back(passed_learner, course, database_tasks):
    # No on-commit capture: the test's transaction never commits, so the enqueue never happens.
    from tests.certificates.conftest import finish_course

    finish_course(passed_learner, course)
    assert not queued("certificate_email_send").exists()


def test_a_failed_send_is_retried_later_with_backoff_and_then_sent_once(
    passed_learner, course, database_tasks, django_capture_on_commit_callbacks
):
    certificate = issue(passed_learner, course, django_capture_on_commit_callbacks)
    before = timezone.now()
    with mock.patch("certificates.tasks.send_mail", side_effect=ConnectionRefusedError("mail server down")):
        run_worker()
    row = CertificateEmail.objects.get(certificate=certificate)
    assert (row.attempts, row.sent_at) == (1, None)
    assert "mail server down" in row.last_error
    retry = queued("certificate_email_send").get(status="READY")
    assert retry.args_kwargs["args"] == [certificate.pk, 2]
    assert retry.run_after >= before + retry_delay(1)
    assert Certificate.objects.get(pk=certificate.pk).is_live

    run_worker()  # not due yet: nothing runs
    assert mail.outbox == [] and retry.__class__.objects.get(pk=retry.pk).status == "READY"

    queued("certificate_email_send").filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.attempts == 2 and row.sent_at is not None and row.last_error == ""


def test_a_second_run_after_success_sends_nothing(
    passed_learner, course, database_tasks, django_capture_on_commit_callbacks
):
    certificate = issue(passed_learner, course, django_capture_on_commit_callbacks)
    certificate_email_send.enqueue(certificate.pk)  # a duplicate, as a retry racing a success would be
    run_worker()
    assert len(mail.outbox) == 1
    assert CertificateEmail.objects.get(certificate=certificate).attempts == 1


def test_retries_stop_after_the_last_attempt_and_the_certificate_stands(
    passed_learner, course, django_capture_on_commit_callbacks
):
    # The immediate backend cannot defer, so each retry runs at once: all attempts in one call.
    with mock.patch("certificates.tasks.send_mail", side_effect=OSError("no route")) as send:
        certificate = issue(passed_learner, course, django_capture_on_commit_callbacks)
    assert send.call_count == EMAIL_MAX_ATTEMPTS
    row = CertificateEmail.objects.get(certificate=certificate)
    assert row.attempts == EMAIL_MAX_ATTEMPTS and row.sent_at is None
    assert Certificate.objects.get(pk=certificate.pk).is_live


def test_a_queue_that_cannot_take_the_task_leaves_the_certificate(
    passed_learner, course, django_capture_on_commit_callbacks
):
    with mock.patch(
        "django_tasks.backends.immediate.ImmediateBackend.enqueue", side_effect=RuntimeError("queue down")
    ):
        certificate = issue(passed_learner, course, django_capture_on_commit_callbacks)
    assert Certificate.objects.get(pk=certificate.pk).is_live
