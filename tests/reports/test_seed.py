"""seed_completions: a small seeded data set keeps every rule the services would have enforced."""

import hashlib
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from certificates.codes import serial_for
from certificates.models import Attestation, Certificate, CertificateLicense, Evaluation
from modules.models import Course, Enrollment, ModuleProgress
from modules.selectors import course_progress
from quizzes.grading import grade, key_from_snapshot
from quizzes.models import Attempt, AttemptQuestion
from reports.item_statistics import item_statistics

pytestmark = pytest.mark.django_db

COURSE = "proximal-hamstring-tendinopathy"


def seed(learners=30, seed=7, **options):
    out = io.StringIO()
    # Tests run with DEBUG off, which the command refuses without --force.
    call_command("seed_completions", learners=learners, seed=seed, force=True, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded():
    output = seed()
    return Course.objects.get(slug=COURSE), output


def test_loads_the_shipped_course_and_reports_progress_and_time(seeded):
    course, output = seeded
    assert course.modules.count() == 6 and course.quiz.questions.count() > 0
    assert "30 / 30 learners" in output
    assert re.search(r"Seeded 30 learners in \d+\.\d s", output)


def test_learners_have_licenses_and_one_enrolment(seeded):
    course, _ = seeded
    users = User.objects.filter(email__endswith="@example.test")
    assert sorted(users.values_list("email", flat=True)) == sorted(
        f"seed-{n}@example.test" for n in range(1, 31)
    )
    counted = users.annotate(
        held=Count("licenses", distinct=True),
        primary=Count("licenses", filter=Q(licenses__is_primary=True), distinct=True),
        enrolled=Count("enrollments", distinct=True),
    )
    assert all(1 <= u.held <= 2 and u.primary == 1 and u.enrolled == 1 for u in counted)
    assert all(u.password == users[0].password for u in users)  # one hash, computed once
    for enrollment in Enrollment.objects.filter(course=course):
        assert enrollment.created_at == enrollment.disclosures_acknowledged_at


def test_attempt_scores_are_the_sum_of_their_graded_questions(seeded):
    course, _ = seeded
    now = timezone.now()
    attempts = Attempt.objects.filter(quiz__course=course).prefetch_related("questions")
    assert attempts.filter(submitted_at__isnull=False).exists()
    for attempt in attempts:
        rows = list(attempt.questions.all())
        topics = sorted(row.snapshot["topic"] for row in rows)
        assert topics == ["anatomy"] * 3 + ["physical-exam"] * 3 + ["treatment"] * 4  # the draw rules
        assert attempt.max_score == sum(row.question.points for row in rows)
        if attempt.submitted_at is None:
            assert all(row.points_awarded is None for row in rows)
            continue
        assert attempt.started_at < attempt.submitted_at <= now
        for row in rows:
            assert row.points_awarded == grade(key_from_snapshot(row.key), row.response)
        assert attempt.score == sum(row.points_awarded for row in rows)
        assert attempt.passed == (attempt.score * 100 >= attempt.quiz.pass_mark_percent * attempt.max_score)
    numbers = attempts.values("user").annotate(n=Count("pk"))
    assert all(1 <= row["n"] <= 3 for row in numbers)


def test_certificates_only_for_learners_who_finished_every_step(seeded):
    course, _ = seeded
    certificates = Certificate.objects.filter(course=course)
    assert certificates.exists()
    for certificate in certificates.select_related("enrollment"):
        enrollment = certificate.enrollment
        assert Attempt.objects.filter(user=certificate.user, quiz__course=course, passed=True).exists()
        assert Evaluation.objects.filter(enrollment=enrollment).exists()
        attestation = Attestation.objects.get(enrollment=enrollment)
        tracked = sum(
            ModuleProgress.objects.filter(enrollment=enrollment).values_list("seconds_spent", flat=True)
        )
        # The shipped course's minimum study time holds, as attestation_submit would insist.
        assert attestation.minutes_tracked == tracked // 60 >= course.minimum_minutes > 0
        assert certificate.completion_date == timezone.localdate(attestation.attested_at)
        assert certificate.issued_at >= attestation.attested_at
        assert ModuleProgress.objects.filter(enrollment=enrollment, completed_at__isnull=False).count() == 6
        assert certificate.serial == serial_for(
            timezone.localdate(certificate.issued_at).year, certificate.pk
        )
        assert certificate.pdf_sha256 == hashlib.sha256(bytes(certificate.pdf)).hexdigest()
        licenses = list(CertificateLicense.objects.filter(certificate=certificate).order_by("position"))
        held = certificate.user.licenses.order_by("-is_primary", "state", "number")
        assert [(lic.state, lic.number) for lic in licenses] == [(lic.state, lic.number) for lic in held]
        assert licenses
    live = certificates.filter(revoked_at__isnull=True).values("user").annotate(n=Count("pk"))
    assert all(row["n"] == 1 for row in live)
    assert not certificates.filter(revoked_at__isnull=False, revoked_reason="").exists()


def test_every_certificate_holder_is_done_by_the_completion_rule(seeded):
    course, _ = seeded
    holders = User.objects.filter(certificates__course=course, certificates__revoked_at__isnull=True)
    for user in holders:
        progress = course_progress(user=user, course=course)
        assert progress.stage == "done" and progress.certificate is not None
    others = User.objects.filter(email__endswith="@example.test").exclude(pk__in=holders)
    assert all(course_progress(user=user, course=course).stage != "done" for user in others)


def test_item_statistics_read_the_seeded_attempts(seeded):
    course, _ = seeded
    stats = item_statistics(course.quiz, first_attempts_only=False)
    submitted = AttemptQuestion.objects.filter(attempt__submitted_at__isnull=False).count()
    assert sum(s.responses for s in stats) == submitted


def test_a_second_run_adds_learners_after_the_first():
    seed(learners=5, seed=1)
    seed(learners=5, seed=1)
    emails = User.objects.filter(email__endswith="@example.test").values_list("email", flat=True)
    assert sorted(emails, key=lambda e: int(e[5:].split("@")[0])) == [
        f"seed-{n}@example.test" for n in range(1, 11)
    ]
    assert Certificate.objects.values("verification_code").distinct().count() == Certificate.objects.count()


def fingerprint():
    """What a seed determines: everything but ids and wall-clock times."""
    return (
        list(User.objects.order_by("email").values_list("email", "first_name", "last_name", "credentials")),
        list(
            Attempt.objects.order_by("user__email", "number").values_list(
                "user__email", "number", "score", "passed"
            )
        ),
        list(
            AttemptQuestion.objects.order_by(
                "attempt__user__email", "attempt__number", "position"
            ).values_list("question__key", "response")
        ),
        list(
            Certificate.objects.order_by("verification_code").values_list(
                "verification_code", "user__email", "revoked_reason"
            )
        ),
    )


def seeded_and_rolled_back(seed_value):
    with transaction.atomic():
        seed(learners=15, seed=seed_value)
        result = fingerprint()
        transaction.set_rollback(True)
    return result


def test_the_same_seed_gives_the_same_data(settings):
    # Loaded once, outside the rolled-back runs: PostgreSQL does not roll back sequences, and
    # responses name choices by id.
    call_command("load_course", str(settings.BASE_DIR / "content" / COURSE), stdout=io.StringIO())
    first = seeded_and_rolled_back(3)
    assert first == seeded_and_rolled_back(3)
    assert first != seeded_and_rolled_back(4)


def test_an_unknown_course_is_refused():
    with pytest.raises(CommandError, match="No course 'no-such-course'"):
        seed(course="no-such-course")


def test_refuses_with_debug_off_unless_forced():
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_completions", learners=1, stdout=io.StringIO())
