"""Fixtures for the background-task tests: the database queue instead of the immediate backend,
and a learner ready to claim her certificate."""

from unittest import mock

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from quizzes.models import Quiz
from tests.certificates.conftest import finish_course, pass_post_test
from tests.quizzes.conftest import build_bank, complete_modules

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def database_tasks(settings):
    """Enqueued tasks wait in the DBTaskResult table until a worker runs them."""
    settings.TASKS = DATABASE_TASKS


@pytest.fixture
def passed_learner(learner, course):
    quiz = Quiz.objects.create(course=course, shuffle_questions=False)
    build_bank(quiz)
    complete_modules(learner, course)
    assert pass_post_test(learner, quiz).passed
    return learner


def issue(user, course, capture):
    """Issue the certificate and run the transaction's on-commit callbacks (the enqueue)."""
    with capture(execute=True):
        return finish_course(user, course)


def queued(task_path_end):
    return DBTaskResult.objects.filter(task_path__endswith=task_path_end)


def run_worker():
    """The backport's own worker in this process: every task that is due, then it stops.

    Its close_old_connections() would close the test's connection on PostgreSQL (a test runs in a
    transaction, which Django reads as a connection to drop); the worker in its own process
    (test_real_worker.py, tests/multiserver/) keeps it.
    """
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
