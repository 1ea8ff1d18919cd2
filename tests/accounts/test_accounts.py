"""Accounts: sign-up, log-in/out, password reset, profile and nursing licenses."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from accounts.models import License, User
from accounts.roles import AUTHORS, CE_BOARD
from tests.factories import LicenseFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "zoe@example.com",
    "first_name": "Zoë",
    "last_name": "Ångström-Nguyễn",
    "credentials": "RN, BSN",
    "password1": "a-long-enough-passphrase",
    "password2": "a-long-enough-passphrase",
}


def test_signup_creates_user_with_legal_names_and_logs_in(client):
    response = client.post(reverse("signup"), SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="zoe@example.com")
    assert user.legal_name == "Zoë Ångström-Nguyễn"
    assert user.name_with_credentials == "Zoë Ångström-Nguyễn, RN, BSN"
    assert client.get(reverse("dashboard")).status_code == 200


def test_signup_rejects_duplicate_email_in_any_case(client, learner):
    response = client.post(reverse("signup"), {**SIGNUP, "email": "ALICE@example.com"})
    assert response.status_code == 400
    assert "already exists" in response.text
    assert User.objects.count() == 1


def test_signup_rejects_weak_and_mismatched_passwords(client):
    response = client.post(reverse("signup"), {**SIGNUP, "password1": "123", "password2": "123"})
    assert response.status_code == 400
    assert "too short" in response.text
    response = client.post(reverse("signup"), {**SIGNUP, "password2": "something-else-entirely"})
    assert response.status_code == 400
    assert not User.objects.exists()


def test_empty_signup_post_shows_errors_not_500(client):
    response = client.post(reverse("signup"), {})
    assert response.status_code == 400
    assert "This field is required" in response.text


def test_login_with_email_and_logout_is_post_only(client, learner):
    response = client.post(
        reverse("login"), {"username": "alice@example.com", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_login_rotates_the_session_key(client, learner):
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("login"), {"username": "alice@example.com", "password": "correct-horse-battery"})
    assert client.session.session_key != before


def test_wrong_password_gets_a_message(client, learner):
    response = client.post(reverse("login"), {"username": "alice@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "correct email address and password" in response.text


def test_password_reset_sends_a_working_link(client, learner):
    response = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    response = client.get(link.replace("http://testserver", ""), follow=True)
    assert "Choose a new password" in response.text
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase", "new_password2": "brand-new-passphrase"},
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.check_password("brand-new-passphrase")


def test_password_reset_for_unknown_email_reveals_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_profile_requires_login_and_edits_names(client, learner):
    assert client.get(reverse("profile")).status_code == 302
    client.force_login(learner)
    response = client.post(
        reverse("profile"), {"first_name": "Alicia", "last_name": "Nguyen", "credentials": "RN"}
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.first_name == "Alicia"


def test_profile_rejects_blank_legal_name(client, learner):
    client.force_login(learner)
    response = client.post(reverse("profile"), {"first_name": "  ", "last_name": "Nguyen"})
    assert response.status_code == 400
    learner.refresh_from_db()
    assert learner.first_name == "Alice"


def test_add_license_with_bad_state_or_empty_number_gets_clear_errors(client, other_learner):
    client.force_login(other_learner)
    response = client.post(reverse("license_add"), {"profession": "RN", "state": "ZZ", "number": "123"})
    assert response.status_code == 400
    assert "US postal code" in response.text
    response = client.post(reverse("license_add"), {"profession": "RN", "state": "FL", "number": "   "})
    assert response.status_code == 400
    assert "Enter the license number" in response.text
    response = client.post(reverse("license_add"), {"profession": "XX", "state": "FL", "number": "1"})
    assert response.status_code == 400
    assert not License.objects.exists()


def test_first_license_becomes_primary_and_a_new_primary_demotes_the_old(client, other_learner):
    client.force_login(other_learner)
    client.post(reverse("license_add"), {"profession": "RN", "state": "FL", "number": "rn111"})
    first = License.objects.get()
    assert first.is_primary and first.number == "RN111"
    client.post(
        reverse("license_add"), {"profession": "APRN", "state": "NY", "number": "A222", "is_primary": "on"}
    )
    first.refresh_from_db()
    assert not first.is_primary
    assert License.objects.get(number="A222").is_primary
    assert License.objects.filter(user=other_learner, is_primary=True).count() == 1


def test_duplicate_license_is_refused(client, learner):
    client.force_login(learner)
    response = client.post(reverse("license_add"), {"profession": "RN", "state": "FL", "number": "RN1234567"})
    assert response.status_code == 400
    assert "already recorded" in response.text
    assert learner.licenses.count() == 1


def test_removing_the_primary_license_promotes_another(client, learner):
    second = LicenseFactory(user=learner, state="GA", number="G1", is_primary=False)
    client.force_login(learner)
    client.post(reverse("license_delete", args=[learner.licenses.get(is_primary=True).pk]))
    second.refresh_from_db()
    assert second.is_primary


def test_other_learners_license_is_404(client, learner, other_learner):
    license_ = learner.licenses.get()
    client.force_login(other_learner)
    assert client.get(reverse("license_edit", args=[license_.pk])).status_code == 404
    assert client.post(reverse("license_edit", args=[license_.pk]), {"number": "X"}).status_code == 404
    assert client.post(reverse("license_delete", args=[license_.pk])).status_code == 404
    assert License.objects.filter(pk=license_.pk, number="RN1234567").exists()


def test_license_delete_is_post_only(client, learner):
    client.force_login(learner)
    assert client.get(reverse("license_delete", args=[learner.licenses.get().pk])).status_code == 405


def test_role_groups_exist_after_migrate_with_their_permissions():
    authors = Group.objects.get(name=AUTHORS)
    board = Group.objects.get(name=CE_BOARD)
    author_perms = set(authors.permissions.values_list("codename", flat=True))
    board_perms = set(board.permissions.values_list("codename", flat=True))
    assert {"add_course", "change_course", "add_module", "change_module"} <= author_perms
    assert {"view_course", "view_enrollment"} <= board_perms
    assert not any(p.startswith(("add_", "change_", "delete_")) for p in board_perms)


def test_email_is_unique_without_case_at_the_database():
    from django.db import IntegrityError, transaction

    User.objects.create_user(email="case@example.com", password="x", first_name="A", last_name="B")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="CASE@example.com", password="x", first_name="A", last_name="B")
