"""An author makes a course from an uploaded article in the admin, reorders it, publishes; a nurse takes it."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import expect

from accounts.roles import AUTHORS
from modules.models import Course
from tests.browser.conftest import assert_accessible
from tests.factories import ProviderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
ARTICLE = """# Pressure injuries

Why they matter.

## Risk assessment
Use the Braden scale on admission.

## Repositioning
Turn patients at least every two hours.

## Documentation
Record the stage and size.
"""


@pytest.fixture
def world(transactional_db, tmp_path):
    ProviderFactory(legal_name="Gulf Coast Nursing Education")
    author = UserFactory(email="author@example.com", is_staff=True)
    author.groups.add(Group.objects.get(name=AUTHORS))
    UserFactory(email="alice@example.com")
    article = tmp_path / "pressure-injuries.md"
    article.write_text(ARTICLE, encoding="utf-8")
    return {"article": article}


def log_in(page, email):
    page.context.clear_cookies()
    page.goto(reverse("login"))
    page.get_by_label("Email address").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_author_creates_a_course_from_an_article_reorders_publishes_and_a_nurse_takes_it(page, world):
    log_in(page, "author@example.com")
    page.goto(reverse("admin:modules_course_changelist"))
    page.get_by_role("link", name="New course from an article").click()
    assert_accessible(page)

    page.get_by_label("Article:").set_input_files(str(world["article"]))
    page.get_by_label("Slug:").fill("pressure-injuries")
    page.get_by_role("button", name="Preview the modules").click()
    expect(page.locator("#module-preview tbody tr")).to_have_count(3)
    assert_accessible(page)

    # Documentation first: give it order 1 (ties keep the article's order).
    page.get_by_label("Order of module 3").fill("1")
    page.get_by_label("Title of module 2").fill("Turning and repositioning")
    page.get_by_role("button", name="Save as a draft course").click()
    expect(page.get_by_text("3 modules saved as an unpublished draft")).to_be_visible()

    course = Course.objects.get(slug="pressure-injuries")
    assert [m.title for m in course.modules.order_by("position")] == [
        "Documentation",
        "Risk assessment",
        "Turning and repositioning",
    ]
    page.get_by_label("Published").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()

    log_in(page, "alice@example.com")
    page.goto(reverse("catalogue"))
    page.get_by_role("link", name="Pressure injuries").first.click()
    expect(page.get_by_text("Gulf Coast Nursing Education").first).to_be_visible()
    page.get_by_label("I have read the disclosures above").check()
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_role("heading", name="Documentation")).to_be_visible()
    expect(page.get_by_text("Record the stage and size.")).to_be_visible()
