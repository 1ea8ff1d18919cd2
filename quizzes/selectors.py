"""Reads for the post-test: a learner's status, attempts and review."""

from dataclasses import dataclass, field
from functools import cache

from django.db import connection

from ce_course.plain_sql import build, column, columns, fetch_rows, table, width
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


# The attempt page reads the attempt's columns and each question's saved answer in one plain
# statement (ce_course/plain_sql.py): side by side, the ORM's forms of the same read made the page
# 75% slower (bench/bench_attempt_page.py, README "Performance"). Left out of every row: the key
# (the page must not be able to leak it) and the display snapshot (about 2.5 KB of JSON a question):
# a warm page shows each question's inputs as stored on its row (AttemptQuestion.inputs_html), so
# decoding ten snapshots on every view would be wasted; snapshots_load() fills them in where needed.
QUESTION_LEFT_OUT = ("snapshot", "key")


@cache
def _attempt_page_sql():
    attempt_id = f"a.{column(Attempt, 'id')}"
    return " ".join(
        [
            f"SELECT {columns(Attempt, 'a')}, {columns(AttemptQuestion, 'q', exclude=QUESTION_LEFT_OUT)}",
            f"FROM {table(Attempt)} a JOIN {table(AttemptQuestion)} q",
            f"ON q.{column(AttemptQuestion, 'attempt')} = {attempt_id}",
            f"WHERE a.{column(Attempt, 'user')} = %s AND a.{column(Attempt, 'quiz')} = %s",
            f"AND a.{column(Attempt, 'number')} = %s",
            f"ORDER BY q.{column(AttemptQuestion, 'position')}",
        ]
    )


def attempt_with_answers(*, user, quiz, number):
    """The learner's own attempt by number with `page_rows` (its questions in order, key and
    snapshot left out), or None. Like attempt_for_learner, another learner's attempt is never
    found. An attempt always has questions (attempt_start refuses to start one without).
    """
    # A number outside the column's range names no attempt; the database must not be asked (for
    # 2**63 SQLite's driver raises OverflowError, which the ORM would have guarded against).
    lowest, highest = connection.ops.integer_field_range(
        Attempt._meta.get_field("number").get_internal_type()
    )
    if not max(lowest, 1) <= number <= highest:
        return None
    rows = fetch_rows(_attempt_page_sql(), [user.pk, quiz.pk, number])
    if not rows:
        return None
    split = width(Attempt)
    attempt = build(Attempt, rows[0][:split])
    attempt.quiz = quiz
    attempt.page_rows = [build(AttemptQuestion, row[split:], exclude=QUESTION_LEFT_OUT) for row in rows]
    return attempt


def snapshots_load(rows):
    """Fill in the display snapshot of page rows read without it, in one query; returns `rows`."""
    missing = {row.pk: row for row in rows if "snapshot" in row.get_deferred_fields()}
    if missing:
        found = AttemptQuestion.objects.filter(pk__in=missing).values_list("pk", "snapshot")
        for pk, snapshot in found:
            missing[pk].snapshot = snapshot
    return rows


def attempt_rows(attempt, *, with_keys=True):
    """The attempt's questions in order. Pages that only show them skip the grading keys."""
    rows = attempt.questions.order_by("position")
    return list(rows if with_keys else rows.defer("key"))
