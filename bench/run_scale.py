"""The CE board and its exports on a large seeded PostgreSQL database: latency, plans, memory.

Run on a database already seeded (seed_completions), usually a kept cluster:
    PGDATA_KEEP=/work/pgdata-scale/cluster bash scripts/with-postgres.sh \\
        .venv/bin/python bench/run_scale.py --label 1m
or through `make bench-scale LEARNERS=...`, which seeds a kept cluster up to LEARNERS first.

Measures, against whatever the database holds:
  - the board report page (default filter, each filter alone, page 2 and a deep page through the
    keyset links) with one reviewer: --runs requests each, in this process (Django's test client,
    production settings): p50 / p99 / max in ms of server time;
  - the same pages with --reviewers processes at once, each a reviewer requesting every page
    --runs times: p50 / p99 / max per page;
  - EXPLAIN (ANALYZE, BUFFERS) of every query the report page runs, default filter and each filter,
    saved as text beside the results;
  - each export (completion CSV, CE Broker roster, certificate ZIP) at three sizes picked by date
    range, each in a fresh process: wall seconds and peak RSS (VmHWM); the CSV beside psql's
    `\\copy (same columns) to` a file.
Results: a Markdown table on the terminal and bench/results/<date>-scale-<label>.md, the plans in the
folder of that name, and .json beside it (not committed; --growth reads them).
"""

import argparse
import itertools
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
RESULTS = ROOT / "bench" / "results"


def setup():
    import django
    from django.conf import settings

    # Plain static URLs: what is measured is the server's work on the board, not the hashed file
    # names, which need a collectstatic (and the front-end packages) first. Set before setup():
    # a model field's storage (reports' exports) reads STORAGES while the apps load.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    django.setup()


def reviewer():
    """The benchmark's board reviewer: made on the first run, found again on the next."""
    from django.contrib.auth import get_user_model

    from bench.sessions import bench_email, board_reviewer

    existing = get_user_model().objects.filter(email=bench_email("board", 1)).first()
    return existing or board_reviewer()


def board_urls():
    """[(name, path)]: the report with its default filter, each filter alone, and pages further on."""
    from django.db.models import Count

    from certificates.models import CertificateLicense
    from modules.models import Course
    from reports import selectors
    from reports.filters import CompletionFilter

    course = Course.objects.order_by("pk").first()
    rare = (
        CertificateLicense.objects.values("state")
        .annotate(n=Count("pk"))
        .order_by("n")
        .values_list("state", flat=True)
    )[:1]
    rare_state = rare[0] if rare else "WY"
    year = date.today().year
    filters = [
        ("default (valid)", {}),
        (
            "date range (6 months)",
            {"completed_from": f"{year - 1}-03-10", "completed_to": f"{year - 1}-09-20"},
        ),
        ("state CA", {"state": "CA"}),
        (f"state {rare_state} (rarest)", {"state": rare_state}),
        ("course", {"course": course.pk}),
        ("profession RN", {"profession": "RN"}),
        ("profession CNS", {"profession": "CNS"}),
        ("status all", {"status": "all"}),
        ("status revoked", {"status": "revoked"}),
    ]
    urls = [(name, "/reports/?" + urlencode(query) if query else "/reports/") for name, query in filters]
    # Page 2, and a page about halfway down the default filter: the key of a row there.
    first = selectors.completion_page(CompletionFilter())
    if first.older_key:
        urls.append(("page 2", f"/reports/?after={first.older_key}"))
    keys = selectors.matching_certificates(CompletionFilter()).values_list("completion_date", "pk")
    total = selectors.completion_count(CompletionFilter())
    if total > 100:
        middle = keys[total // 2]
        urls.append(("deep page (halfway)", f"/reports/?after={selectors.page_key(*middle)}"))
        last = keys.reverse()[:1]
        urls.append(("last page", f"/reports/?before={selectors.page_key(*last[0])}&status=live"))
    return urls


def timed_get(client, path):
    began = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    b"".join(response.streaming_content) if response.streaming else response.content
    return elapsed


def percentiles(samples):
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "p99": p99, "max": ordered[-1], "n": len(ordered)}


def measure_single(urls, runs):
    from django.test import Client

    client = Client()
    client.force_login(reviewer())
    results = {}
    for name, path in urls:
        timed_get(client, path)  # warm: templates, plans, caches
        results[name] = percentiles([timed_get(client, path) for _ in range(runs)])
    return results


