"""The completion CSV export at 10,000 and N rows, beside `sqlite3 -csv` running the same query.

Run: .venv/bin/python bench/bench_csv_export.py [--rows 100000] [--runs 5] [--pdf-kb 34] [--keep]
 or: bash scripts/with-postgres.sh .venv/bin/python bench/bench_csv_export.py --postgres [--rows ...]

Builds a throwaway SQLite database in a temporary directory (DATABASE_URL is pointed at it before
Django starts; the project's db.sqlite3 is never touched), fills it with bulk_create, and measures
at each size, on the same file, ours and the floor taking turns --runs times:
  - ours: reports.exports.completion_csv(completion_rows(...)) consumed to the end, each run in a
    fresh Python process: wall and CPU seconds; the growth of peak RSS (VmHWM, the counter behind
    ru_maxrss, reset first) over the RSS before the export; the tracemalloc peak of a second run;
  - floor: Debian's sqlite3 CLI (package "sqlite3") printing the equivalent query with -csv to
    /dev/null: what SQLite itself needs for these rows and subqueries. Its CPU is the child's.
Budget (DESIGN.md): ours within 2x of the floor, and memory flat from 10,000 to N rows. On a busy
machine compare the CPU ratio: wall time also counts the waits for a CPU.
Stored PDFs default to 34 KB, the size the certificate renderer produces: SQLite keeps them in
overflow pages that a row scan must step over, so they weigh on both sides; --pdf-kb 0 gives the
harder case of small rows.
With --postgres the database is a throwaway one created beside DATABASE_URL's and dropped at the
end, and the floor is psql running COPY (query) TO STDOUT. There the server does most of the work
on either side and its CPU is nobody's child: read the wall ratio, not the CPU one.
"""

import argparse
import json
import os
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COURSES = 5
MODULES_PER_COURSE = 3
BATCH = 2000
SMALL = 10_000

# The export's query written by hand, as a person would ask sqlite3 for the same CSV: the same
# columns, per-row subqueries and order as reports.selectors.completion_queryset with the
# "all statuses" filter, licenses joined in SQL instead of a second query.
FLOOR_SQL = """
SELECT c.learner_name, c.learner_credentials,
  (SELECT group_concat(profession || ' ' || state || ' ' || number, '; ')
     FROM (SELECT profession, state, number FROM certificates_certificatelicense
           WHERE certificate_id = c.id ORDER BY position)),
  u.email, c.course_title, c.completion_date, printf('%.2f', c.contact_hours),
  (SELECT printf('%.2f', a.percent) FROM quizzes_attempt a JOIN quizzes_quiz q ON q.id = a.quiz_id
     WHERE q.course_id = c.course_id AND a.user_id = c.user_id AND a.submitted_at IS NOT NULL
     ORDER BY a.percent DESC LIMIT 1),
  (SELECT count(*) FROM quizzes_attempt a JOIN quizzes_quiz q ON q.id = a.quiz_id
     WHERE q.course_id = c.course_id AND a.user_id = c.user_id AND a.submitted_at IS NOT NULL),
  coalesce((SELECT sum(seconds_spent) FROM modules_moduleprogress p
     WHERE p.enrollment_id = c.enrollment_id), 0) / 60,
  c.serial, c.verification_code,
  CASE WHEN c.revoked_at IS NULL THEN 'Valid' ELSE 'Revoked' END, c.revoked_reason,
  CASE WHEN EXISTS (SELECT 1 FROM reports_rosterentry r
     JOIN certificates_certificatelicense l ON l.id = r.license_id WHERE l.certificate_id = c.id)
     THEN 'yes' ELSE 'no' END
FROM certificates_certificate c JOIN accounts_user u ON u.id = c.user_id
ORDER BY c.completion_date DESC, c.id DESC;
"""

# The same for PostgreSQL, fed to COPY ... TO STDOUT through psql (numeric(5,2) prints "1.50").
PG_FLOOR_SQL = """
SELECT c.learner_name, c.learner_credentials,
  (SELECT string_agg(profession || ' ' || state || ' ' || number, '; ' ORDER BY position)
     FROM certificates_certificatelicense WHERE certificate_id = c.id),
  u.email, c.course_title, c.completion_date, c.contact_hours,
  (SELECT a.percent FROM quizzes_attempt a JOIN quizzes_quiz q ON q.id = a.quiz_id
     WHERE q.course_id = c.course_id AND a.user_id = c.user_id AND a.submitted_at IS NOT NULL
     ORDER BY a.percent DESC LIMIT 1),
  (SELECT count(*) FROM quizzes_attempt a JOIN quizzes_quiz q ON q.id = a.quiz_id
     WHERE q.course_id = c.course_id AND a.user_id = c.user_id AND a.submitted_at IS NOT NULL),
  coalesce((SELECT sum(seconds_spent) FROM modules_moduleprogress p
     WHERE p.enrollment_id = c.enrollment_id), 0) / 60,
  c.serial, c.verification_code,
  CASE WHEN c.revoked_at IS NULL THEN 'Valid' ELSE 'Revoked' END, c.revoked_reason,
  CASE WHEN EXISTS (SELECT 1 FROM reports_rosterentry r
     JOIN certificates_certificatelicense l ON l.id = r.license_id WHERE l.certificate_id = c.id)
     THEN 'yes' ELSE 'no' END
FROM certificates_certificate c JOIN accounts_user u ON u.id = c.user_id
ORDER BY c.completion_date DESC, c.id DESC
"""


