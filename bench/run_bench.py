"""Benchmark every learner and board page against the bare-Django floor, at two database sizes.

Run through `make bench` (DB=sqlite|postgres LEARNERS WORKERS CONNECTIONS DURATION), or directly:
    .venv/bin/python bench/run_bench.py --db sqlite --learners 10000
    bash scripts/with-postgres.sh .venv/bin/python bench/run_bench.py --db postgres --writes

Steps: migrate a fresh database, load the shipped course, seed 100 learners, count each page's
queries in-process, serve with gunicorn (sync workers, production settings over plain HTTP) and
load every page with wrk; seed up to --learners and measure again; with --writes on PostgreSQL,
run simulated learners writing through the pages. Results go to the terminal and bench/results/.
A run with any error response or socket error is refused: its numbers are not reported and the
script exits non-zero.
"""

import argparse
import io
import os
import platform
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import wrk  # noqa: E402 - needs the project root on sys.path first

COURSE_DIR = "content/proximal-hamstring-tendinopathy"
FIRST_STEP = 100
LUA = ROOT / "bench" / "wrk_sessions.lua"
RESULTS = ROOT / "bench" / "results"
ENDPOINTS = ("floor", "catalogue", "lesson", "dashboard", "attempt", "verify", "board report")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--learners", type=int, default=10_000, help="learners at the last growth step")
    # One sync worker per CPU: the pages are CPU-bound (the database is local or a short hop away),
    # so extra workers only add context switches (README "Performance").
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured wrk before each run")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--personas", type=int, default=32, help="sessions per page")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--writes", action="store_true", help="also run the write load (PostgreSQL only)")
    parser.add_argument("--write-clients", type=int, default=64)
    parser.add_argument("--write-seconds", type=int, default=60)
    parser.add_argument("--write-pool", type=int, default=1500, help="learners prepared for the write load")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, logs)")
    return parser.parse_args(argv)


# --- environment and database ----------------------------------------------------------------------


