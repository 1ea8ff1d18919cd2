"""A question whose stem places a figure: the attempt page passes axe-core at 375 px, the group a
screen reader announces is named by the question's number and its stem, and the radios are reached
with the keyboard."""

import pytest
from playwright.sync_api import expect

from modules.images import SVG, clean_image
from modules.models import Image
from modules.services import image_save
from quizzes.models import Choice, Question, Quiz
from tests.browser.conftest import assert_accessible
from tests.browser.test_post_test_flow import log_in
from tests.factories import UserFactory, course_with_modules
from tests.modules.image_fixtures import LABELLED_SVG
from tests.quizzes.conftest import complete_modules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ready(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    course = course_with_modules(2, slug="hamstring", title="Hamstring course")
    quiz = Quiz.objects.create(course=course, shuffle_questions=False, shuffle_choices=False)
    image_save(
        image=Image(key="marked-structure", alt_text="A thigh with one structure marked by an arrow."),
        clean=clean_image(LABELLED_SVG, SVG),
    )
    question = Question.objects.create(
        quiz=quiz,
        key="which",
        kind="single",
        topic="anatomy",
        stem_markdown="Which structure is marked?\n\n[[image:marked-structure]]",
        rationale_markdown="The arrow points at the origin.",
    )
    Choice.objects.create(question=question, position=1, text="Ischial tuberosity", is_correct=True)
    Choice.objects.create(question=question, position=2, text="Greater trochanter")
    user = UserFactory(email="nurse@example.com")
    complete_modules(user, course)
    return course, user


def test_a_question_with_a_figure_is_a_named_group_with_the_figure_outside_its_legend(page, ready):
    course, user = ready
    log_in(page, user.email)
    page.goto(f"/courses/{course.slug}/post-test/")
    page.get_by_role("button", name="Start the post-test").click()
    expect(page.get_by_role("heading", name="Attempt 1")).to_be_visible()
    assert_accessible(page)
    group = page.get_by_role("group", name="Question 1 Which structure is marked?")
    expect(group).to_be_visible()
    expect(group.get_by_role("img", name="A thigh with one structure marked by an arrow.")).to_be_visible()
    expect(page.locator("legend figure")).to_have_count(0)
    group.get_by_role("radio", name="Ischial tuberosity").focus()
    page.keyboard.press("ArrowDown")
    expect(group.get_by_role("radio", name="Greater trochanter")).to_be_checked()
