"""Parsing wrk's output, judging a run, and rendering the results of `make bench`.

Pure functions with no Django and no subprocess, so tests/bench/ can check them on captured text.
"""

import json
import re
from dataclasses import dataclass, field

# The pages DESIGN.md gives a throughput and p99 budget, and the budget values themselves.
BUDGET_PAGES = ("catalogue", "lesson", "dashboard", "attempt")
MIN_FLOOR_RATIO = 1 / 3
MAX_P99_MS = 100.0

_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_TIME = re.compile(r"^([0-9.]+)(us|ms|s|m|h)$")


class WrkParseError(ValueError):
    """wrk printed something that is not a finished run (it could not connect, say)."""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    latency_ms: dict[int, float]  # percentile (50, 75, 90, 99) -> milliseconds
    non_2xx_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)  # connect/read/write/timeout
    statuses: dict[int, int] = field(default_factory=dict)  # from wrk_sessions.lua; empty without it

    @property
    def p50_ms(self):
        return self.latency_ms.get(50)

    @property
    def p90_ms(self):
        return self.latency_ms.get(90)

    @property
    def p99_ms(self):
        return self.latency_ms.get(99)


def parse_time_ms(text):
    """wrk's "508.00us", "4.68ms", "1.02s" (or m, h) as milliseconds."""
    match = _TIME.match(text.strip())
    if match is None:
        raise WrkParseError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _TIME_UNITS_MS[match.group(2)]


def parse_wrk_output(text):
    """A WrkResult from wrk's stdout (run with --latency, optionally with wrk_sessions.lua)."""
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in ([0-9.]+\w+),", text, re.MULTILINE)
    if rps is None or total is None:
        raise WrkParseError("wrk did not finish a run: " + (text.strip().splitlines() or ["no output"])[0])
    # wrk pads values with a trailing space when the unit is one letter ("1.10s ").
    latency = {
        int(percent): parse_time_ms(value)
        for percent, value in re.findall(r"^\s+(\d+)%\s+(\S+)[ \t]*$", text, re.MULTILINE)
    }
    if 99 not in latency:
        raise WrkParseError("wrk printed no latency distribution (was it run with --latency?)")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    socket_errors = {}
    if sockets:
        socket_errors = dict(
            zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True)
        )
    statuses = {
        int(code): int(count) for code, count in re.findall(r"^bench-status (\d+) (\d+)$", text, re.MULTILINE)
    }
    return WrkResult(
        requests=int(total.group(1)),
        seconds=parse_time_ms(total.group(2)) / 1000,
        rps=float(rps.group(1)),
        latency_ms=latency,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
        statuses=statuses,
    )


def run_problems(result):
    """Why a run must not be reported; empty when it is clean.

    A run with errors measures error pages or dropped connections, not the page, so its
    numbers are refused rather than shown with a footnote.
    """
    problems = []
    if result.requests == 0:
        problems.append("no request completed")
    if result.non_2xx_3xx:
        problems.append(f"{result.non_2xx_3xx} non-2xx/3xx responses")
    socket_total = sum(result.socket_errors.values())
    if socket_total:
        detail = ", ".join(f"{kind} {n}" for kind, n in result.socket_errors.items() if n)
        problems.append(f"{socket_total} socket errors ({detail})")
    # wrk calls a redirect a success; for a page it means the session or path was wrong.
    others = {code: n for code, n in sorted(result.statuses.items()) if code != 200}
    if others:
        problems.append("non-200 responses: " + ", ".join(f"{n}x{code}" for code, n in others.items()))
    return problems


def floor_ratio(rps, floor_rps):
    """Throughput as a share of the floor's, or None when either is unknown."""
    if rps is None or not floor_rps:
        return None
    return rps / floor_rps


def endpoint_row(name, path, *, personas, result=None, floor_rps=None, queries=None, problems=None, note=""):
    """One endpoint of one growth step, as JSON-ready values.

    Pass the parsed `result`; a run with problems keeps its error counts but no numbers.
    `problems` adds reasons found outside wrk (a failed warm-up, a parse error).
    """
    problems = [*(problems or []), *(run_problems(result) if result else [])]
    row = {
        "name": name,
        "path": path,
        "personas": personas,
        "queries": queries,
        "status": "ok",
        "reason": "",
        "requests": None,
        "rps": None,
        "p50_ms": None,
        "p90_ms": None,
        "p99_ms": None,
        "ratio": None,
        "errors": None,
    }
    if result is not None:
        row["errors"] = {
            "non_2xx_3xx": result.non_2xx_3xx,
            "socket": sum(result.socket_errors.values()),
            "non_200": sum(n for code, n in result.statuses.items() if code != 200),
        }
    if note and result is None and not problems:
        row.update(status="not available", reason=note)
        return row
    if problems or result is None:
        row.update(status="invalid", reason="; ".join(problems) or "not measured")
        return row
    row.update(
        requests=result.requests,
        rps=result.rps,
        p50_ms=result.p50_ms,
        p90_ms=result.p90_ms,
        p99_ms=result.p99_ms,
        ratio=floor_ratio(result.rps, floor_rps),
        reason=note,
    )
    return row


