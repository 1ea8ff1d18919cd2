"""Item statistics: the arithmetic on a hand-worked example, flags, properties, and the database read."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.authoring import frozen_question
from quizzes.grading import grade, key_from_snapshot
from quizzes.models import Attempt, AttemptQuestion, Quiz
from quizzes.statistics import (
    AttemptResult,
    Flag,
    ItemStatisticsError,
    QuestionInfo,
    QuestionResult,
    group_size,
    question_statistics,
)
from reports.item_statistics import item_statistics
from tests.factories import UserFactory
from tests.quizzes.conftest import build_bank

# --- the pure arithmetic ---------------------------------------------------------------------------

# Ten learners, three questions. Q1 single choice (1 point, A is right), Q2 true/false (1 point,
# T is right), Q3 multiple select (2 points, partial credit: X +50%, Y +50%, Z -50%, never below 0).
# "-" is unanswered.
#
#   learner  Q1 picked pts  Q2 picked pts  Q3 picked pts  total/4  rank
#   L1       A         1    T         1    X,Y       2    4        1   upper
#   L2       A         1    F         0    X,Y       2    3        2   upper
#   L3       A         1    T         1    X         1    3        3   upper
#   L4       B         0    T         1    X,Y       2    3        4   (tied with L2, L3: comes later)
#   L5       A         1    T         1    Z         0    2        5
#   L6       C         0    T         1    Y         1    2        6
#   L7       A         1    T         1    X,Z       0    2        7
#   L8       B         0    T         1    -         0    1        8   lower
#   L9       -         0    T         1    Z         0    1        9   lower
#   L10      D         0    T         1    Y,Z       0    1        10  lower
#
# Group size: 27% of 10 = 2.7, rounded half up = 3. Upper = L1 L2 L3, lower = L8 L9 L10.
#
# Q1  facility   = 5 right / 10                         = 50.00 %
#     D          = (3/3 upper - 0/3 lower) x 100         = 100.00
#     mean       = 5 points / 10                        = 0.50 of 1
#     choices    A 5 (50.00 %), B 2 (20.00), C 1 (10.00), D 1 (10.00); 1 unanswered (L9)
# Q2  facility   = 9 / 10                               = 90.00 %
#     D          = (2/3 - 3/3) x 100 = -33.333...        = -33.33  -> negative discrimination
#     mean       = 0.90 of 1; choices T 9 (90.00 %), F 1 (10.00 %)
# Q3  shares     = 1, 1, 1/2, 1, 0, 1/2, 0, 0, 0, 0 (sum 4)
#     facility   = 4 / 10                               = 40.00 %
#     D          = ((1 + 1 + 1/2)/3 - 0/3) x 100 = 83.333 = 83.33
#     mean       = (2+2+1+2+0+1+0+0+0+0) / 10 = 8 / 10  = 0.80 of 2
#     choices    X 5 (L1 L2 L3 L4 L7, 50.00 %), Y 5 (L1 L2 L4 L6 L10, 50.00 %),
#                Z 4 (L5 L7 L9 L10, 40.00 %); 1 unanswered (L8)
HAND_WORKED = [
    # (Q1 picked, points), (Q2 picked, points), (Q3 picked, points)
    (("A", 1), ("T", 1), ("XY", 2)),
    (("A", 1), ("F", 0), ("XY", 2)),
    (("A", 1), ("T", 1), ("X", 1)),
    (("B", 0), ("T", 1), ("XY", 2)),
    (("A", 1), ("T", 1), ("Z", 0)),
    (("C", 0), ("T", 1), ("Y", 1)),
    (("A", 1), ("T", 1), ("XZ", 0)),
    (("B", 0), ("T", 1), (None, 0)),
    ((None, 0), ("T", 1), ("Z", 0)),
    (("D", 0), ("T", 1), ("YZ", 0)),
]
MAX_POINTS = {1: Decimal(1), 2: Decimal(1), 3: Decimal(2)}
INFO = {
    1: QuestionInfo(label="Q1", kind="single", choices=(("A", "a"), ("B", "b"), ("C", "c"), ("D", "d"))),
    2: QuestionInfo(label="Q2", kind="true_false", choices=(("T", "True"), ("F", "False"))),
    3: QuestionInfo(label="Q3", kind="multiple", choices=(("X", "x"), ("Y", "y"), ("Z", "z"))),
}


def attempt_of(row):
    results = tuple(
        QuestionResult(
            question_id=qid,
            points=Decimal(points),
            max_points=MAX_POINTS[qid],
            chosen=frozenset(picked or ""),
            answered=picked is not None,
        )
        for qid, (picked, points) in enumerate(row, start=1)
    )
    return AttemptResult(
        score=sum((r.points for r in results), Decimal(0)), max_score=Decimal(4), questions=results
    )


def by_id(stats):
    return {s.question_id: s for s in stats}


def test_hand_worked_ten_learners():
    stats = by_id(question_statistics(attempts=[attempt_of(row) for row in HAND_WORKED], questions=INFO))
    q1, q2, q3 = stats[1], stats[2], stats[3]

    assert (q1.responses, q1.unanswered, q1.group_size) == (10, 1, 3)
    assert q1.facility == Decimal("50.00") and q1.discrimination == Decimal("100.00")
    assert q1.mean_points == Decimal("0.50") and q1.max_points == Decimal(1)
    assert [(c.label, c.count, c.percent) for c in q1.choices] == [
        ("a", 5, Decimal("50.00")),
        ("b", 2, Decimal("20.00")),
        ("c", 1, Decimal("10.00")),
        ("d", 1, Decimal("10.00")),
    ]
    assert q1.flags == ()

    assert q2.facility == Decimal("90.00") and q2.discrimination == Decimal("-33.33")
    assert q2.mean_points == Decimal("0.90")
    assert [(c.label, c.count, c.percent) for c in q2.choices] == [
        ("True", 9, Decimal("90.00")),
        ("False", 1, Decimal("10.00")),
    ]
    assert q2.flags == (Flag.NEGATIVE_DISCRIMINATION,)

    assert (q3.responses, q3.unanswered) == (10, 1)
    assert q3.facility == Decimal("40.00") and q3.discrimination == Decimal("83.33")
    assert q3.mean_points == Decimal("0.80") and q3.max_points == Decimal(2)
    assert [(c.choice_id, c.count, c.percent) for c in q3.choices] == [
        ("X", 5, Decimal("50.00")),
        ("Y", 5, Decimal("50.00")),
        ("Z", 4, Decimal("40.00")),
    ]
    assert [s.label for s in stats.values()] == ["Q1", "Q2", "Q3"]


def test_equal_totals_rank_in_input_order():
    # L2, L3 and L4 all scored 3; the one given first ranks first. With L4 moved ahead of L2 the
    # upper group becomes L1 L4 L2, so Q1's upper mean is 2/3 and D = 66.67 instead of 100.
    rows = [HAND_WORKED[0], HAND_WORKED[3], HAND_WORKED[1], HAND_WORKED[2], *HAND_WORKED[4:]]
    assert by_id(question_statistics(attempts=[attempt_of(r) for r in rows]))[1].discrimination == Decimal(
        "66.67"
    )
    again = question_statistics(attempts=[attempt_of(r) for r in rows])
    assert again == question_statistics(attempts=[attempt_of(r) for r in rows])


@pytest.mark.parametrize(
    ("responses", "size"), [(0, 0), (1, 1), (2, 1), (3, 1), (5, 1), (6, 2), (10, 3), (50, 14), (150, 41)]
)
def test_group_size_is_27_percent_rounded_half_up_at_least_one(responses, size):
    # 0.27 x 50 = 13.5 and 0.27 x 150 = 40.5: half up, where round() would give 14 and 40.
    assert group_size(responses) == size


def one_question(shares_by_rank):
    """Attempts answering question 1 with the given points (of 1); totals fall with the list order."""
    count = len(shares_by_rank)
    return [
        AttemptResult(
            score=Decimal(points) + (count - rank),
            max_score=Decimal(count + 1),
            questions=(QuestionResult(question_id=1, points=Decimal(points), max_points=Decimal(1)),),
        )
        for rank, points in enumerate(shares_by_rank)
    ]


@pytest.mark.parametrize(
    ("right", "flags"),
    [
        (20, (Flag.TOO_EASY,)),  # 100%
        (19, ()),  # exactly 95%: not above 95
        (4, ()),  # exactly 20%: not below 20
        (3, (Flag.TOO_HARD,)),  # 15%
        (0, (Flag.TOO_HARD,)),
    ],
)
def test_facility_flags(right, flags):
    (stats,) = question_statistics(attempts=one_question([1] * right + [0] * (20 - right)))
    assert stats.facility == Decimal(right * 5) and stats.flags == flags


def test_negative_discrimination_flag_and_labels():
    # The five best learners get it wrong and the five weakest right: D = (0 - 1) x 100.
    (stats,) = question_statistics(attempts=one_question([0] * 5 + [1] * 5))
    assert stats.discrimination == Decimal("-100.00") and stats.facility == Decimal("50.00")
    assert stats.flags == (Flag.NEGATIVE_DISCRIMINATION,)
    assert "stronger learners did worse" in Flag.NEGATIVE_DISCRIMINATION.label


def test_one_response_has_no_discrimination():
    (stats,) = question_statistics(attempts=one_question([1]))
    assert stats.discrimination is None and stats.group_size == 1 and stats.flags == (Flag.TOO_EASY,)


def two_attempts(lower_points, lower_max):
    """A stronger attempt earning half of question 1, and a weaker one earning lower_points of lower_max."""
    return [
        AttemptResult(
            score=Decimal(score),
            max_score=Decimal(100),
            questions=(QuestionResult(question_id=1, points=Decimal(points), max_points=Decimal(maximum)),),
        )
        for score, points, maximum in ((90, "0.5", "1"), (10, lower_points, lower_max))
    ]


def test_a_negative_index_that_rounds_to_zero_shows_zero_and_no_flag():
    # Lower share 5000.01 / 10000 = 0.500001: D = -0.0001, shown as 0.00 (not "-0.00"), unflagged.
    (stats,) = question_statistics(attempts=two_attempts("5000.01", "10000"))
    assert str(stats.discrimination) == "0.00" and stats.flags == ()
    # Lower share 50 / 99 = 0.50505...: D = -0.505..., rounded away from zero to -0.51, flagged.
    (stats,) = question_statistics(attempts=two_attempts("0.50", "0.99"))
    assert stats.discrimination == Decimal("-0.51") and stats.flags == (Flag.NEGATIVE_DISCRIMINATION,)


def test_impossible_input_is_refused():
    too_many = QuestionResult(question_id=1, points=Decimal(2), max_points=Decimal(1))
    with pytest.raises(ItemStatisticsError, match="awarded 2 of 1"):
        question_statistics(
            attempts=[AttemptResult(score=Decimal(2), max_score=Decimal(3), questions=(too_many,))]
        )
    with pytest.raises(ItemStatisticsError, match="scored 3 of 2"):
        question_statistics(attempts=[AttemptResult(score=Decimal(3), max_score=Decimal(2), questions=())])
    twice = QuestionResult(question_id=1, points=Decimal(0), max_points=Decimal(1))
    with pytest.raises(ItemStatisticsError, match="twice"):
        question_statistics(
            attempts=[AttemptResult(score=Decimal(0), max_score=Decimal(2), questions=(twice, twice))]
        )


def test_questions_not_named_follow_in_order_first_met():
    stats = question_statistics(
        attempts=[attempt_of(row) for row in HAND_WORKED], questions={3: INFO[3], 99: QuestionInfo()}
    )
    assert [s.question_id for s in stats] == [3, 1, 2]
    # Unnamed choices still get a row each, labelled with their id, in id order.
    assert [(c.label, c.count) for c in stats[1].choices] == [("A", 5), ("B", 2), ("C", 1), ("D", 1)]


CENTS = st.integers(min_value=1, max_value=500).map(lambda n: Decimal(n) / 100)
# (question id, percent of its points earned, choices picked); an attempt also earns 0-10 points elsewhere.
RESULT = st.tuples(st.integers(1, 4), st.integers(0, 100), st.frozensets(st.sampled_from("abcd")))
ATTEMPT = st.tuples(st.lists(RESULT, min_size=1, max_size=4, unique_by=lambda r: r[0]), st.integers(0, 10))


@settings(max_examples=200, deadline=None)
@given(maxima=st.lists(CENTS, min_size=4, max_size=4), drawn=st.lists(ATTEMPT, min_size=1, max_size=30))
def test_indices_stay_in_range(maxima, drawn):
    attempts = []
    for results, elsewhere in drawn:
        questions = tuple(
            QuestionResult(
                question_id=qid,
                points=(maxima[qid - 1] * share / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                max_points=maxima[qid - 1],
                chosen=chosen,
            )
            for qid, share, chosen in results
        )
        score = sum((q.points for q in questions), Decimal(elsewhere))
        attempts.append(AttemptResult(score=score, max_score=sum(maxima, Decimal(10)), questions=questions))
    for stats in question_statistics(attempts=attempts):
        assert Decimal(0) <= stats.facility <= Decimal(100)
        assert stats.discrimination is None or Decimal(-100) <= stats.discrimination <= Decimal(100)
        assert (stats.discrimination is None) == (stats.responses < 2)
        assert stats.group_size >= 1 and 2 * stats.group_size <= max(stats.responses, 2)
        assert Decimal(0) <= stats.mean_points <= stats.max_points
        assert all(Decimal(0) <= c.percent <= Decimal(100) for c in stats.choices)


# --- the database read -----------------------------------------------------------------------------


@pytest.fixture
def bank(course):
    quiz = Quiz.objects.create(course=course, shuffle_questions=False, shuffle_choices=False)
    build_bank(quiz)
    return quiz


def right_response(key):
    return {
        "single": lambda: sorted(key.correct_ids)[0],
        "true_false": lambda: sorted(key.correct_ids)[0],
        "multiple": lambda: sorted(key.correct_ids),
        "ordering": lambda: list(key.correct_order),
        "matching": lambda: dict(key.matches),
    }[key.kind]()


def wrong_response(key):
    wrong = [c for c in key.choice_ids if c not in key.correct_ids]
    return {
        "single": lambda: wrong[0],
        "true_false": lambda: wrong[0],
        "multiple": lambda: wrong[:1],  # the -50% choice alone: 0 points
        "ordering": lambda: list(reversed(key.correct_order)),
        "matching": lambda: dict(zip(key.matches, reversed(key.matches.values()), strict=True)),
    }[key.kind]()


def record_attempt(*, user, quiz, number, right=(), submitted=True):
    """An attempt at every bank question, graded like attempt_submit: `right` lists the question keys answered right."""
    started = timezone.now() - timedelta(days=1)
    questions = list(quiz.questions.prefetch_related("choices"))
    attempt = Attempt.objects.create(
        user=user, quiz=quiz, number=number, started_at=started, max_score=sum(q.points for q in questions)
    )
    rows = []
    for position, question in enumerate(questions, start=1):
        snapshot, key_data = frozen_question(question, list(question.choices.all()), shuffle_choices=False)
        key = key_from_snapshot(key_data)
        response = right_response(key) if question.key in right else wrong_response(key)
        rows.append(
            AttemptQuestion(
                attempt=attempt,
                question=question,
                position=position,
                snapshot=snapshot,
                key=key_data,
                response=response,
                points_awarded=grade(key, response) if submitted else None,
            )
        )
    AttemptQuestion.objects.bulk_create(rows)
    if submitted:
        attempt.score = sum(row.points_awarded for row in rows)
        attempt.percent = attempt.score * 100 / attempt.max_score
        attempt.passed = attempt.percent >= quiz.pass_mark_percent
        attempt.submitted_at = started + timedelta(minutes=20)
        attempt.save()
    return attempt


ALL = {"single", "tf", "multi", "order", "match"}


@pytest.mark.django_db
def test_first_attempts_or_all_attempts(bank):
    one, two, three, four = (UserFactory() for _ in range(4))
    record_attempt(user=one, quiz=bank, number=1, right=ALL)
    record_attempt(user=two, quiz=bank, number=1, right={"single", "tf"})
    record_attempt(user=two, quiz=bank, number=2, right=ALL)
    record_attempt(user=three, quiz=bank, number=1)
    record_attempt(user=three, quiz=bank, number=2, right={"single"})
    record_attempt(user=four, quiz=bank, number=1, right={"tf"})
    record_attempt(user=four, quiz=bank, number=2, right=ALL, submitted=False)  # still open: never counted

    first = {s.label: s for s in item_statistics(bank)}
    assert list(first) == [f"Stem of {key}?" for key in ("single", "tf", "multi", "order", "match")]
    single = first["Stem of single?"]
    # Right: one, two; wrong ("Wrong"): three, four.
    assert single.responses == 4 and single.facility == Decimal("50.00")
    assert [(c.label, c.count, c.percent) for c in single.choices] == [
        ("Right", 2, Decimal("50.00")),
        ("Wrong", 2, Decimal("50.00")),
        ("No", 0, Decimal("0.00")),
    ]
    # Ranked by total: one (5), two (2), four (1), three (0); one per group. Single: 1 - 0.
    assert single.group_size == 1 and single.discrimination == Decimal("100.00")
    multi = first["Stem of multi?"]
    assert [(c.label, c.count) for c in multi.choices] == [("A", 1), ("B", 1), ("C", 3)]
    assert multi.facility == Decimal("25.00") and multi.flags == ()
    assert first["Stem of order?"].choices == () and first["Stem of match?"].choices == ()
    assert first["Stem of tf?"].facility == Decimal("75.00")

    every = {s.label: s for s in item_statistics(bank, first_attempts_only=False)}
    single = every["Stem of single?"]
    # Adds two's second attempt (right) and three's second (right): 4 of 6.
    assert single.responses == 6 and single.facility == Decimal("66.67")
    assert [(c.label, c.count) for c in single.choices] == [("Right", 4), ("Wrong", 2), ("No", 0)]
    assert every["Stem of multi?"].facility == Decimal("33.33")  # one, and two's retake: 2 of 6


@pytest.mark.django_db
def test_no_submitted_attempt_gives_no_rows(bank, learner):
    record_attempt(user=learner, quiz=bank, number=1, submitted=False)
    assert item_statistics(bank) == []


@pytest.mark.django_db
def test_labels_come_from_the_snapshot_the_learner_saw(bank, learner):
    record_attempt(user=learner, quiz=bank, number=1, right={"single"})
    question = bank.questions.get(key="single")
    question.choices.filter(text="Right").update(text="Edited later")
    question.title = "Single-choice question"
    question.save()
    single = next(s for s in item_statistics(bank) if s.question_id == question.pk)
    assert single.label == "Single-choice question"
    assert single.choices[0].label == "Right"


@pytest.mark.django_db
def test_query_count_does_not_grow_with_learners(bank):
    def learners(count):
        for index in range(count):
            user = UserFactory()
            record_attempt(
                user=user, quiz=bank, number=1, right={"single", "tf", "multi"} if index % 2 else {"tf"}
            )
            record_attempt(user=user, quiz=bank, number=2, right=ALL)

    def queries(**options):
        with CaptureQueriesContext(connection) as context:
            stats = item_statistics(bank, **options)
        return len(context), stats

    learners(10)
    small = queries(), queries(first_attempts_only=False)
    learners(30)
    large = queries(), queries(first_attempts_only=False)
    assert [count for count, _ in small] == [count for count, _ in large] == [3, 3]
    assert large[0][1][0].responses == 40 and large[1][1][0].responses == 80
