"""Reads of course content for learner pages: a course with its quiz and modules, the catalogue.

Each call returns new model instances, built from the frozen column values content_cache.py keeps
for the current content version; the first read of a course in a worker (or after an author's
change) queries the database. Column names come from each model's `_meta`, so a new field is
kept without a change here.
"""

import json
from dataclasses import dataclass
from functools import cache

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, JSONField, Q
from django.urls import reverse
from django.utils import timezone

from ce_course.plain_sql import column, fetch_rows, table
from modules import content_cache
from modules.models import Course, Enrollment, Module, Provider
from quizzes.models import Quiz
from quizzes.selectors import quiz_of


@dataclass(frozen=True)
class FrozenCourse:
    """A course, its quiz and its modules in order, as column values (Model._meta.concrete_fields order)."""

    course: tuple
    quiz: tuple | None
    modules: tuple
    module_count: int | None = None  # set for the catalogue's list
    # What the disclosures print from other records: kept with the course, so the course page
    # reads them with no query (signals replace the content version when any of them changes).
    provider: tuple | None = None
    joint_statement: str = ""
    support_disclosure: str = ""


@cache
def _columns(model):
    """(attnames, positions of JSON columns) of the model's concrete fields, in field order."""
    fields = model._meta.concrete_fields
    return [f.attname for f in fields], [i for i, f in enumerate(fields) if isinstance(f, JSONField)]


def _freeze(model, instance):
    names, json_positions = _columns(model)
    values = [getattr(instance, name) for name in names]
    for i in json_positions:  # a list or dict would be shared: keep its text instead
        values[i] = json.dumps(values[i])
    return tuple(values)


def _thaw(model, values):
    names, json_positions = _columns(model)
    values = list(values)
    for i in json_positions:
        values[i] = json.loads(values[i])
    return model.from_db(DEFAULT_DB_ALIAS, names, values)


def _frozen(course, modules):
    quiz = quiz_of(course)  # loaded with select_related("quiz")
    return FrozenCourse(
        course=_freeze(Course, course),
        quiz=_freeze(Quiz, quiz) if quiz is not None else None,
        modules=tuple(_freeze(Module, module) for module in modules),
        provider=_freeze(Provider, course.provider),  # loaded with select_related("provider")
        joint_statement=course.joint_providership_statement(),
        support_disclosure=course.commercial_support_disclosure(),
    )


def _with_disclosures(courses):
    """The query reading courses to freeze: their provider, joint providers and supporters with them."""
    return courses.select_related("quiz", "provider").prefetch_related(
        "joint_providers", "support_records__supporter"
    )


def _built(frozen):
    """Fresh instances for one request: the course with `quiz` and `ordered_modules` attached."""
    course = _thaw(Course, frozen.course)
    # The reverse one-to-one's cache: reading course.quiz then costs no query, and raises
    # DoesNotExist as usual when the course has no post-test.
    Course.quiz.related.set_cached_value(course, _thaw(Quiz, frozen.quiz) if frozen.quiz else None)
    if frozen.quiz:
        Quiz.course.field.set_cached_value(course.quiz, course)
    modules = []
    for values in frozen.modules:
        module = _thaw(Module, values)
        Module.course.field.set_cached_value(module, course)  # their URLs need the slug: no query
        module.__dict__.update(_module_urls(course.slug, module.slug))  # the cached_property values
        modules.append(module)
    course.ordered_modules = modules
    if frozen.provider is not None:
        Course.provider.field.set_cached_value(course, _thaw(Provider, frozen.provider))
    course.joint_statement_text = frozen.joint_statement
    course.support_disclosure_text = frozen.support_disclosure
    course.__dict__["learner_url"] = _course_url(course.slug)
    if frozen.module_count is not None:
        course.module_count = frozen.module_count
    return course


# URLs are the same for as long as the process runs: worked out once, not per request.
@cache
def _course_url(slug):
    return reverse("course_detail", args=[slug])


@cache
def _module_urls(course_slug, module_slug):
    return {
        "learner_url": reverse("module_detail", args=[course_slug, module_slug]),
        "complete_url": reverse("module_complete", args=[course_slug, module_slug]),
    }


def course_for_learner(slug):
    """A published course by slug, with its quiz and its modules, or None (drafts are seen only
    through the admin preview)."""
    version = content_cache.content_version()
    frozen = content_cache.held(version, ("slug", slug))
    if frozen is None:
        course = _with_disclosures(Course.objects.filter(slug=slug, is_published=True)).first()
        if course is None:
            return None
        frozen = _frozen(course, course.modules.order_by("position"))
        content_cache.keep(version, ("slug", slug), frozen)
    return _built(frozen)


def courses_by_id(ids):
    """Courses by id (published or not: a learner keeps seeing what they enrolled in), each with its
    quiz and modules; the ones this worker has not kept are read in two queries together."""
    version = content_cache.content_version()
    frozen = {pk: content_cache.held(version, ("id", pk)) for pk in ids}
    missing = [pk for pk, value in frozen.items() if value is None]
    if missing:
        modules = {}
        for module in Module.objects.filter(course_id__in=missing).order_by("course_id", "position"):
            modules.setdefault(module.course_id, []).append(module)
        for course in _with_disclosures(Course.objects.filter(pk__in=missing)):
            frozen[course.pk] = _frozen(course, modules.get(course.pk, []))
            content_cache.keep(version, ("id", course.pk), frozen[course.pk])
    return {pk: _built(value) for pk, value in frozen.items() if value is not None}


def catalogue_courses():
    """Published courses a learner can still take for credit, with their module counts
    (`module_count`), kept for the content version and the day."""
    today = timezone.localdate()
    version = content_cache.content_version()
    frozen = content_cache.held(version, ("catalogue", today))
    if frozen is None:
        courses = (
            Course.objects.filter(is_published=True, expiry_date__gte=today, release_date__lte=today)
            .annotate(module_count=Count("modules", filter=Q(modules__isnull=False)))
            .order_by("title")
        )
        frozen = tuple(
            FrozenCourse(course=_freeze(Course, c), quiz=None, modules=(), module_count=c.module_count)
            for c in courses
        )
        content_cache.keep(version, ("catalogue", today), frozen)
    return [_catalogue_course(value) for value in frozen]


def _catalogue_course(frozen):
    course = _thaw(Course, frozen.course)
    course.__dict__["learner_url"] = _course_url(course.slug)
    course.module_count = frozen.module_count
    return course


@cache
def _enrolled_sql():
    course, user = column(Enrollment, "course"), column(Enrollment, "user")
    return f"SELECT {course} FROM {table(Enrollment)} WHERE {user} = %s"  # noqa: S608 - names from _meta


def enrolled_course_ids(*, user):
    """Ids of the courses the user is enrolled in: the catalogue's "Continue" buttons.

    Plain SQL: the catalogue is the other page every visit starts from, and this one statement
    made it 29% faster than `values_list("course_id")` (README "Performance").
    """
    if not user.is_authenticated:
        return set()
    return {course_id for (course_id,) in fetch_rows(_enrolled_sql(), [user.pk])}


def course_modules(course):
    """The course's modules in order: the ones read with the course, else from the database."""
    modules = getattr(course, "ordered_modules", None)
    if modules is None:
        modules = list(course.modules.order_by("position"))
    return modules
