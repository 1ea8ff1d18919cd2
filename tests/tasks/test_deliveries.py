"""ce_course.deliveries: each email goes out with no database transaction open (on SQLite an open
one would lock every web writer out for the length of the SMTP call), a run that finds the row
claimed by another sends nothing, and SMTP has a timeout."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.utils import timezone

from ce_course.deliveries import SEND_LEASE
from certificates.models import CertificateEmail
from certificates.tasks import certificate_email_send
from reminders.models import ReminderSent
from reminders.services import reminders_send
from tests.certificates.conftest import finish_course
from tests.reminders.test_concurrency import many_idle_learners
from tests.tasks.conftest import issue


class TransactionRecordingBackend(EmailBackend):
    """The test outbox, noting for each send whether a database transaction was open."""

    in_transaction = []

    def send_messages(self, messages):
        self.in_transaction.append(connection.in_atomic_block)
        return super().send_messages(messages)


@pytest.fixture
def recording_backend(settings):
    settings.EMAIL_BACKEND = f"{__name__}.TransactionRecordingBackend"
    TransactionRecordingBackend.in_transaction = []
    return TransactionRecordingBackend.in_transaction


@pytest.mark.django_db(transaction=True)
def test_the_certificate_email_is_sent_with_no_transaction_open(passed_learner, course, recording_backend):
    finish_course(passed_learner, course)  # commits; the immediate backend sends after the commit
    assert recording_backend == [False]
    row = CertificateEmail.objects.get()
    assert row.sent_at is not None and row.sending_since is None and row.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_reminders_are_sent_with_no_transaction_open(recording_backend):
    due = many_idle_learners(count=2)
    reminders_send(today=date.today())
    assert recording_backend == [False] * due
    assert ReminderSent.objects.filter(outcome="sent", sending_since=None).count() == due


@pytest.mark.django_db
def test_a_run_that_finds_the_email_claimed_by_another_run_sends_nothing(
    passed_learner, course, database_tasks, django_capture_on_commit_callbacks
):
    certificate = issue(passed_learner, course, django_capture_on_commit_callbacks)
    CertificateEmail.objects.create(certificate=certificate, attempts=1, sending_since=timezone.now())
    assert certificate_email_send.call(certificate.pk) == "claimed by another run"
    assert mail.outbox == []
    # A claim older than the lease is a worker that died mid-send: the next run sends.
    CertificateEmail.objects.update(sending_since=timezone.now() - SEND_LEASE - timedelta(seconds=1))
    assert certificate_email_send.call(certificate.pk) == "sent"
    assert len(mail.outbox) == 1
    assert CertificateEmail.objects.get().attempts == 2


def test_smtp_connections_time_out(settings):
    from django.core.mail import get_connection

    assert settings.EMAIL_TIMEOUT == 30
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert get_connection().timeout == 30
