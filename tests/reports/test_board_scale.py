"""The board at scale: running totals equal plain counts, keyset pages, and an interruptible seed.

The totals (reports.summary) are what the board reads instead of every certificate; each test
here compares them with the plain query they replace, on seeded data spread over several months,
courses, states and professions.
"""

import io
import threading
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from certificates.models import Certificate, CertificateLicense
from certificates.services import certificate_reissue, certificate_revoke
from modules.models import Course
from quizzes.models import Attempt
from reports import seeding, selectors, services, summary
from reports.filters import CompletionFilter
from reports.models import CompletionFigures, CompletionStats, LearnerCounts, UnreportedLines
from tests.certificates.conftest import finish_course
from tests.conftest import login

pytestmark = pytest.mark.django_db


def seed(learners=60, **options):
    call_command(
        "seed_completions", learners=learners, seed=3, force=True, courses=2, since=date(2024, 1, 1),
        batch=25, stdout=io.StringIO(), **options,
    )  # fmt: skip


@pytest.fixture
def seeded(board):
    seed()
    # Some lines reported (FL only) and a revocation and a re-issue through the services, so the
    # totals have moved the ways they move in use.
    services.roster_mark_reported(f=CompletionFilter(state="FL"), by=board)
    live = Certificate.objects.filter(revoked_at__isnull=True).order_by("pk")
    certificate_revoke(certificate=live[0], reason="Issued in error", by=board)
    certificate_reissue(certificate=live[1], reason="Name corrected", by=board)
    return Course.objects.order_by("pk")


def direct(f, today):
    """The figures of filter `f` by plain queries over the certificates: what the totals replace."""
    certificates = selectors.matching_certificates(f)
    best = {}
    for certificate in certificates:
        percents = Attempt.objects.filter(
            user=certificate.user_id, quiz__course=certificate.course_id, submitted_at__isnull=False
        ).values_list("percent", flat=True)
        best[certificate.pk] = max(percents, default=None)
    scored = [p for p in best.values() if p is not None]
    return {
        "completed": certificates.count(),
        "hours": sum((c.contact_hours for c in certificates if c.revoked_at is None), Decimal(0)),
        "per_month": [
            (row["month"], row["n"])
            for row in certificates.order_by()
            .annotate(month=TruncMonth("completion_date"))
            .values("month")
            .annotate(n=Count("pk"))
            .order_by("month")
        ],
        "scores": [sum(1 for p in scored if low <= p < high) for low, high in selectors.SCORE_BINS],
        "mean_score": (sum(scored) / len(scored)).quantize(Decimal("0.1")) if scored else None,
        "unreported": services._unreported(f).count(),
        "overdue": services._unreported(f)
        .filter(certificate__completion_date__lt=today - timedelta(days=20))
        .count(),
    }


def filters(courses):
    today = timezone.localdate()
    year = today.year
    return [
        CompletionFilter(),
        CompletionFilter(status="all"),
        CompletionFilter(status="revoked"),
        CompletionFilter(course_id=courses[0].pk),
        CompletionFilter(course_id=courses[1].pk),
        CompletionFilter(state="FL"),
        CompletionFilter(state="CA"),
        CompletionFilter(profession="RN"),
        CompletionFilter(profession="APRN"),
        CompletionFilter(reported="yes"),
        CompletionFilter(reported="no"),
        # Whole months, ranges with days at both ends, one inside a single month, open at one end.
        CompletionFilter(completed_from=date(year - 1, 1, 1), completed_to=date(year - 1, 12, 31)),
        CompletionFilter(completed_from=date(year - 2, 3, 17), completed_to=date(year - 1, 8, 9)),
        CompletionFilter(completed_from=date(year - 1, 5, 3), completed_to=date(year - 1, 5, 28)),
        CompletionFilter(completed_from=date(year - 1, 6, 15)),
        CompletionFilter(completed_to=date(year - 1, 6, 15)),
        CompletionFilter(completed_from=date(year - 2, 2, 10), state="TX", profession="RN", status="all"),
        # A state and a profession together: one license with both, as matching_certificates asks.
        CompletionFilter(state="FL", profession="RN"),
        CompletionFilter(state="CA", profession="LPN", status="all", course_id=courses[1].pk),
    ]


