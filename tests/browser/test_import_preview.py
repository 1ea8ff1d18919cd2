"""An author uploads a Moodle XML bank, sees each question as learners will, and confirms: the
preview page passes axe-core at phone width and the import lands after the confirmation."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from accounts.roles import AUTHORS
from quizzes.models import Quiz
from tests.browser.conftest import assert_accessible
from tests.browser.test_post_test_flow import log_in
from tests.factories import UserFactory, course_with_modules
from tests.quizzes.test_import_admin import MOODLE, NEW_KINDS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_author_previews_every_kind_accessibly_then_confirms(page, transactional_db, tmp_path):
    quiz = Quiz.objects.create(course=course_with_modules(1, slug="hamstring", title="Hamstring course"))
    author = UserFactory(email="author@example.com", is_staff=True)
    author.groups.add(Group.objects.get(name=AUTHORS))
    bank = tmp_path / "bank.xml"
    # Both banks in one file: every kind we import from Moodle XML.
    bank.write_bytes(NEW_KINDS.replace(b"</quiz>", MOODLE.split(b"<quiz>", 1)[1]))
    log_in(page, author.email)
    page.goto(f"/admin/quizzes/quiz/{quiz.pk}/import-gift/")
    page.get_by_label("Question bank file").set_input_files(str(bank))
    page.get_by_label("Skip what cannot be imported").check()
    page.get_by_role("button", name="Check and import").click()
    expect(page.get_by_role("heading", name="Import preview")).to_be_visible()
    assert page.locator("#import-previews section").count() == 8
    assert_accessible(page)
    assert quiz.questions.count() == 0
    page.get_by_role("button", name="Import 8 questions").click()
    expect(page.get_by_text("Imported 8 questions")).to_be_visible()
    assert quiz.questions.count() == 8
