"""Writes under load: simulated learners completing modules and taking the post-test over HTTP.

Each client thread takes a prepared learner (enrolled, nothing done, own session) and walks the
path in order: complete every module, start an attempt, save the answers one question at a time,
submit; then the next attempt, until the attempts run out; then the next learner. Attempts before
the last are answered wrongly (valid answers, wrong choices) so that a retake is always allowed
and the last one is answered correctly: every write changes exactly one thing, so the successes
counted here must be exactly what the database holds afterwards.
"""

import http.client
import json
import queue
import statistics
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from django.db import connection
from django.urls import reverse

from bench.sessions import bench_users, create_sessions
from modules import services as module_services
from modules.models import ModuleProgress
from quizzes.grading import correct_response, key_from_snapshot, wrong_response
from quizzes.models import Attempt, AttemptQuestion, Quiz

KINDS = ("complete", "start", "save", "submit")
WRITER = "writer"


@dataclass
class Learner:
    user_id: int
    cookie: str  # "sessionid=..."


@dataclass
class Tally:
    """What the clients saw, per write kind. One lock: the threads update it together."""

    ok: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    failed: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    server_errors: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    latencies: dict = field(default_factory=lambda: {kind: [] for kind in KINDS})
    failures: list = field(default_factory=list)  # (kind, status, detail), the first few only
    expected_passes: int = 0
    learners_started: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind, ok, status, seconds, detail=""):
        with self.lock:
            if seconds is not None:  # None: no response came back, so there is no latency to count
                self.latencies[kind].append(seconds * 1000)
            if ok:
                self.ok[kind] += 1
                return
            self.failed[kind] += 1
            if status >= 500:
                self.server_errors[kind] += 1
            if len(self.failures) < 20:
                self.failures.append((kind, status, detail[:200]))


class Client:
    """A browser-ish HTTP client for one learner: its session cookie, the CSRF cookie, no redirects."""

    def __init__(self, host, port, cookie, timeout):
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies = SimpleCookie(cookie)
        self.origin = f"http://{host}:{port}"

    def request(self, method, path, form=None, headers=None):
        """(status, headers, body, seconds). A new connection each time: sync gunicorn closes it anyway."""
        body = urlencode(form, doseq=True) if form is not None else None
        sent = {"Cookie": "; ".join(f"{k}={m.value}" for k, m in self.cookies.items()), **(headers or {})}
        if method == "POST":
            sent.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                    "X-CSRFToken": self.cookies["csrftoken"].value if "csrftoken" in self.cookies else "",
                }
            )
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        elapsed = time.perf_counter() - start
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        return response.status, response.headers, data, elapsed


def redirect_path(headers):
    return urlsplit(headers.get("Location", "")).path


def answer_fields(row_id, key, correct):
    """Form fields answering one frozen question: right, or valid but wrong."""
    name = f"q{row_id}"
    kind = key["kind"]
    if kind in ("single", "true_false", "multiple"):
        right = sorted(key["correct_ids"])
        wrong = [c for c in key["choice_ids"] if c not in key["correct_ids"]][:1] or right[:1]
        chosen = right if correct else wrong
        return {name: chosen if kind == "multiple" else chosen[0]}
    if kind == "ordering":
        order = list(key["correct_order"]) if correct else list(reversed(key["correct_order"]))
        return {f"{name}-pos-{item}": str(order.index(item) + 1) for item in key["choice_ids"]}
    if kind == "matching":
        prompts = list(key["choice_ids"])
        answers = [key["matches"][p] for p in prompts]
        if not correct:
            answers = answers[1:] + answers[:1]  # each prompt gets its neighbour's answer
        return {f"{name}-match-{p}": a for p, a in zip(prompts, answers, strict=True)}
    if kind in ("numerical", "short_answer", "cloze"):  # one value: a choice id or typed text
        frozen = key_from_snapshot(key)
        return {name: correct_response(frozen) if correct else wrong_response(frozen)}
    raise ValueError(f"unknown question kind {kind}")