def test_counts_equal_a_plain_count_for_every_filter(seeded):
    today = timezone.localdate()
    checked = 0
    for f in filters(seeded):
        expected = direct(f, today)
        totals = selectors.board_totals(f)
        page_summary = selectors.completion_summary(f, totals=totals)
        assert totals["completed"] == expected["completed"], f
        assert page_summary.hours_awarded == expected["hours"].quantize(Decimal("0.01")), f
        assert selectors.completions_per_month(f) == expected["per_month"], f
        assert [n for _, n in selectors.score_distribution(f, totals=totals)] == expected["scores"], f
        assert page_summary.mean_score == expected["mean_score"], f
        assert services.unreported_line_count(f) == expected["unreported"], f
        assert services.overdue_unreported(f, today=today) == expected["overdue"], f
        checked += expected["completed"] > 0
    assert checked >= 12  # the seeded data reaches nearly every filter
    counts = learner_counts()
    summary.rebuild()
    assert counts == learner_counts()  # kept by the seed and the services as a recount finds them


def test_totals_recounted_from_the_stored_figures_equal_the_running_ones(seeded):
    # What migration 0005 runs on a database that already had per-month totals.
    running = stats_snapshot()
    assert running[0] and running[1]
    assert recounted_snapshot() == running


def test_the_report_page_shows_the_plain_count(seeded, client, board):
    login(client, board)
    response = client.get(reverse("reports"), {"state": "CA", "status": "all"})
    expected = selectors.matching_certificates(CompletionFilter(state="CA", status="all")).count()
    assert response.status_code == 200
    assert f"{expected} certificate" in response.content.decode()


def stats_snapshot():
    stats = sorted(
        tuple(row.values())
        for row in CompletionStats.objects.filter(completed__gt=0).values(
            "course_id", "day", "is_live", "state", "profession", "completed", "hours", "scored",
            "percent_total", "seconds_total", *selectors.BIN_FIELDS,
        )
    )  # fmt: skip
    lines = sorted(
        UnreportedLines.objects.filter(lines__gt=0).values_list(
            "course_id", "day", "state", "profession", "lines"
        )
    )
    return stats, lines


def rebuilt_snapshot():
    summary.rebuild()
    return stats_snapshot()


def recounted_snapshot():
    summary.recount_totals()
    return stats_snapshot()


def test_totals_follow_issue_revoke_and_reissue(certificate, course, board):
    live = stats_snapshot()
    assert live == rebuilt_snapshot()
    assert selectors.board_totals(CompletionFilter())["completed"] == 1
    certificate_revoke(certificate=certificate, reason="Issued in error", by=board)
    assert stats_snapshot() == rebuilt_snapshot()
    assert selectors.board_totals(CompletionFilter())["completed"] == 0
    assert selectors.board_totals(CompletionFilter(status="revoked"))["completed"] == 1
    new = certificate_reissue(certificate=certificate, reason="Re-issued", by=board)
    assert stats_snapshot() == rebuilt_snapshot()
    assert selectors.board_totals(CompletionFilter(status="all"))["completed"] == 2
    services.roster_mark_reported(f=CompletionFilter(), by=board)
    assert services.unreported_line_count(CompletionFilter()) == 0
    assert stats_snapshot() == rebuilt_snapshot()
    certificate_reissue(certificate=new, reason="Again", by=board)  # its lines carried: still reported
    assert (
        services.unreported_line_count(CompletionFilter()) == services._unreported(CompletionFilter()).count()
    )
    assert stats_snapshot() == rebuilt_snapshot()


def learner_counts():
    return sorted(LearnerCounts.objects.values_list("course_id", "enrolled", "attempted", "passed"))


def test_learner_counts_follow_enrolment_and_grading(learner, course, post_test):
    from modules.services import enrollment_create
    from tests.certificates.conftest import complete_modules, pass_post_test

    enrollment_create(user=learner, course=course)
    enrollment_create(user=learner, course=course)  # idempotent: counted once
    assert learner_counts() == [(course.pk, 1, 0, 0)]
    complete_modules(learner, course)
    assert pass_post_test(learner, post_test).passed
    assert learner_counts() == [(course.pk, 1, 1, 1)]
    summary.rebuild()
    assert learner_counts() == [(course.pk, 1, 1, 1)]
    page = selectors.completion_summary(CompletionFilter(course_id=course.pk))
    assert (page.enrolled, page.attempted, page.passed) == (1, 1, 1)