def setup_django(url: str) -> None:
    """Point Django at the throwaway database. Must run before anything imports a model."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "ce_course.settings"
    os.environ["DEBUG"] = "false"  # DEBUG keeps every SQL string: bulk inserts would hoard memory
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()


# --- building the data ----------------------------------------------------------------------------


def create_courses() -> list:
    from modules.models import Course, Module, Provider
    from quizzes.models import Quiz

    today = date.today()
    provider = Provider.objects.create(
        legal_name="Bench Provider",
        accreditation_statement="Bench Provider is accredited.",
        approval_number="50-12345",
    )
    courses = []
    for n in range(COURSES):
        course = Course.objects.create(
            slug=f"bench-{n}",
            title=f"Bench course {n}: proximal hamstring tendinopathy",
            summary="Bench.",
            provider=provider,
            ce_broker_course_number=f"20-{600000 + n}",
            learning_outcome="Bench.",
            completion_criteria="Bench.",
            disclosure_relationships="None.",
            contact_hours=Decimal("1.50"),
            contact_hours_calculation="Bench.",
            release_date=today - timedelta(days=900),
            expiry_date=today + timedelta(days=900),
            is_published=True,
        )
        Module.objects.bulk_create(
            Module(
                course=course, position=p, slug=f"m{p}", title=f"M{p}", body_markdown="x", estimated_minutes=5
            )
            for p in range(1, MODULES_PER_COURSE + 1)
        )
        Quiz.objects.create(course=course)
        courses.append(course)
    return courses


def _name(i: int) -> tuple[str, str]:
    # A few names that make the CSV writer work: accents, commas, quotes, a formula payload.
    odd = ["Zoë", "O'Brien, Jr.", 'Ann "Annie"', "=SUM(A1)"]
    return (odd[i % len(odd)] if i % 10 == 0 else f"First{i}", f"Last{i}")


def insert_rows(courses: list, start: int, count: int, pdf: bytes) -> None:
    """`count` learners, each with an enrollment, progress, attempts, a certificate and licenses."""
    for low in range(start, start + count, BATCH):
        _insert_batch(courses, range(low, min(low + BATCH, start + count)), pdf)


def _insert_batch(courses: list, numbers: range, pdf: bytes) -> None:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from certificates.models import Certificate, CertificateLicense
    from modules.models import Enrollment, ModuleProgress
    from quizzes.models import Attempt
    from reports.models import RosterBatch, RosterEntry

    now = time_now()
    unusable = make_password(None)  # nobody logs in as a bench nurse
    users = User.objects.bulk_create(
        User(email=f"nurse{i}@example.com", first_name=_name(i)[0], last_name=_name(i)[1], password=unusable)
        for i in numbers
    )
    course_of = {i: courses[i % len(courses)] for i in numbers}
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(user=u, course=course_of[i], disclosures_acknowledged_at=now)
        for i, u in zip(numbers, users, strict=True)
    )
    modules = {c.pk: list(c.modules.all()) for c in courses}
    ModuleProgress.objects.bulk_create(
        ModuleProgress(
            enrollment=e, module=m, first_viewed_at=now, last_seen_at=now, seconds_spent=300 + e.pk % 600
        )
        for e in enrollments
        for m in modules[e.course_id]
    )
    attempts = []
    for i, user in zip(numbers, users, strict=True):
        quiz = course_of[i].quiz
        if i % 3 == 0:  # a third failed once first
            attempts.append(_attempt(user, quiz, 1, Decimal("60.00"), now))
        attempts.append(_attempt(user, quiz, 2 if i % 3 == 0 else 1, Decimal(80 + i % 21), now))
    Attempt.objects.bulk_create(attempts)
    certificates = Certificate.objects.bulk_create(
        _certificate(i, u, e, course_of[i], pdf, now)
        for i, u, e in zip(numbers, users, enrollments, strict=True)
    )
    licenses = CertificateLicense.objects.bulk_create(
        CertificateLicense(certificate=c, position=p, profession="RN", state=s, number=f"RN{s}{c.pk:07d}")
        for c in certificates
        for p, s in enumerate(["FL", "GA"] if c.pk % 4 == 0 else ["FL"], start=1)
    )
    batch = RosterBatch.objects.create(created_by=users[0])
    RosterEntry.objects.bulk_create(RosterEntry(batch=batch, license=lic) for lic in licenses if lic.pk % 2)


def _attempt(user, quiz, number, percent, now):
    from quizzes.models import Attempt

    return Attempt(
        user=user,
        quiz=quiz,
        number=number,
        started_at=now,
        submitted_at=now,
        score=percent / 10,
        max_score=Decimal("10"),
        percent=percent,
        passed=percent >= 80,
    )


def _certificate(i, user, enrollment, course, pdf, now):
    from certificates.models import Certificate

    revoked = i % 50 == 0
    return Certificate(
        serial=f"CE-2026-{i:07d}",
        verification_code=f"B{i:011d}",
        user=user,
        course=course,
        enrollment=enrollment,
        learner_name=f"{user.first_name} {user.last_name}",
        learner_credentials="RN, BSN",
        course_title=course.title,
        provider_name=course.provider_name,
        provider_approval_number=course.provider_approval_number,
        accreditation_statement=course.accreditation_statement,
        contact_hours=course.contact_hours,
        completion_date=date(2025, 1, 1) + timedelta(days=i % 500),
        nurse_planner_name="Pat Planner",
        pdf=pdf,
        pdf_sha256="0" * 64,
        issued_at=now,
        revoked_at=now if revoked else None,
        revoked_reason="Name misspelt" if revoked else "",
    )


def analyze() -> None:
    """Fresh planner statistics, as a live database has them (autovacuum); both sides share them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def time_now():
    from django.utils import timezone

    return timezone.now()


