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


def test_seed_crashing_in_a_batch_leaves_only_whole_batches():
    from reports.management.commands import seed_completions

    real_bulk_create = Certificate.objects.bulk_create

    def crash_in_second_batch(objs, *args, **kwargs):
        # The second batch's users are already inserted (uncommitted) when its certificates are written.
        if User.objects.filter(email__startswith="seed-").count() > 20:
            raise RuntimeError("power cut")
        return real_bulk_create(objs, *args, **kwargs)

    with (
        mock.patch.object(Certificate.objects, "bulk_create", side_effect=crash_in_second_batch),
        pytest.raises(RuntimeError),
    ):
        call_command("seed_completions", learners=40, batch=20, seed=1, force=True, stdout=StringIO())
    seeded = User.objects.filter(email__startswith="seed-")
    assert seeded.count() == 20  # the first batch, whole; nothing of the second
    assert Certificate.objects.filter(user__in=seeded).count() <= seeded.count()
    # Every seeded certificate that exists belongs to a complete batch: it has its licenses.
    for certificate in Certificate.objects.all():
        assert certificate.licenses.exists()
    assert seed_completions