def frozen_rows(user_id, quiz_id, number):
    """(row id, key) of an attempt in display order: the attempt's own frozen key, not the bank's."""
    rows = AttemptQuestion.objects.filter(
        attempt__user_id=user_id, attempt__quiz_id=quiz_id, attempt__number=number
    )
    return list(rows.order_by("position").values_list("pk", "key"))


@dataclass(frozen=True)
class Plan:
    """The URLs and limits every learner follows, resolved once."""

    course_url: str
    module_urls: list
    complete_urls: list
    post_test_url: str
    quiz_id: int
    attempts: int
    slug: str

    def attempt_url(self, number):
        return reverse("attempt_detail", args=[self.slug, number])

    def submit_url(self, number):
        return reverse("attempt_submit", args=[self.slug, number])

    def review_url(self, number):
        return reverse("attempt_review", args=[self.slug, number])


def make_plan(course):
    modules = list(course.modules.order_by("position"))
    quiz = Quiz.objects.get(course=course)
    if quiz.attempts_allowed == 0:
        raise RuntimeError("unlimited attempts: the plan needs a last attempt to answer correctly")
    return Plan(
        course_url=reverse("course_detail", args=[course.slug]),
        module_urls=[reverse("module_detail", args=[course.slug, m.slug]) for m in modules],
        complete_urls=[reverse("module_complete", args=[course.slug, m.slug]) for m in modules],
        post_test_url=reverse("post_test", args=[course.slug]),
        quiz_id=quiz.pk,
        attempts=quiz.attempts_allowed,
        slug=course.slug,
    )


def prepare_writers(course, count):
    """`count` enrolled learners with nothing done yet, each with a session."""
    users = bench_users(WRITER, count)
    for user in users:
        module_services.enrollment_create(user=user, course=course)
    cookies = create_sessions(users)
    return [Learner(user.pk, cookies[user.pk]) for user in users]


def _post(client, tally, kind, path, form, expect_path=None, headers=None):
    """POST a write and record it; True when it returned what success looks like."""
    try:
        status, headers_in, body, seconds = client.request("POST", path, form, headers)
    except OSError as error:
        tally.record(kind, False, 0, None, f"{path}: {error}")
        return False, None
    if expect_path is not None:
        ok = status == 302 and redirect_path(headers_in) == expect_path
        detail = f"{path} -> {status} {headers_in.get('Location', '')}"
        tally.record(kind, ok, status, seconds, detail)
        return ok, None
    try:
        payload = json.loads(body) if status == 200 else None
    except ValueError:
        payload = None
    ok = payload is not None and payload.get("saved") == 1 and not payload.get("errors")
    tally.record(kind, ok, status, seconds, f"{path} -> {status} {body[:120]!r}")
    return ok, payload


def walk(client, plan, learner, tally, deadline):
    """One learner's path, stopping at the first failed write or when time is up."""
    try:
        status, _, _, _ = client.request("GET", plan.module_urls[0])  # sets the csrftoken cookie
    except OSError:
        status = 0  # no response: counted below as a failed start of this learner's path
    if status != 200 or "csrftoken" not in client.cookies:
        tally.record("complete", False, status, None, f"GET {plan.module_urls[0]} gave no CSRF cookie")
        return
    following = [*plan.module_urls[1:], plan.course_url]
    for complete_url, expected in zip(plan.complete_urls, following, strict=True):
        if time.monotonic() > deadline:
            return
        ok, _ = _post(client, tally, "complete", complete_url, {}, expect_path=expected)
        if not ok:
            return
    for number in range(1, plan.attempts + 1):
        if not _take_attempt(client, plan, learner, tally, deadline, number):
            return


