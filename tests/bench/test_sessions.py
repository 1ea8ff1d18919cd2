"""The benchmark's personas are logged in the way a browser is: a session cookie and a CSRF cookie."""

from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.test import Client

from bench.sessions import create_sessions
from modules.services import enrollment_create

pytestmark = pytest.mark.django_db


def test_a_bench_session_is_logged_in_and_keeps_its_csrf_secret(learner, course):
    enrollment_create(user=learner, course=course)
    cookie = create_sessions([learner])[learner.pk]
    sent = SimpleCookie(cookie)
    assert set(sent) == {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME}

    module = course.modules.order_by("position").first()
    client = Client()
    client.cookies.load(cookie)
    response = client.get(f"/courses/{course.slug}/modules/{module.slug}/")

    assert response.status_code == 200  # logged in: a lesson, not the log-in page
    assert response.wsgi_request.user == learner
    # The page has a form; Django re-sends the secret it was given instead of making a new one.
    assert response.cookies[settings.CSRF_COOKIE_NAME].value == sent[settings.CSRF_COOKIE_NAME].value


def test_queries_are_counted_as_the_bench_persona_logged_in(learner, course):
    from bench.run_bench import count_queries

    enrollment_create(user=learner, course=course)
    cookie = create_sessions([learner])[learner.pk]
    module = course.modules.order_by("position").first()
    # A cookie header read wrongly would be an anonymous visit: a 302 to the log-in page, refused.
    (count,) = count_queries([(cookie, f"/courses/{course.slug}/modules/{module.slug}/")], sample=1)
    assert count >= 1