def growth_rows(small, large):
    """Per endpoint: query counts and p50 at the first and the last growth step, and their ratio."""
    by_name = {row["name"]: row for row in large["endpoints"]}
    rows = []
    for before in small["endpoints"]:
        after = by_name.get(before["name"])
        if after is None or before["status"] == "not available":
            continue
        p50_ratio = None
        if before["p50_ms"] and after["p50_ms"] is not None:
            p50_ratio = after["p50_ms"] / before["p50_ms"]
        rows.append(
            {
                "name": before["name"],
                "queries_small": before["queries"],
                "queries_large": after["queries"],
                "queries_same": before["queries"] is not None and before["queries"] == after["queries"],
                "p50_small_ms": before["p50_ms"],
                "p50_large_ms": after["p50_ms"],
                "p50_ratio": p50_ratio,
            }
        )
    return rows


def budget_checks(step, growth):
    """The DESIGN.md budgets for one step's rows: ratio to the floor, p99, and flat query counts."""
    rows = {row["name"]: row for row in step["endpoints"]}
    checks = []
    for name in BUDGET_PAGES:
        row = rows.get(name)
        if row is None:
            continue
        ratio, p99 = row["ratio"], row["p99_ms"]
        checks.append(
            {
                "page": name,
                "check": "rps >= 1/3 of floor",
                "value": _fmt(ratio, 2),
                "met": ratio is not None and ratio >= MIN_FLOOR_RATIO,
            }
        )
        checks.append(
            {
                "page": name,
                "check": f"p99 < {MAX_P99_MS:.0f} ms",
                "value": _fmt(p99, 1, " ms"),
                "met": p99 is not None and p99 < MAX_P99_MS,
            }
        )
    for row in growth:
        checks.append(
            {
                "page": row["name"],
                "check": "same queries at both sizes",
                "value": f"{_queries(row['queries_small'])} -> {_queries(row['queries_large'])}",
                "met": row["queries_same"],
            }
        )
    return checks


def noise_notes(steps, nproc, *, max_drift=0.15):
    """Warnings that a step was measured on a busy machine: ratios hold up better than raw numbers,
    but the run should be repeated when the machine is quieter."""
    notes = []
    for step in steps:
        busy = step.get("others_runnable") or {}
        worst = max((v for v in busy.values() if v is not None), default=None)
        if worst is not None and worst >= nproc / 4:
            notes.append(
                f"{step['learners']} learners: on average {worst:.1f} other processes wanted the "
                f"{nproc} CPUs around the runs; numbers are noisy, re-run when the machine is quieter"
            )
        drift = (step.get("floor") or {}).get("drift")
        if drift is not None and abs(drift) > max_drift:
            notes.append(
                f"{step['learners']} learners: the floor moved {drift * 100:+.0f}% between the start "
                "and the end of the step; the machine's load changed during the runs"
            )
    return notes


def report_is_valid(report):
    """False when any measured run had errors, or the write check failed: the run is refused."""
    for step in report["steps"]:
        if any(row["status"] == "invalid" for row in step["endpoints"]):
            return False
    writes = report.get("writes") or {}
    return writes.get("valid", True)


# --- rendering -----------------------------------------------------------------------------------


def _fmt(value, places, suffix=""):
    return "–" if value is None else f"{value:.{places}f}{suffix}"


