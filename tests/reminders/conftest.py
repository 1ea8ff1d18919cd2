"""Reminder tests run on a frozen clock (time-machine) that each test moves forward day by day."""

import itertools
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from certificates.models import Certificate
from modules.models import Enrollment

START = date(2026, 3, 2)
_serials = itertools.count(1)


def noon(day: date) -> datetime:
    """Midday on `day` in the site's time zone: far from midnight, so local and UTC dates agree."""
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(settings.TIME_ZONE))


@pytest.fixture
def clock():
    """A frozen clock at noon on START; `clock.move_to(noon(day))` moves it."""
    with time_machine.travel(noon(START), tick=False) as traveller:
        yield traveller


@pytest.fixture
def run_reminders(django_capture_on_commit_callbacks):
    """Run the command as cron would, with the enqueues it makes after each claim's commit; return
    the emails it sent (the test's task backend runs each task at once)."""

    def run(day: date | None = None, clock=None):
        if day is not None:
            clock.move_to(noon(day))
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_reminders", stdout=open("/dev/null", "w"))  # noqa: SIM115
        return mail.outbox[before:]

    return run


def enrol(user, course, at: datetime) -> Enrollment:
    return Enrollment.objects.create(user=user, course=course, disclosures_acknowledged_at=at)


def give_certificate(user, course, *, hours: str, completed: date) -> Certificate:
    """A certificate row with what the transcript and the renewal count read (no PDF)."""
    enrollment = Enrollment.objects.filter(user=user, course=course).first() or enrol(
        user, course, noon(completed)
    )
    enrollment.completed_at = noon(completed)
    enrollment.save(update_fields=["completed_at"])
    n = next(_serials)
    return Certificate.objects.create(
        serial=f"TEST-{n:06d}",
        verification_code=f"CODE{n:08d}",
        user=user,
        course=course,
        enrollment=enrollment,
        learner_name=user.legal_name,
        course_title=course.title,
        provider_name=course.provider_name,
        accreditation_statement=course.accreditation_statement,
        contact_hours=Decimal(hours),
        completion_date=completed,
        pdf=b"",
        pdf_sha256="0" * 64,
        issued_at=noon(completed),
    )


def unsubscribe_path(email) -> str:
    """The site path of the email's unsubscribe link (from its List-Unsubscribe header)."""
    link = re.fullmatch(r"<(.+)>", email.extra_headers["List-Unsubscribe"]).group(1)
    return link.removeprefix(settings.SITE_URL)


def days(n: int) -> timedelta:
    return timedelta(days=n)
