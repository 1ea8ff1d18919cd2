"""Repeated failed log-ins are slowed, then locked for a while with a clear message."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_slowdown(settings):
    settings.AXES_SLOW_SECONDS = 0.2


def fail(client, email="alice@example.com", ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": email, "password": "wrong"}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_account_even_with_the_right_password(client, learner):
    for _ in range(4):
        assert fail(client).status_code == 200
    locked = fail(client)
    assert locked.status_code == 429 and "Too many failed log-ins" in locked.text
    right = client.post(
        reverse("login"),
        {"username": "alice@example.com", "password": "correct-horse-battery"},
        REMOTE_ADDR="10.0.0.2",
    )
    assert right.status_code == 429
    assert SESSION_KEY not in client.session


def test_failures_from_one_address_lock_that_address(client, learner, other_learner):
    for n in range(5):
        fail(client, email=f"nobody{n}@example.com", ip="10.9.9.9")
    blocked = client.post(
        reverse("login"),
        {"username": "bob@example.com", "password": "correct-horse-battery"},
        REMOTE_ADDR="10.9.9.9",
    )
    assert blocked.status_code == 429
    elsewhere = client.post(
        reverse("login"),
        {"username": "bob@example.com", "password": "correct-horse-battery"},
        REMOTE_ADDR="10.1.1.1",
    )
    assert elsewhere.status_code == 302


def test_repeated_failures_are_answered_slowly_before_the_lock(client, learner, settings):
    settings.AXES_SLOW_SECONDS = 0.5
    started = time.monotonic()
    fail(client)
    first = time.monotonic() - started
    fail(client)
    started = time.monotonic()
    fail(client)  # the third failure is answered slowly
    third = time.monotonic() - started
    assert third >= 0.5 and first < third


def test_a_success_resets_the_count(client, learner):
    for _ in range(3):
        fail(client)
    ok = client.post(reverse("login"), {"username": "alice@example.com", "password": "correct-horse-battery"})
    assert ok.status_code == 302
    client.post(reverse("logout"))
    for _ in range(3):
        assert fail(client).status_code == 200
