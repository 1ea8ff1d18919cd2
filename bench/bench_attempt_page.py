"""The post-test attempt page, in-process, with its parts swapped side by side in one run.

Run: .venv/bin/python bench/bench_attempt_page.py [--requests 3000] [--rounds 20]

Variants, each serving the same learner's open attempt of the shipped course (10 questions, 4 of
them answered) through django.test.Client, in rounds, each round running every variant in a new
random order, so that a noisy machine slows them alike (the best round of each is compared):

- shipped (quizzes.selectors.attempt_with_answers): one plain statement (ce_course/plain_sql.py:
  table and column names from Model._meta, rows built by Django's converters), the questions'
  key and snapshot left out, each question's inputs stored on its row with the key they were
  rendered from (template version + response digest);
- no stored inputs: the same read, every question rendered through the template on every view;
- the best ORM forms of the same read, with the stored inputs: one statement with select_related +
  only(), two statements with only().

It answers two questions of issue 12: is plain SQL at least 10% faster on the whole page (it must
be, to stay), and what do the stored inputs buy. Uses a throwaway SQLite file unless DATABASE_URL
is set (scripts/with-postgres.sh sets it).
"""

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
SCRATCH = tempfile.mkdtemp(prefix="cecourse-attempt-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH}/db.sqlite3")
os.environ.setdefault("BENCH_STATIC_ROOT", f"{SCRATCH}/static")  # production settings: hashed names

import django  # noqa: E402

if os.environ["DATABASE_URL"].startswith("postgres"):
    from bench.run_bench import create_postgres_database

    create_postgres_database(os.environ["DATABASE_URL"])
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from modules import services as module_services  # noqa: E402
from modules.models import Course  # noqa: E402
from quizzes import services as quiz_services  # noqa: E402
from quizzes import views  # noqa: E402
from quizzes.grading import correct_response, key_from_snapshot  # noqa: E402
from quizzes.models import Attempt, AttemptQuestion  # noqa: E402
from quizzes.presentation import question_inputs_html, question_view, render_question  # noqa: E402
from quizzes.selectors import QUESTION_LEFT_OUT, attempt_with_answers, snapshots_load  # noqa: E402

# What the page reads, for the ORM forms: every column but the question's key and snapshot.
ATTEMPT_PAGE_FIELDS = [f.name for f in Attempt._meta.concrete_fields]
QUESTION_PAGE_FIELDS = [
    f.name for f in AttemptQuestion._meta.concrete_fields if f.name not in QUESTION_LEFT_OUT
]


def setup():
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_course", str(ROOT / "content" / "proximal-hamstring-tendinopathy"), verbosity=0)
    course = Course.objects.get()
    user = User.objects.create_user(
        email="bench-attempt@bench.invalid", password=None, first_name="A", last_name="B"
    )
    enrollment = module_services.enrollment_create(user=user, course=course)
    for module in course.modules.order_by("position"):
        module_services.module_complete(enrollment=enrollment, module=module)
    attempt = quiz_services.attempt_start(user=user, quiz=course.quiz, all_modules_complete=True)
    answers = {}
    for row in attempt.questions.order_by("position")[:4]:
        key = row.key
        if key["kind"] == "ordering":
            answers[row.pk] = key["correct_order"]
        elif key["kind"] == "matching":
            answers[row.pk] = key["matches"]
        elif key["kind"] == "multiple":
            answers[row.pk] = key["correct_ids"]
        else:
            answers[row.pk] = correct_response(key_from_snapshot(key))
    quiz_services.attempt_save(attempt=attempt, answers=answers)
    client = Client()
    client.force_login(user)
    return client, reverse("attempt_detail", args=[course.slug, attempt.number])


def attempt_with_answers_select_related(*, user, quiz, number):
    rows = list(
        AttemptQuestion.objects.filter(attempt__user=user, attempt__quiz=quiz, attempt__number=number)
        .select_related("attempt")
        .only(*QUESTION_PAGE_FIELDS, *(f"attempt__{name}" for name in ATTEMPT_PAGE_FIELDS))
        .order_by("position")
    )
    if not rows:
        return None
    attempt = rows[0].attempt
    attempt.quiz = quiz
    attempt.page_rows = rows
    return attempt


def attempt_with_answers_two_queries(*, user, quiz, number):
    attempt = Attempt.objects.filter(user=user, quiz=quiz, number=number).only(*ATTEMPT_PAGE_FIELDS).first()
    if attempt is None:
        return None
    attempt.quiz = quiz
    attempt.page_rows = list(attempt.questions.only(*QUESTION_PAGE_FIELDS).order_by("position"))
    return attempt


def uncached_inputs(rows):
    return [render_question(question_view(row)) for row in snapshots_load(rows)], []


def variants():
    # The shipped functions by import, not from `views`, whose names main() swaps.
    shipped = (attempt_with_answers, question_inputs_html)
    return {
        "shipped: plain SQL, stored inputs": shipped,
        "no stored inputs (same plain SQL read)": (shipped[0], uncached_inputs),
        "ORM select_related + only(), stored inputs": (attempt_with_answers_select_related, shipped[1]),
        "ORM two reads with only(), stored inputs": (attempt_with_answers_two_queries, shipped[1]),
    }


def run(client, url, count):
    """(wall seconds, CPU seconds of this process) per request. On a machine shared with other
    work the CPU time is the steadier figure; with SQLite it includes the database's work too."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
    return (time.perf_counter() - wall) / count, (time.process_time() - cpu) / count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per variant, in all")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    client, url = setup()
    timings = {name: [] for name in variants()}
    pages = {}
    for name, (read, render) in variants().items():  # same page from each, and warm
        views.selectors.attempt_with_answers, views.question_inputs_html = read, render
        # The CSRF token is masked afresh on each page: compare everything else.
        pages[name] = re.sub(
            r'name="csrfmiddlewaretoken" value="[^"]+"', "", client.get(url).content.decode()
        )
        run(client, url, 50)
    reference = next(iter(pages.values()))
    for name, page in pages.items():
        if page != reference:
            import difflib

            diff = difflib.unified_diff(reference.splitlines(), page.splitlines(), lineterm="", n=0)
            raise SystemExit(f"{name} serves a different page:\n" + "\n".join(list(diff)[:20]))
    per_round = args.requests // args.rounds
    order = list(variants().items())
    for _ in range(args.rounds):
        random.shuffle(order)  # no variant always runs first (or right after another)
        for name, (read, render) in order:
            views.selectors.attempt_with_answers, views.question_inputs_html = read, render
            timings[name].append(run(client, url, per_round))
    # The fastest round is the least disturbed by other work on the machine; the median is shown too.
    print(
        f"{connection.vendor}: {per_round * args.rounds} requests per variant in {args.rounds} rounds, ms per page"
    )
    print(
        f"  {'variant':46s} {'wall best':>9s} {'median':>7s} {'CPU best':>9s} {'median':>7s} {'CPU best/shipped':>17s}"
    )
    shipped_cpu = min(cpu for _, cpu in timings[next(iter(timings))])
    for name, values in timings.items():
        wall, cpu = [w for w, _ in values], [c for _, c in values]
        print(
            f"  {name:46s} {min(wall) * 1000:9.3f} {statistics.median(wall) * 1000:7.3f}"
            f" {min(cpu) * 1000:9.3f} {statistics.median(cpu) * 1000:7.3f} {min(cpu) / shipped_cpu:17.3f}"
        )


if __name__ == "__main__":
    main()
