"""The benchmark's own logic: parsing wrk, judging runs, ratios and rendering. No network, no wrk."""

import json

import pytest

from bench import wrk

# Real wrk 4.1.0 outputs captured on this project's machine (through bench/wrk_sessions.lua where the
# bench-status lines appear). Note the trailing space after one-letter units ("1.10s ").
CLEAN_MS = """\
Running 2s test @ http://127.0.0.1:8765/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    11.85ms    8.37ms  76.09ms   85.36%
    Req/Sec   263.65     80.34   445.00     75.00%
  Latency Distribution
     50%    9.56ms
     75%   14.23ms
     90%   22.57ms
     99%   45.61ms
  1055 requests in 2.01s, 2.01MB read
Requests/sec:    524.04
Transfer/sec:      1.00MB
"""

MICROSECONDS_WITH_SOCKET_ERRORS = """\
Running 3s test @ http://127.0.0.1:8766
  1 threads and 6 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.12ms    2.66ms   8.40ms   88.24%
    Req/Sec    50.20     49.75   100.00     40.00%
  Latency Distribution
     50%  742.00us
     75%    3.27ms
     90%    7.93ms
     99%    8.40ms
  28 requests in 3.01s, 3.09KB read
  Socket errors: connect 0, read 0, write 0, timeout 11
Requests/sec:      9.31
Transfer/sec:      1.03KB
bench-status 200 28
"""

SECONDS = """\
Running 4s test @ http://127.0.0.1:8766
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   476.23ms  554.46ms   1.12s    57.14%
    Req/Sec    15.25     16.50    40.00     75.00%
  Latency Distribution
     50%   16.84ms
     75%    1.10s \n     90%    1.11s \n     99%    1.12s \n  28 requests in 4.01s, 3.09KB read
Requests/sec:      6.98
Transfer/sec:     788.70B
bench-status 200 28
"""

NON_2XX = """\
Running 1s test @ http://127.0.0.1:8767
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.42ms    3.35ms  23.02ms   73.53%
    Req/Sec   377.85     71.77   500.00     55.00%
  Latency Distribution
     50%    4.29ms
     75%    7.33ms
     90%   10.55ms
     99%   14.98ms
  754 requests in 1.00s, 1.11MB read
  Non-2xx or 3xx responses: 379
Requests/sec:    751.62
Transfer/sec:      1.10MB
bench-status 404 379
bench-status 200 375
"""

REDIRECTS_ONLY = CLEAN_MS + "bench-status 302 1000\nbench-status 200 55\n"


def test_parses_throughput_latency_and_request_count():
    result = wrk.parse_wrk_output(CLEAN_MS)
    assert result.requests == 1055
    assert result.seconds == pytest.approx(2.01)
    assert result.rps == pytest.approx(524.04)
    assert (result.p50_ms, result.p90_ms, result.p99_ms) == (9.56, 22.57, 45.61)
    assert result.non_2xx_3xx == 0
    assert result.socket_errors == {}
    assert wrk.run_problems(result) == []


def test_latencies_in_microseconds_and_seconds_become_milliseconds():
    assert wrk.parse_wrk_output(MICROSECONDS_WITH_SOCKET_ERRORS).p50_ms == pytest.approx(0.742)
    slow = wrk.parse_wrk_output(SECONDS)
    assert slow.latency_ms == {
        50: 16.84,
        75: pytest.approx(1100),
        90: pytest.approx(1110),
        99: pytest.approx(1120),
    }
    assert slow.statuses == {200: 28}


@pytest.mark.parametrize(
    ("text", "ms"), [("508.00us", 0.508), ("4.68ms", 4.68), ("1.02s", 1020.0), ("1.50m", 90_000.0)]
)
def test_time_units(text, ms):
    assert wrk.parse_time_ms(text) == pytest.approx(ms)


def test_socket_errors_are_counted_and_refused():
    result = wrk.parse_wrk_output(MICROSECONDS_WITH_SOCKET_ERRORS)
    assert result.socket_errors == {"connect": 0, "read": 0, "write": 0, "timeout": 11}
    assert wrk.run_problems(result) == ["11 socket errors (timeout 11)"]


def test_non_2xx_responses_are_counted_and_refused():
    result = wrk.parse_wrk_output(NON_2XX)
    assert result.non_2xx_3xx == 379
    assert result.statuses == {404: 379, 200: 375}
    assert wrk.run_problems(result) == ["379 non-2xx/3xx responses", "non-200 responses: 379x404"]


def test_redirects_that_wrk_calls_success_are_refused():
    # A 302 is usually the login page: the session was not valid, so the page was never measured.
    result = wrk.parse_wrk_output(REDIRECTS_ONLY)
    assert result.non_2xx_3xx == 0
    assert wrk.run_problems(result) == ["non-200 responses: 1000x302"]


def test_output_of_a_run_that_never_started_is_an_error():
    with pytest.raises(wrk.WrkParseError, match="unable to connect"):
        wrk.parse_wrk_output("unable to connect to 127.0.0.1:8799 Connection refused\n")


