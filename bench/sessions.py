"""Logged-in personas for the benchmark, as real Django sessions created in the database.

Sessions are written directly (what `login()` would store) instead of posting the login form:
password hashing is deliberately slow and is not what the pages are measured for.
Needs a configured Django; run_bench.py calls these after django.setup().
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import transaction
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from accounts.roles import CE_BOARD
from certificates.models import Certificate
from modules import services as module_services
from modules.models import Enrollment
from modules.selectors import course_progress
from quizzes import services as quiz_services
from quizzes.models import Quiz

# Users this script creates; seeded learners never use this domain, so personas are told apart.
BENCH_DOMAIN = "bench.invalid"
BACKEND = "accounts.backends.CachedUserBackend"
SESSION_KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


def bench_email(role, number):
    return f"bench-{role}-{number:05d}@{BENCH_DOMAIN}"


def create_sessions(users):
    """{user id: "sessionid=<key>; csrftoken=<secret>"} for `users`: one new database session each,
    in one insert, and a CSRF cookie of its own.

    A browser that has logged in holds both cookies (login() sets a fresh CSRF cookie), and sends
    both on every page. Without the CSRF cookie, Django would make up a new secret on every page
    that shows a form, which no real learner's browser makes it do.
    """
    store = SessionStore()
    expire = timezone.now() + timedelta(days=1)
    keys, rows = {}, []
    for user in users:
        key = get_random_string(32, SESSION_KEY_CHARS)
        data = {"_auth_user_id": str(user.pk), "_auth_user_backend": BACKEND}
        data["_auth_user_hash"] = user.get_session_auth_hash()
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        csrf_secret = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
        keys[user.pk] = f"{settings.SESSION_COOKIE_NAME}={key}; {settings.CSRF_COOKIE_NAME}={csrf_secret}"
    Session.objects.bulk_create(rows)
    return keys


def bench_users(role, count, **fields):
    """`count` users bench-<role>-NNNNN, created in one insert (unusable passwords: never log in)."""
    User = get_user_model()
    emails = [bench_email(role, number) for number in range(1, count + 1)]
    existing = list(User.objects.filter(email__in=emails).order_by("pk"))
    if existing:
        # A kept database benchmarked before (bench/run_scale.py's clusters): the same personas again.
        return existing
    users = [
        User(
            email=bench_email(role, number),
            first_name="Bench",
            last_name=f"{role.title()} {number}",
            password="!bench",  # noqa: S106 - an unusable hash: nobody can log in with it
            **fields,
        )
        for number in range(1, count + 1)
    ]
    User.objects.bulk_create(users)
    return list(User.objects.filter(email__in=[u.email for u in users]).order_by("pk"))


def seeded_learners(course, count):
    """The first `count` seeded learners enrolled in `course` (never the bench's own users)."""
    enrolled = Enrollment.objects.filter(course=course).exclude(user__email__endswith="@" + BENCH_DOMAIN)
    user_ids = list(enrolled.order_by("user_id").values_list("user_id", flat=True)[:count])
    return list(get_user_model().objects.filter(pk__in=user_ids).order_by("pk"))


def lesson_paths(users, course):
    """A lesson each learner may open (complete or open, never locked), varied across learners."""
    paths = {}
    for index, user in enumerate(users):
        progress = course_progress(user=user, course=course)
        reachable = [state.module for state in progress.modules if not state.is_locked]
        module = reachable[index % len(reachable)]
        paths[user.pk] = reverse("module_detail", args=[course.slug, module.slug])
    return paths


def attempt_takers(course, count):
    """`count` bench learners who completed every module and have an open attempt 1."""
    quiz = Quiz.objects.get(course=course)
    learners = bench_users("taker", count)
    for user in learners:
        if Enrollment.objects.filter(user=user, course=course).exists():
            continue  # prepared by an earlier run on a kept database
        with transaction.atomic():
            enrollment = module_services.enrollment_create(user=user, course=course)
            for module in course.modules.order_by("position"):
                module_services.module_complete(enrollment=enrollment, module=module)
            quiz_services.attempt_start(user=user, quiz=quiz, all_modules_complete=True)
    return learners


def board_reviewer():
    (user,) = bench_users("board", 1)
    user.groups.add(Group.objects.get_or_create(name=CE_BOARD)[0])
    return user


def verification_paths(count):
    codes = Certificate.objects.filter(revoked_at__isnull=True).order_by("pk")
    return [
        reverse("verify_code", args=[code])
        for code in codes.values_list("verification_code", flat=True)[:count]
    ]


def prepare_personas(course, count):
    """Per endpoint name: the (cookie, path) pairs wrk rotates through. Created once, reused per step."""
    learners = seeded_learners(course, count)
    if not learners:
        raise RuntimeError("no seeded learner is enrolled in the course; did seed_completions run?")
    takers = attempt_takers(course, count)
    board = board_reviewer()
    cookies = create_sessions([*learners, *takers, board])
    lessons = lesson_paths(learners, course)
    attempt = reverse("attempt_detail", args=[course.slug, 1])
    return {
        "floor": [("", "/bench/hello/")],
        "catalogue": [(cookies[u.pk], reverse("catalogue")) for u in learners],
        "lesson": [(cookies[u.pk], lessons[u.pk]) for u in learners],
        "dashboard": [(cookies[u.pk], reverse("dashboard")) for u in learners],
        "attempt": [(cookies[u.pk], attempt) for u in takers],
        # Verification is public: anonymous visitors, one certificate each.
        "verify": [("", path) for path in verification_paths(count)],
        "board report": [(cookies[board.pk], "/reports/")],
    }