def _take_attempt(client, plan, learner, tally, deadline, number):
    if time.monotonic() > deadline:
        return False
    ok, _ = _post(client, tally, "start", plan.post_test_url, {}, expect_path=plan.attempt_url(number))
    if not ok:
        return False
    correct = number == plan.attempts
    fields, saved_all = {}, True
    for row_id, key in frozen_rows(learner.user_id, plan.quiz_id, number):
        if time.monotonic() > deadline:
            return False
        fields.update(answer_fields(row_id, key, correct))
        # The page posts every answer so far (as its form does), so exactly one changes per save.
        ok, _ = _post(
            client, tally, "save", plan.attempt_url(number), fields, headers={"X-Requested-With": "fetch"}
        )
        saved_all = saved_all and ok
        if not ok:
            return False
    if time.monotonic() > deadline:
        return False
    ok, _ = _post(client, tally, "submit", plan.submit_url(number), {}, expect_path=plan.review_url(number))
    if ok and correct and saved_all:
        with tally.lock:
            tally.expected_passes += 1
    return ok


def _client_thread(host, port, plan, learners, tally, deadline, timeout):
    try:
        while time.monotonic() < deadline:
            try:
                learner = learners.get_nowait()
            except queue.Empty:
                return
            with tally.lock:
                tally.learners_started += 1
            walk(Client(host, port, learner.cookie, timeout), plan, learner, tally, deadline)
    finally:
        connection.close()  # each thread opened its own connection to read frozen keys


def run_writes(*, host, port, course, clients, seconds, pool, timeout=60.0):
    """Run the write load and check the database against it. Returns a JSON-ready dict."""
    plan = make_plan(course)
    writers = prepare_writers(course, pool)
    learners = queue.Queue()
    for learner in writers:
        learners.put(learner)
    tally = Tally()
    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(target=_client_thread, args=(host, port, plan, learners, tally, deadline, timeout))
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return summarize(tally, verify_database(plan.quiz_id), clients, seconds, elapsed, pool, learners.qsize())


def verify_database(quiz_id):
    """What the database holds for the writers: it must equal the successful writes, one for one."""
    writers = {"user__email__startswith": f"bench-{WRITER}-"}
    attempts = Attempt.objects.filter(quiz_id=quiz_id, **writers)
    return {
        "complete": ModuleProgress.objects.filter(
            completed_at__isnull=False, **{f"enrollment__{k}": v for k, v in writers.items()}
        ).count(),
        "start": attempts.count(),
        "save": AttemptQuestion.objects.filter(
            responded_at__isnull=False, **{f"attempt__{k}": v for k, v in writers.items()}
        ).count(),
        "submit": attempts.filter(submitted_at__isnull=False).count(),
        "passed": attempts.filter(passed=True).count(),
    }


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summarize(tally, in_db, clients, seconds, elapsed, pool, unused):
    kinds = {}
    for kind in KINDS:
        lat = tally.latencies[kind]
        kinds[kind] = {
            "ok": tally.ok[kind],
            "failed": tally.failed[kind],
            "5xx": tally.server_errors[kind],
            "in_database": in_db[kind],
            "p50_ms": statistics.median(lat) if lat else None,
            "p99_ms": percentile(lat, 0.99),
        }
    problems = [
        f"{kind}: {k['ok']} succeeded but the database holds {k['in_database']}"
        for kind, k in kinds.items()
        if k["ok"] != k["in_database"]
    ]
    problems += [f"{kind}: {k['5xx']} server errors" for kind, k in kinds.items() if k["5xx"]]
    problems += [f"{kind}: {k['failed']} failed" for kind, k in kinds.items() if k["failed"]]
    if in_db["passed"] != tally.expected_passes:
        problems.append(
            f"{tally.expected_passes} attempts should have passed, the database has {in_db['passed']}"
        )
    notes = [
        f"{tally.learners_started} of {pool} prepared learners used; {in_db['passed']} passed on the last attempt"
    ]
    if unused == 0:
        notes.append("the pool of prepared learners ran out before the time was up: raise --write-pool")
    total_ok = sum(tally.ok.values())
    return {
        "clients": clients,
        "seconds": seconds,
        "elapsed": round(elapsed, 1),
        "writes_per_second": total_ok / elapsed if elapsed else 0.0,
        "kinds": kinds,
        "passed": {"expected": tally.expected_passes, "in_database": in_db["passed"]},
        "failures": tally.failures,
        "problems": problems,
        "notes": notes + [f"write check: {p}" for p in problems],
        "valid": not problems,
    }