# --- measuring ------------------------------------------------------------------------------------


def run_export() -> tuple[int, int]:
    """(bytes, rows) of one full export, the way a view would stream it."""
    from reports.exports import completion_csv
    from reports.filters import CompletionFilter
    from reports.selectors import completion_rows

    size = lines = 0
    for chunk in completion_csv(completion_rows(CompletionFilter(status="all"))):
        size += len(chunk)
        lines += chunk.count(b"\n")
    return size, lines - 1


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak_rss() -> None:
    # Linux: "5" resets the peak RSS that ru_maxrss and VmHWM report, so the peak seen after
    # the export is the export's, not that of django.setup() before it.
    Path("/proc/self/clear_refs").write_text("5")


def measure_ours(url: str) -> dict:
    """One export in this fresh interpreter (see child_measure), as a new server process would run
    it: wall and CPU seconds, then peak RSS growth over the RSS before it, then the tracemalloc
    peak of a second run (traced separately: tracing slows Python down)."""
    setup_django(url)
    from django.db import connection

    import reports.exports  # noqa: F401  (imported before the baseline: openpyxl is not the export)

    connection.ensure_connection()
    rss_before = _status_kb("VmRSS")
    _reset_peak_rss()
    started, cpu_started = time.perf_counter(), time.process_time()
    size, rows = run_export()
    cpu = time.process_time() - cpu_started
    seconds = time.perf_counter() - started
    rss_growth = _status_kb("VmHWM") - rss_before
    tracemalloc.start()
    run_export()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "seconds": seconds,
        "cpu": cpu,
        "bytes": size,
        "rows": rows,
        "peak": peak,
        "rss_growth_kb": rss_growth,
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def floor_command(url: str) -> list[str]:
    """The database's own client printing the floor query as CSV."""
    if url.startswith("sqlite:///"):
        sqlite3 = shutil.which("sqlite3")
        if sqlite3 is None:
            sys.exit("The sqlite3 command-line shell is missing: apt-get install sqlite3")
        return [sqlite3, "-csv", url.removeprefix("sqlite:///"), FLOOR_SQL]
    psql = shutil.which("psql")
    if psql is None:
        sys.exit("psql is missing: apt-get install postgresql-client")
    return [
        psql,
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        url,
        "-c",
        f"COPY ({PG_FLOOR_SQL}) TO STDOUT (FORMAT csv)",
    ]


def measure_floor(url: str) -> dict:
    started, cpu_started = time.perf_counter(), _children_cpu()
    # A fixed program and query on a database this script made; no shell is involved.
    subprocess.run(floor_command(url), stdout=subprocess.DEVNULL, check=True)  # noqa: S603
    # On PostgreSQL the server's CPU is not the client's: compare wall times there.
    return {"seconds": time.perf_counter() - started, "cpu": _children_cpu() - cpu_started}


def child_measure(url: str) -> dict:
    # A fresh interpreter per run: the parent's RSS holds the objects that built the data, and a
    # new process is what the floor pays too.
    output = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--measure", url], capture_output=True, text=True, check=True
    )
    return json.loads(output.stdout)


