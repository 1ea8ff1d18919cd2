"""Time learner pages in-process with Django's test Client: for side-by-side comparisons of two code trees.

wrk numbers move with whatever else the machine runs; decisions between two forms of a read were
taken with this instead, running two trees (or two variants) in turns against one database and
comparing medians (README "Performance"):

    # once: a bench database with the shipped course, seeded learners and personas
    DATABASE_URL=sqlite:////tmp/ab/bench.sqlite3 .venv/bin/python bench/inprocess.py prepare /tmp/ab --learners 300
    # then, alternately in each tree (same database, same personas):
    DATABASE_URL=sqlite:////tmp/ab/bench.sqlite3 .venv/bin/python bench/inprocess.py time /tmp/ab --rounds 5

`time` prints per page the median milliseconds per request and the statements of one warm request.
"""

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = ("floor", "catalogue", "lesson", "dashboard", "attempt", "verify")
# Every backend a tree under comparison may name in its sessions: Django refuses a session whose
# backend is not in AUTHENTICATION_BACKENDS, so each persona gets one session per backend.
BACKENDS = ("accounts.backends.CachedUserBackend", "django.contrib.auth.backends.ModelBackend")


def setup(scratch):
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_bench"
    os.environ.setdefault("SECRET_KEY", "inprocess-bench-" + "x" * 40)  # sessions must outlive one process
    os.environ["BENCH_STATIC_ROOT"] = str(scratch / "static")
    import django

    django.setup()


def prepare(scratch, learners, personas):
    from django.core.management import call_command

    from bench import sessions
    from modules.models import Course

    quiet = io.StringIO()
    call_command("migrate", interactive=False, verbosity=0, stdout=quiet)
    call_command("collectstatic", interactive=False, verbosity=0, stdout=quiet)
    call_command(
        "load_course", str(ROOT / "content/proximal-hamstring-tendinopathy"), verbosity=0, stdout=quiet
    )
    course = Course.objects.get()
    call_command("seed_completions", learners=learners, course=course.slug, seed=1, force=True, stdout=quiet)
    sessions.BACKEND = BACKENDS[0]
    first = {
        name: pairs for name, pairs in sessions.prepare_personas(course, personas).items() if name in PAGES
    }
    pages = {BACKENDS[0]: first}
    for backend in BACKENDS[1:]:
        pages[backend] = {
            name: [(_session_for(cookie, backend), path) for cookie, path in pairs]
            for name, pairs in first.items()
        }
    (scratch / "personas.json").write_text(json.dumps(pages))


def _session_for(cookie, backend):
    """The same persona logged in through `backend`: a copy of its session under a new key."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    if not cookie:
        return cookie
    parts = dict(part.split("=", 1) for part in cookie.split("; "))
    row = Session.objects.get(session_key=parts[settings.SESSION_COOKIE_NAME])
    store = SessionStore()
    data = store.decode(row.session_data)
    data["_auth_user_backend"] = backend
    store.update(data)
    store.create()
    parts[settings.SESSION_COOKIE_NAME] = store.session_key
    return "; ".join(f"{name}={value}" for name, value in parts.items())


def run(scratch, rounds, per_round):
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    data = json.loads((scratch / "personas.json").read_text())
    backend = next(b for b in settings.AUTHENTICATION_BACKENDS if b in data)
    personas = data[backend]
    clients = {}
    for page, pairs in personas.items():
        clients[page] = []
        for cookie, path in pairs:
            client = Client()
            if cookie:
                client.cookies.load(cookie)
            clients[page].append((client, path))
    times = {page: [] for page in PAGES}
    statements = {}
    for page in PAGES:  # warm every persona once, then count one request's statements
        for client, path in clients[page]:
            response = client.get(path)
            assert response.status_code == 200, (page, path, response.status_code)
        client, path = clients[page][0]
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        statements[page] = len(captured)
    for _ in range(rounds):
        for page in PAGES:
            pairs = clients[page]
            started = time.perf_counter()
            for index in range(per_round):
                client, path = pairs[index % len(pairs)]
                client.get(path)
            times[page].append((time.perf_counter() - started) * 1000 / per_round)
    return {page: (statistics.median(times[page]), statements[page]) for page in PAGES}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("prepare", "time"))
    parser.add_argument("scratch", type=Path)
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--personas", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=200)
    parser.add_argument("--label", default=str(ROOT))
    args = parser.parse_args(argv)
    args.scratch.mkdir(parents=True, exist_ok=True)
    setup(args.scratch)
    if args.action == "prepare":
        prepare(args.scratch, args.learners, args.personas)
        return
    results = run(args.scratch, args.rounds, args.per_round)
    print(args.label, " ".join(f"{page}={ms:.2f}ms/{n}q" for page, (ms, n) in results.items()), flush=True)


if __name__ == "__main__":
    main()
