"""A nurse downloads her Open Badges credential and the badge that carries it, from her certificate page."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from certificates.models import Certificate
from quizzes.models import Quiz
from tests.browser.conftest import assert_accessible
from tests.certificates.conftest import finish_course, pass_post_test
from tests.credentials.conftest import published_jwks, verify_vc_jwt
from tests.credentials.test_downloads import png_itxt_chunks
from tests.factories import LicenseFactory, UserFactory, course_with_modules
from tests.quizzes.conftest import build_bank, complete_modules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def certified(transactional_db, live_server, settings):
    settings.SITE_URL = live_server.url
    course = course_with_modules(2, slug="hamstring", title="Hamstring course")
    quiz = Quiz.objects.create(course=course)
    build_bank(quiz)
    user = UserFactory(email="zoe@example.com", first_name="Zoë", last_name="Nguyễn", credentials="RN")
    LicenseFactory(user=user, state="FL", number="RN555")
    complete_modules(user, course)
    pass_post_test(user, quiz)
    return course, user, finish_course(user, course)


def test_nurse_downloads_her_credential_json_and_baked_badge(page, certified, client):
    course, user, certificate = certified
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.locator("#id_password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/courses/{course.slug}/certificate/")
    expect(page.get_by_role("heading", name="Your digital credential (Open Badges 3.0)")).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Credential (JSON)").click()
    download = download_info.value
    assert download.suggested_filename == f"credential-{certificate.serial}.json"
    credential = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["credentialSubject"]["achievement"]["name"] == "Hamstring course"

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Badge image with the credential inside (PNG)").click()
    badge = Path(download_info.value.path()).read_bytes()
    token = png_itxt_chunks(badge)["openbadgecredential"]
    stored = Certificate.objects.get(pk=certificate.pk).credential
    assert token == stored.jws
    # The badge alone is enough: its token verifies with the site's published keys.
    assert verify_vc_jwt(token, published_jwks(client))["id"] == credential["id"]