def measure(url: str, size: int, runs: int) -> dict:
    """Ours and the floor take turns, so that load from elsewhere falls on both alike."""
    ours, floor = [], []
    for _ in range(runs):
        ours.append(child_measure(url))
        assert ours[-1]["rows"] == size, ours[-1]  # one CSV line per certificate (no field holds a newline)
        floor.append(measure_floor(url))

    def median(runs, key):
        return statistics.median(run[key] for run in runs)

    return {
        "rows": size,
        "bytes": ours[0]["bytes"],
        "ours": median(ours, "seconds"),
        "floor": median(floor, "seconds"),
        "ours_cpu": median(ours, "cpu"),
        "floor_cpu": median(floor, "cpu"),
        "peak": max(run["peak"] for run in ours),
        "rss_growth_kb": max(run["rss_growth_kb"] for run in ours),
    }


def print_table(results: list[dict]) -> None:
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; medians of the runs")
    print(
        f"{'rows':>8}{'ours s':>9}{'floor s':>9}{'ratio':>7}{'ours cpu':>10}{'floor cpu':>11}{'cpu ratio':>11}"
        f"{'peak MB':>9}{'rss +MB':>9}{'CSV MB':>8}"
    )
    for r in results:
        print(
            f"{r['rows']:>8}{r['ours']:>9.2f}{r['floor']:>9.2f}{r['ours'] / r['floor']:>7.2f}"
            f"{r['ours_cpu']:>10.2f}{r['floor_cpu']:>11.2f}{r['ours_cpu'] / r['floor_cpu']:>11.2f}"
            f"{r['peak'] / 2**20:>9.1f}{r['rss_growth_kb'] / 1024:>9.1f}{r['bytes'] / 2**20:>8.1f}"
        )
    worst = max(r["ours"] / r["floor"] for r in results)
    print(f"budget: worst wall ratio {worst:.2f} is {'within' if worst <= 2 else 'OVER'} 2x of the floor")
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(
            f"memory: from {first['rows']} to {last['rows']} rows, tracemalloc peak "
            f"{first['peak'] / 2**20:.1f} -> {last['peak'] / 2**20:.1f} MB, "
            f"peak RSS growth {first['rss_growth_kb'] / 1024:.1f} -> {last['rss_growth_kb'] / 1024:.1f} MB"
        )


def build_and_measure(url: str, args) -> list[dict]:
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    courses = create_courses()
    pdf = b"%PDF-1.4\n" + secrets.token_bytes(args.pdf_kb * 1024)  # random: as incompressible as a PDF
    results, made = [], 0
    for size in sorted({min(SMALL, args.rows), args.rows}):
        started = time.perf_counter()
        insert_rows(courses, made, size - made, pdf)
        made = size
        analyze()
        print(f"built {size} certificates in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        results.append(measure(url, size, args.runs))
    from django.db import connections

    connections.close_all()
    return results


def run_on_sqlite(args) -> list[dict]:
    scratch = Path(tempfile.mkdtemp(prefix="bench-csv-"))
    try:
        return build_and_measure(f"sqlite:///{scratch / 'bench.sqlite3'}", args)
    finally:
        if args.keep:
            print(f"database kept at {scratch / 'bench.sqlite3'}", file=sys.stderr)
        else:
            shutil.rmtree(scratch)


def run_on_postgres(args) -> list[dict]:
    """A throwaway database beside the one DATABASE_URL names (e.g. under scripts/with-postgres.sh)."""
    import dj_database_url
    import psycopg

    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith(("postgres://", "postgresql://")):
        sys.exit("--postgres needs DATABASE_URL pointing at a PostgreSQL server")
    config = dj_database_url.parse(given)
    # JIT off for both sides (libpq reads PGOPTIONS; the children inherit it): PostgreSQL 15 would
    # otherwise spend seconds compiling whichever query's estimated cost crosses
    # jit_optimize_above_cost, and the table would compare the compiler, not the export.
    os.environ["PGOPTIONS"] = f"{os.environ.get('PGOPTIONS', '')} -c jit=off".strip()
    name = f"bench_csv_{secrets.token_hex(4)}"
    server = {"host": config["HOST"], "port": config["PORT"] or None, "user": config["USER"]}
    server["password"] = config["PASSWORD"] or None
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f"CREATE DATABASE {name}")  # a name this script made up
    try:
        return build_and_measure(urlunsplit(urlsplit(given)._replace(path=f"/{name}")), args)
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="the largest size; 10,000 is measured too")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pdf-kb", type=int, default=34, help="size of each stored certificate PDF")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite database and print its path")
    parser.add_argument("--postgres", action="store_true", help="on the PostgreSQL server of DATABASE_URL")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_ours(args.measure)))
        return
    print_table(run_on_postgres(args) if args.postgres else run_on_sqlite(args))


if __name__ == "__main__":
    main()