def configure_environment(args, scratch):
    """Environment for this process and gunicorn: bench settings, one SECRET_KEY, the database."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_bench"
    # Sessions are signed and hashed with the key, so every process must share it.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["BENCH_STATIC_ROOT"] = str(scratch / "static")
    if args.db == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
        return
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("--db postgres needs DATABASE_URL (run it through scripts/with-postgres.sh)")
    create_postgres_database(url)


def create_postgres_database(url):
    """with-postgres.sh starts an empty cluster; the database in DATABASE_URL has to be created."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    params = {
        "host": unquote(parts.hostname or ""),
        "user": parts.username or "postgres",
        "dbname": "postgres",
    }
    if parts.port:
        params["port"] = parts.port
    with psycopg.connect(**params, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django():
    import django

    django.setup()


def prepare_database():
    from django.core.management import call_command

    quiet = io.StringIO()  # load_course lists every record it creates; the benchmark's output is the table
    call_command("migrate", interactive=False, verbosity=0, stdout=quiet)
    call_command("collectstatic", interactive=False, verbosity=0, stdout=quiet)
    call_command("load_course", str(ROOT / COURSE_DIR), verbosity=0, stdout=quiet)


def learner_count():
    """Learners seed_completions created (it names them seed-<n>@example.test)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(email__startswith="seed-", email__endswith="@example.test").count()


def seed_to(target, course_slug, seed):
    """Seed learners until `target` exist. Waits for no one: the seeder is another helper's command."""
    from django.core.management import call_command, get_commands

    if "seed_completions" not in get_commands():
        sys.exit("manage.py seed_completions is not available yet (reports/management/commands/)")
    missing = target - learner_count()
    if missing > 0:
        started = time.monotonic()
        # --force: the bench settings run with DEBUG off, and this database is a throwaway one.
        call_command(
            "seed_completions",
            learners=missing,
            course=course_slug,
            seed=seed,
            force=True,
            stdout=io.StringIO(),
        )
        print(f"seeded {missing} learners in {time.monotonic() - started:.0f} s", flush=True)


# --- in-process query counts ---------------------------------------------------------------------


def count_queries(pairs, sample=3):
    """Queries per request for the first `sample` personas, measured on their second request.

    The first request of each persona is not counted: it may create rows a later view only reads.
    Raises RuntimeError when a page does not answer 200, since wrk would then measure an error page.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = []
    for cookie, path in pairs[:sample]:
        client = Client()
        client.cookies.load(cookie)  # the Cookie header wrk sends: session and CSRF cookies
        for attempt in range(2):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} answered {response.status_code} in-process")
            if attempt == 1:
                counts.append(len(captured))
    return counts


class Unavailable(str):
    """Why an endpoint is not measured at all (not wired yet, nothing to request): not an error."""


def page_available(path):
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
    except Resolver404:
        return False
    return True


# --- gunicorn and wrk ------------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(workers, scratch):
    """gunicorn on a free port with sync workers and no access log; yields the base URL."""
    port = free_port()
    log = open(scratch / "gunicorn.log", "ab")  # noqa: SIM115 - closed below, after the server stops
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "ce_course.wsgi:application",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log)  # noqa: S603 - fixed command
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base + "/bench/hello/", server)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def wait_until_serving(url, server, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}; see its log in the scratch directory")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own 127.0.0.1 URL
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not answer {url} within {timeout:.0f} s")


def run_wrk(base, pairs_file, args, seconds):
    """(WrkResult or None, problems): one wrk run through the session-rotating script."""
    command = [
        "wrk",
        "-t",
        str(min(args.wrk_threads, args.connections)),
        "-c",
        str(args.connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
        base,
        "--",
        str(pairs_file),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed command
    try:
        return wrk.parse_wrk_output(done.stdout), []
    except wrk.WrkParseError as error:
        return None, [f"{error} {done.stderr.strip()}".strip()]


def write_pairs(pairs, path):
    path.write_text("".join(f"{cookie}\t{url}\n" for cookie, url in pairs))
    return path


def drain(base, timeout=30.0):
    """Wait until the workers are idle again: wrk stops with requests still queued in gunicorn's
    backlog, and the next run (the floor after a slow page, say) must not start behind them."""
    deadline = time.monotonic() + timeout
    quick = 0
    while quick < 3 and time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(base + "/bench/hello/", timeout=timeout) as response:  # noqa: S310
                response.read()
        except OSError:
            time.sleep(0.1)
            continue
        quick = quick + 1 if time.perf_counter() - started < 0.02 else 0


def measure_endpoint(base, name, pairs, args, scratch):
    pairs_file = write_pairs(pairs, scratch / f"pairs-{name.replace(' ', '-')}.tsv")
    drain(base)
    warm, problems = run_wrk(base, pairs_file, args, args.warmup)
    if warm is not None:
        # A slow page may finish nothing in a short warm-up; that is for the measured run to show.
        problems = [f"warm-up: {p}" for p in wrk.run_problems(warm) if p != "no request completed"]
    if problems:
        return None, problems
    drain(base)
    return run_wrk(base, pairs_file, args, args.duration)


def measure_step(learners, personas, queries, args, scratch, *, with_writes=False):
    """Every endpoint under wrk, the floor first and last, ratios to the mean of the two floors."""
    from django.db import connections

    connections.close_all()  # nothing of ours holds the database while gunicorn is measured
    measured = {}
    busy_before = other_runnable()
    with gunicorn(args.workers, scratch) as base:
        print(f"-- {learners} learners: gunicorn {args.workers} workers at {base}", flush=True)
        for name in ENDPOINTS:
            if isinstance(queries.get(name), Unavailable):
                continue
            measured[name] = measure_endpoint(base, name, personas[name], args, scratch)
            print(f"   {name}: {_brief(measured[name])}", flush=True)
        floor_end = measure_endpoint(base, "floor", personas["floor"], args, scratch)
        print(f"   floor (end): {_brief(floor_end)}", flush=True)
        writes = None
        if with_writes:
            writes = run_write_load(base, args)
    step = build_step(learners, personas, queries, measured, floor_end)
    step["others_runnable"] = {"before": busy_before, "after": other_runnable()}
    return step, writes


def _brief(outcome):
    result, problems = outcome
    if result is None or problems or wrk.run_problems(result):
        return "INVALID " + "; ".join(problems + (wrk.run_problems(result) if result else []))
    return f"{result.rps:.1f} req/s, p99 {result.p99_ms:.1f} ms"


def floor_summary(start, end):
    """The floor's rps as the mean of its runs before and after the pages, and how far they drifted."""
    values = [
        r.rps for r, problems in (start, end) if r is not None and not problems and not wrk.run_problems(r)
    ]
    if not values:
        return {"rps": None, "start": None, "end": None, "drift": None}
    first, last = start[0].rps if start[0] else None, end[0].rps if end[0] else None
    drift = (last - first) / first if first and last else None
    return {"rps": sum(values) / len(values), "start": first, "end": last, "drift": drift}


def build_step(learners, personas, queries, measured, floor_end):
    floor = floor_summary(measured["floor"], floor_end)
    rows = []
    for name in ENDPOINTS:
        pairs = personas[name]
        path = pairs[0][1] if pairs else "–"
        if isinstance(queries.get(name), Unavailable):
            rows.append(wrk.endpoint_row(name, path, personas=len(pairs), note=str(queries[name])))
            continue
        result, problems = measured[name]
        count = queries.get(name)
        if isinstance(count, str):  # the in-process request failed: the page is broken for these personas
            problems, count = [*problems, count], None
        rows.append(
            wrk.endpoint_row(
                name,
                path,
                personas=len(pairs),
                result=result,
                floor_rps=floor["rps"],
                queries=count,
                problems=problems,
            )
        )
    return {"learners": learners, "floor": floor, "endpoints": rows}


def run_write_load(base, args):
    from bench.writes import run_writes
    from modules.models import Course

    course = Course.objects.get(slug=Path(COURSE_DIR).name)
    host_port = urlsplit(base)
    print(f"   writes: {args.write_clients} learners for {args.write_seconds} s ...", flush=True)
    result = run_writes(
        host=host_port.hostname,
        port=host_port.port,
        course=course,
        clients=args.write_clients,
        seconds=args.write_seconds,
        pool=args.write_pool,
    )
    print(f"   writes: {result['writes_per_second']:.1f} writes/s, valid={result['valid']}", flush=True)
    return result


def measure_queries(personas):
    """Per endpoint: query counts, Unavailable, or why the page failed in-process (a string)."""
    queries = {}
    for name, pairs in personas.items():
        if not pairs:
            queries[name] = Unavailable("nothing to request (no seeded certificate?)")
            continue
        if not page_available(pairs[0][1]):
            queries[name] = Unavailable("URL not wired in ce_course/urls.py")
            continue
        try:
            queries[name] = count_queries(pairs)
        except RuntimeError as error:
            queries[name] = str(error)
    return queries


# --- machine, versions, report ---------------------------------------------------------------------


def machine_info():
    cpu = "unknown"
    memory = "unknown"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        cpu = next(
            line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")
        )
        kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    return {"nproc": os.cpu_count(), "cpu_model": cpu, "memory": memory, "load_before": load_average()}


def other_runnable(samples=20, interval=0.05):
    """Mean number of other runnable processes, from /proc/loadavg's instantaneous "running" count.

    Sampled while this script sits idle (gunicorn not started yet or already stopped), so it is
    the competition the run had for the CPUs: other helpers' test suites, say.
    """
    counts = []
    for _ in range(samples):
        try:
            running = Path("/proc/loadavg").read_text().split()[3].split("/")[0]
        except (OSError, IndexError):
            return None
        counts.append(int(running) - 1)  # minus this process, which is reading the file
        time.sleep(interval)
    return sum(counts) / len(counts)


def load_average():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def versions():
    import django
    import gunicorn as gunicorn_package
    from django.db import connection

    found = {
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn_package.__version__,
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            found["postgresql"] = cursor.fetchone()[0]
    else:
        found["sqlite"] = sqlite3.sqlite_version
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)  # noqa: S607
    found["wrk"] = (done.stdout + done.stderr).split()[1] if (done.stdout + done.stderr).split() else "?"
    return found


def build_report(args, machine, steps, writes, notes):
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "db": args.db,
        "learners": args.learners,
        "machine": machine,
        "versions": versions(),
        "settings": {
            "workers": args.workers,
            "connections": args.connections,
            "duration": f"{args.duration} s",
            "warm-up": f"{args.warmup} s",
            "wrk threads": min(args.wrk_threads, args.connections),
            "sessions per page": args.personas,
            "learners": " -> ".join(str(step["learners"]) for step in steps),
        },
        "steps": steps,
        "growth": wrk.growth_rows(steps[0], steps[-1]) if len(steps) > 1 else [],
        "writes": writes,
        "notes": notes,
    }
    report["budgets"] = wrk.budget_checks(steps[-1], report["growth"])
    report["notes"] = [*notes, *wrk.noise_notes(steps, machine["nproc"])]
    report["valid"] = wrk.report_is_valid(report)
    return report


