"""Reads for the learner's path. `course_progress` is the one completion rule every page uses."""

from copy import copy
from dataclasses import dataclass, field
from functools import lru_cache
from uuid import uuid4

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from ce_course.plain_sql import db_datetime, fetch_rows, instance
from certificates.models import Certificate
from modules.models import Course, Enrollment, Module, ModuleProgress
from quizzes.models import Attempt
from quizzes.selectors import PostTestStatus, post_test_status, quiz_of

CONTENT_VERSION_KEY = "modules:content-version"
# Content this worker has read, for one content version: (version, {key: value}) with the keys
# ("slug", slug) and ("id", pk) -> Course with its modules, ("catalogue", day) -> courses. A new
# version swaps in a new dict, so a thread still filling the old one cannot pollute the new one.
_content_by_version = (None, {})

COMPLETE = "complete"
OPEN = "open"
LOCKED = "locked"


@dataclass(frozen=True)
class ModuleState:
    module: Module
    status: str  # complete | open | locked
    progress: ModuleProgress | None

    @property
    def is_complete(self):
        return self.status == COMPLETE

    @property
    def is_locked(self):
        return self.status == LOCKED


@dataclass(frozen=True)
class Step:
    """One stage of the completion rule, in the order a learner meets them."""

    key: str
    label: str
    done: bool
    url: str | None = None


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    enrollment: Enrollment | None
    modules: list[ModuleState]
    post_test: PostTestStatus = field(default_factory=lambda: PostTestStatus(quiz=None))
    certificate: object = None  # the live certificates.Certificate, if issued
    steps: list[Step] = field(default_factory=list)

    @property
    def is_enrolled(self):
        return self.enrollment is not None

    @property
    def completed_count(self):
        return sum(1 for state in self.modules if state.is_complete)

    @property
    def module_count(self):
        return len(self.modules)

    @property
    def percent(self):
        """Share of modules complete, as a whole percent for the progress bar (rounded down)."""
        if not self.modules:
            return 0
        return self.completed_count * 100 // self.module_count

    @property
    def all_modules_complete(self):
        return self.is_enrolled and self.completed_count == self.module_count

    @property
    def seconds_spent(self):
        return sum(state.progress.seconds_spent for state in self.modules if state.progress)

    @property
    def minutes_spent(self):
        return self.seconds_spent // 60

    @property
    def minutes_missing(self):
        """Minutes still to spend studying before the course's minimum time is met."""
        return max(self.course.minimum_minutes - self.minutes_spent, 0)

    @property
    def evaluation(self):
        return getattr(self.enrollment, "evaluation", None) if self.enrollment else None

    @property
    def attestation(self):
        return getattr(self.enrollment, "attestation", None) if self.enrollment else None

    @property
    def ready_for_certificate(self):
        """Every step before the certificate itself is done."""
        return all(step.done for step in self.steps if step.key != "certificate")

    @property
    def next_module(self):
        """The first module not yet complete: where "Continue" leads."""
        for state in self.modules:
            if not state.is_complete:
                return state.module
        return None

    @property
    def stage(self):
        """Key of the first step not yet done ("done" when every step is)."""
        for step in self.steps:
            if not step.done:
                return step.key
        return "done"

    @property
    def missing(self):
        return [step.label for step in self.steps if not step.done]

    @property
    def current_step(self):
        for step in self.steps:
            if not step.done:
                return step
        return None

    @property
    def continue_url(self):
        step = self.current_step
        if step is None:
            return course_urls(self.course.slug)["course_detail"]
        return step.url or course_urls(self.course.slug)["course_detail"]

    def state_for(self, module):
        for state in self.modules:
            if state.module.pk == module.pk:
                return state
        raise LookupError(module)

    def neighbours(self, module):
        """(previous, next) modules around `module` in course order."""
        ordered = [state.module for state in self.modules]
        index = next(i for i, m in enumerate(ordered) if m.pk == module.pk)
        previous = ordered[index - 1] if index > 0 else None
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        return previous, following


def _module_states(modules, progress_by_module):
    """Modules open in order: one opens only when the one before it is complete."""
    states = []
    previous_complete = True
    for module in modules:
        progress = progress_by_module.get(module.pk)
        if progress is not None and progress.completed_at is not None:
            status = COMPLETE
        elif previous_complete:
            status = OPEN
        else:
            status = LOCKED
        states.append(ModuleState(module=module, status=status, progress=progress))
        previous_complete = status == COMPLETE
    return states


POST_TEST_LABELS = {
    "not_started": "Take the post-test",
    "open": "Finish your post-test attempt",
    "failed_can_retry": "Pass the post-test (you have attempts left)",
    "failed_no_attempts": "Pass the post-test (no attempts left: contact the provider)",
    "passed": "Pass the post-test",
}


