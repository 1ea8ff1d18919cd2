"""Security headers on every response, and faults that never show a traceback."""

import runpy
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_page_sends_csp_nosniff_referrer_and_no_framing(client, course):
    for url in (reverse("catalogue"), reverse("course_detail", args=[course.slug]), reverse("login")):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"


def test_pages_carry_no_inline_script_or_style(client, learner, course):
    client.force_login(learner)
    client.post(reverse("course_detail", args=[course.slug]), {"acknowledge": "on"})
    for url in (
        reverse("catalogue"),
        reverse("dashboard"),
        reverse("profile"),
        reverse("module_detail", args=[course.slug, "m1"]),
    ):
        html = client.get(url).text
        assert "<script>" not in html and " style=" not in html and "<style" not in html, url
        assert " onclick=" not in html and " onload=" not in html


SETTINGS_FILE = Path(__file__).resolve().parents[2] / "ce_course" / "settings.py"
PRODUCTION_ENVIRONMENT = {
    "DEBUG": "false",
    "SECRET_KEY": "a-real-production-secret-key-with-enough-entropy-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "ce.example.org",
}
HTTPS_SETTINGS = (
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
)


def production_settings(monkeypatch):
    """The settings module's own values, as it computes them from a production environment
    (run afresh from its file: the loaded settings of the test run are left alone)."""
    for name, value in PRODUCTION_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    for name in (*HTTPS_SETTINGS, "BEHIND_TLS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return runpy.run_path(str(SETTINGS_FILE))


def test_production_environment_turns_on_hsts_https_redirect_and_secure_cookies(monkeypatch):
    production = production_settings(monkeypatch)
    assert production["DEBUG"] is False
    assert {name: production[name] for name in HTTPS_SETTINGS} == {
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }


def test_with_the_production_values_responses_carry_hsts_and_secure_cookies(
    monkeypatch, settings, client, learner
):
    production = production_settings(monkeypatch)
    for name in HTTPS_SETTINGS:
        setattr(settings, name, production[name])
    plain = client.get(reverse("login"))
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    page = client.get(reverse("login"), secure=True)
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert page.cookies[settings.CSRF_COOKIE_NAME]["secure"] is True
    logged_in = client.post(
        reverse("login"),
        {"username": "alice@example.com", "password": "correct-horse-battery"},
        secure=True,
    )
    assert logged_in.status_code == 302
    session_cookie = logged_in.cookies[settings.SESSION_COOKIE_NAME]
    assert session_cookie["secure"] is True and session_cookie["httponly"] is True


def test_database_gone_answers_503_with_a_plain_page(client, course):
    client.raise_request_exception = False
    with mock.patch(
        "modules.views.selectors.catalogue_courses", side_effect=OperationalError("server closed")
    ):
        response = client.get(reverse("catalogue"))
    assert response.status_code == 503
    assert "back in a moment" in response.text.lower()
    assert "Traceback" not in response.text and "OperationalError" not in response.text
    assert response["Retry-After"] == "30"


def test_a_bug_answers_500_without_a_traceback(client, course):
    client.raise_request_exception = False
    with mock.patch("modules.views.selectors.catalogue_courses", side_effect=RuntimeError("boom")):
        response = client.get(reverse("catalogue"))
    assert response.status_code == 500
    assert "Something went wrong" in response.text and "boom" not in response.text


def test_unknown_url_is_a_plain_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404 and "Page not found" in response.text


def test_a_dropped_database_connection_answers_503_for_a_logged_in_learner(client, learner):
    from django.db import connection

    client.force_login(learner)
    client.raise_request_exception = False
    with mock.patch.object(
        connection, "ensure_connection", side_effect=OperationalError("connection refused")
    ):
        response = client.get(reverse("dashboard"))
    assert response.status_code == 503 and "Traceback" not in response.text