def save_report(report):
    RESULTS.mkdir(exist_ok=True)
    base = RESULTS / wrk.results_basename(report)
    base.with_suffix(".json").write_text(wrk.render_json(report))
    base.with_suffix(".md").write_text(wrk.render_markdown(report))
    return base


def main(argv=None):
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk (make bench does it when run as root)")
    scratch = Path(tempfile.mkdtemp(prefix="cecourse-bench-"))
    try:
        return run(args, scratch)
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def run(args, scratch):
    configure_environment(args, scratch)
    setup_django()
    from bench.sessions import prepare_personas
    from modules.models import Course

    machine = machine_info()
    prepare_database()
    course = Course.objects.get(slug=Path(COURSE_DIR).name)
    notes = []
    steps, writes, personas = [], None, None
    targets = sorted({min(FIRST_STEP, args.learners), args.learners})
    for target in targets:
        seed_to(target, course.slug, args.seed + len(steps))
        if personas is None:
            personas = prepare_personas(course, args.personas)
        last = target == targets[-1]
        step, step_writes = measure_step(
            learner_count(),
            personas,
            measure_queries(personas),
            args,
            scratch,
            with_writes=last and args.writes and args.db == "postgres",
        )
        steps.append(step)
        writes = step_writes or writes
    if args.writes and args.db != "postgres":
        writes = {"skipped": "the write load runs on PostgreSQL only (make bench DB=postgres)", "valid": True}
    machine["load_after"] = load_average()
    report = build_report(args, machine, steps, writes, notes)
    print(wrk.render_text(report))
    base = save_report(report)
    print(f"results: {base.with_suffix('.md')} and .json")
    return 0 if report["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
