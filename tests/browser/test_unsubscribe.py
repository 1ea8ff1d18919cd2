"""In a phone-sized browser: the unsubscribe link from an email asks first, then unsubscribes; the
profile's reminder settings turn it back on. Every page passes axe-core."""

from datetime import date

import pytest
from playwright.sync_api import expect

from reminders.models import ReminderOptOut
from reminders.tasks import unsubscribe_url
from tests.browser.conftest import assert_accessible
from tests.conftest import PASSWORD
from tests.factories import LicenseFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_unsubscribe_from_the_email_then_opt_back_in_on_the_profile(page, live_server, settings):
    settings.SITE_URL = live_server.url
    nurse = UserFactory(email="zoe@example.com", first_name="Zoë")
    LicenseFactory(user=nurse, renewal_date=date(2027, 1, 31))
    page.goto(unsubscribe_url(user=nurse, category="courses"))
    expect(page.get_by_role("heading", name="Unsubscribe from reminders")).to_be_visible()
    assert_accessible(page)
    assert not ReminderOptOut.objects.exists()
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    assert_accessible(page)
    assert list(ReminderOptOut.objects.values_list("category", flat=True)) == ["courses"]

    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("zoe@example.com")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/accounts/profile/")
    courses = page.get_by_label("Courses I have started (idle course, course about to expire)")
    expect(courses).not_to_be_checked()
    assert_accessible(page)
    courses.check()
    page.get_by_role("button", name="Save reminder settings").click()
    expect(page.get_by_text("Your reminder settings are saved.")).to_be_visible()
    assert not ReminderOptOut.objects.exists()

    page.goto("/reminders/unsubscribe/altered-token/")
    expect(page.get_by_role("heading", name="This unsubscribe link is not valid")).to_be_visible()
    assert_accessible(page)