@lru_cache(maxsize=1024)
def course_urls(slug):
    """The URLs of a course's stages: the same for as long as the process runs, so worked out once
    (the dashboard builds every step of every course on each visit)."""
    return {
        name: reverse(name, args=[slug])
        for name in ("course_detail", "post_test", "evaluation", "certificate")
    }


def _steps(course, enrollment, states, post_test):
    urls = course_urls(course.slug)
    course_url = urls["course_detail"]
    next_open = next((s.module for s in states if not s.is_complete), None)
    modules_url = next_open.learner_url if next_open else course_url
    enrolled = enrollment is not None
    steps = [
        Step("enrol", "Read the disclosures and enrol", enrolled, course_url),
        Step(
            "modules",
            "Complete every module",
            enrolled and all(s.is_complete for s in states),
            modules_url,
        ),
    ]
    if post_test.exists:
        steps.append(
            Step(
                "post_test",
                POST_TEST_LABELS[post_test.state],
                enrolled and post_test.passed,
                urls["post_test"],
            )
        )
    return steps


def _has(enrollment, relation):
    """Whether the enrolment has its evaluation / attestation: the flag a plain-SQL read set
    (dashboard_progress), else the related object."""
    flag = getattr(enrollment, f"has_{relation}", None)
    return flag if flag is not None else hasattr(enrollment, relation)


def _certificate_steps(course, enrollment, minutes_spent, certificate):
    urls = course_urls(course.slug)
    certificate_url = urls["certificate"]
    evaluated = enrollment is not None and _has(enrollment, "evaluation")
    attested = enrollment is not None and _has(enrollment, "attestation")
    missing = max(course.minimum_minutes - minutes_spent, 0)
    time_label = "Attest the time you spent"
    if missing:
        time_label = (
            f"Study at least {course.minimum_minutes} minutes ({missing} more to go), then attest your time"
        )
    return [
        Step("evaluation", "Complete the evaluation", evaluated, urls["evaluation"]),
        Step("attestation", time_label, attested and not missing, certificate_url),
        Step("certificate", "Claim your certificate", certificate is not None, certificate_url),
    ]


def build_course_progress(course, enrollment, modules, progress_rows, post_test=None, certificate=None):
    progress_by_module = {row.module_id: row for row in progress_rows}
    states = _module_states(modules, progress_by_module)
    post_test = post_test or PostTestStatus(quiz=None)
    minutes_spent = sum(row.seconds_spent for row in progress_rows) // 60
    steps = _steps(course, enrollment, states, post_test) + _certificate_steps(
        course, enrollment, minutes_spent, certificate
    )
    return CourseProgress(
        course=course,
        enrollment=enrollment,
        modules=states,
        post_test=post_test,
        certificate=certificate,
        steps=steps,
    )


def course_progress(*, user, course):
    """Where `user` is in `course` and what is still missing. A fixed number of queries, whatever the size."""
    enrollment = None
    if user.is_authenticated:
        enrollment = (
            Enrollment.objects.filter(user=user, course=course)
            .select_related("evaluation", "attestation")
            .first()
        )
    modules = course_modules(course)
    progress_rows = list(ModuleProgress.objects.filter(enrollment=enrollment)) if enrollment else []
    post_test = post_test_status(user=user, course=course) if enrollment else None
    # certificate_issue sets completed_at in the same transaction: no completion, no certificate to look up.
    certificate = (
        live_certificates(user=user, courses=[course]).get(course.pk)
        if enrollment and enrollment.completed_at
        else None
    )
    return build_course_progress(course, enrollment, modules, progress_rows, post_test, certificate)


# The lesson page is the page learners load most, and it records time on every load, so its read
# (here) and its write (services.module_view_record) are plain SQL (ce_course/plain_sql.py says why).
LESSON_ROWS_SQL = """
    SELECT e.id, e.completed_at, p.id, p.module_id, p.first_viewed_at, p.last_seen_at,
           p.completed_at, p.seconds_spent
    FROM modules_enrollment e
    LEFT JOIN modules_moduleprogress p ON p.enrollment_id = e.id
    WHERE e.user_id = %s AND e.course_id = %s
"""


def _progress_row(row_id, enrollment_id, module_id, first, last, completed, seconds):
    """A ModuleProgress from the columns LESSON_ROWS_SQL and DASHBOARD_ENROLLMENTS_SQL select."""
    return instance(
        ModuleProgress,
        id=row_id,
        enrollment_id=enrollment_id,
        module_id=module_id,
        first_viewed_at=db_datetime(first),
        last_seen_at=db_datetime(last),
        completed_at=db_datetime(completed),
        seconds_spent=seconds,
    )


