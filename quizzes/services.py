"""Writes for the post-test: start an attempt, save answers, submit and grade.

Every function re-checks the rules it depends on inside its own transaction, so a forged
or racing request cannot get round them; the database constraints on Attempt back them up.
"""

import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from lti.hooks import lti_post_test_passed
from quizzes.authoring import frozen_question
from quizzes.grading import (
    AnswerKeyError,
    GradingError,
    IncompleteOrder,
    grade,
    incomplete_to_json,
    key_from_snapshot,
    validate_response,
)
from quizzes.models import Attempt, AttemptQuestion, Choice, DrawRule, Question, Quiz
from quizzes.selectors import quiz_of
from reports import summary as completion_summary

PERCENT = Decimal("0.01")


class PostTestError(Exception):
    """A post-test action the learner may not take now; the message is shown to them."""


def _draw(*, quiz, user, rng):
    """Questions for a new attempt: per topic as the draw rules say, favouring unseen ones.

    A retake prefers questions the learner has not been asked before; ties are broken at random.
    """
    bank = list(quiz.questions.filter(is_active=True).prefetch_related("choices"))
    seen = dict(
        Question.objects.filter(attempt_questions__attempt__user=user, attempt_questions__attempt__quiz=quiz)
        .annotate(times=Count("attempt_questions"))
        .values_list("pk", "times")
    )

    def least_seen_first(questions):
        questions = list(questions)
        rng.shuffle(questions)
        return sorted(questions, key=lambda q: seen.get(q.pk, 0))

    rules = list(quiz.draw_rules.all())
    if not rules:
        drawn = least_seen_first(bank)
    else:
        drawn = []
        for rule in rules:
            candidates = [q for q in bank if q.topic == rule.topic]
            if len(candidates) < rule.count:
                raise PostTestError(
                    "The post-test is being updated and cannot start right now. Please try again later."
                )
            drawn.extend(least_seen_first(candidates)[: rule.count])
    if quiz.shuffle_questions:
        rng.shuffle(drawn)
    if not drawn:
        raise PostTestError("The post-test has no questions yet.")
    return drawn


def attempts_left(quiz, used):
    """None when attempts are unlimited."""
    if quiz.attempts_allowed == 0:
        return None
    return max(quiz.attempts_allowed - used, 0)


def attempt_start(*, user, quiz, all_modules_complete, now=None, rng=None):
    """Start a new attempt, or return the open one. Raises PostTestError when none may start.

    The caller passes the completion rule's verdict on the modules. Two racing starts cannot
    both create an attempt: (user, quiz, number) and "one open attempt" are unique in the database.
    """
    now = now or timezone.now()
    rng = rng or random.SystemRandom()
    if not all_modules_complete:
        raise PostTestError("Complete every module before you start the post-test.")
    attempt_close_expired(user=user, quiz=quiz, now=now)
    try:
        with transaction.atomic():
            attempts = list(Attempt.objects.select_for_update().filter(user=user, quiz=quiz))
            open_attempt = next((a for a in attempts if a.is_open), None)
            if open_attempt is not None:
                return open_attempt
            if any(a.passed for a in attempts):
                raise PostTestError("You have already passed the post-test.")
            if attempts_left(quiz, len(attempts)) == 0:
                raise PostTestError("You have used every attempt at this post-test.")
            questions = _draw(quiz=quiz, user=user, rng=rng)
            frozen = [
                frozen_question(q, list(q.choices.all()), shuffle_choices=quiz.shuffle_choices, rng=rng)
                for q in questions
            ]
            attempt = Attempt.objects.create(
                user=user,
                quiz=quiz,
                number=len(attempts) + 1,
                started_at=now,
                deadline=now + timedelta(minutes=quiz.time_limit_minutes)
                if quiz.time_limit_minutes
                else None,
                max_score=sum((q.points for q in questions), Decimal(0)),
            )
            AttemptQuestion.objects.bulk_create(
                AttemptQuestion(attempt=attempt, question=q, position=i, snapshot=snapshot, key=key)
                for i, (q, (snapshot, key)) in enumerate(zip(questions, frozen, strict=True), start=1)
            )
            return attempt
    except IntegrityError:
        # Another request started (or numbered) an attempt at the same moment: use the open one.
        open_attempt = Attempt.objects.filter(user=user, quiz=quiz, submitted_at__isnull=True).first()
        if open_attempt is None:
            raise PostTestError("Another request changed your attempts just now. Please try again.") from None
        return open_attempt