def _queries(value):
    """Query counts per persona, shortened to one number when they agree."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    low, high = min(value), max(value)
    return str(low) if low == high else f"{low}–{high}"


def endpoint_table(step):
    headers = [
        "endpoint",
        "path",
        "sessions",
        "queries",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "x floor",
        "status",
    ]
    rows = []
    for row in step["endpoints"]:
        status = row["status"] if not row["reason"] else f"{row['status']}: {row['reason']}"
        rows.append(
            [
                row["name"],
                row["path"],
                str(row["personas"]),
                _queries(row["queries"]),
                _fmt(row["rps"], 1),
                _fmt(row["p50_ms"], 2),
                _fmt(row["p90_ms"], 2),
                _fmt(row["p99_ms"], 2),
                _fmt(row["ratio"], 2),
                status,
            ]
        )
    return headers, rows


def growth_table(growth, small_n, large_n):
    headers = [
        "endpoint",
        f"queries @{small_n}",
        f"queries @{large_n}",
        "same",
        f"p50 ms @{small_n}",
        f"p50 ms @{large_n}",
        "p50 ratio",
    ]
    rows = [
        [
            row["name"],
            _queries(row["queries_small"]),
            _queries(row["queries_large"]),
            "yes" if row["queries_same"] else "NO",
            _fmt(row["p50_small_ms"], 2),
            _fmt(row["p50_large_ms"], 2),
            _fmt(row["p50_ratio"], 2),
        ]
        for row in growth
    ]
    return headers, rows


def budget_table(checks):
    headers = ["page", "budget", "value", "met"]
    return headers, [[c["page"], c["check"], c["value"], "yes" if c["met"] else "MISSED"] for c in checks]


def writes_table(writes):
    headers = ["write", "ok", "failed", "5xx", "in database", "p50 ms", "p99 ms"]
    rows = []
    for name, kind in writes["kinds"].items():
        rows.append(
            [
                name,
                str(kind["ok"]),
                str(kind["failed"]),
                str(kind["5xx"]),
                str(kind.get("in_database", "–")),
                _fmt(kind["p50_ms"], 1),
                _fmt(kind["p99_ms"], 1),
            ]
        )
    return headers, rows


def markdown_table(headers, rows):
    def line(cells):
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(headers), line(["---"] * len(headers)), *(line(r) for r in rows)])


def text_table(headers, rows):
    """A fixed-width table for the terminal."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells):
        return "  ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _sections(report):
    """(title, headers, rows) for every table of the report, in order."""
    steps = report["steps"]
    for step in steps:
        floor = step.get("floor") or {}
        title = f"{step['learners']} learners: floor {_fmt(floor.get('rps'), 1)} req/s"
        if floor.get("drift") is not None:
            title += f" (start/end drift {floor['drift'] * 100:+.1f}%)"
        yield (title, *endpoint_table(step))
    if len(steps) > 1:
        small, large = steps[0]["learners"], steps[-1]["learners"]
        yield (f"Growth {small} -> {large} learners", *growth_table(report["growth"], small, large))
    if report.get("budgets"):
        yield (f"Budgets at {steps[-1]['learners']} learners", *budget_table(report["budgets"]))
    writes = report.get("writes")
    if writes and writes.get("kinds"):
        yield (
            f"Writes: {writes['clients']} learners for {writes['seconds']} s "
            f"({writes['writes_per_second']:.1f} writes/s)",
            *writes_table(writes),
        )


def render_text(report):
    parts = []
    for title, headers, rows in _sections(report):
        parts.append(f"\n== {title}\n{text_table(headers, rows)}")
    parts.extend(_notes(report))
    parts.append(
        "\nVALID" if report["valid"] else "\nINVALID: some runs had errors; their numbers are refused."
    )
    return "\n".join(parts) + "\n"


def _notes(report):
    notes = list(report.get("notes", []))
    writes = report.get("writes") or {}
    notes.extend(writes.get("notes", []))
    if writes.get("skipped"):
        notes.append(f"writes: {writes['skipped']}")
    return [f"note: {note}" for note in notes]


def render_markdown(report):
    machine, versions, settings = report["machine"], report["versions"], report["settings"]
    lines = [
        f"# Benchmark {report['date']}: {report['db']}, {report['learners']} learners",
        "",
        "Ratios are to the bare-Django floor (`/bench/hello/`) measured in the same run; "
        "compare ratios, not raw numbers, between machines (DESIGN.md, performance budgets).",
        "",
        f"- Machine: {machine['nproc']} CPUs, {machine['cpu_model']}, {machine['memory']}; "
        f"load average {machine.get('load_before', '?')} before, {machine.get('load_after', '?')} after",
        "- Versions: " + ", ".join(f"{name} {value}" for name, value in versions.items()),
        "- Settings: " + ", ".join(f"{name} {value}" for name, value in settings.items()),
        f"- Result: {'valid' if report['valid'] else 'INVALID (runs with errors; numbers refused)'}",
    ]
    for title, headers, rows in _sections(report):
        lines += ["", f"## {title}", "", markdown_table(headers, rows)]
    notes = _notes(report)
    if notes:
        lines += ["", "## Notes", "", *(f"- {note.removeprefix('note: ')}" for note in notes)]
    return "\n".join(lines) + "\n"


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=True, default=str) + "\n"


def results_basename(report):
    """bench/results/<date>-<db>-<learners>: sorts by date and says what was run."""
    stamp = report["date"].replace(":", "").replace("T", "-")[:15]  # 2026-01-02T03:04:05Z -> 2026-01-02-0304
    return f"{stamp}-{report['db']}-{report['learners']}"
