"""A nurse signs up, adds a license, enrols, meets a locked module and completes the course."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COURSE = Path(__file__).resolve().parents[2] / "content" / "proximal-hamstring-tendinopathy"


@pytest.fixture
def shipped_course(transactional_db):
    call_command("load_course", str(COURSE), stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_signup_license_enrol_locked_module_complete_all_reaches_100_percent(page, shipped_course):
    page.goto("/")
    assert_accessible(page)
    page.get_by_role("link", name="Sign up").click()
    assert_accessible(page)
    page.get_by_label("Email address").fill("zoe@example.com")
    page.get_by_label("Legal first name").fill("Zoë")
    page.get_by_label("Legal last name").fill("Ångström-Nguyễn")
    page.get_by_label("Credentials").fill("RN, BSN")
    page.locator("#id_password1").fill("a-long-enough-passphrase")
    page.locator("#id_password2").fill("a-long-enough-passphrase")
    page.get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Add a license").click()
    assert_accessible(page)
    page.get_by_label("Profession").select_option("RN")
    page.get_by_label("State or territory of the license").select_option("FL")
    page.get_by_label("License number").fill("RN7654321")
    page.get_by_role("button", name="Save license").click()
    expect(page.get_by_text("No. RN7654321")).to_be_visible()

    page.get_by_role("link", name="Courses", exact=True).click()
    page.get_by_role("link", name=re.compile("View course")).first.click()
    assert_accessible(page)
    page.get_by_label("I have read the disclosures above").check()
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Overview")
    assert_accessible(page)

    # A module further on is locked and points back to the one that is open.
    first_module_url = page.url
    page.goto(first_module_url.replace("/modules/overview/", "/modules/treatment/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("is locked")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Go to the next open module")).click()
    assert page.url == first_module_url

    while True:
        button = page.get_by_role("button", name=re.compile("^Mark complete"))
        last = button.inner_text().strip() == "Mark complete"
        assert_accessible(page)
        button.click()
        if last:
            break
    expect(page.get_by_text("You have completed every module")).to_be_visible()

    page.get_by_role("link", name="My courses").click()
    expect(page.get_by_text(re.compile(r"6 of 6 modules \(100%\)"))).to_be_visible()
    assert_accessible(page)


def test_lesson_reads_with_javascript_off(browser, live_server, shipped_course, django_user_model):
    user = django_user_model.objects.create_user(
        email="nojs@example.com", password="a-long-enough-passphrase", first_name="No", last_name="Script"
    )
    assert user.pk
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("nojs@example.com")
    page.locator("#id_password").fill("a-long-enough-passphrase")
    page.get_by_role("button", name="Log in").click()
    page.goto("/courses/proximal-hamstring-tendinopathy/")
    page.get_by_label("I have read the disclosures above").check()
    page.get_by_role("button", name="Enrol").click()
    page.get_by_role("button", name=re.compile("^Mark complete")).click()
    expect(page.get_by_text("1 of 6 modules")).to_be_visible()
    context.close()