def attempt_inputs_keep(*, rows):
    """Store the question inputs the attempt page rendered for these rows (presentation.
    question_inputs_html), so the next view reads them with the rows. Touches only those two
    columns: a response saved meanwhile keeps its value, and its key no longer matches the HTML.
    Only while the attempt is open: a submit that landed since the page's read emptied them for good."""
    open_rows = AttemptQuestion.objects.filter(attempt__submitted_at__isnull=True)
    open_rows.bulk_update(rows, ["inputs_html", "inputs_key"])


@dataclass(frozen=True)
class SaveResult:
    """What a save did: how many answers changed, and why each refused question was refused."""

    changed: int
    errors: dict = field(default_factory=dict)  # AttemptQuestion id -> message for the learner


def attempt_save(*, attempt, answers, now=None):
    """Save the learner's answers to an open attempt. `answers` maps AttemptQuestion id -> raw answer.

    Question by question: every answer that fits its question is saved, each one that does not is
    left as it was and named in the result's `errors`; one question's bad input never costs the
    learner the others. Each answer is one row, written whole, all in one transaction. A forged id
    (a question not in this attempt) saves nothing and raises GradingError. An answer that arrives
    after the deadline is not saved; the attempt is graded as it stood at the deadline.
    """
    now = now or timezone.now()
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if not attempt.is_open:
            raise PostTestError("This attempt is already submitted; its answers can no longer change.")
        if attempt.deadline is not None and now > attempt.deadline:
            _grade(attempt, now=attempt.deadline, late=True)
            saved = None
        else:
            saved = _save_answers(attempt, answers, now)
    if saved is None:
        # Raised after the transaction commits, so the grading above is kept.
        raise PostTestError("Time ran out before this answer arrived; the attempt was graded as it stood.")
    return saved


def _save_answers(attempt, answers, now):
    rows = {row.pk: row for row in attempt.questions.defer("snapshot")}
    if any(key not in rows for key in answers):
        raise GradingError("An answer was sent for a question that is not part of this attempt.")
    changed, errors = [], {}
    for row_id, raw in answers.items():
        row = rows[row_id]
        try:
            normalized = validate_response(key_from_snapshot(row.key), raw)
        except GradingError as error:
            errors[row_id] = str(error)
            continue
        stored = _jsonable(normalized)
        if stored != row.response:
            row.response = stored
            row.responded_at = now
            changed.append(row)
    AttemptQuestion.objects.bulk_update(changed, ["response", "responded_at"])
    return SaveResult(changed=len(changed), errors=errors)


def _jsonable(normalized):
    if isinstance(normalized, frozenset):
        return sorted(normalized)
    if isinstance(normalized, tuple):
        return list(normalized)
    if isinstance(normalized, IncompleteOrder):
        return incomplete_to_json(normalized)
    return normalized


