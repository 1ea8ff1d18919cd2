"""A crash in the middle of an import, a content load or a seed leaves nothing half-written."""

from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command

from accounts.models import User
from certificates.models import Certificate
from modules.models import Course, Module
from quizzes.gift_import import gift_import
from quizzes.models import Choice, Question, Quiz

pytestmark = pytest.mark.django_db

COURSE = Path(__file__).resolve().parents[2] / "content" / "proximal-hamstring-tendinopathy"
GIFT = "::one::First?{=yes~no}\n\n::two::Second?{=yes~no}\n\n::three::Third?{=yes~no}\n"


def test_gift_import_crashing_after_the_first_question_imports_nothing(course):
    quiz = Quiz.objects.create(course=course)
    real_bulk_create = Choice.objects.bulk_create
    calls = []

    def crash_on_second(objs, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_bulk_create(objs, *args, **kwargs)

    with (
        mock.patch.object(Choice.objects, "bulk_create", side_effect=crash_on_second),
        pytest.raises(RuntimeError),
    ):
        gift_import(quiz=quiz, text=GIFT, dry_run=False)
    assert len(calls) == 2
    assert not Question.objects.exists() and not Choice.objects.exists()
    assert gift_import(quiz=quiz, text=GIFT, dry_run=False).created == 3


def test_load_course_crashing_in_the_post_test_leaves_the_course_as_it_was():
    with (
        mock.patch("modules.management.commands.load_course.quiz_load", side_effect=RuntimeError("crash")),
        pytest.raises(RuntimeError),
    ):
        call_command("load_course", str(COURSE), stdout=StringIO())
    assert not Course.objects.exists() and not Module.objects.exists()


def test_seed_crashing_in_a_batch_leaves_exactly_the_whole_batches_before_it():
    from reports import seeding

    def table_counts():
        models = dict.fromkeys(seeding.ROW_ORDER.values())
        return {model.__name__: model.objects.count() for model in models}

    real_write_rows = seeding.write_rows
    real_write = seeding.Seeder.write
    committed = []

    def crash_in_second_batch(model, rows):
        # The second batch's users are already inserted (uncommitted) when its certificates are written.
        if model is Certificate and User.objects.filter(email__startswith="seed-").count() > 20:
            raise RuntimeError("power cut")
        return real_write_rows(model, rows)

    def write_and_remember(seeder):
        counts = real_write(seeder)
        committed.append(counts)
        return counts

    before = table_counts()
    with (
        mock.patch.object(seeding, "write_rows", side_effect=crash_in_second_batch),
        mock.patch.object(seeding.Seeder, "write", write_and_remember),
        pytest.raises(RuntimeError, match="power cut"),
    ):
        call_command("seed_completions", learners=40, batch=20, seed=1, force=True, stdout=StringIO())
    assert len(committed) == 1
    (first,) = committed
    # The first batch wrote learners at every stage, certificates included: the crash had something to undo.
    assert first["users"] == 20 and first["certificates"] > 0 and first["attempts"] > 0
    expected = dict(before)
    for name, model in seeding.ROW_ORDER.items():
        expected[model.__name__] += first[name]
    # Exactly the first batch's rows, every table; nothing of the second (its users were inserted).
    assert table_counts() == expected
    seeded = set(User.objects.filter(email__startswith="seed-").values_list("email", flat=True))
    assert seeded == {seeding.EMAIL.format(n) for n in range(1, 21)}
