"""Reads for the post-test: a learner's status, attempts and review."""

from dataclasses import dataclass, field

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


def attempt_with_answers(*, user, quiz, number):
    """The learner's own attempt by number with `page_rows` (its questions in order, key left out),
    or None. Like attempt_for_learner, another learner's attempt is never found.

    One statement: the questions joined to their attempt. An attempt always has questions
    (attempt_start refuses to start one without), so the fallback read only runs for a missing one.
    """
    rows = list(
        AttemptQuestion.objects.filter(attempt__user=user, attempt__quiz=quiz, attempt__number=number)
        .select_related("attempt")
        .only(*QUESTION_PAGE_FIELDS, *(f"attempt__{name}" for name in ATTEMPT_PAGE_FIELDS))
        .order_by("position")
    )
    if rows:
        attempt = rows[0].attempt
    else:
        attempt = (
            Attempt.objects.filter(user=user, quiz=quiz, number=number).only(*ATTEMPT_PAGE_FIELDS).first()
        )
        if attempt is None:
            return None
    attempt.quiz = quiz
    attempt.page_rows = rows
    return attempt


def attempt_rows(attempt, *, with_keys=True):
    """The attempt's questions in order. Pages that only show them skip the grading keys."""
    rows = attempt.questions.order_by("position")
    return list(rows if with_keys else rows.defer("key"))
