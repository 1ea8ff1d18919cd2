"""The completion rule: where a learner is in a course and what is still missing.

`course_progress` is the one rule every page uses; `lesson_progress` (a lesson page) and
`dashboard_progress` (every course of a learner) read less or more at once and build the same
`CourseProgress`. Course content comes from course_reads.py.
"""

from dataclasses import dataclass, field
from functools import cache, lru_cache

from django.urls import reverse

from ce_course.plain_sql import build, column, columns, fetch_rows, table, width
from certificates.models import Attestation, Certificate, Evaluation
from modules.course_reads import course_modules, courses_by_id
from modules.models import Course, Enrollment, Module, ModuleProgress
from quizzes.models import Attempt
from quizzes.selectors import PostTestStatus, post_test_status, quiz_of

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
    """Whether the enrolment has its evaluation / attestation: the flag dashboard_progress
    annotates, else the related object."""
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


# The lesson page (loaded most, and it records time on every load) and the dashboard read their
# rows with plain SQL: side by side in one run, the page was 31% (lesson) and 62% (dashboard)
# faster than with the best ORM form (README "Performance", bench/ab_plain_sql.py). Names come
# from _meta and rows are complete model instances (ce_course/plain_sql.py).


@cache
def _lesson_sql():
    enrollment_id = f"e.{column(Enrollment, 'id')}"
    return " ".join(
        [
            f"SELECT {columns(Enrollment, 'e')}, {columns(ModuleProgress, 'p')}",
            f"FROM {table(Enrollment)} e LEFT JOIN {table(ModuleProgress)} p",
            f"ON p.{column(ModuleProgress, 'enrollment')} = {enrollment_id}",
            f"WHERE e.{column(Enrollment, 'user')} = %s AND e.{column(Enrollment, 'course')} = %s",
        ]
    )


def _enrollments_with_progress(rows, flags=0):
    """[(enrollment, its `flags` extra columns, its ModuleProgress rows)], in statement order, from
    rows of an enrolment's columns, the flags, then a progress row's columns (all NULL when the
    LEFT JOIN found none)."""
    split = width(Enrollment)
    result = {}
    for row in rows:
        enrollment_id = row[0]  # the first column of a model is its primary key
        if enrollment_id not in result:
            result[enrollment_id] = (build(Enrollment, row[:split]), row[split : split + flags], [])
        progress = row[split + flags :]
        if progress[0] is not None:
            result[enrollment_id][2].append(build(ModuleProgress, progress))
    return list(result.values())


def lesson_progress(*, user, course):
    """The learner's enrolment and module states only: what a lesson page shows, in one statement.

    The post-test and certificate stages are left out (`steps` is empty), because a lesson page
    shows neither and they cost three more queries on every page turn. Anything that decides what
    the learner may do next uses `course_progress`.
    """
    modules = course_modules(course)
    if not user.is_authenticated:
        return CourseProgress(course=course, enrollment=None, modules=_module_states(modules, {}))
    found = _enrollments_with_progress(fetch_rows(_lesson_sql(), [user.pk, course.pk]))
    enrollment, _, rows = found[0] if found else (None, (), [])
    states = _module_states(modules, {row.module_id: row for row in rows})
    return CourseProgress(course=course, enrollment=enrollment, modules=states)


@cache
def _dashboard_sql():
    """The dashboard's two statements: enrolments (whether each has its evaluation and attestation)
    with their module rows, then the learner's attempts."""
    enrollment_id = f"e.{column(Enrollment, 'id')}"
    flags = ", ".join(
        f"EXISTS (SELECT 1 FROM {table(model)} x WHERE x.{column(model, 'enrollment')} = {enrollment_id})"  # noqa: S608
        for model in (Evaluation, Attestation)
    )
    enrollments = " ".join(
        [
            f"SELECT {columns(Enrollment, 'e')}, {flags}, {columns(ModuleProgress, 'p')}",
            f"FROM {table(Enrollment)} e LEFT JOIN {table(ModuleProgress)} p",
            f"ON p.{column(ModuleProgress, 'enrollment')} = {enrollment_id}",
            f"WHERE e.{column(Enrollment, 'user')} = %s",
            f"ORDER BY e.{column(Enrollment, 'created_at')} DESC, e.{column(Enrollment, 'id')} DESC",
        ]
    )
    attempts = " ".join(
        [
            f"SELECT {columns(Attempt, 'a')} FROM {table(Attempt)} a",  # noqa: S608 - names from _meta
            f"WHERE a.{column(Attempt, 'user')} = %s ORDER BY a.{column(Attempt, 'number')}",
        ]
    )
    return enrollments, attempts


def dashboard_progress(*, user, certificates):
    """Every course the user is enrolled in, with its progress, in a fixed number of queries.

    `certificates` are the learner's certificates the page already read for the transcript
    (certificates.selectors.transcript_rows); the live one of each course comes from them.
    """
    enrollments_sql, attempts_sql = _dashboard_sql()
    found = _enrollments_with_progress(fetch_rows(enrollments_sql, [user.pk]), flags=2)
    if not found:
        return []
    for enrollment, (evaluated, attested), _ in found:
        enrollment.has_evaluation, enrollment.has_attestation = bool(evaluated), bool(attested)
    attempts_by_quiz = {}
    for row in fetch_rows(attempts_sql, [user.pk]):
        attempt = build(Attempt, row)
        attempts_by_quiz.setdefault(attempt.quiz_id, []).append(attempt)
    courses = courses_by_id([enrollment.course_id for enrollment, _, _ in found])
    live = {c.course_id: c for c in certificates if c.is_live}
    rows = []
    for enrollment, _, progress_rows in found:
        course = courses[enrollment.course_id]
        quiz = quiz_of(course)
        post_test = PostTestStatus(quiz=quiz, attempts=attempts_by_quiz.get(getattr(quiz, "pk", None), []))
        rows.append(
            build_course_progress(
                course,
                enrollment,
                course_modules(course),
                progress_rows,
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
