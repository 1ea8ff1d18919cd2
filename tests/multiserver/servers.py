"""Real processes for the several-servers tests: gunicorn app servers, db_worker task workers and
(optionally) redis-server, all against the test database; and a small cookie-keeping HTTP client."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack, contextmanager
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
SECRET = "multiserver-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_database_url():
    """DATABASE_URL of this run with the test database's name (pytest-django's test_<name>)."""
    base = os.environ["DATABASE_URL"]
    parsed = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parsed._replace(path="/" + connection.settings_dict["NAME"]))


def server_environment(scratch, *, redis_url=""):
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "SECRET_KEY": SECRET,
        "DEBUG": "true",  # static files without collectstatic; nothing below depends on it
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EXPORT_JOB_ROWS": "0",  # every export is a background job
        "MEDIA_ROOT": str(scratch / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "CONN_MAX_AGE": "0",  # no idle connection outlives a request, so the test database can be dropped
        "AXES_SLOW_SECONDS": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _wait_for(check, what, process, log, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{Path(log).read_text()[-3000:]}")
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start within {timeout:.0f} s:\n{Path(log).read_text()[-3000:]}")


@contextmanager
def process(command, *, env, log, what, ready=None):
    """Start `command`, wait until `ready()` is true, stop it (SIGTERM, then SIGKILL) on exit."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        if ready is not None:
            _wait_for(ready, what, proc, log)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _answers(url):
    try:
        urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 - a loopback URL we built
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def redis_server(stack, scratch):
    """Debian's redis-server on a Unix socket in `scratch`, no persistence; returns its URL.

    Missing redis-server skips the test on a laptop and fails it in CI (CI=true)."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (scripts/install-system-deps.sh installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    sock = scratch / "redis.sock"
    command = [binary, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"]
    stack.enter_context(
        process(
            command, env=dict(os.environ), log=scratch / "redis.log", what="redis-server", ready=sock.exists
        )
    )
    return f"unix://{sock}?db=0"


def start_site(stack, scratch, *, servers=2, workers=2, redis=False):
    """Start `servers` gunicorn app servers and `workers` task workers.

    Returns (base URLs, worker logs, the Redis URL or "")."""
    redis_url = redis_server(stack, scratch) if redis else ""
    env = server_environment(scratch, redis_url=redis_url)
    bases = []
    for n in range(servers):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [
            sys.executable, "-m", "gunicorn", "ce_course.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60",
        ]  # fmt: skip
        stack.enter_context(
            process(
                command,
                env=env,
                log=scratch / f"gunicorn-{n}.log",
                what=f"gunicorn {n}",
                ready=lambda base=base: _answers(base + "/"),
            )
        )
        bases.append(base)
    logs = []
    for n in range(workers):
        log = scratch / f"worker-{n}.log"
        command = [
            sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-reload",
            "--no-startup-delay", "--worker-id", f"test-worker-{n}",
        ]  # fmt: skip
        stack.enter_context(process(command, env=env, log=log, what=f"db_worker {n}"))
        logs.append(log)
    return bases, logs, redis_url


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Keeps cookies across servers (a cookie is for a host, not a port), as a browser would
    behind a load balancer; does not follow redirects, so each answer is seen as it is."""

    def __init__(self):
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect
        )

    def request(self, url, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(url, data=body, timeout=60) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.headers, answer.read().decode(errors="replace")

    def csrf(self):
        return next(c.value for c in self.cookies if c.name == "csrftoken")

    def post(self, url, data):
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        return self.request(url, [*pairs, ("csrfmiddlewaretoken", self.csrf())])

    def log_in(self, base, email, password):
        self.request(base + "/accounts/login/")
        status, _, _ = self.post(base + "/accounts/login/", {"username": email, "password": password})
        assert status == 302, f"log-in answered {status}"


class FormFields(HTMLParser):
    """The fields a browser would submit from the form with id `form_id` (inputs, selects, textareas)."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields.append(
                    (a["name"], a.get("value") or ("on" if a.get("type") == "checkbox" else ""))
                )
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self.fields.append((name, text.removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self.inside = False


def form_fields(page, form_id):
    parser = FormFields(form_id)
    parser.feed(page)
    return parser.fields


__all__ = ["Browser", "ExitStack", "form_fields", "start_site"]
