"""The completion report's selector: filters, per-row figures and the summary."""

from datetime import date
from decimal import Decimal

import pytest

from certificates.models import Certificate
from reports import summary as summary_counts
from reports.filters import CompletionFilter
from reports.selectors import completion_rows, completion_summary, completions_per_month, score_distribution
from tests.certificates.conftest import finish_course, pass_post_test
from tests.factories import LicenseFactory, UserFactory
from tests.quizzes.conftest import complete_modules

pytestmark = pytest.mark.django_db


def test_rows_carry_score_attempts_time_and_licenses(certificate, passed_learner):
    row = completion_rows(CompletionFilter()).get()
    assert row.best_percent == Decimal("100.00") and row.attempts_used == 1
    assert row.seconds_spent == 0
    assert [(lic.state, lic.number) for lic in row.licenses.all()] == [("FL", "RN1234567")]


def test_filters_by_state_profession_status_and_dates(certificate, course, post_test):
    nurse = UserFactory()
    LicenseFactory(user=nurse, state="GA", number="GA1", profession="LPN")
    complete_modules(nurse, course)
    pass_post_test(nurse, post_test)
    finish_course(nurse, course)
    assert completion_rows(CompletionFilter(state="GA")).count() == 1
    assert completion_rows(CompletionFilter(profession="RN")).count() == 1
    assert completion_rows(CompletionFilter(state="TX")).count() == 0
    assert completion_rows(CompletionFilter(completed_from=date(2000, 1, 1))).count() == 2
    assert completion_rows(CompletionFilter(completed_to=date(2000, 1, 1))).count() == 0
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at="2026-01-01T00:00Z", revoked_reason="x")
    assert completion_rows(CompletionFilter()).count() == 1
    assert completion_rows(CompletionFilter(status="revoked")).count() == 1
    assert completion_rows(CompletionFilter(status="all")).count() == 2


def test_summary_figures(certificate, course):
    # The fixture enrols through a factory, not enrollment_create, which counts the enrolment.
    summary_counts.learners_counted(course.pk, enrolled=1)
    summary = completion_summary(CompletionFilter(course_id=course.pk))
    assert summary.enrolled == 1 and summary.completed == 1
    assert summary.attempted == 1 and summary.passed == 1 and summary.pass_rate == Decimal("100.0")
    assert summary.mean_score == Decimal("100.0") and summary.hours_awarded == Decimal("1.00")
    assert completions_per_month(CompletionFilter())[0][1] == 1
    assert dict(score_distribution(CompletionFilter()))["100"] == 1