def _concurrent_worker(args):
    urls, runs, start_at = args
    from django.db import connections

    connections.close_all()  # a connection per process, not one shared over fork
    from django.test import Client

    client = Client()
    client.force_login(reviewer())
    while time.time() < start_at:
        time.sleep(0.01)
    samples = {name: [] for name, _ in urls}
    for _ in range(runs):
        for name, path in urls:
            samples[name].append(timed_get(client, path))
    return samples


def measure_concurrent(urls, runs, reviewers):
    from django.db import connections

    connections.close_all()
    start_at = time.time() + 2
    with multiprocessing.get_context("fork").Pool(reviewers) as pool:
        parts = pool.map(_concurrent_worker, [(urls, runs, start_at)] * reviewers)
    merged = {name: [] for name, _ in urls}
    for part in parts:
        for name, values in part.items():
            merged[name] += values
    return {name: percentiles(values) for name, values in merged.items()}


def explain_report_queries(urls, folder):
    """EXPLAIN (ANALYZE, BUFFERS) of every query the report page runs, one file per filter."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(reviewer())
    folder.mkdir(parents=True, exist_ok=True)
    highlights = {}
    for name, path in urls:
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        lines = [f"# {name}: GET {path}", ""]
        slowest = (0.0, "")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or "django_session" in sql:
                continue
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = [row[0] for row in cursor.fetchall()]
            total = float(plan[-1].split(":")[1].split()[0]) if plan[-1].startswith("Execution Time") else 0.0
            slowest = max(slowest, (total, sql[:160]))
            lines += ["-- " + sql, *plan, ""]
        slug = "".join(c if c.isalnum() else "-" for c in name).strip("-")
        (folder / f"explain-{slug}.txt").write_text("\n".join(lines), encoding="utf-8")
        highlights[name] = {
            "queries": len(captured.captured_queries),
            "slowest_ms": slowest[0],
            "sql": slowest[1],
        }
    return highlights


EXPORT_SCRIPT = r"""
import os, sys, time
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
import django
django.setup()
from datetime import date
from django.conf import settings
from reports import exports, selectors, services
from reports.filters import CompletionFilter
kind, start = sys.argv[1], sys.argv[2]
f = CompletionFilter(completed_from=date.fromisoformat(start) if start else None)
began = time.perf_counter()
size = 0
rows = 0
if kind == "csv" and selectors.matching_certificates(f).count() > settings.EXPORT_JOB_ROWS:
    # What the site does with an export this large: a background job, run here in this process.
    from bench.run_scale import reviewer
    from reports.jobs import export_job_run
    from reports.models import ExportJob
    job = ExportJob.objects.create(user=reviewer(), kind=ExportJob.Kind.CSV, filters=f.as_dict())
    export_job_run.call(job.pk)
    job.refresh_from_db()
    size = job.file.size
    job.file.delete()
elif kind == "csv":
    for chunk in exports.completion_csv(selectors.completion_rows(f)):
        size += len(chunk)
elif kind == "roster":
    import tempfile
    with tempfile.TemporaryFile() as out:
        rows = exports.roster_workbook_to(services.iter_roster_lines(f), out)
        size = out.tell()
elif kind == "zip":
    for chunk in exports.certificates_zip(selectors.completion_queryset(f)):
        size += len(chunk)
wall = time.perf_counter() - began
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(wall, peak, size, rows)
"""


def run_export(kind, start):
    script = EXPORT_SCRIPT.format(root=str(ROOT))
    output = subprocess.run(  # noqa: S603 - this interpreter and this script's own code
        [sys.executable, "-c", script, kind, start or ""], capture_output=True, text=True, check=True
    ).stdout.split()
    wall, peak_kb, size, rows = float(output[0]), int(output[1]), int(output[2]), int(output[3])
    return {"seconds": wall, "peak_rss_mb": peak_kb / 1024, "bytes": size, "rows": rows}


def psql_copy_seconds(start):
    """psql \\copy of the completion CSV's query (same columns, licenses joined in) to a file."""
    from django.db import connection

    from reports import exports, selectors
    from reports.filters import CompletionFilter

    f = CompletionFilter(completed_from=date.fromisoformat(start) if start else None)
    sql, params = exports.completion_export_sql(selectors.completion_rows(f))
    with connection.cursor() as cursor:
        literal = cursor.cursor.mogrify(sql, params) if hasattr(cursor.cursor, "mogrify") else None
    if literal is None:
        from psycopg import ClientCursor

        with ClientCursor(connection.connection) as client:
            literal = client.mogrify(sql, params)
    settings = connection.settings_dict
    command = ["psql", "-X", "-q", "-h", settings["HOST"], "-U", settings["USER"], "-d", settings["NAME"]]
    copy = "\\copy (" + " ".join(literal.split()) + ") to '/dev/null' with csv header"
    # The same server settings as the site's own connections (settings.py: no JIT, no parallel
    # workers), so that the two sides differ only in who writes the CSV.
    env = {**os.environ, "PGOPTIONS": settings.get("OPTIONS", {}).get("options", "")}
    began = time.perf_counter()
    subprocess.run([*command, "-c", copy], check=True, capture_output=True, env=env)  # noqa: S603 - our own query
    return time.perf_counter() - began


