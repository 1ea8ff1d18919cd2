"""A nurse takes the post-test in Chromium: fails, retakes, orders treatment steps by keyboard, passes."""

import re

import pytest
from playwright.sync_api import expect

from quizzes.models import Attempt, Quiz
from tests.browser.conftest import assert_accessible
from tests.factories import UserFactory, course_with_modules
from tests.quizzes.conftest import build_bank, complete_modules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ready(transactional_db):
    course = course_with_modules(2, slug="hamstring", title="Hamstring course")
    quiz = Quiz.objects.create(course=course, shuffle_questions=True, shuffle_choices=True)
    build_bank(quiz)
    user = UserFactory(email="nurse@example.com")
    complete_modules(user, course)
    return course, user


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.locator("#id_password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()


def answer_key_absent(page):
    html = page.content()
    for marker in (
        "is_correct",
        "correct_order",
        "correct_ids",
        "points_awarded",
        'Under 38% relieved at six months"',
    ):
        assert marker not in html


def answer(page, attempt, *, correctly):
    for row in attempt.questions.all():
        key, name = row.key, f"q{row.pk}"
        kind = key["kind"]
        if kind in ("single", "true_false"):
            choice = (
                key["correct_ids"][0]
                if correctly
                else next(c for c in key["choice_ids"] if c not in key["correct_ids"])
            )
            page.locator(f"#{name}-{choice}").check()
        elif kind == "multiple" and correctly:
            for choice in key["correct_ids"]:
                page.locator(f"#{name}-{choice}").check()
        elif kind == "ordering" and correctly:
            order_by_keyboard(page, row)
        elif kind == "matching" and correctly:
            for prompt, target in key["matches"].items():
                page.locator(f"#{name}-match-{prompt}").select_option(target)


def order_by_keyboard(page, row):
    """Put the items in the key's order using only the Move up buttons and the Enter key."""
    target = row.key["correct_order"]
    fieldset = page.locator(f"#question-{row.position}")
    for index, item in enumerate(target):
        while True:
            shown = [
                li.get_attribute("id") or li.locator("select").get_attribute("name").rsplit("-", 1)[-1]
                for li in fieldset.locator("li.ordering-item").all()
            ]
            current = shown.index(item)
            if current == index:
                break
            fieldset.locator(f"li:has(select[name='q{row.pk}-pos-{item}']) button[data-direction=up]").focus()
            page.keyboard.press("Enter")
    selects = [fieldset.locator(f"select[name='q{row.pk}-pos-{item}']").input_value() for item in target]
    assert selects == [str(n) for n in range(1, len(target) + 1)]


def test_fail_retake_and_pass_with_keyboard_ordering(page, ready):
    course, user = ready
    log_in(page, user.email)
    page.goto(f"/courses/{course.slug}/post-test/")
    assert_accessible(page)
    page.get_by_role("button", name="Start the post-test").click()
    expect(page.get_by_role("heading", name="Attempt 1")).to_be_visible()
    assert_accessible(page)
    answer_key_absent(page)

    first = Attempt.objects.get(user=user, number=1)
    answer(page, first, correctly=False)
    page.get_by_role("button", name="Save and review before submitting").click()
    expect(page.get_by_role("heading", name=re.compile("Ready to submit"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"\d questions? unanswered"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Submit attempt 1").click()
    expect(page.get_by_role("heading", name="Attempt 1: not passed")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="try again").click()
    page.get_by_role("button", name="Start attempt 2").click()
    second = Attempt.objects.get(user=user, number=2)
    answer(page, second, correctly=True)
    page.get_by_role("button", name="Save and review before submitting").click()
    expect(page.get_by_text("You have answered every question.")).to_be_visible()
    page.get_by_role("button", name="Submit attempt 2").click()
    expect(page.get_by_role("heading", name="Attempt 2: passed")).to_be_visible()
    expect(page.get_by_text("(100%)")).to_be_visible()
    assert_accessible(page)


def test_answers_autosave_and_survive_a_reload(page, ready):
    course, user = ready
    log_in(page, user.email)
    page.goto(f"/courses/{course.slug}/post-test/")
    page.get_by_role("button", name="Start the post-test").click()
    attempt = Attempt.objects.get(user=user)
    row = attempt.questions.get(question__key="tf")
    page.locator(f"#q{row.pk}-{row.key['correct_ids'][0]}").check()
    expect(page.get_by_text("Answers saved.")).to_be_visible()
    page.reload()
    expect(page.locator(f"#q{row.pk}-{row.key['correct_ids'][0]}")).to_be_checked()


def test_ordering_works_with_javascript_off(browser, live_server, ready):
    course, user = ready
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    log_in(page, user.email)
    page.goto(f"/courses/{course.slug}/post-test/")
    page.get_by_role("button", name="Start the post-test").click()
    attempt = Attempt.objects.get(user=user)
    row = attempt.questions.get(question__key="order")
    assert page.locator("button.ordering-move").count() == 0
    for position, item in enumerate(row.key["correct_order"], start=1):
        page.locator(f"#q{row.pk}-pos-{item}").select_option(str(position))
    page.get_by_role("button", name="Save answers").click()
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()
    row.refresh_from_db()
    assert row.response == row.key["correct_order"]
    context.close()
