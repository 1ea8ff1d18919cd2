"""Item statistics of a course's post-test, read for the CE board. The arithmetic is quizzes.statistics.

Three queries whatever the number of learners: the graded questions of the attempts (only the
columns the statistics need, never the stored stems), the choice texts the learners were shown,
and the questions' labels.
"""

from collections.abc import Iterator
from decimal import Decimal

from django.db.models import Max
from django.db.models.fields.json import KT

from quizzes.models import AttemptQuestion
from quizzes.statistics import (
    AttemptResult,
    QuestionInfo,
    QuestionResult,
    QuestionStatistics,
    choice_order,
    question_statistics,
)

# Kinds whose answers are counted one by one: the choices picked, or for a typed answer (numerical,
# short answer, a missing word typed in) each distinct text typed, as Moodle's response analysis.
CHOICE_KINDS = frozenset({"single", "true_false", "multiple", "cloze", "numerical", "short_answer"})
CHUNK = 5000


def _graded_questions(quiz, *, first_attempts_only):
    rows = AttemptQuestion.objects.filter(attempt__quiz=quiz, attempt__submitted_at__isnull=False)
    if first_attempts_only:
        # Attempt 1 is always the first one submitted: a new attempt starts only once none is
        # open, and numbers count up from 1 (quizzes.services.attempt_start).
        rows = rows.filter(attempt__number=1)
    return rows


def _chosen(kind, response):
    if kind not in CHOICE_KINDS:
        return None
    if response is None:
        return frozenset()
    if isinstance(response, str):  # single, true/false, a missing word; a typed answer's text
        return frozenset([response])
    return frozenset(response)  # multiple: the list of ids picked


def _attempts(rows) -> Iterator[AttemptResult]:
    """Group rows (ordered by attempt) into attempts, in attempt id order: the tie-break order."""
    current, score, max_score, results = None, None, None, []
    for attempt_id, attempt_score, attempt_max, question_id, kind, points, awarded, response in rows:
        if attempt_id != current:
            if results:
                yield AttemptResult(score=score, max_score=max_score, questions=tuple(results))
            current, score, max_score, results = attempt_id, attempt_score, attempt_max, []
        results.append(
            QuestionResult(
                question_id=question_id,
                # A submitted attempt has every question graded; None would be a partial write.
                points=awarded if awarded is not None else Decimal(0),
                max_points=Decimal(points),
                chosen=_chosen(kind, response),
                answered=response is not None,
            )
        )
    if results:
        yield AttemptResult(score=score, max_score=max_score, questions=tuple(results))


def _choice_labels(graded):
    """Choice id -> text per question, from the snapshots of the same attempts.

    Every id a learner picked is in the snapshot of that attempt, so no pick goes unlabelled even
    after an author replaced the choices. Snapshots differ only in choice order (shuffling) and in
    edits, so grouping leaves a few rows per question; the latest text of an id wins.
    """
    offered = (
        graded.filter(snapshot__kind__in=sorted(CHOICE_KINDS))
        .order_by()
        .values("question_id", "snapshot__choices")
        .annotate(latest=Max("pk"))
        .order_by("latest")
    )
    labels: dict[int, dict[str, str]] = {}
    for row in offered:
        question_labels = labels.setdefault(row["question_id"], {})
        for choice in row["snapshot__choices"] or ():
            question_labels[str(choice["id"])] = choice["text"]
    return labels


def item_statistics(quiz, *, first_attempts_only=True) -> list[QuestionStatistics]:
    """Per-question statistics of `quiz` over its submitted attempts, in the bank's order.

    By default each learner counts once, with their first attempt (a retake has seen the review
    and would flatter the questions); `first_attempts_only=False` takes every submitted attempt.
    Questions no included attempt was asked are left out. Reads only; runs three queries.
    """
    graded = _graded_questions(quiz, first_attempts_only=first_attempts_only)
    rows = (
        graded.order_by("attempt_id", "position")
        .values_list(
            "attempt_id",
            "attempt__score",
            "attempt__max_score",
            "question_id",
            KT("snapshot__kind"),
            KT("snapshot__points"),
            "points_awarded",
            "response",
        )
        .iterator(chunk_size=CHUNK)
    )
    attempts = list(_attempts(rows))
    if not attempts:
        return []
    labels = _choice_labels(graded)
    questions = {
        question.pk: QuestionInfo(
            label=str(question),  # its title, or the first 80 characters of its stem
            kind=question.kind,
            choices=tuple(
                (choice_id, text)
                for choice_id, text in sorted(
                    labels.get(question.pk, {}).items(), key=lambda item: choice_order(item[0])
                )
            ),
        )
        for question in quiz.questions.only("pk", "quiz_id", "position", "kind", "title", "stem_markdown")
    }
    return question_statistics(attempts=attempts, questions=questions)
