"""The GIFT import limits the README states ("Bad input") are the ones the code enforces."""

import pytest

from quizzes.gift_import import MAX_QUESTIONS, MAX_UPLOAD_BYTES, gift_import
from quizzes.models import Question, Quiz

pytestmark = pytest.mark.django_db


def bank(n):
    return "".join(f"::q{i}:: Pick the right answer {i} {{=right ~wrong ~also wrong}}\n\n" for i in range(n))


@pytest.fixture
def quiz(course):
    return Quiz.objects.create(course=course)


def test_import_takes_up_to_two_thousand_questions_in_one_file(quiz):
    # README: "GIFT uploads are capped at 1 MiB and the parser at 2,000 questions".
    assert (MAX_QUESTIONS, MAX_UPLOAD_BYTES) == (2_000, 1_048_576)
    report = gift_import(quiz=quiz, text=bank(MAX_QUESTIONS), dry_run=True)
    assert report.problems == []
    assert Question.objects.count() == 0  # a dry run


def test_import_of_one_question_more_is_refused_whole(quiz):
    report = gift_import(quiz=quiz, text=bank(MAX_QUESTIONS + 1), dry_run=False)
    assert [p.message for p in report.problems] == [
        "too many questions (the limit is 2,000); nothing was imported, split the file"
    ]
    assert Question.objects.count() == 0