def attempt_submit(*, attempt, now=None):
    """Grade and close an attempt. A second submit of the same attempt changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if not attempt.is_open:
            return attempt
        late = attempt.deadline is not None and now > attempt.deadline
        return _grade(attempt, now=attempt.deadline if late else now, late=late)


def attempt_close_expired(*, user, quiz, now=None):
    """Grade, as it stood, any open attempt of `user` whose deadline has passed."""
    now = now or timezone.now()
    expired = Attempt.objects.filter(user=user, quiz=quiz, submitted_at__isnull=True, deadline__lt=now)
    for attempt in expired:
        attempt_submit(attempt=attempt, now=now)


def _grade(attempt, *, now, late):
    rows = list(attempt.questions.all())
    total = Decimal(0)
    for row in rows:
        try:
            row.points_awarded = grade(key_from_snapshot(row.key), row.response)
        except (GradingError, AnswerKeyError):
            # A stored response was validated when saved; if it no longer fits, it earns nothing.
            row.points_awarded = Decimal(0)
        total += row.points_awarded
        row.inputs_html = row.inputs_key = ""  # the attempt page is not shown again: keep no markup
    AttemptQuestion.objects.bulk_update(rows, ["points_awarded", "inputs_html", "inputs_key"])
    attempt.score = total
    attempt.percent = (
        (total * 100 / attempt.max_score).quantize(PERCENT, rounding=ROUND_HALF_UP)
        if attempt.max_score
        else Decimal(0)
    )
    # Pass/fail compares the exact ratio, not the rounded percent: 79.996% is not a pass.
    attempt.passed = total * 100 >= attempt.quiz.pass_mark_percent * attempt.max_score
    attempt.submitted_at = now
    attempt.submitted_late = late
    attempt.save(update_fields=["score", "percent", "passed", "submitted_at", "submitted_late"])
    completion_summary.attempt_graded(attempt)  # the board's learner counts, in this transaction
    if attempt.passed:  # the LMS that launched the course gets the score (lti/); never blocks grading
        transaction.on_commit(
            partial(lti_post_test_passed, attempt.user_id, attempt.quiz.course_id, attempt.percent)
        )
    return attempt


def quiz_for_course(course):
    return quiz_of(course)


CHOICE_FIELDS = (
    "text",
    "is_correct",
    "weight",
    "correct_position",
    "match_text",
    "number",
    "tolerance",
    "range_low",
    "range_high",
)


def _choice_values(choice):
    return tuple(getattr(choice, name) for name in CHOICE_FIELDS)


@transaction.atomic
def quiz_load(*, course, spec, report):
    """Create or update a course's post-test from a QuizSpec. Idempotent; questions match by key.

    A question no longer in the file is retired (never drawn again), not deleted: attempts keep it.
    """
    quiz, created = Quiz.objects.select_for_update().get_or_create(course=course, defaults=spec.settings)
    if created:
        report.created.append(f"post-test of {course.slug}")
    elif any(getattr(quiz, name) != value for name, value in spec.settings.items()):
        for name, value in spec.settings.items():
            setattr(quiz, name, value)
        quiz.save()
        report.updated.append(f"post-test settings of {course.slug}")

    current_rules = [(r.topic, r.count) for r in quiz.draw_rules.all()]
    if current_rules != list(spec.draw):
        quiz.draw_rules.all().delete()
        DrawRule.objects.bulk_create(
            DrawRule(quiz=quiz, position=i, topic=topic, count=count)
            for i, (topic, count) in enumerate(spec.draw, start=1)
        )
        report.updated.append(f"draw rules of {course.slug}")

    existing = {q.key: q for q in quiz.questions.prefetch_related("choices")}
    for position, qspec in enumerate(spec.questions, start=1):
        values = {
            "position": position,
            "kind": qspec.kind,
            "topic": qspec.topic,
            "title": qspec.title,
            "stem_markdown": qspec.stem,
            "rationale_markdown": qspec.rationale,
            "reference": qspec.reference,
            "points": qspec.points,
            "multiple_grading": qspec.multiple_grading,
            "ordering_mode": qspec.ordering_mode,
            "case_sensitive": qspec.case_sensitive,
            "blank_input": qspec.blank_input,
            "is_active": True,
        }
        question = existing.get(qspec.key)
        wanted_choices = [tuple(getattr(c, name) for name in CHOICE_FIELDS) for c in qspec.choices]
        if question is None:
            question = Question.objects.create(quiz=quiz, key=qspec.key, **values)
            report.created.append(f"question {qspec.key}")
        else:
            changed = [name for name, value in values.items() if getattr(question, name) != value]
            same_choices = [_choice_values(c) for c in question.choices.all()] == wanted_choices
            if not changed and same_choices:
                report.unchanged.append(f"question {qspec.key}")
                continue
            for name in changed:
                setattr(question, name, values[name])
            question.save()
            report.updated.append(f"question {qspec.key}")
            if same_choices:
                continue
            question.choices.all().delete()
        Choice.objects.bulk_create(
            Choice(question=question, position=i, **dict(zip(CHOICE_FIELDS, values_, strict=True)))
            for i, values_ in enumerate(wanted_choices, start=1)
        )
    wanted_keys = {q.key for q in spec.questions}
    for key, question in existing.items():
        if key not in wanted_keys and question.is_active:
            question.is_active = False
            question.save(update_fields=["is_active"])
            report.updated.append(f"question {key} retired (no longer in the file)")
    return quiz
