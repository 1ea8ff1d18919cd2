"""Two runs at once, in two threads and in two processes, send each reminder exactly once (PostgreSQL)."""

import os
import subprocess
import sys
import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from modules.models import Enrollment
from reminders.models import ReminderSent
from reminders.services import reminders_send
from tests.factories import UserFactory, course_with_modules
from tests.multiserver import servers

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

TODAY = date.today()
ROOT = Path(__file__).resolve().parents[2]


def many_idle_learners(count=30):
    """`count` learners idle for 14 days in two courses each: 2 × count reminders due today."""
    started = datetime.combine(TODAY - timedelta(days=14), time(12), tzinfo=ZoneInfo(settings.TIME_ZONE))
    courses = [
        course_with_modules(1, release_date=date(2025, 1, 1), expiry_date=TODAY + timedelta(days=400))
        for _ in range(2)
    ]
    for _ in range(count):
        user = UserFactory()
        for course in courses:
            Enrollment.objects.create(user=user, course=course, disclosures_acknowledged_at=started)
    return 2 * count


def test_two_threads_at_once_claim_and_send_each_reminder_once():
    due = many_idle_learners()
    start = threading.Barrier(2)
    errors = []

    def run():
        try:
            start.wait()
            reminders_send(today=TODAY)
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ReminderSent.objects.count() == due
    assert ReminderSent.objects.filter(outcome="sent").count() == due
    assert len(mail.outbox) == due
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == due
    # A third run, later, sends nothing.
    reminders_send(today=TODAY)
    assert len(mail.outbox) == due


def test_two_processes_at_once_send_each_reminder_once(tmp_path):
    due = many_idle_learners()
    env = {
        **os.environ,
        "DATABASE_URL": servers.test_database_url(),
        "TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "CONN_MAX_AGE": "0",
    }
    command = [sys.executable, "manage.py", "send_reminders", "--date", TODAY.isoformat()]
    # Output to files, not pipes: a process blocked on a full pipe would hold its connection open.
    logs = [tmp_path / f"run{n}.log" for n in range(2)]
    runs = []
    try:
        for log in logs:
            with log.open("w") as out:
                runs.append(
                    subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
                )
        codes = [run.wait(timeout=120) for run in runs]
    finally:
        for run in runs:
            run.kill()
            run.wait()
    outputs = [log.read_text() for log in logs]
    assert codes == [0, 0], [out[-2000:] for out in outputs]
    subjects = [line for out in outputs for line in out.splitlines() if line.startswith("Subject: ")]
    assert len(subjects) == due
    claimed = [int(out.split("Reminders claimed: ")[1].split(" ")[0]) for out in outputs]
    assert sum(claimed) == due
    assert ReminderSent.objects.filter(outcome="sent").count() == due
