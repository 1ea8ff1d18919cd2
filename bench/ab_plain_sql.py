"""Side by side in one process: each learner page as the code is and with one read (or write) in its
other form, plain SQL against the best ORM form, in alternating rounds. The rule (issue 12):
plain SQL stays only where it makes the page at least 10% faster than the best ORM form.

    DATABASE_URL=sqlite:////tmp/ab/bench.sqlite3 .venv/bin/python bench/ab_plain_sql.py /tmp/ab --rounds 15
(after `bench/inprocess.py prepare /tmp/ab`).
"""

import argparse
import json
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import inprocess  # noqa: E402


def variants():
    """{name: (page, [(dotted target, replacement)])}: the other form of each read or write.

    Each read or write the product does in plain SQL, replaced by the best ORM form found.
    """
    from decimal import Decimal

    from django.db.models import Exists, F, OuterRef
    from django.utils import timezone

    from certificates.models import Attestation, Certificate, Evaluation
    from modules import progress as p
    from modules.course_reads import course_modules, courses_by_id
    from modules.models import Enrollment, ModuleProgress
    from modules.services import _credit_seconds
    from quizzes.models import Attempt
    from quizzes.selectors import PostTestStatus, quiz_of

    def orm_lesson_progress(*, user, course):
        rows = list(
            ModuleProgress.objects.filter(enrollment__user=user, enrollment__course=course).select_related(
                "enrollment"
            )
        )
        enrollment = (
            rows[0].enrollment if rows else Enrollment.objects.filter(user=user, course=course).first()
        )
        states = p._module_states(course_modules(course), {row.module_id: row for row in rows})
        return p.CourseProgress(course=course, enrollment=enrollment, modules=states)

    def orm_module_view_record(*, progress, module, now=None):
        now = now or timezone.now()
        row = progress.state_for(module).progress
        if now <= row.last_seen_at:
            return 0
        credit = _credit_seconds(row, now)
        updated = ModuleProgress.objects.filter(pk=row.pk, last_seen_at=row.last_seen_at).update(
            seconds_spent=F("seconds_spent") + credit, last_seen_at=now
        )
        return credit if updated else 0

    def orm_dashboard_progress(*, user, certificates):
        enrollments = list(
            Enrollment.objects.filter(user=user)
            .annotate(
                has_evaluation=Exists(Evaluation.objects.filter(enrollment=OuterRef("pk"))),
                has_attestation=Exists(Attestation.objects.filter(enrollment=OuterRef("pk"))),
            )
            .order_by("-created_at", "-id")
        )
        progress_by = {}
        for row in ModuleProgress.objects.filter(enrollment__user=user):
            progress_by.setdefault(row.enrollment_id, []).append(row)
        attempts_by_quiz = {}
        for attempt in Attempt.objects.filter(user=user).order_by("number"):
            attempts_by_quiz.setdefault(attempt.quiz_id, []).append(attempt)
        courses = courses_by_id([e.course_id for e in enrollments])
        live = {c.course_id: c for c in certificates if c.is_live}
        rows = []
        for e in enrollments:
            course = courses[e.course_id]
            quiz = quiz_of(course)
            post_test = PostTestStatus(
                quiz=quiz, attempts=attempts_by_quiz.get(getattr(quiz, "pk", None), [])
            )
            rows.append(
                p.build_course_progress(
                    course,
                    e,
                    course_modules(course),
                    progress_by.get(e.pk, []),
                    post_test,
                    live.get(e.course_id),
                )
            )
        return rows

    def orm_transcript_rows(*, user):
        certificates = list(
            Certificate.objects.filter(user=user).defer("pdf").order_by("-completion_date", "-id")
        )
        return certificates, sum((c.contact_hours for c in certificates if c.is_live), Decimal("0.00"))

    def orm_enrolled_course_ids(*, user):
        return set(Enrollment.objects.filter(user=user).values_list("course_id", flat=True))

    return {
        "catalogue: enrolled course ids": (
            "catalogue",
            [("modules.selectors.enrolled_course_ids", orm_enrolled_course_ids)],
        ),
        "lesson: read": ("lesson", [("modules.selectors.lesson_progress", orm_lesson_progress)]),
        "lesson: time credit": (
            "lesson",
            [("modules.services.module_view_record", orm_module_view_record)],
        ),
        "dashboard: enrolments, module rows, attempts": (
            "dashboard",
            [("modules.selectors.dashboard_progress", orm_dashboard_progress)],
        ),
        "dashboard: transcript": ("dashboard", [("modules.views.transcript_rows", orm_transcript_rows)]),
    }


