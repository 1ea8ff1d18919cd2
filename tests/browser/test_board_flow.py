"""A CE board reviewer filters completions by state, sees the charts and downloads the CSV and roster."""

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from quizzes.models import Quiz
from tests.browser.conftest import assert_accessible
from tests.certificates.conftest import finish_course, pass_post_test
from tests.factories import LicenseFactory, UserFactory, course_with_modules
from tests.quizzes.conftest import build_bank, complete_modules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def completions(transactional_db):
    from django.contrib.auth.models import Group

    course = course_with_modules(
        2,
        slug="hamstring",
        title="Hamstring course",
        ce_broker_course_number="20-123456",
        provider__approval_number="50-9876",
    )
    quiz = Quiz.objects.create(course=course)
    build_bank(quiz)
    for n, state in enumerate(["FL", "FL", "GA"]):
        nurse = UserFactory(email=f"nurse{n}@example.com", last_name=f"Nurse{n}")
        LicenseFactory(user=nurse, state=state, number=f"{state}{n}000")
        complete_modules(nurse, course)
        pass_post_test(nurse, quiz)
        finish_course(nurse, course)
    reviewer = UserFactory(email="reviewer@example.com")
    reviewer.groups.add(Group.objects.get(name="CE board"))
    return course, reviewer


def test_board_reviewer_filters_sees_charts_and_downloads(page, completions):
    _course, reviewer = completions
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(reviewer.email)
    page.locator("#id_password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Completion report")).to_be_visible()
    expect(page.get_by_text("3 certificates, newest completion first")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("License state").select_option("FL")
    page.get_by_role("button", name="Apply filter").click()
    expect(page.get_by_text("2 certificates, newest completion first")).to_be_visible()
    expect(page.locator("svg[role=img]")).to_have_count(2)
    assert "GA2000" not in page.content()
    assert_accessible(page)

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="CSV", exact=True).click()
    text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    assert text.count("\n") == 3 and "FL0000" in text and "GA2000" not in text

    with page.expect_download() as roster_download:
        page.get_by_role("link", name=re.compile("CE Broker roster")).click()
    sheet = load_workbook(io.BytesIO(Path(roster_download.value.path()).read_bytes())).active
    numbers = [row[4] for row in sheet.iter_rows(values_only=True)]
    assert sorted(n for n in numbers if n) == ["FL0000", "FL1000"]

    page.get_by_role("link", name="item statistics").click()
    expect(page.get_by_role("heading", name="Item statistics")).to_be_visible()
    assert_accessible(page)