def test_output_without_latency_distribution_is_an_error():
    without = "\n".join(line for line in CLEAN_MS.splitlines() if "%" not in line or "Stdev" in line)
    with pytest.raises(wrk.WrkParseError, match="--latency"):
        wrk.parse_wrk_output(without)


def test_ratio_to_the_floor():
    assert wrk.floor_ratio(500.0, 1500.0) == pytest.approx(1 / 3)
    assert wrk.floor_ratio(500.0, None) is None
    assert wrk.floor_ratio(500.0, 0) is None
    assert wrk.floor_ratio(None, 1500.0) is None


def test_row_of_a_clean_run_reports_numbers_and_ratio():
    result = wrk.parse_wrk_output(CLEAN_MS)
    row = wrk.endpoint_row("lesson", "/l/", personas=32, result=result, floor_rps=1048.08, queries=[9, 9])
    assert row["status"] == "ok"
    assert row["rps"] == pytest.approx(524.04)
    assert row["ratio"] == pytest.approx(0.5)
    assert row["p99_ms"] == 45.61
    assert row["errors"] == {"non_2xx_3xx": 0, "socket": 0, "non_200": 0}


def test_row_of_a_run_with_errors_refuses_to_report_numbers():
    result = wrk.parse_wrk_output(NON_2XX)
    row = wrk.endpoint_row("dashboard", "/dashboard/", personas=32, result=result, floor_rps=1000.0)
    assert row["status"] == "invalid"
    assert "379 non-2xx/3xx responses" in row["reason"]
    assert row["rps"] is None
    assert row["p99_ms"] is None
    assert row["ratio"] is None
    assert row["errors"]["non_2xx_3xx"] == 379


def test_row_of_a_page_not_wired_is_not_available_and_not_invalid():
    row = wrk.endpoint_row("board report", "/reports/", personas=1, note="not available: URL not wired")
    assert row["status"] == "not available"
    report = _report([row])
    assert wrk.report_is_valid(report)


def test_report_with_one_invalid_run_is_invalid():
    bad = wrk.endpoint_row("dashboard", "/dashboard/", personas=32, result=wrk.parse_wrk_output(NON_2XX))
    assert not wrk.report_is_valid(_report([_ok_row("floor", 1000.0), bad]))
    assert wrk.report_is_valid(_report([_ok_row("floor", 1000.0)]))


def test_report_with_a_failed_write_check_is_invalid():
    report = _report([_ok_row("floor", 1000.0)])
    report["writes"] = {"valid": False}
    assert not wrk.report_is_valid(report)


def test_growth_compares_queries_and_p50_between_the_steps():
    small = {"learners": 100, "endpoints": [_ok_row("dashboard", 400.0, queries=[12, 12], p50=10.0)]}
    large = {"learners": 10000, "endpoints": [_ok_row("dashboard", 380.0, queries=[12, 13], p50=15.0)]}
    (row,) = wrk.growth_rows(small, large)
    assert row["queries_same"] is False
    assert row["p50_ratio"] == pytest.approx(1.5)


def test_budgets_check_ratio_p99_and_flat_queries():
    step = {
        "learners": 10000,
        "endpoints": [
            _ok_row("floor", 1200.0),
            _ok_row("lesson", 500.0, ratio=500 / 1200, p99=80.0),
            _ok_row("dashboard", 300.0, ratio=0.25, p99=120.0),
        ],
    }
    growth = [{"name": "lesson", "queries_small": [9], "queries_large": [9], "queries_same": True}]
    checks = {(c["page"], c["check"]): c["met"] for c in wrk.budget_checks(step, growth)}
    assert checks[("lesson", "rps >= 1/3 of floor")] is True
    assert checks[("lesson", "p99 < 100 ms")] is True
    assert checks[("dashboard", "rps >= 1/3 of floor")] is False
    assert checks[("dashboard", "p99 < 100 ms")] is False
    assert checks[("lesson", "same queries at both sizes")] is True


def test_markdown_and_json_rendering():
    report = _report(
        [
            _ok_row("floor", 1200.0, ratio=1.0),
            _ok_row("lesson", 500.0, ratio=500 / 1200, queries=[9, 9, 9]),
            wrk.endpoint_row("attempt", "/a|b/", personas=32, result=wrk.parse_wrk_output(NON_2XX)),
        ]
    )
    report["valid"] = wrk.report_is_valid(report)
    markdown = wrk.render_markdown(report)
    assert markdown.startswith("# Benchmark 2026-01-02T03:04:05: sqlite, 100 learners")
    assert "| lesson | /lesson/ | 32 | 9 | 500.0 |" in markdown
    assert "/a\\|b/" in markdown  # a pipe in a cell must not split the table
    assert "| attempt |" in markdown and "invalid: 379 non-2xx/3xx responses" in markdown
    assert "INVALID" in markdown
    assert "2 CPUs" in markdown and "wrk 4.1.0" in markdown
    text = wrk.render_text(report)
    assert "INVALID: some runs had errors" in text
    assert json.loads(wrk.render_json(report))["steps"][0]["endpoints"][1]["ratio"] == pytest.approx(
        500 / 1200
    )


