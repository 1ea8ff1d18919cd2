"""One-click unsubscribe without logging in, only for its own address; preferences on the profile."""

from datetime import date

from django.core import signing
from django.test import Client

from reminders.models import Category, ReminderOptOut
from reminders.tokens import SALT, unsubscribe_token
from tests.conftest import login
from tests.factories import CourseFactory, course_with_modules
from tests.reminders.conftest import START, days, enrol, noon, unsubscribe_path


def far_course(**kwargs):
    return course_with_modules(1, release_date=date(2025, 1, 1), expiry_date=date(2029, 1, 1), **kwargs)


def idle_email(learner, clock, run_reminders):
    enrol(learner, far_course(), noon(START))
    (email,) = run_reminders(START + days(14), clock)
    return email


def opted_out(user):
    return set(ReminderOptOut.objects.filter(user=user).values_list("category", flat=True))


def test_get_asks_and_changes_nothing_post_unsubscribes_without_logging_in(learner, clock, run_reminders):
    path = unsubscribe_path(idle_email(learner, clock, run_reminders))
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(path)
    assert page.status_code == 200
    assert "alice@example.com" in page.text and '<form method="post"' in page.text
    assert opted_out(learner) == set()  # a link scanner's GET unsubscribes no one
    done = anonymous.post(path)
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert opted_out(learner) == {"courses"}
    assert anonymous.post(path).status_code == 200  # twice is fine


def test_mail_clients_one_click_post_unsubscribes(learner, clock, run_reminders):
    email = idle_email(learner, clock, run_reminders)
    # RFC 8058: the client POSTs this body to the List-Unsubscribe URL, with no cookie and no CSRF token.
    response = Client(enforce_csrf_checks=True).post(
        unsubscribe_path(email),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert opted_out(learner) == {"courses"}


def test_a_token_unsubscribes_only_its_own_address(learner, other_learner, clock, run_reminders):
    path = unsubscribe_path(idle_email(learner, clock, run_reminders))
    client = login(Client(), other_learner)
    client.post(path)  # bob opening alice's link unsubscribes alice, never bob
    assert opted_out(other_learner) == set()
    assert opted_out(learner) == {"courses"}


def test_tampered_or_foreign_tokens_are_refused_with_a_400_page(learner, other_learner, clock, run_reminders):
    path = unsubscribe_path(idle_email(learner, clock, run_reminders))
    token = path.rstrip("/").rsplit("/", 1)[-1]
    forged = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature altered
        unsubscribe_token(user_id=learner.pk, email="bob@example.com", category="courses")[:-1] + "x",
        signing.dumps(
            {"u": other_learner.pk, "e": "bob@example.com", "c": "courses"}, salt="another-purpose"
        ),
        signing.dumps({"u": learner.pk, "e": "alice@example.com", "c": "everything"}, salt=SALT),
        # Signed for bob's id but alice's address: the address must be the account's own.
        signing.dumps({"u": other_learner.pk, "e": "alice@example.com", "c": "courses"}, salt=SALT),
        "not-a-token",
    ]
    for bad in forged:
        for method in ("get", "post"):
            response = getattr(Client(), method)(f"/reminders/unsubscribe/{bad}/")
            assert response.status_code == 400, (bad, method)
            assert "This unsubscribe link is not valid" in response.text
    assert ReminderOptOut.objects.count() == 0


def test_a_link_stops_working_once_the_account_email_changes(learner, clock, run_reminders):
    path = unsubscribe_path(idle_email(learner, clock, run_reminders))
    learner.email = "alice.new@example.com"
    learner.save()
    assert Client().post(path).status_code == 400
    assert opted_out(learner) == set()


def test_unsubscribed_reminders_are_not_sent_and_other_categories_are(author, clock, run_reminders):
    expiry = START + days(90)
    CourseFactory(title="Falls", release_date=date(2025, 1, 1), expiry_date=expiry)
    enrol(author, far_course(title="Burns"), noon(START - days(14)))
    ReminderOptOut.objects.create(user=author, category=Category.COURSES)
    emails = run_reminders(START, clock)
    assert [e.subject for e in emails] == ["Falls expires in 90 days"]  # authoring still on, courses off


def test_profile_shows_preferences_and_opting_back_in_brings_reminders_again(learner, clock, run_reminders):
    ReminderOptOut.objects.create(user=learner, category=Category.COURSES)
    enrol(learner, far_course(title="Burns"), noon(START))
    assert run_reminders(START + days(14), clock) == []
    client = login(Client(), learner)
    page = client.get("/accounts/profile/")
    assert 'id="reminder-courses"' in page.text
    assert 'value="courses" id="reminder-courses">' in page.text  # not checked
    assert 'value="renewal" id="reminder-renewal" checked>' in page.text
    response = client.post("/accounts/profile/reminders/", {"receive": ["courses", "renewal", "authoring"]})
    assert response.status_code == 302
    assert opted_out(learner) == set()
    assert [e.subject for e in run_reminders(START + days(30), clock)] == ["Still interested in Burns?"]
    client = login(Client(), learner)  # the session of 16 days ago has expired
    client.post("/accounts/profile/reminders/", {"receive": ["renewal"]})
    assert opted_out(learner) == {"courses", "authoring"}


def test_preferences_need_a_login(learner):
    response = Client().post("/accounts/profile/reminders/", {"receive": []})
    assert response.status_code == 302 and "/login" in response["Location"]
    assert opted_out(learner) == set()
