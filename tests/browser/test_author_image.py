"""An author uploads an image in the admin and places it in a lesson; the learner sees it, and sees
the image a post-test question places."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import AUTHORS
from modules.images import PNG, clean_image
from modules.models import Image
from modules.services import image_save
from quizzes.models import Quiz
from tests.browser.conftest import assert_accessible
from tests.factories import EnrollmentFactory, UserFactory, course_with_modules
from tests.modules.image_fixtures import png_bytes
from tests.quizzes.conftest import complete_modules, make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    course = course_with_modules(2, slug="hamstring", title="Hamstring course")
    author = UserFactory(email="author@example.com", is_staff=True)
    author.groups.add(Group.objects.get(name=AUTHORS))
    learner = UserFactory(email="alice@example.com")
    EnrollmentFactory(user=learner, course=course)
    picture = tmp_path / "tuberosity.png"
    picture.write_bytes(png_bytes(size=(640, 480), color=(20, 60, 140)))
    return {"course": course, "picture": picture}


def log_in(page, email):
    page.context.clear_cookies()
    page.goto(reverse("login"))
    page.get_by_label("Email address").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_author_uploads_with_alt_text_places_it_and_the_learner_sees_it(page, world):
    log_in(page, "author@example.com")
    page.goto(reverse("admin:modules_image_add"))
    page.locator("#id_key").fill("tuberosity-photo")
    page.locator("#id_upload").set_input_files(str(world["picture"]))

    # Without alt text (and not marked decorative) the form refuses, with a 400.
    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        page.get_by_role("button", name="Save", exact=True).click()
    assert refused.value.status == 400
    expect(page.get_by_text("Describe the image for readers who cannot see it")).to_be_visible()
    assert not Image.objects.exists()

    page.locator("#id_upload").set_input_files(str(world["picture"]))
    page.locator("#id_alt_text").fill("The ischial tuberosity, marked with a blue square.")
    page.locator("#id_caption").fill("Where the hamstrings start")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()

    module = world["course"].modules.get(slug="m1")
    page.goto(reverse("admin:modules_module_change", args=[module.pk]))
    page.locator("#id_body_markdown").fill("Look at the picture.\n\n[[image:tuberosity-photo]]\n")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()

    log_in(page, "alice@example.com")
    page.goto(reverse("module_detail", args=["hamstring", "m1"]))
    image = page.get_by_role("img", name="The ischial tuberosity, marked with a blue square.")
    expect(image).to_be_visible()
    image.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('figure.figure img').complete")
    natural = image.evaluate(
        "img => [img.naturalWidth, img.naturalHeight, img.getBoundingClientRect().width]"
    )
    assert natural[0] == 640 and natural[1] == 480
    assert natural[2] <= 375  # scaled down to the phone's width
    expect(page.locator("figure.figure figcaption")).to_have_text("Where the hamstrings start")
    assert_accessible(page)  # includes: no sideways scroll at 375 px


def test_learner_sees_the_image_a_question_stem_places(page, world):
    course = world["course"]
    image_save(
        image=Image(key="marked", alt_text="A thigh with the ischial tuberosity marked by an arrow."),
        clean=clean_image(world["picture"].read_bytes(), PNG),
    )
    quiz = Quiz.objects.create(course=course, shuffle_questions=False, shuffle_choices=False)
    make_question(
        quiz,
        "which",
        "single",
        stem="Which structure is marked?\n\n[[image:marked]]",
        choices=[{"text": "Ischial tuberosity", "is_correct": True}, {"text": "Greater trochanter"}],
    )
    learner = User.objects.get(email="alice@example.com")
    complete_modules(learner, course)

    log_in(page, learner.email)
    page.goto(f"/courses/{course.slug}/post-test/")
    page.get_by_role("button", name="Start the post-test").click()
    image = page.get_by_role("img", name="A thigh with the ischial tuberosity marked by an arrow.")
    expect(image).to_be_visible()
    page.wait_for_function("() => document.querySelector('figure.figure img').complete")
    assert image.evaluate("img => img.naturalWidth") == 640
    assert_accessible(page)
