"""The certificate email through a real `manage.py db_worker` process on the test database: a
refused mail server makes attempts spaced by the growing delay, never more than one at a time.

PostgreSQL only: the worker is another process, and SQLite's in-memory test database is not
reachable from one.
"""

import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ce_course.deliveries import retry_delay
from certificates.models import Certificate, CertificateEmail
from certificates.tasks import certificate_email_send
from tests.certificates.conftest import finish_course
from tests.multiserver.servers import free_port, process, server_environment

pytestmark = pytest.mark.postgres_only


def wait_until(check, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_real_worker_retries_a_refused_email_later_and_later(
    transactional_db, tmp_path, passed_learner, course, database_tasks
):
    certificate = finish_course(passed_learner, course)  # autocommit: the enqueue happens at once
    env = server_environment(tmp_path)
    # An SMTP port nobody listens on: every send is refused.
    env.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(free_port()),
        EMAIL_USE_TLS="false",
    )
    command = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--interval",
        "0.1",
        "--no-reload",
        "--no-startup-delay",
    ]
    emails = CertificateEmail.objects.filter(certificate=certificate)
    with process(command, env=env, log=tmp_path / "worker.log", what="db_worker"):
        wait_until(lambda: emails.filter(attempts=1).exists(), "the first attempt")
        # The attempt is counted when the worker claims the email, before the send fails and the
        # retry is enqueued: wait for the retry too (checking at once failed when the worker was slow).
        wait_until(lambda: DBTaskResult.objects.filter(status="READY").exists(), "the retry's task")
        first_failed = timezone.now()
        retry = DBTaskResult.objects.get(status="READY")
        assert retry.args_kwargs["args"] == [certificate.pk, 2]
        assert (
            first_failed - timedelta(seconds=5) + retry_delay(1)
            <= retry.run_after
            <= first_failed + retry_delay(1)
        )

        time.sleep(1)  # the worker polls ten times meanwhile and leaves the retry alone
        assert emails.get().attempts == 1

        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # as if a minute passed
        wait_until(lambda: emails.filter(attempts=2).exists(), "the second attempt")
        wait_until(lambda: DBTaskResult.objects.filter(status="READY").exists(), "the third attempt's task")
        third = DBTaskResult.objects.get(status="READY")
        assert third.args_kwargs["args"] == [certificate.pk, 3]
        assert third.run_after >= timezone.now() + retry_delay(2) - timedelta(seconds=10)

    assert emails.get().sent_at is None and "Connection" in emails.get().last_error
    assert Certificate.objects.get(pk=certificate.pk).is_live
    failed = DBTaskResult.objects.filter(status="FAILED")
    assert failed.count() == 2 and all(len(run.worker_ids) == 1 for run in failed)


def test_a_real_worker_sends_once_however_often_the_email_is_enqueued(
    transactional_db, tmp_path, passed_learner, course, database_tasks
):
    certificate = finish_course(passed_learner, course)
    for _ in range(3):
        certificate_email_send.enqueue(certificate.pk)
    log = tmp_path / "worker.log"
    command = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--interval",
        "0.1",
        "--no-reload",
        "--no-startup-delay",
    ]
    with process(command, env=server_environment(tmp_path), log=log, what="db_worker"):
        wait_until(lambda: DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 4, "four runs")
    assert sorted(r.return_value for r in DBTaskResult.objects.all()) == ["already sent"] * 3 + ["sent"]
    assert log.read_text().count("Subject: Your certificate") == 1
    assert CertificateEmail.objects.get(certificate=certificate).attempts == 1
