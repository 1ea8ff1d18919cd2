"""Security headers on every response, and faults that never show a traceback."""

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


def test_production_settings_send_hsts_and_secure_cookies(settings, client):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = False
    response = client.get(reverse("catalogue"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


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
