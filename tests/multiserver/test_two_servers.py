"""Two gunicorn app servers and two task workers on one PostgreSQL, with the database cache and
with Redis: sessions, log-out, content changes, tasks and certificate claims hold across processes.

Runs in the PostgreSQL pass of `make test` (marked postgres_only: the servers need a database other
processes can reach, which SQLite's in-memory test database is not).
"""

import threading
import time
from contextlib import ExitStack

import pytest
import redis
from django.contrib.auth.hashers import make_password
from django_tasks_db.models import DBTaskResult

from certificates import services
from certificates.models import Certificate, CertificateEmail
from modules.models import Module
from reports.models import ExportJob
from tests.certificates.conftest import EVALUATION
from tests.conftest import PASSWORD
from tests.multiserver.servers import Browser, form_fields, start_site

pytestmark = [pytest.mark.postgres_only, pytest.mark.multiserver]


def wait_until(check, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def real_passwords(settings, learner, author, board):
    """The servers use Django's default hashers, which do not read the tests' fast MD5 ones."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    for user in (learner, author, board):
        user.password = make_password(PASSWORD)
        user.save(update_fields=["password"])


@pytest.mark.parametrize("cache", ["database", "redis"])
def test_two_app_servers_and_two_workers_share_sessions_content_tasks_and_certificates(
    transactional_db, tmp_path, real_passwords, passed_learner, course, author, board, cache
):
    services.evaluation_submit(user=passed_learner, course=course, **EVALUATION)
    services.attestation_submit(user=passed_learner, course=course, minutes=60)
    module = Module.objects.filter(course=course).order_by("position").first()

    with ExitStack() as stack:
        (a, b), worker_logs, redis_url = start_site(stack, tmp_path, redis=cache == "redis")

        # A log-in on A is valid on B; a log-out on A ends the session on B at once.
        nurse = Browser()
        nurse.log_in(a, passed_learner.email, PASSWORD)
        assert nurse.request(b + "/dashboard/")[0] == 200
        assert nurse.request(b + "/dashboard/")[0] == 200  # B's cached copy of the session
        nurse.post(a + "/accounts/logout/", {})
        status, headers, _ = nurse.request(b + "/dashboard/")
        assert status == 302 and "/accounts/login/" in headers["Location"]

        # An author's change on A is on B's next page (B's workers have the old title in memory).
        anyone = Browser()
        for _ in range(4):  # each of B's two workers reads and keeps the course's content
            assert module.title in anyone.request(f"{b}/courses/{course.slug}/")[2]
        editor = Browser()
        editor.log_in(a, author.email, PASSWORD)
        change = f"{a}/admin/modules/module/{module.pk}/change/"
        fields = [(k, v) for k, v in form_fields(editor.request(change)[2], "module_form") if k != "title"]
        status, _, page = editor.post(change, [*fields, ("title", "Retitled on server A")])
        assert status == 302, page[:2000]
        for _ in range(4):
            page = anyone.request(f"{b}/courses/{course.slug}/")[2]
            assert "Retitled on server A" in page and module.title not in page

        # Two servers claiming the same certificate at the same moment make one; one email is sent.
        nurse.log_in(b, passed_learner.email, PASSWORD)
        claims = [
            threading.Thread(
                target=nurse.post, args=(f"{base}/courses/{course.slug}/certificate/", {"action": "claim"})
            )
            for base in (a, b)
        ]
        for claim in claims:
            claim.start()
        for claim in claims:
            claim.join()
        certificate = Certificate.objects.get(user=passed_learner, course=course)
        wait_until(
            lambda: CertificateEmail.objects.filter(certificate=certificate, sent_at__isnull=False).exists(),
            "the certificate email",
        )

        # Exports asked on both servers: each task runs exactly once across the two workers.
        reviewer = Browser()
        reviewer.log_in(a, board.email, PASSWORD)
        for n, base in enumerate((a, b, a, b, a, b)):
            status, headers, _ = reviewer.request(
                f"{base}/reports/export/completions.csv?background=1&state={'FL' if n % 2 else ''}"
                f"&reported={['', 'yes', 'no'][n // 2]}"
            )
            assert status == 302 and "/reports/exports/" in headers["Location"]
        wait_until(lambda: ExportJob.objects.filter(status="ready").count() == 6, "six ready exports")
        job = ExportJob.objects.first()
        status, headers, _ = reviewer.request(f"{b}/reports/exports/{job.pk}/download/")
        assert status == 200 and "attachment" in headers["Content-Disposition"]
        time.sleep(1)  # let a worker that would wrongly pick a task twice show it
        if redis_url:  # the servers' sessions and cache entries really were in Redis
            client = redis.Redis.from_url(redis_url)
            assert any(b":django.contrib.sessions.cached_db" in key for key in client.keys("*"))

    runs = list(DBTaskResult.objects.filter(task_path__endswith="export_job_run"))
    assert len(runs) == 6
    assert all(run.status == "SUCCESSFUL" and len(run.worker_ids) == 1 for run in runs)
    assert sorted(run.return_value for run in runs) == ["ready"] * 6
    email_runs = DBTaskResult.objects.filter(task_path__endswith="certificate_email_send")
    assert email_runs.count() == 1 and email_runs.get().status == "SUCCESSFUL"
    assert CertificateEmail.objects.get(certificate=certificate).attempts == 1
    sent = sum(log.read_text().count("Subject: Your certificate") for log in worker_logs)
    assert sent == 1
    assert Certificate.objects.filter(user=passed_learner, course=course).count() == 1
