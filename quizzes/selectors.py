"""Reads for the post-test: a learner's status, attempts and review."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connection
from django.utils import timezone

from quizzes.models import Attempt, AttemptQuestion, Quiz


@dataclass(frozen=True)
class PostTestStatus:
    quiz: Quiz | None
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def exists(self):
        return self.quiz is not None

    @property
    def submitted(self):
        return [a for a in self.attempts if not a.is_open]

    @property
    def open_attempt(self):
        return next((a for a in self.attempts if a.is_open), None)

    @property
    def passed(self):
        return any(a.passed for a in self.attempts)

    @property
    def best(self):
        """The attempt that counts: the highest score (the earliest of equal ones)."""
        graded = self.submitted
        if not graded:
            return None
        return max(graded, key=lambda a: (a.percent, -a.number))

    @property
    def attempts_used(self):
        return len(self.attempts)

    @property
    def attempts_left(self):
        if self.quiz is None or self.quiz.attempts_allowed == 0:
            return None
        return max(self.quiz.attempts_allowed - self.attempts_used, 0)

    @property
    def state(self):
        if self.quiz is None:
            return "none"
        if self.passed:
            return "passed"
        if self.open_attempt is not None:
            return "open"
        if not self.attempts:
            return "not_started"
        if self.attempts_left == 0:
            return "failed_no_attempts"
        return "failed_can_retry"


def quiz_of(course):
    """The course's post-test or None. No query when the caller loaded the course with select_related("quiz")."""
    try:
        return course.quiz
    except Quiz.DoesNotExist:
        return None


def post_test_status(*, user, course):
    quiz = quiz_of(course)
    attempts = list(Attempt.objects.filter(user=user, quiz=quiz).order_by("number")) if quiz else []
    return PostTestStatus(quiz=quiz, attempts=attempts)


def attempt_for_learner(*, user, quiz, number):
    """The learner's own attempt by number, or None: another learner's attempt is never found.

    `quiz` (usually the worker's copy that came with course_for_learner) is attached to the
    attempt, so reading attempt.quiz costs no query and the statement needs no join.
    """
    try:
        attempt = Attempt.objects.get(user=user, quiz=quiz, number=number)
    except Attempt.DoesNotExist:
        return None
    attempt.quiz = quiz
    return attempt


# What the attempt page reads: the attempt's own columns, and each question's frozen display
# snapshot and saved answer (never its key: the page must not be able to leak it).
ATTEMPT_PAGE_FIELDS = ("id", "user", "quiz", "number", "started_at", "deadline", "submitted_at")
QUESTION_PAGE_FIELDS = ("id", "attempt", "position", "snapshot", "response", "points_awarded")


def _attempt_page_sql():
    """The attempt page's one statement; every table and column name from the models' _meta."""
    attempt, question, quote = Attempt._meta, AttemptQuestion._meta, connection.ops.quote_name
    a = {name: quote(attempt.get_field(name).column) for name in ATTEMPT_PAGE_FIELDS}
    q = {name: quote(question.get_field(name).column) for name in QUESTION_PAGE_FIELDS}
    # Names from _meta, values as parameters: nothing from a request is put into the text.
    columns = [f"q.{q[name]}" for name in QUESTION_PAGE_FIELDS]
    columns += [f"a.{a[name]} AS {_attempt_alias(name)}" for name in ATTEMPT_PAGE_FIELDS]
    return " ".join(
        [
            "SELECT",
            ", ".join(columns),
            f"FROM {quote(question.db_table)} q JOIN {quote(attempt.db_table)} a ON a.{a['id']} = q.{q['attempt']}",
            f"WHERE a.{a['user']} = %s AND a.{a['quiz']} = %s AND a.{a['number']} = %s",
            f"ORDER BY q.{q['position']}",
        ]
    )


def _attempt_alias(name):
    return f"page_attempt_{Attempt._meta.get_field(name).column}"


ATTEMPT_PAGE_SQL = _attempt_page_sql()


def attempt_with_answers(*, user, quiz, number):
    """The learner's own attempt by number with `page_rows` (its questions in order, key left out),
    or None. Like attempt_for_learner, another learner's attempt is never found.

    Plain SQL through Manager.raw(), which converts the question columns as the ORM does: on this
    page, reloaded and returned to throughout a post-test, building the equivalent ORM statement
    took most of the page's time (bench/bench_attempt_page.py, README "Performance"). The attempt's
    columns come with every row; the attempt is built from the first with Model.from_db. An
    attempt always has questions (attempt_start refuses to start one without).
    """
    # A number outside the column's range names no attempt; the database must not be asked (for
    # 2**63 SQLite's driver raises OverflowError, which the ORM would have guarded against).
    lowest, highest = connection.ops.integer_field_range(
        Attempt._meta.get_field("number").get_internal_type()
    )
    if not max(lowest, 1) <= number <= highest:
        return None
    rows = list(AttemptQuestion.objects.raw(ATTEMPT_PAGE_SQL, [user.pk, quiz.pk, number]))
    if not rows:
        return None
    first = rows[0]
    values = [getattr(first, _attempt_alias(name)) for name in ATTEMPT_PAGE_FIELDS]
    attempt = Attempt.from_db(
        DEFAULT_DB_ALIAS,
        [Attempt._meta.get_field(name).attname for name in ATTEMPT_PAGE_FIELDS],
        [_aware(value) for value in values],
    )
    attempt.quiz = quiz
    attempt.page_rows = rows
    return attempt


def _aware(value):
    # Extra columns of a raw() query are not converted: SQLite gives naive datetimes, in the
    # database's time zone (UTC unless DATABASES sets TIME_ZONE), as the ORM's converter assumes.
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, connection.timezone)
    return value


def attempt_rows(attempt, *, with_keys=True):
    """The attempt's questions in order. Pages that only show them skip the grading keys."""
    rows = attempt.questions.order_by("position")
    return list(rows if with_keys else rows.defer("key"))