def test_a_failed_issue_leaves_the_totals_as_they_were(passed_learner, course):
    failing_audit = mock.patch("certificates.services.audit_record", side_effect=RuntimeError("audit down"))
    with failing_audit, pytest.raises(RuntimeError):
        finish_course(passed_learner, course)
    assert not Certificate.objects.exists()
    assert not CompletionStats.objects.exists() and not UnreportedLines.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_totals_migration_counts_the_certificates_already_issued(certificate, board):
    # A database from before the running totals: the migrations that add them count what is there.
    running = stats_snapshot()
    assert selectors.board_totals(CompletionFilter())["completed"] == 1
    for model in (CompletionStats, CompletionFigures, UnreportedLines, LearnerCounts):
        model.objects.all().delete()  # as before the totals existed (and so the columns can come back)
    call_command("migrate", "reports", "0004_alter_exportjob_file", verbosity=0)
    call_command("migrate", "reports", verbosity=0)
    migrated = (stats_snapshot(), learner_counts())
    assert migrated[0] == running
    summary.rebuild()
    assert migrated == (stats_snapshot(), learner_counts())
    assert selectors.board_totals(CompletionFilter())["completed"] == 1
    assert (
        services.unreported_line_count(CompletionFilter())
        == services._unreported(CompletionFilter()).count()
        == 1
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_threads_issuing_then_revoking_keep_the_totals_right(
    learner, other_learner, course, post_test, board
):
    from tests.certificates.conftest import complete_modules, pass_post_test

    learners = [learner, other_learner]
    for user in learners:
        complete_modules(user, course)
        assert pass_post_test(user, post_test).passed
    errors = []

    def run_both(action):
        def run(user):
            try:
                action(user)
            except Exception as error:  # collected and asserted below
                errors.append(error)
            finally:
                connection.close()  # this thread's own connection

        threads = [threading.Thread(target=run, args=(user,)) for user in learners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

    run_both(lambda user: finish_course(user, course))  # same course and day: the same rows
    assert errors == []
    assert selectors.board_totals(CompletionFilter())["completed"] == 2
    lines = services._unreported(CompletionFilter()).count()
    assert lines >= 1 and services.unreported_line_count(CompletionFilter()) == lines
    run_both(lambda user: certificate_revoke(certificate=user.certificates.get(), reason="Test", by=board))
    assert errors == []
    assert selectors.board_totals(CompletionFilter())["completed"] == 0
    assert selectors.board_totals(CompletionFilter(status="revoked"))["completed"] == 2
    assert services.unreported_line_count(CompletionFilter()) == 0
    assert stats_snapshot() == rebuilt_snapshot()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_revoke_while_a_roster_is_marked_reported_takes_its_line_out_once(
    learner, other_learner, course, post_test, board
):
    # The roster reads its lines; one of them is revoked and a new certificate is issued, both
    # committed; then the roster records what it read. Without the new one, a line taken out twice
    # would make a count negative, which its CHECK refuses; with it, the count would just be wrong.
    from tests.certificates.conftest import complete_modules, pass_post_test
    from tests.factories import LicenseFactory, UserFactory

    LicenseFactory(user=other_learner, state="FL", number="RN2222222")
    later = UserFactory(email="later@example.com")
    LicenseFactory(user=later, state="FL", number="RN3333333")
    for user in (learner, other_learner, later):
        complete_modules(user, course)
        assert pass_post_test(user, post_test).passed
    for user in (learner, other_learner):
        finish_course(user, course)
    revoked = learner.certificates.get()
    read_once, revoke_done, errors = threading.Event(), threading.Event(), []
    real_roster_lines = services.roster_lines

    def roster_lines_then_wait(f):
        lines = real_roster_lines(f)
        if not read_once.is_set():
            read_once.set()
            revoke_done.wait(20)
        return lines

    def mark():
        try:
            services.roster_mark_reported(f=CompletionFilter(), by=board)
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    with mock.patch.object(services, "roster_lines", roster_lines_then_wait):
        thread = threading.Thread(target=mark)
        thread.start()
        assert read_once.wait(20)
        certificate_revoke(certificate=revoked, reason="Test", by=board)
        finish_course(later, course)
        revoke_done.set()
        thread.join(30)
    assert errors == []
    assert not CertificateLicense.objects.filter(certificate=revoked, roster_entry__isnull=False).exists()
    assert services._unreported(CompletionFilter()).count() == 1  # the later certificate's line
    assert (
        services.unreported_line_count(CompletionFilter()) == services._unreported(CompletionFilter()).count()
    )
    assert stats_snapshot() == rebuilt_snapshot()


# --- keyset pages ---------------------------------------------------------------------------------


def all_pages(f, size):
    """Every page from the newest on, following the older links; and the pages walked back."""
    seen, page = [], selectors.completion_page(f, size=size)
    keys = []
    while True:
        seen += page.ids
        if not page.older_key:
            return seen, keys
        keys.append(page.older_key)
        page = selectors.completion_page(f, after=page.older_key, size=size)


def test_keyset_pages_see_every_row_once_while_certificates_are_added(seeded):
    from tests.reports.test_exports import make_certificates

    f = CompletionFilter(status="all")
    before = list(selectors.matching_certificates(f).values_list("pk", flat=True))
    size = 7
    seen, page = [], selectors.completion_page(f, size=size)
    dates = iter([timezone.localdate(), date(2024, 6, 1), date(2025, 2, 1), timezone.localdate()] * 10)
    while True:
        seen += page.ids
        if not page.older_key:
            break
        # A certificate arrives between two clicks: newest, in the middle, or on the page's own date.
        make_certificates(seeded[0], 1, completed=next(dates))
        page = selectors.completion_page(f, after=page.older_key, size=size)
    assert len(seen) == len(set(seen))  # no row twice
    assert set(before) <= set(seen)  # none of those there at the start missed


def test_keyset_pages_walk_back_to_the_newest(seeded):
    f = CompletionFilter(status="all")
    forward, keys = all_pages(f, 9)
    assert forward == list(selectors.matching_certificates(f).values_list("pk", flat=True))
    page = selectors.completion_page(f, after=keys[2], size=9)  # the fourth page
    back = []
    while page.newer_key:
        page = selectors.completion_page(f, before=page.newer_key, size=9)
        back = page.ids + back
    assert back == forward[: len(back)] and len(back) == 27


@mock.patch("reports.selectors.PAGE_SIZE", 5)
def test_the_report_links_to_the_next_page_and_refuses_a_forged_key(seeded, client, board):
    login(client, board)
    first = client.get(reverse("reports"))
    page = selectors.completion_page(CompletionFilter())
    assert f"after={page.older_key}" in first.content.decode()
    assert client.get(reverse("reports"), {"after": page.older_key}).status_code == 200
    for bad in ("2026-13-01.5", "yesterday", "2026-01-01.x", "2026-01-01."):
        assert client.get(reverse("reports"), {"after": bad}).status_code == 400


# --- seeding --------------------------------------------------------------------------------------


def test_an_interrupted_seed_keeps_whole_batches_only(db):
    real = seeding.write_rows
    calls = {"certificates": 0}

    def failing(model, rows):
        if model is Certificate:
            calls["certificates"] += 1
            if calls["certificates"] == 2:
                raise KeyboardInterrupt  # Ctrl-C in the middle of the second batch
        real(model, rows)

    with mock.patch("reports.seeding.write_rows", side_effect=failing), pytest.raises(KeyboardInterrupt):
        call_command("seed_completions", learners=40, batch=20, seed=5, force=True, stdout=io.StringIO())
    assert User.objects.filter(email__endswith="@example.test").count() == 20  # the first batch, whole
    assert Certificate.objects.exists() and CertificateLicense.objects.exists()
    stats, counts = stats_snapshot(), learner_counts()
    assert counts[0][1] == 20  # the first batch's enrolments
    assert stats == rebuilt_snapshot()  # the totals were written with the batch, not after
    assert counts == learner_counts()
    # A second run carries on after the learners already there.
    call_command("seed_completions", learners=5, batch=5, seed=5, force=True, stdout=io.StringIO())
    assert User.objects.filter(email="seed-25@example.test").exists()