def lesson_progress(*, user, course):
    """The learner's enrolment and module states only: what a lesson page shows, in one statement.

    The post-test and certificate stages are left out (`steps` is empty), because a lesson page
    shows neither and they cost three more queries on every page turn. Anything that decides what
    the learner may do next uses `course_progress`. The Enrollment carries only the fields the
    statement reads; any other field is loaded from the database on first access.
    """
    if not user.is_authenticated:
        return CourseProgress(
            course=course, enrollment=None, modules=_module_states(course_modules(course), {})
        )
    rows = fetch_rows(LESSON_ROWS_SQL, [user.pk, course.pk])
    enrollment = None
    progress_by_module = {}
    for enrollment_id, enrollment_completed, *progress in rows:
        if enrollment is None:
            enrollment = instance(
                Enrollment,
                id=enrollment_id,
                user_id=user.pk,
                course_id=course.pk,
                completed_at=db_datetime(enrollment_completed),
            )
        if progress[0] is not None:  # the LEFT JOIN found a module row
            row = _progress_row(progress[0], enrollment_id, *progress[1:])
            progress_by_module[row.module_id] = row
    states = _module_states(course_modules(course), progress_by_module)
    return CourseProgress(course=course, enrollment=enrollment, modules=states)


# The dashboard's two reads are plain SQL too (ce_course/plain_sql.py says why): each learner's
# enrolments, with whether the evaluation and attestation exist and their module rows, then their
# attempts.
DASHBOARD_ENROLLMENTS_SQL = """
    SELECT e.id, e.course_id, e.completed_at,
           EXISTS (SELECT 1 FROM certificates_evaluation v WHERE v.enrollment_id = e.id),
           EXISTS (SELECT 1 FROM certificates_attestation t WHERE t.enrollment_id = e.id),
           p.id, p.module_id, p.first_viewed_at, p.last_seen_at, p.completed_at, p.seconds_spent
    FROM modules_enrollment e
    LEFT JOIN modules_moduleprogress p ON p.enrollment_id = e.id
    WHERE e.user_id = %s
    ORDER BY e.created_at DESC, e.id DESC
"""
DASHBOARD_ATTEMPTS_SQL = """
    SELECT a.id, a.quiz_id, a.number, a.submitted_at, a.passed
    FROM quizzes_attempt a
    WHERE a.user_id = %s
    ORDER BY a.number
"""


def dashboard_progress(*, user, certificates):
    """Every course the user is enrolled in, with its progress, in a fixed number of queries.

    `certificates` are the learner's certificates the page already read for the transcript
    (certificates.selectors.transcript_rows); the live one of each course comes from them. The
    rows carry the columns the completion rule reads; any other is loaded on first access.
    """
    enrollment_by_id = {}  # newest enrolment first: the statement's order
    progress_by_enrollment = {}
    for enrollment_id, course_id, completed_at, evaluated, attested, *progress in fetch_rows(
        DASHBOARD_ENROLLMENTS_SQL, [user.pk]
    ):
        if enrollment_id not in enrollment_by_id:
            enrollment = instance(
                Enrollment,
                id=enrollment_id,
                user_id=user.pk,
                course_id=course_id,
                completed_at=db_datetime(completed_at),
            )
            enrollment.has_evaluation, enrollment.has_attestation = bool(evaluated), bool(attested)
            enrollment_by_id[enrollment_id] = enrollment
            progress_by_enrollment[enrollment_id] = []
        if progress[0] is not None:  # the LEFT JOIN found a module row
            progress_by_enrollment[enrollment_id].append(
                _progress_row(progress[0], enrollment_id, *progress[1:])
            )
    enrollments = list(enrollment_by_id.values())
    attempts_by_quiz = {}
    for attempt_id, quiz_id, number, submitted_at, passed in fetch_rows(DASHBOARD_ATTEMPTS_SQL, [user.pk]):
        attempt = instance(
            Attempt,
            id=attempt_id,
            user_id=user.pk,
            quiz_id=quiz_id,
            number=number,
            submitted_at=db_datetime(submitted_at),
            passed=passed,
        )
        attempts_by_quiz.setdefault(quiz_id, []).append(attempt)
    courses = courses_by_id([e.course_id for e in enrollments])
    live = {c.course_id: c for c in certificates if c.is_live}
    rows = []
    for enrollment in enrollments:
        course = courses[enrollment.course_id]
        quiz = quiz_of(course)
        post_test = PostTestStatus(quiz=quiz, attempts=attempts_by_quiz.get(getattr(quiz, "pk", None), []))
        rows.append(
            build_course_progress(
                course,
                enrollment,
                course_modules(course),
                progress_by_enrollment.get(enrollment.pk, []),
                post_test,
                live.get(enrollment.course_id),
            )
        )
    return rows


