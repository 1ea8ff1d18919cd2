"""Background tasks of certificates: the learner's email after an issue.

Written against Django's Tasks API through the django-tasks backport (`from django_tasks import
task`); on Django 6 the import becomes `from django.tasks import task` and nothing else changes.

A failed send is retried with backoff (1, 4, 16, 64 then 256 minutes), at most EMAIL_MAX_ATTEMPTS
attempts in all, by ce_course.deliveries, which also keeps the SMTP call outside any transaction.
The `CertificateEmail` row makes the task idempotent: a second run for the same certificate (a
duplicate enqueue, a retry racing a success) sends nothing.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django_tasks import task

from ce_course.deliveries import deliver
from certificates import pdf
from certificates.models import Certificate, CertificateEmail

EMAIL_MAX_ATTEMPTS = 6


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

    Side effects: the CertificateEmail row (attempts, sending_since, sent_at, last_error); on
    failure, the next attempt is enqueued and the error raised again so the task's result records
    it. Never touches the certificate itself.
    """
    CertificateEmail.objects.get_or_create(certificate_id=certificate_id)

    def prepare(row):
        certificate = Certificate.objects.defer("pdf").select_related("user").get(pk=certificate_id)
        subject, body = issue_email_message(certificate)
        return lambda: send_mail(
            subject=subject, message=body, from_email=None, recipient_list=[certificate.user.email]
        )

    return deliver(
        rows=CertificateEmail.objects.all(),
        lookup={"certificate_id": certificate_id},
        prepare=prepare,
        task=certificate_email_send,
        task_args=(certificate_id,),
        attempt=attempt,
        max_attempts=EMAIL_MAX_ATTEMPTS,
    )


def certificate_email_enqueue(certificate) -> None:
    """Enqueue the issue email once the issuing transaction has committed.

    robust: an enqueue that fails (the queue's table unreachable) is logged, and the learner still
    gets her certificate page; the certificate is committed already.
    """
    transaction.on_commit(lambda: certificate_email_send.enqueue(certificate.pk), robust=True)
