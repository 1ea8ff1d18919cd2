"""Item statistics of a post-test: how hard each question was, and how well it told learners apart.

Pure Python: no Django, no database. `reports.item_statistics` reads the attempts and calls
`question_statistics`; anything else (a test, a notebook) can call it with plain values.

Moodle's quiz statistics report is the reference for the vocabulary. Definitions, per question:

- responses: the attempts in which the question was asked. An unanswered question counts, as a
  wrong answer, as Moodle counts it; `unanswered` says how many there were.
- facility index: the mean share of the question's points earned, as a percent (for a 0/1 item,
  the share of learners who got it right).
- discrimination index (Kelley's upper-lower index D, not Moodle's correlation): take the
  attempts that were asked the question, ranked by their total score; the upper group is the
  top g of them, the lower group the bottom g, with g = 27% of the responses rounded half up and
  at least 1. D = (mean share earned in the upper group - mean share in the lower group) x 100,
  in [-100, 100]. With two or more responses the groups never overlap (27% of n, rounded, is at
  most n / 2 from n = 2 up); with fewer than two there is nothing to compare and D is None.
  Groups are per question because an attempt draws only some questions from the bank: a global
  top 27% could hold few or none of the learners who saw a rarely drawn question.
  The total score includes the question itself, as in the classical index: with ten questions an
  attempt, a question's own points move learners between the groups and lift D by a few points, so
  a mildly mis-keyed question can read near zero rather than below it.
- ranking and ties: attempts are ranked by total score / maximum score (exact), highest first.
  Attempts with the same total keep the order they were given in (Python's sort is stable), so the
  earlier one ranks higher; the database layer passes attempts in id order. The same data always
  gives the same groups.
- mean score: the mean points earned, beside the question's maximum (the largest, should an author
  have changed the points between attempts; facility is the measure that stays comparable).
- choices (single, true/false, multiple, missing word): how many responses picked each choice, and the
  percent of responses (a multiple-select question's percents may add up to more than 100); for a typed
  answer (numerical, short answer, a missing word typed in), each distinct text typed counts as a choice.

Arithmetic is exact (Decimal in, fractions.Fraction inside, never float) up to one final rounding,
half away from zero, to two decimal places: a percent never depends on the order of summation, and
swapping the groups exactly negates D. Flags are read from the rounded figures, so a flag always
agrees with the number shown beside it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

GROUP_SHARE = Decimal("0.27")
# Above 95% nearly everyone gets it right (it measures little); below 20% nearly nobody does
# (often a wrong key or an ambiguous stem).
TOO_EASY_ABOVE = Decimal(95)
TOO_HARD_BELOW = Decimal(20)


class Flag(StrEnum):
    NEGATIVE_DISCRIMINATION = "negative_discrimination"
    TOO_EASY = "too_easy"
    TOO_HARD = "too_hard"

    @property
    def label(self) -> str:
        return FLAG_LABELS[self]


FLAG_LABELS: Mapping[Flag, str] = {
    Flag.NEGATIVE_DISCRIMINATION: (
        "Negative discrimination: stronger learners did worse on this question than weaker ones. "
        "Check the key and the wording."
    ),
    Flag.TOO_EASY: f"Facility above {TOO_EASY_ABOVE}%: nearly everyone gets it right.",
    Flag.TOO_HARD: f"Facility below {TOO_HARD_BELOW}%: nearly nobody gets it right. Check the key.",
}


class ItemStatisticsError(ValueError):
    """Input that cannot come from a graded attempt (points out of range, a question twice)."""


@dataclass(frozen=True)
class QuestionResult:
    """One question as graded in one attempt.

    `chosen` holds the ids of the choices picked, for a question with choices (single, true/false,
    multiple): empty when none was picked. It is None for a question without choices (ordering,
    matching), which then gets no choice counts.
    """

    question_id: int
    points: Decimal
    max_points: Decimal
    chosen: frozenset[str] | None = None
    answered: bool = True


@dataclass(frozen=True)
class AttemptResult:
    score: Decimal
    max_score: Decimal
    questions: tuple[QuestionResult, ...]


@dataclass(frozen=True)
class QuestionInfo:
    """What to call a question and its choices; `choices` are (id, label) in the order to list them."""

    label: str = ""
    kind: str = ""
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ChoiceStatistics:
    choice_id: str
    label: str
    count: int
    percent: Decimal


@dataclass(frozen=True)
class QuestionStatistics:
    question_id: int
    label: str
    kind: str
    responses: int
    unanswered: int
    facility: Decimal  # percent, 0..100
    discrimination: Decimal | None  # -100..100; None with fewer than two responses
    group_size: int  # attempts in each of the upper and lower groups
    mean_points: Decimal
    max_points: Decimal
    choices: tuple[ChoiceStatistics, ...]
    flags: tuple[Flag, ...]


def group_size(responses: int) -> int:
    """Attempts in each of the upper and lower groups: 27% of `responses`, rounded half up, at least 1."""
    if responses <= 0:
        return 0
    rounded = int((GROUP_SHARE * responses).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return max(rounded, 1)


def _round_cents(value: Fraction) -> Decimal:
    """`value` rounded half away from zero to two decimal places, exactly (no intermediate rounding)."""
    cents = abs(value) * 100
    whole, rest = divmod(cents.numerator, cents.denominator)
    if 2 * rest >= cents.denominator:
        whole += 1
    rounded = Decimal(whole).scaleb(-2)
    # `and whole` keeps a value that rounds to zero from printing as "-0.00".
    return -rounded if value < 0 and whole else rounded


def _share(points: Decimal, max_points: Decimal) -> Fraction:
    return Fraction(points) / Fraction(max_points)


def _tally(results: Iterable[QuestionResult]) -> Counter[tuple[Decimal, Decimal]]:
    # Graded points take few distinct values, so counting them first keeps a 100,000-attempt
    # report to a handful of exact divisions per question.
    return Counter((result.points, result.max_points) for result in results)


def _mean_share(tally: Counter[tuple[Decimal, Decimal]]) -> Fraction:
    total = sum(tally.values())
    return sum((count * _share(*pair) for pair, count in tally.items()), Fraction(0)) / total


def _mean_points(tally: Counter[tuple[Decimal, Decimal]]) -> Fraction:
    total = sum(tally.values())
    return sum((count * Fraction(points) for (points, _), count in tally.items()), Fraction(0)) / total


def _check(attempt: AttemptResult) -> None:
    if not attempt.max_score > 0 or not 0 <= attempt.score <= attempt.max_score:
        raise ItemStatisticsError(f"an attempt scored {attempt.score} of {attempt.max_score}")
    seen = set()
    for result in attempt.questions:
        if result.question_id in seen:
            raise ItemStatisticsError(f"question {result.question_id} appears twice in one attempt")
        seen.add(result.question_id)
        if not result.max_points > 0 or not 0 <= result.points <= result.max_points:
            raise ItemStatisticsError(
                f"question {result.question_id} was awarded {result.points} of {result.max_points}"
            )


def _ranked(attempts: Sequence[AttemptResult]) -> list[AttemptResult]:
    """Highest total share first; equal totals keep their input order (sorted() is stable)."""
    return sorted(attempts, key=lambda attempt: _share(attempt.score, attempt.max_score), reverse=True)


def choice_order(choice_id: str) -> tuple[int, int | str]:
    """Sort key for choice ids: they are primary keys as text, and numeric order is authoring order."""
    return (0, int(choice_id)) if choice_id.isdigit() else (1, choice_id)


def _choices(results: Sequence[QuestionResult], info: QuestionInfo) -> tuple[ChoiceStatistics, ...]:
    picked = Counter(choice for result in results if result.chosen for choice in result.chosen)
    labels = dict(info.choices)
    # A picked id the caller did not name still gets its row, so the counts always add up.
    ids = [choice for choice, _ in info.choices]
    ids += sorted(set(picked) - set(labels), key=choice_order)
    return tuple(
        ChoiceStatistics(
            choice_id=choice,
            label=labels.get(choice, choice),
            count=picked[choice],
            percent=_round_cents(Fraction(picked[choice] * 100, len(results))),
        )
        for choice in ids
    )


def _flags(facility: Decimal, discrimination: Decimal | None) -> tuple[Flag, ...]:
    flags = []
    if discrimination is not None and discrimination < 0:
        flags.append(Flag.NEGATIVE_DISCRIMINATION)
    if facility > TOO_EASY_ABOVE:
        flags.append(Flag.TOO_EASY)
    if facility < TOO_HARD_BELOW:
        flags.append(Flag.TOO_HARD)
    return tuple(flags)


def _statistics(
    question_id: int, ranked_results: list[QuestionResult], info: QuestionInfo
) -> QuestionStatistics:
    responses = len(ranked_results)
    size = group_size(responses)
    tally = _tally(ranked_results)
    facility = _round_cents(_mean_share(tally) * 100)
    discrimination = None
    if responses >= 2:
        upper, lower = _tally(ranked_results[:size]), _tally(ranked_results[-size:])
        discrimination = _round_cents((_mean_share(upper) - _mean_share(lower)) * 100)
    mean_points = _round_cents(_mean_points(tally))
    has_choices = bool(info.choices) or any(r.chosen is not None for r in ranked_results)
    return QuestionStatistics(
        question_id=question_id,
        label=info.label,
        kind=info.kind,
        responses=responses,
        unanswered=sum(not r.answered for r in ranked_results),
        facility=facility,
        discrimination=discrimination,
        group_size=size,
        mean_points=mean_points,
        # An author may change a question's points between attempts; facility compares like with like.
        max_points=max(maximum for _, maximum in tally),
        choices=_choices(ranked_results, info) if has_choices else (),
        flags=_flags(facility, discrimination),
    )


def question_statistics(
    *, attempts: Sequence[AttemptResult], questions: Mapping[int, QuestionInfo] | None = None
) -> list[QuestionStatistics]:
    """Statistics for every question asked in `attempts` (submitted attempts, graded).

    `questions` names questions and their choices; its order is the order of the result, and a
    question asked but not named there follows, in the order first met. Questions never asked are
    left out. Raises ItemStatisticsError on impossible input (points above the maximum, ...).
    """
    questions = questions or {}
    for attempt in attempts:
        _check(attempt)
    by_question: dict[int, list[QuestionResult]] = defaultdict(list)
    for attempt in _ranked(attempts):
        for result in attempt.questions:
            by_question[result.question_id].append(result)
    order = [qid for qid in questions if qid in by_question]
    order += [qid for qid in _first_met(attempts) if qid not in questions]
    return [_statistics(qid, by_question[qid], questions.get(qid, QuestionInfo())) for qid in order]


def _first_met(attempts: Sequence[AttemptResult]) -> list[int]:
    return list(dict.fromkeys(result.question_id for attempt in attempts for result in attempt.questions))