def test_results_are_named_by_date_db_and_learners():
    assert wrk.results_basename(_report([])) == "2026-01-02-0304-sqlite-100"


def test_writes_table_lists_each_kind():
    writes = {
        "clients": 64,
        "seconds": 60,
        "writes_per_second": 12.5,
        "kinds": {"save": {"ok": 10, "failed": 0, "5xx": 0, "in_database": 10, "p50_ms": 3.0, "p99_ms": 9.5}},
    }
    headers, rows = wrk.writes_table(writes)
    assert headers[0] == "write"
    assert rows == [["save", "10", "0", "0", "10", "3.0", "9.5"]]


def _ok_row(name, rps, *, ratio=None, queries=None, p50=5.0, p99=50.0):
    return {
        "name": name,
        "path": f"/{name}/",
        "personas": 32,
        "queries": queries,
        "status": "ok",
        "reason": "",
        "requests": int(rps * 10),
        "rps": rps,
        "p50_ms": p50,
        "p90_ms": p99 / 2,
        "p99_ms": p99,
        "ratio": ratio,
        "errors": {"non_2xx_3xx": 0, "socket": 0, "non_200": 0},
    }


def _report(rows):
    return {
        "date": "2026-01-02T03:04:05",
        "db": "sqlite",
        "learners": 100,
        "machine": {"nproc": 2, "cpu_model": "Test CPU", "memory": "2.0 GiB"},
        "versions": {"python": "3.11.7", "wrk": "4.1.0"},
        "settings": {"workers": 4},
        "steps": [{"learners": 100, "floor": {"rps": 1200.0, "drift": 0.01}, "endpoints": rows}],
        "growth": [],
        "budgets": [],
        "writes": None,
        "notes": [],
        "valid": True,
    }


def test_noise_notes_warn_about_a_busy_machine_and_a_drifting_floor():
    quiet = {"learners": 100, "others_runnable": {"before": 0.1, "after": 0.0}, "floor": {"drift": 0.02}}
    busy = {"learners": 10000, "others_runnable": {"before": 1.6, "after": 0.2}, "floor": {"drift": -0.31}}
    assert wrk.noise_notes([quiet], nproc=2) == []
    notes = wrk.noise_notes([quiet, busy], nproc=2)
    assert len(notes) == 2
    assert notes[0].startswith("10000 learners: on average 1.6 other processes")
    assert "-31%" in notes[1]


# --- the write load's answers ---------------------------------------------------------------------

KEYS = {
    "single": {"kind": "single", "points": "1", "choice_ids": ["1", "2", "3"], "correct_ids": ["2"]},
    "true_false": {"kind": "true_false", "points": "1", "choice_ids": ["4", "5"], "correct_ids": ["5"]},
    "multiple": {"kind": "multiple", "points": "1", "choice_ids": ["6", "7", "8"], "correct_ids": ["6", "8"]},
    "ordering": {
        "kind": "ordering",
        "points": "1",
        "choice_ids": ["9", "10", "11"],
        "correct_order": ["11", "9", "10"],
    },
    "matching": {
        "kind": "matching",
        "points": "1",
        "choice_ids": ["12", "13"],
        "matches": {"12": "a12", "13": "a13"},
        "answer_ids": ["a12", "a13", "a99"],
    },
}


@pytest.mark.parametrize("kind", sorted(KEYS))
def test_write_load_answers_are_valid_and_graded_right_or_wrong(kind):
    from django.http import QueryDict

    from bench.writes import answer_fields
    from quizzes.forms import answers_from_post
    from quizzes.grading import grade, key_from_snapshot, validate_response

    key = key_from_snapshot(KEYS[kind])
    row = _Row(pk=7, position=1, snapshot=_snapshot(KEYS[kind]))
    points = {}
    for correct in (True, False):
        post = QueryDict(mutable=True)
        for name, value in answer_fields(row.pk, KEYS[kind], correct).items():
            post.setlist(name, value if isinstance(value, list) else [value])
        posted = answers_from_post([row], post)
        assert posted.errors == {}
        raw = posted.answers[row.pk]
        points[correct] = grade(key, validate_response(key, raw))
    assert points[True] == 1
    assert points[False] < 1


class _Row:
    """The two fields of an AttemptQuestion that the attempt form reads."""

    def __init__(self, pk, position, snapshot):
        self.pk, self.position, self.snapshot = pk, position, snapshot


def _snapshot(key):
    """What the attempt page shows: the kind and, for ordering and matching, the item / prompt ids."""
    items = [{"id": item} for item in key["choice_ids"]]
    return {"kind": key["kind"], "items": items, "prompts": items}
