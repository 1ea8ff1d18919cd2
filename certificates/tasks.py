"""Background tasks of certificates: the learner's email after an issue.

Written against Django's Tasks API through the django-tasks backport (`from django_tasks import
task`); on Django 6 the import becomes `from django.tasks import task` and nothing else changes.

The API has no automatic retry, so a failed send schedules the next attempt itself: the same task
again with `attempt + 1` and `run_after` = now + `retry_delay(attempt)` (1, 4, 16, 64 then 256
minutes), at most EMAIL_MAX_ATTEMPTS attempts in all. The `CertificateEmail` row makes the task
idempotent: its `sent_at` is set in the transaction that holds the row's lock while sending, so a
second run for the same certificate (a duplicate enqueue, a retry racing a success) sends nothing.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from certificates import pdf
from certificates.models import Certificate, CertificateEmail

logger = logging.getLogger(__name__)

EMAIL_MAX_ATTEMPTS = 6
EMAIL_FIRST_RETRY = timedelta(minutes=1)


def retry_delay(attempt: int) -> timedelta:
    """How long after failed attempt number `attempt` (1-based) the next one runs: 1, 4, 16, 64, 256 min."""
    return EMAIL_FIRST_RETRY * 4 ** (attempt - 1)


def issue_email_message(certificate) -> tuple[str, str]:
    """(subject, body) of the email that gives the learner her links."""
    from certificates.services import verification_url  # services imports this module

    download = f"{settings.SITE_URL}{reverse('certificate_download', args=[certificate.serial])}"
    subject = f"Your certificate: {certificate.course_title}"
    body = (
        f"Hello {certificate.learner_name},\n\n"
        f"Congratulations on completing “{certificate.course_title}” "
        f"({pdf.contact_hours_label(certificate.contact_hours)}).\n\n"
        f"Download your certificate (log in first): {download}\n"
        f"Anyone can verify it here: {verification_url(certificate.verification_code)}\n\n"
        f"Certificate {certificate.serial}\n"
    )
    return subject, body


@task()
def certificate_email_send(certificate_id: int, attempt: int = 1) -> str:
    """Send the issue email of certificate `certificate_id` unless it was sent already.

    Side effects: the CertificateEmail row (attempts, sent_at, last_error); on failure, the next
    attempt is enqueued (see the module docstring) and the error is raised again so the task's
    result records it. Never touches the certificate itself.
    """
    CertificateEmail.objects.get_or_create(certificate_id=certificate_id)
    with transaction.atomic():
        # The lock makes a duplicate run wait here, then see sent_at and stop.
        row = CertificateEmail.objects.select_for_update().get(certificate_id=certificate_id)
        if row.sent_at is not None:
            return "already sent"
        certificate = Certificate.objects.defer("pdf").select_related("user").get(pk=certificate_id)
        row.attempts += 1
        try:
            subject, body = issue_email_message(certificate)
            send_mail(subject=subject, message=body, from_email=None, recipient_list=[certificate.user.email])
        except Exception as error:  # any transport failure: record it and try again later
            row.last_error = f"{type(error).__name__}: {error}"[:1000]
            row.save(update_fields=["attempts", "last_error"])
            failure = error
        else:
            row.sent_at = timezone.now()
            row.last_error = ""
            row.save(update_fields=["attempts", "sent_at", "last_error"])
            return "sent"
    logger.warning("Email for certificate %s failed (attempt %s): %s", certificate_id, attempt, failure)
    if attempt < EMAIL_MAX_ATTEMPTS:
        _enqueue_retry(certificate_id, attempt)
    raise failure


def _enqueue_retry(certificate_id: int, attempt: int) -> None:
    next_task = certificate_email_send
    if next_task.get_backend().supports_defer:
        next_task = next_task.using(run_after=timezone.now() + retry_delay(attempt))
    # A backend that cannot defer (the immediate one of the tests) runs the retry at once.
    next_task.enqueue(certificate_id, attempt + 1)


def certificate_email_enqueue(certificate) -> None:
    """Enqueue the issue email once the issuing transaction has committed.

    robust: an enqueue that fails (the queue's table unreachable) is logged, and the learner still
    gets her certificate page; the certificate is committed already.
    """
    transaction.on_commit(lambda: certificate_email_send.enqueue(certificate.pk), robust=True)
