"""After passing, a nurse evaluates, attests, downloads her certificate and verifies it at the printed URL."""

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from quizzes.models import Quiz
from tests.browser.conftest import assert_accessible
from tests.certificates.conftest import pass_post_test
from tests.factories import LicenseFactory, UserFactory, course_with_modules
from tests.quizzes.conftest import build_bank, complete_modules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def passed(transactional_db, live_server, settings):
    settings.SITE_URL = live_server.url
    course = course_with_modules(2, slug="hamstring", title="Hamstring course")
    quiz = Quiz.objects.create(course=course)
    build_bank(quiz)
    user = UserFactory(
        email="zoe@example.com", first_name="Zoë", last_name="Ångström-Nguyễn", credentials="RN"
    )
    LicenseFactory(user=user, state="FL", number="RN555")
    complete_modules(user, course)
    pass_post_test(user, quiz)
    return course, user


def test_evaluate_attest_download_and_verify(page, passed):
    course, user = passed
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.locator("#id_password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()

    page.goto(f"/courses/{course.slug}/")
    page.get_by_role("link", name=re.compile("Continue: Complete the evaluation")).click()
    expect(page.get_by_role("heading", name="Evaluate this activity")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Submit evaluation").click()  # empty: every missing answer is named
    expect(page.get_by_text("Please correct the answers marked below.")).to_be_visible()
    assert_accessible(page)
    for group in page.get_by_role("group").all():
        radio = group.get_by_role("radio").first
        if radio.count() and group.get_by_role("radio").count() in (2, 5):
            radio.check()
    page.get_by_label("What do you intend to change").fill("Screen for it in lower buttock pain.")
    page.get_by_role("button", name="Submit evaluation").click()

    expect(page.get_by_role("heading", name="Your certificate")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Minutes you spent on this activity").fill("55")
    page.get_by_label(re.compile("I attest that I completed")).check()
    page.get_by_role("button", name="Attest").click()
    page.get_by_role("button", name="Claim your certificate").click()
    expect(page.get_by_text(re.compile("Verification code"))).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download your certificate (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("certificate-CE-")
    text = PdfReader(io.BytesIO(Path(download.path()).read_bytes())).pages[0].extract_text()
    assert "Zoë Ångström-Nguyễn" in text
    url = re.search(r"https?://\S+/verify/[A-Z0-9]+/", text).group()

    page.goto(url)
    expect(page.get_by_role("heading", name="Valid certificate")).to_be_visible()
    expect(page.get_by_text("Zoë Ångström-Nguyễn")).to_be_visible()
    assert_accessible(page)

    page.goto("/dashboard/")
    expect(page.get_by_role("heading", name="Transcript")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as transcript_info:
        page.get_by_role("link", name="Download your transcript (PDF)").click()
    assert transcript_info.value.suggested_filename.startswith("transcript-")

    page.goto("/verify/")
    assert_accessible(page)
    page.get_by_label("Verification code").fill("NOTAREALCODE")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Not verified")).to_be_visible()
    assert_accessible(page)
