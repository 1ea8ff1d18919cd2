"""Failed log-ins lock the account, an address only far later; the last failures before the lock are slow."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RIGHT = "correct-horse-battery"


@pytest.fixture(autouse=True)
def quick_slowdown(settings):
    settings.AXES_SLOW_SECONDS = 0.2


def fail(client, email="alice@example.com", ip="10.0.0.1"):
    return client.post(reverse("login"), {"username": email, "password": "wrong"}, REMOTE_ADDR=ip)


def log_in(client, email, ip):
    response = client.post(reverse("login"), {"username": email, "password": RIGHT}, REMOTE_ADDR=ip)
    if response.status_code == 302:
        client.post(reverse("logout"))
    return response


def test_five_failures_lock_the_account_from_any_address(client, settings, learner):
    assert settings.AXES_FAILURE_LIMIT == 5
    for n in range(4):
        assert fail(client, ip=f"10.0.0.{n + 1}").status_code == 200
    locked = fail(client, ip="10.0.0.5")
    assert locked.status_code == 429 and "Too many failed log-ins" in locked.text
    assert log_in(client, "alice@example.com", "10.0.0.99").status_code == 429
    assert SESSION_KEY not in client.session


def test_one_nurses_failures_leave_a_colleague_at_the_same_address_free(client, learner, other_learner):
    hospital = "192.0.2.10"
    for _ in range(5):
        fail(client, email="alice@example.com", ip=hospital)
    assert log_in(client, "alice@example.com", hospital).status_code == 429
    assert log_in(client, "bob@example.com", hospital).status_code == 302


def test_an_address_is_locked_only_after_the_address_limit_across_accounts(client, settings, other_learner):
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    assert limit == 100
    spraying = "198.51.100.7"
    # Two failures per account: no account gets near its own lock (or the slow-down).
    emails = [f"nurse{n}@example.com" for n in range(limit // 2)]
    for email in emails + emails[:-1]:
        assert fail(client, email=email, ip=spraying).status_code == 200
    # One failure short of the limit, a colleague at that address still logs in.
    assert log_in(client, "bob@example.com", spraying).status_code == 302
    fail(client, email=emails[-1], ip=spraying)
    blocked = log_in(client, "bob@example.com", spraying)
    assert blocked.status_code == 429 and "Too many failed log-ins" in blocked.text
    assert SESSION_KEY not in client.session
    assert log_in(client, "bob@example.com", "203.0.113.2").status_code == 302


def test_address_failures_older_than_the_cool_off_are_forgotten(client, settings, other_learner):
    from axes.models import AccessAttempt

    settings.AXES_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        fail(client, email=f"nurse{n}@example.com", ip="192.0.2.30")
    assert log_in(client, "bob@example.com", "192.0.2.30").status_code == 429
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get(username="nurse0@example.com").attempt_time
        - settings.AXES_COOLOFF_TIME
    )
    assert log_in(client, "bob@example.com", "192.0.2.30").status_code == 302


def timed_failure(client, **kwargs):
    started = time.monotonic()
    response = fail(client, **kwargs)
    return response.status_code, time.monotonic() - started


def test_slow_down_starts_at_the_third_failure_in_a_row(client, learner, settings):
    # README "Log-in abuse" states this number.
    assert settings.AXES_SLOW_AFTER_FAILURES == 3
    settings.AXES_SLOW_SECONDS = 0.5
    first = timed_failure(client)
    second = timed_failure(client)
    third = timed_failure(client)
    assert first[1] < 0.5 and second[1] < 0.5
    assert third == (200, pytest.approx(third[1])) and third[1] >= 0.5


def test_a_locked_account_is_answered_at_once(client, learner, settings):
    settings.AXES_SLOW_SECONDS = 0.5
    for _ in range(5):
        fail(client)
    status, seconds = timed_failure(client)
    assert status == 429 and seconds < 0.5


def test_a_success_resets_the_count(client, learner):
    for _ in range(3):
        fail(client)
    ok = client.post(reverse("login"), {"username": "alice@example.com", "password": RIGHT})
    assert ok.status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert fail(client).status_code == 200


def test_a_colleagues_success_does_not_clear_the_address_count(client, settings, other_learner):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 4
    UserFactory(email="carol@example.com")
    for n in range(4):
        fail(client, email=f"nurse{n}@example.com", ip="192.0.2.40")
    assert log_in(client, "carol@example.com", "192.0.2.40").status_code == 429


def test_the_admin_log_in_is_held_to_the_same_address_limit(client, settings, admin_user):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 4
    for n in range(4):
        fail(client, email=f"nurse{n}@example.com", ip="192.0.2.50")
    response = client.post(
        reverse("admin:login"),
        {"username": "admin@example.com", "password": RIGHT},
        REMOTE_ADDR="192.0.2.50",
    )
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    elsewhere = client.post(
        reverse("admin:login"), {"username": "admin@example.com", "password": RIGHT}, REMOTE_ADDR="192.0.2.51"
    )
    assert elsewhere.status_code == 302 and SESSION_KEY in client.session
