"""The logged-in user and the session are read through the shared cache; every change shows at once.

Each test first makes a request, so the user and the session are in the cache, then changes the
database the way the product does, and checks that the very next request sees the change.
"""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import CE_BOARD
from accounts.selectors import user_for_session

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user)
    assert client.get(reverse("dashboard")).status_code == 200  # session and user now cached
    return client


def test_a_warm_request_reads_session_and_user_from_the_cache_not_the_user_table(learner):
    client = logged_in(learner)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("profile")).status_code == 200
    assert any('"ce_course_cache"' in q["sql"] for q in ctx.captured_queries)
    assert not any('FROM "accounts_user"' in q["sql"] for q in ctx.captured_queries)
    assert not any('FROM "django_session"' in q["sql"] for q in ctx.captured_queries)


def test_deactivated_learner_is_logged_out_on_the_next_request(learner):
    client = logged_in(learner)
    learner.is_active = False
    learner.save()
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_removing_the_board_role_closes_the_reports_at_once(board):
    client = logged_in(board)
    assert client.get(reverse("reports")).status_code == 200
    board.groups.remove(Group.objects.get(name=CE_BOARD))
    assert client.get(reverse("reports")).status_code == 404
    assert "Reports" not in client.get(reverse("dashboard")).text


def test_granting_the_board_role_from_the_group_side_opens_the_reports(learner):
    client = logged_in(learner)
    assert client.get(reverse("reports")).status_code == 404
    Group.objects.get(name=CE_BOARD).user_set.add(learner)
    assert client.get(reverse("reports")).status_code == 200
    Group.objects.get(name=CE_BOARD).user_set.clear()
    assert client.get(reverse("reports")).status_code == 404


def test_deleting_the_board_group_drops_the_role_of_its_members(board):
    client = logged_in(board)
    Group.objects.get(name=CE_BOARD).delete()
    assert client.get(reverse("reports")).status_code == 404


def test_a_new_password_ends_the_other_sessions(learner):
    other_device = logged_in(learner)
    learner.set_password("a-brand-new-passphrase")
    learner.save()
    response = other_device.get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_logging_out_ends_the_session_for_every_worker(learner):
    """The session key replayed from another client (as another worker would see it) is dead."""
    client = logged_in(learner)
    session_cookie = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    replay = Client()
    replay.cookies["sessionid"] = session_cookie
    response = replay.get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_renamed_learner_sees_the_new_name_on_the_next_page(learner):
    client = logged_in(learner)
    learner.first_name = "Alicia"
    learner.save()
    assert "Alicia" in client.get(reverse("profile")).text


def test_cached_copy_carries_the_group_names_and_is_refilled_after_a_change(board):
    cache.clear()
    first = user_for_session(board.pk)
    assert first.cached_group_names == {CE_BOARD}
    board.groups.clear()
    assert user_for_session(board.pk).cached_group_names == frozenset()


def test_unknown_user_id_in_a_session_is_nobody(db):
    assert user_for_session(987654) is None


def test_renaming_the_board_group_closes_the_reports_at_once(board):
    client = logged_in(board)
    group = Group.objects.get(name=CE_BOARD)
    group.name = "Former board"
    group.save()
    assert client.get(reverse("reports")).status_code == 404


def test_a_membership_change_of_another_user_leaves_this_users_entry_valid_but_rechecked(board, learner):
    """One roles version for every group change: simple, and a change is seen by the next request."""
    client = logged_in(board)
    Group.objects.get(name=CE_BOARD).user_set.add(learner)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("reports")).status_code == 200
    # The roles version moved, so the board's entry was read again from the database.
    assert any('FROM "accounts_user"' in q["sql"] for q in ctx.captured_queries)
