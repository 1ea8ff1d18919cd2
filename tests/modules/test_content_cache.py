"""The course structure is kept per worker for the current content version; every edit shows at once.

Each test first loads a learner page, so the course and its modules are held, then changes the
content the way an author does (admin save, load_course), and checks the very next request.
"""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from modules.models import Course, Module
from modules.selectors import course_for_learner
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "proximal-hamstring-tendinopathy"


def lesson_url(course, slug):
    return reverse("module_detail", args=[course.slug, slug])


@pytest.fixture
def reading(client, learner, course):
    EnrollmentFactory(user=learner, course=course)
    client.force_login(learner)
    assert client.get(lesson_url(course, "m1")).status_code == 200
    return client


def test_a_warm_lesson_page_reads_no_course_or_module_rows(reading, course):
    with CaptureQueriesContext(connection) as ctx:
        assert reading.get(lesson_url(course, "m1")).status_code == 200
    assert not any('FROM "modules_course"' in q["sql"] for q in ctx.captured_queries)
    assert not any('FROM "modules_module"' in q["sql"] for q in ctx.captured_queries)


def test_author_renaming_a_module_shows_on_the_next_lesson_page(reading, course):
    module = course.modules.get(slug="m1")
    module.title = "Palpating the ischial tuberosity"
    module.save()
    assert "Palpating the ischial tuberosity" in reading.get(lesson_url(course, "m1")).text


def test_unpublishing_a_course_closes_its_pages_at_once(reading, course):
    course.is_published = False
    course.save()
    assert reading.get(lesson_url(course, "m1")).status_code == 404
    assert course_for_learner(course.slug) is None


def test_a_new_module_appears_in_the_progress_count(reading, course):
    Module.objects.create(
        course=course, position=4, slug="m4", title="Module 4", body_markdown="Text", estimated_minutes=5
    )
    assert "of 4 modules" in reading.get(lesson_url(course, "m1")).text


def test_load_course_reordering_modules_is_seen_by_learners(client, learner, tmp_path):
    folder = tmp_path / "course"
    shutil.copytree(SHIPPED, folder)
    call_command("load_course", str(folder), stdout=StringIO())
    course = Course.objects.get()
    EnrollmentFactory(user=learner, course=course)
    client.force_login(learner)
    assert client.get(lesson_url(course, "overview")).status_code == 200
    # Swap the first two [[modules]] blocks: positions change through queryset.update().
    toml = (folder / "course.toml").read_text()
    head, *blocks = toml.split("[[modules]]")
    blocks[0], blocks[1] = blocks[1], blocks[0]
    (folder / "course.toml").write_text("[[modules]]".join([head, *blocks]))
    call_command("load_course", str(folder), stdout=StringIO())
    # The anatomy module is first now, so it opens and the overview is locked behind it.
    assert client.get(lesson_url(course, "anatomy-and-mechanism")).status_code == 200
    assert client.get(lesson_url(course, "overview")).status_code == 403


def test_callers_get_their_own_copy_of_the_course(course):
    first = course_for_learner(course.slug)
    first.title = "Changed by one request only"
    assert course_for_learner(course.slug).title == course.title


@pytest.mark.parametrize("slug", ["version", "catalogue", "id"])
def test_slugs_that_look_like_memo_keys_are_just_unknown_courses(client, course, slug):
    course_for_learner(course.slug)  # the worker's memo now holds something
    assert client.get(reverse("course_detail", args=[slug])).status_code == 404
    assert course_for_learner(slug) is None


def test_each_call_builds_its_own_modules(course):
    first = course_for_learner(course.slug)
    first.ordered_modules[0].title = "Changed by one request only"
    first.ordered_modules[0].objectives.append("An objective one request added")
    second = course_for_learner(course.slug)
    assert second.ordered_modules[0] is not first.ordered_modules[0]
    assert second.ordered_modules[0].title == course.modules.get(slug="m1").title
    assert second.ordered_modules[0].objectives == course.modules.get(slug="m1").objectives
    assert second.ordered_modules[0].course is second  # no query for a module's course


def test_the_worker_keeps_only_plain_data_and_a_bounded_number_of_entries(course, monkeypatch):
    from django.db.models import Model

    from modules import content_cache
    from modules.selectors import catalogue_courses, courses_by_id

    course_for_learner(course.slug)
    courses_by_id([course.pk])
    catalogue_courses()

    def models_in(value):
        if isinstance(value, Model):
            return [value]
        if isinstance(value, (tuple, list)):
            return [m for item in value for m in models_in(item)]
        if hasattr(value, "__dataclass_fields__"):
            return [m for name in value.__dataclass_fields__ for m in models_in(getattr(value, name))]
        return []

    assert content_cache._entries and not models_in(list(content_cache._entries.values()))
    monkeypatch.setattr(content_cache, "MAX_ENTRIES", 2)
    for n in range(5):
        content_cache.keep("some version", n, ())
    assert len(content_cache._entries) <= 2
