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


def start_attempt(page, course, user):
    log_in(page, user.email)
    page.goto(f"/courses/{course.slug}/post-test/")
    page.get_by_role("button", name="Start the post-test").click()
    # The script marks the form once its handlers are bound: a change made before would not be saved.
    page.locator("#attempt-form[data-autosave-ready]").wait_for(state="attached")
    return Attempt.objects.get(user=user)


def autosave_of(page, field_name):
    """Wait for the answer to the autosave request that carries `field_name` (the whole form is
    posted, so a field of the last change made means every change before it is in that request)."""
    return page.expect_response(
        lambda response: (
            response.request.method == "POST"
            and response.request.headers.get("x-requested-with") == "fetch"
            and f'name="{field_name}"' in (response.request.post_data or "")
        )
    )


def test_answers_autosave_and_survive_a_reload(page, ready):
    course, user = ready
    attempt = start_attempt(page, course, user)
    row = attempt.questions.get(question__key="tf")
    choice = row.key["correct_ids"][0]
    with autosave_of(page, f"q{row.pk}") as saved:
        page.locator(f"#q{row.pk}-{choice}").check()
    assert saved.value.status == 200
    row.refresh_from_db()
    assert row.response == choice  # on the server, not a message on the page
    page.reload()
    expect(page.locator(f"#q{row.pk}-{choice}")).to_be_checked()


def test_a_half_ordered_question_does_not_stop_another_answer_being_autosaved(page, ready):
    """Found item 1: one position of a four-item ordering set, then another question answered."""
    course, user = ready
    attempt = start_attempt(page, course, user)
    order = attempt.questions.get(question__key="order")
    tf = attempt.questions.get(question__key="tf")
    item = order.snapshot["items"][0]["id"]
    choice = tf.key["correct_ids"][0]
    page.locator(f"#q{order.pk}-pos-{item}").select_option("2")
    with autosave_of(page, f"q{tf.pk}") as saved:
        page.locator(f"#q{tf.pk}-{choice}").check()
    assert saved.value.status == 200
    assert saved.value.json()["incomplete"] == [order.position]
    tf.refresh_from_db()
    order.refresh_from_db()
    assert tf.response == choice
    assert order.response == {"incomplete": {item: 2}}
    expect(page.locator("[data-save-status]")).to_contain_text(f"Question {order.position} is not finished")

    page.reload()
    expect(page.locator(f"#q{tf.pk}-{choice}")).to_be_checked()
    for other in order.snapshot["items"]:
        expect(page.locator(f"#q{order.pk}-pos-{other['id']}")).to_have_value(
            "2" if other["id"] == item else ""
        )
    expect(page.locator(f"#question-{order.position} [data-question-incomplete]")).to_be_visible()


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