def live_certificates(*, user, courses):
    """The live certificate per course id for `user`, in one query (PDF bytes left unloaded)."""
    if not courses:
        return {}
    rows = Certificate.objects.filter(user=user, course__in=courses, revoked_at__isnull=True).defer("pdf")
    return {certificate.course_id: certificate for certificate in rows}


def catalogue_courses():
    """Published courses a learner can still take for credit, with their module counts.

    Kept per worker for the content version and the day, like course_for_learner; the list is
    shared by the worker's requests, so treat it as read-only.
    """
    today = timezone.localdate()
    memo = _content_memo()
    courses = memo.get(("catalogue", today))
    if courses is None:
        courses = tuple(
            Course.objects.filter(is_published=True, expiry_date__gte=today, release_date__lte=today)
            .annotate(module_count=Count("modules", filter=Q(modules__isnull=False)))
            .order_by("title")
        )
        memo[("catalogue", today)] = courses
    return courses


def enrolled_course_ids(*, user):
    """Ids of the courses the user is enrolled in: the catalogue's "Continue" buttons.

    Plain SQL, like the lesson page's read (LESSON_ROWS_SQL): the catalogue is the other page every
    visit starts from, and this one-column read is the only statement it runs besides the cache.
    """
    if not user.is_authenticated:
        return set()
    rows = fetch_rows("SELECT course_id FROM modules_enrollment WHERE user_id = %s", [user.pk])
    return {course_id for (course_id,) in rows}


def course_for_learner(slug):
    """A published course by slug, with its quiz and its modules, or None (drafts are seen only
    through the admin preview).

    Every learner page starts here, and the structure changes only when an author saves, which
    replaces the content version in the shared cache (modules/signals.py). So each worker process
    keeps the courses it has read for the current version and checks only the version per request:
    one small cache read instead of three ORM queries (README "Performance"). Callers get a copy
    of the course; treat its modules as read-only, they are shared by the worker's requests.
    """
    memo = _content_memo()
    course = memo.get(("slug", slug))
    if course is None:
        course = Course.objects.filter(slug=slug, is_published=True).select_related("quiz").first()
        if course is None:
            return None
        memo[("slug", slug)] = _with_modules(course, course.modules.order_by("position"))
    return copy(course)


def courses_by_id(ids):
    """Courses by id (published or not: a learner keeps seeing what they enrolled in), each with its
    quiz and modules, kept per worker like course_for_learner."""
    memo = _content_memo()
    missing = [pk for pk in ids if ("id", pk) not in memo]
    if missing:
        modules = {}
        for module in Module.objects.filter(course_id__in=missing).order_by("course_id", "position"):
            modules.setdefault(module.course_id, []).append(module)
        for course in Course.objects.filter(pk__in=missing).select_related("quiz"):
            memo[("id", course.pk)] = _with_modules(course, modules.get(course.pk, []))
    return {pk: copy(memo[("id", pk)]) for pk in ids if ("id", pk) in memo}


def _with_modules(course, modules):
    course.cached_modules = tuple(modules)
    for module in course.cached_modules:
        module.course = course  # their URLs need the slug; no query per module
    course.learner_url  # noqa: B018 - worked out now, so every copy handed out carries it
    return course


def _content_memo():
    """This worker's dict of content read for the current content version (a new one when it changes)."""
    global _content_by_version
    version = _content_version()
    held_version, memo = _content_by_version
    if held_version != version:
        memo = {}
        _content_by_version = (version, memo)
    return memo


def course_modules(course):
    """The course's modules in order: the cached list when the course came from the cache."""
    modules = getattr(course, "cached_modules", None)
    if modules is None:
        modules = list(course.modules.order_by("position"))
    return modules


def _content_version():
    version = cache.get(CONTENT_VERSION_KEY)
    if version is None:
        # add(), not set(): when two workers miss at once, both go on with the one that was stored.
        cache.add(CONTENT_VERSION_KEY, uuid4().hex, None)
        version = cache.get(CONTENT_VERSION_KEY)
    return version


def content_forget():
    """Course content changed: every cached course structure is stale from now on.

    The cache is a table in the same database, so inside a transaction the new version becomes
    visible together with the change it stands for, and is undone with it. It is replaced once
    more after the commit: a worker that read the old rows while the change was in flight, or
    whose cache.add() of a missing version won a race with this set(), holds them under a
    version that is then no longer current.
    """
    cache.set(CONTENT_VERSION_KEY, uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(CONTENT_VERSION_KEY, uuid4().hex, None))