def standard_choices():
    """{name: (page, patches, settings, backend)}: the other choice for each standard part kept.

    The logged-in user straight from ModelBackend (two queries: the user, its groups) instead of
    the cached plain values; plain database sessions instead of cached_db; the course read per
    request through the ORM instead of the worker's frozen copy.
    """
    from modules.course_reads import _course_url, _module_urls
    from modules.models import Course

    def orm_course_for_learner(slug):
        course = Course.objects.filter(slug=slug, is_published=True).select_related("quiz").first()
        if course is None:
            return None
        course.ordered_modules = list(course.modules.order_by("position"))
        for module in course.ordered_modules:
            module.course = course
            module.__dict__.update(_module_urls(course.slug, module.slug))
        course.__dict__["learner_url"] = _course_url(course.slug)
        return course

    from certificates.models import Certificate

    def first_with_ordering(code):  # the commit before's form
        return (
            Certificate.objects.filter(verification_code=code)
            .defer("pdf")
            .select_related("replaced_by")
            .first()
        )

    model_backend = "django.contrib.auth.backends.ModelBackend"
    user_from_orm = {"AUTHENTICATION_BACKENDS": ["axes.backends.AxesStandaloneBackend", model_backend]}
    db_sessions = {"SESSION_ENGINE": "django.contrib.sessions.backends.db"}
    return {
        "lesson: user and groups through ModelBackend": ("lesson", [], user_from_orm, model_backend),
        "catalogue: user and groups through ModelBackend": ("catalogue", [], user_from_orm, model_backend),
        "lesson: db sessions instead of cached_db": ("lesson", [], db_sessions, None),
        "catalogue: db sessions instead of cached_db": ("catalogue", [], db_sessions, None),
        "verify: first() (sorted, the replacement's PDF loaded) instead of get()": (
            "verify",
            [("certificates.selectors.certificate_for_verification", first_with_ordering)],
            {},
            None,
        ),
        "lesson: course read per request, nothing kept per worker": (
            "lesson",
            [("modules.selectors.course_for_learner", orm_course_for_learner)],
            {},
            None,
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scratch", type=Path)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--per-round", type=int, default=100)
    parser.add_argument("--only", default="", help="run the comparisons whose name contains this")
    parser.add_argument("--standard", action="store_true", help="compare the standard parts, not plain SQL")
    args = parser.parse_args()
    inprocess.setup(args.scratch)
    from django.conf import settings
    from django.test import Client, override_settings

    data = json.loads((args.scratch / "personas.json").read_text())
    as_is_backend = next(b for b in settings.AUTHENTICATION_BACKENDS if b in data)
    if args.standard:
        comparisons = standard_choices()
    else:
        comparisons = {name: (page, patches, {}, None) for name, (page, patches) in variants().items()}
    for name, (page, patches, overrides, backend) in comparisons.items():
        if args.only not in name:
            continue
        times = {"as is": [], "other": []}
        for round_number in range(args.rounds):
            for form in ("as is", "other") if round_number % 2 else ("other", "as is"):
                with ExitStack() as stack:
                    if form == "other":
                        for target, replacement in patches:
                            stack.enter_context(mock.patch(target, replacement))
                        stack.enter_context(override_settings(**overrides))
                    clients = []  # new clients: each loads the middleware of the settings in force
                    for cookie, path in data[(backend if form == "other" else None) or as_is_backend][page]:
                        client = Client()
                        client.cookies.load(cookie)
                        clients.append((client, path))
                    for client, path in clients:  # warm
                        assert client.get(path).status_code == 200
                    started = time.perf_counter()
                    for index in range(args.per_round):
                        client, path = clients[index % len(clients)]
                        client.get(path)
                    times[form].append((time.perf_counter() - started) * 1000 / args.per_round)
        as_is, other = statistics.median(times["as is"]), statistics.median(times["other"])
        print(
            f"{name}: as is {as_is:.3f} ms, other form {other:.3f} ms ({(other - as_is) / as_is:+.0%})",
            flush=True,
        )


if __name__ == "__main__":
    main()
