"""Reads for the post-test: a learner's status, attempts and review."""

from dataclasses import dataclass, field
from typing import NamedTuple

from ce_course.plain_sql import db_datetime, db_json, fetch_rows, instance
from quizzes.models import Attempt, Quiz


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


class SavedAnswer(NamedTuple):
    """One question of an attempt page: its AttemptQuestion id and the answer saved so far."""

    pk: int
    response: object


# The attempt page is reloaded and returned to throughout a post-test, so its read is plain SQL
# (ce_course/plain_sql.py says why): the attempt and each question's saved answer, in one statement.
ATTEMPT_PAGE_SQL = """
    SELECT a.id, a.number, a.started_at, a.deadline, a.submitted_at, q.id, q.position, q.response
    FROM quizzes_attempt a
    LEFT JOIN quizzes_attemptquestion q ON q.attempt_id = a.id
    WHERE a.user_id = %s AND a.quiz_id = %s AND a.number = %s
    ORDER BY q.position
"""


def attempt_with_answers(*, user, quiz, number):
    """The learner's own attempt by number with `answers` (its questions in order, each a
    SavedAnswer: the row id and the saved answer only), or None. Like attempt_for_learner, another
    learner's attempt is never found.

    The attempt carries the columns the attempt page uses; any other is loaded on first access.
    quizzes.presentation.question_inputs_html reads the snapshots of the questions it renders.
    """
    rows = fetch_rows(ATTEMPT_PAGE_SQL, [user.pk, quiz.pk, number])
    if not rows:
        return None
    attempt_id, number, started_at, deadline, submitted_at = rows[0][:5]
    attempt = instance(
        Attempt,
        id=attempt_id,
        user_id=user.pk,
        quiz_id=quiz.pk,
        number=number,
        started_at=db_datetime(started_at),
        deadline=db_datetime(deadline),
        submitted_at=db_datetime(submitted_at),
    )
    attempt.quiz = quiz
    attempt.answers = [
        SavedAnswer(row_id, db_json(response))
        for *_, row_id, _position, response in rows
        if row_id is not None
    ]
    return attempt


def attempt_rows(attempt, *, with_keys=True):
    """The attempt's questions in order. Pages that only show them skip the grading keys."""
    rows = attempt.questions.order_by("position")
    return list(rows if with_keys else rows.defer("key"))