def export_sizes():
    """Three completion dates from which the default filter holds about 10k, 100k and all certificates."""
    from reports import selectors
    from reports.filters import CompletionFilter

    keys = selectors.matching_certificates(CompletionFilter()).values_list("completion_date", flat=True)
    total = selectors.completion_count(CompletionFilter())
    starts = []
    for wanted in (10_000, 100_000):
        if total > wanted:
            starts.append((f"{wanted // 1000}k", keys[wanted - 1].isoformat()))
    starts.append(("all", None))
    return starts


def table(title, results, columns=("p50", "p99", "max")):
    lines = [f"### {title}", "", "| page | " + " | ".join(f"{c} ms" for c in columns) + " | n |"]
    lines.append("|---" * (len(columns) + 2) + "|")
    for name, figures in results.items():
        lines.append(
            f"| {name} | " + " | ".join(f"{figures[c]:.0f}" for c in columns) + f" | {figures['n']} |"
        )
    return lines


def seed_to(learners):
    """Seed (seed_completions: three courses, from 2022) until there are `learners` seeded learners."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    have = get_user_model().objects.filter(email__startswith="seed-", email__endswith="@example.test").count()
    if have < learners:
        began = time.perf_counter()
        call_command(
            "seed_completions", learners=learners - have, courses=3, since=date(2022, 1, 1), seed=13,
            batch=5000, force=True,
        )  # fmt: skip
        print(f"Seeded {learners - have:,} learners in {time.perf_counter() - began:.0f} s", flush=True)


def growth(paths):
    """A table of p99 (one reviewer, then concurrent) per page across runs, with the growth ratio."""
    runs = [json.loads(Path(path).read_text(encoding="utf-8")) for path in paths]
    sizes = [f"{run['learners']:,}" for run in runs]
    lines = ["| page | " + " | ".join(f"p99 ms at {size}" for size in sizes) + " | growth first to last |"]
    lines.append("|---" * (len(runs) + 2) + "|")
    for mode in ("single", "concurrent"):
        for name in runs[0][mode]:
            values = [run[mode].get(name, {}).get("p99") for run in runs]
            ratio = f"{values[-1] / values[0]:.2f}x" if values[0] and values[-1] else ""
            cells = " | ".join("" if v is None else f"{v:.0f}" for v in values)
            lines.append(f"| {name} ({'one' if mode == 'single' else 'concurrent'}) | {cells} | {ratio} |")
    for name in runs[-1].get("exports", {}):
        values = [run.get("exports", {}).get(name) for run in runs]
        cells = " | ".join(
            "" if v is None else f"{v['seconds']:.1f} s, {v['peak_rss_mb']:.0f} MB" for v in values
        )
        lines.append(f"| export {name} | {cells} | |")
    print("\n".join(lines))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="scale")
    parser.add_argument("--seed-to", type=int, default=0, help="first seed up to this many learners")
    parser.add_argument("--growth", nargs="+", help="only print the growth table of these results.json files")
    parser.add_argument("--runs", type=int, default=30, help="requests per page (single reviewer)")
    parser.add_argument("--reviewers", type=int, default=8)
    parser.add_argument("--concurrent-runs", type=int, default=5, help="rounds per reviewer")
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--skip-zip", action="store_true", help="leave out the certificate ZIP")
    parser.add_argument("--skip-board", action="store_true", help="exports only: no page timings or plans")
    parser.add_argument("--exports", nargs="+", choices=("csv", "roster", "zip"), help="only these exports")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each export (the CSV's spread)")
    args = parser.parse_args()
    if args.growth:
        growth(args.growth)
        return
    setup()
    from django.db import connection

    from certificates.models import Certificate
    from reports import selectors
    from reports.filters import CompletionFilter

    if args.seed_to:
        seed_to(args.seed_to)
    # Planner statistics and the visibility map (index-only scans) as autovacuum would leave them
    # on a database that has been running a while; after a bulk seed they are not there yet.
    # Only the tables the board reads: the frozen questions (most of the bytes) are not among them.
    board_tables = (
        "certificates_certificate", "certificates_certificatelicense", "reports_completionfigures",
        "reports_completionstats", "reports_unreportedlines", "reports_learnercounts", "reports_rosterentry",
        "modules_enrollment", "modules_moduleprogress", "quizzes_attempt", "certificates_attestation",
        "accounts_user",
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(board_tables)}")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H%M")
    folder = RESULTS / f"{stamp}-scale-{args.label}"
    learners = connection.cursor().execute("SELECT count(*) FROM accounts_user").fetchone()[0]
    certificates = Certificate.objects.count()
    valid = selectors.completion_count(CompletionFilter())
    report = [
        f"## Board and exports at scale: {args.label} ({stamp} UTC)",
        "",
        f"{learners:,} users, {certificates:,} certificates ({valid:,} valid); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start.",
        "",
    ]
    urls = board_urls()
    data = {"learners": learners, "certificates": certificates, "urls": urls}

    def save():
        # After every phase, so a run cut short keeps what it measured.
        (RESULTS / f"{stamp}-scale-{args.label}.json").write_text(
            json.dumps(data, indent=1, default=str), encoding="utf-8"
        )
        (RESULTS / f"{stamp}-scale-{args.label}.md").write_text("\n".join(report) + "\n", encoding="utf-8")

    print("\n".join(report), flush=True)
    if not args.skip_board:
        measure_board(args, urls, folder, data, report, save)
    if not args.skip_exports:
        measure_exports(args, data, report, save)
    folder.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stamp}-scale-{args.label}.json").write_text(
        json.dumps(data, indent=1, default=str), encoding="utf-8"
    )
    (RESULTS / f"{stamp}-scale-{args.label}.md").write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(report))


def measure_board(args, urls, folder, data, report, save):
    data["explain"] = explain_report_queries(urls, folder)
    single = measure_single(urls, args.runs)
    data["single"] = single
    report += [*table(f"One reviewer ({args.runs} requests per page, server time)", single), ""]
    print("\n".join(table("One reviewer", single)), flush=True)
    save()
    concurrent = measure_concurrent(urls, args.concurrent_runs, args.reviewers)
    data["concurrent"] = concurrent
    report += table(
        f"{args.reviewers} reviewers at once ({args.concurrent_runs} rounds of every page each)", concurrent
    )
    report += [""]
    print("\n".join(table("Concurrent", concurrent)), flush=True)
    report += [
        "### EXPLAIN ANALYZE: the slowest query of each page",
        "",
        "| page | queries | slowest ms |",
        "|---|---|---|",
    ]
    for name, figures in data["explain"].items():
        report.append(f"| {name} | {figures['queries']} | {figures['slowest_ms']:.1f} |")
    report.append("")
    save()


def measure_exports(args, data, report, save):
    exports = {}
    report += ["### Exports (each in a fresh process)", ""]
    report += [
        "| export | rows from | seconds | peak RSS MB | MB written | psql \\copy s | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, start in export_sizes():
        kinds = args.exports or (("csv", "roster") if args.skip_zip else ("csv", "roster", "zip"))
        for kind, run in itertools.product(kinds, range(1, args.repeat + 1)):
            figures = run_export(kind, start)
            floor = psql_copy_seconds(start) if kind == "csv" else None
            figures["psql_seconds"] = floor
            exports[f"{kind} {size}" + (f" run {run}" if args.repeat > 1 else "")] = figures
            ratio = f"{figures['seconds'] / floor:.2f}" if floor else ""
            line = (
                f"| {kind} | {size} | {figures['seconds']:.1f} | {figures['peak_rss_mb']:.0f} | "
                f"{figures['bytes'] / 1e6:.0f} | {'' if floor is None else f'{floor:.1f}'} | {ratio} |"
            )
            report.append(line)
            print(line, flush=True)
            data["exports"] = exports
            save()
    data["exports"] = exports


if __name__ == "__main__":
    main()
