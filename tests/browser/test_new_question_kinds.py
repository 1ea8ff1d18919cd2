"""A nurse answers numerical, short-answer, missing-word and partial-credit questions with the
keyboard only, on a phone-width screen; every page passes axe-core."""

import re

import pytest
from playwright.sync_api import expect

from quizzes.models import Attempt, Quiz, ReviewPolicy
from tests.browser.conftest import assert_accessible
from tests.browser.test_post_test_flow import log_in
from tests.factories import UserFactory, course_with_modules
from tests.quizzes.conftest import complete_modules
from tests.quizzes.test_new_question_kinds import build_new_kinds

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 80


@pytest.fixture
def ready(transactional_db):
    course = course_with_modules(2, slug="hamstring", title="Hamstring course")
    quiz = Quiz.objects.create(
        course=course, shuffle_questions=False, shuffle_choices=False, review_policy=ReviewPolicy.ALWAYS
    )
    build_new_kinds(quiz)
    user = UserFactory(email="nurse@example.com")
    complete_modules(user, course)
    return course, user


def tab_to(page, element_id):
    """Press Tab until the element has the focus: it is reachable by keyboard, in the page's order."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} was not reached with the Tab key")


def test_a_learner_answers_each_new_kind_with_the_keyboard_at_375_px(page, ready):
    course, user = ready
    log_in(page, user.email)
    page.goto(f"/courses/{course.slug}/post-test/")
    page.get_by_role("button", name="Start the post-test").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Attempt 1")).to_be_visible()
    page.locator("#attempt-form[data-autosave-ready]").wait_for(state="attached")
    assert page.viewport_size["width"] == 375
    assert_accessible(page)
    rows = {row.question.key: row for row in Attempt.objects.get().questions.select_related("question")}

    # Numerical with units: a decimal comma and the unit, typed.
    tab_to(page, f"q{rows['dose'].pk}")
    page.keyboard.type("2,5 mg")
    # Numerical without units: first something that is not a number.
    tab_to(page, f"q{rows['relief'].pk}")
    page.keyboard.type("thirty-eight")
    tab_to(page, f"q{rows['bone'].pk}")
    page.keyboard.type("Ischial tuberosity")
    # Missing word offered as a list: the select inside the sentence, moved with the arrow keys.
    tab_to(page, f"q{rows['tendon'].pk}")
    page.keyboard.press("ArrowDown")
    expect(page.locator(f"#q{rows['tendon'].pk}")).not_to_have_value("")
    tab_to(page, f"q{rows['exercise'].pk}")
    page.keyboard.type("eccentric")
    # Partial-credit single choice: Tab into the radio group, arrows pick "Half".
    half = next(c["id"] for c in rows["partial"].snapshot["choices"] if c["text"] == "Half")
    tab_to(page, f"q{rows['partial'].pk}-{next(c['id'] for c in rows['partial'].snapshot['choices'])}")
    page.keyboard.press("ArrowDown")
    expect(page.locator(f"#q{rows['partial'].pk}-{half}")).to_be_checked()

    # The save says what it could not read, next to the question, linked to its input.
    page.get_by_role("button", name="Save answers").focus()
    page.keyboard.press("Enter")
    relief = page.locator(f"#q{rows['relief'].pk}")
    expect(page.locator(f"#error-{rows['relief'].pk}")).to_contain_text("“thirty-eight” is not a number")
    expect(relief).to_have_attribute("aria-describedby", re.compile(f"error-{rows['relief'].pk}"))
    expect(relief).to_have_value("thirty-eight")
    assert_accessible(page)

    relief.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("38")
    page.get_by_role("button", name="Save and review before submitting").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("You have answered every question.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Submit attempt 1").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Attempt 1: "))).to_be_visible()
    expect(page.get_by_text("2.5 ± 0.1 mg")).to_be_visible()
    assert_accessible(page)
    attempt = Attempt.objects.get()
    # Everything right but the partial-credit choice (Half: 50%): 5.5 of 6.
    assert attempt.score == 5.5
