"""The shipped course's diagrams as a nurse meets them: on a phone (375 px) and a desktop (1280 px).

Each lesson with a diagram: the image loads, fits the screen without sideways scroll, its long
description opens, and axe-core finds nothing. Screenshots of each lesson and each figure are kept
as test artifacts in `<pytest basetemp>/artifacts/lesson-diagrams/` (pass `--basetemp=DIR` to
keep them in a known place; README "Diagrams in the shipped course").
"""

import tomllib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from modules.models import Course
from modules.services import module_complete
from tests.browser.conftest import assert_accessible
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COURSE = Path(__file__).resolve().parents[2] / "content" / "proximal-hamstring-tendinopathy"
PASSWORD = "correct-horse-battery"
# The lessons that place a diagram, and the diagrams each one places (images.toml keys).
LESSONS = {
    "anatomy-and-mechanism": ["hamstring-origin", "hamstring-load"],
    "examination-and-imaging": ["exam-test-positions"],
    "treatment": ["treatment-ladder"],
}
IMAGES = {image["key"]: image for image in tomllib.loads((COURSE / "images.toml").read_text())["image"]}


@pytest.fixture
def artifacts(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / "artifacts" / "lesson-diagrams"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def nurse_with_every_module_open(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_course", str(COURSE), stdout=StringIO())
    course = Course.objects.get(slug="proximal-hamstring-tendinopathy")
    nurse = UserFactory(email="alice@example.com")
    enrollment = EnrollmentFactory(user=nurse, course=course)
    # Modules open in order; completing them all lets the test visit any lesson directly.
    for module in course.modules.order_by("position"):
        module_complete(enrollment=enrollment, module=module)
    return nurse


def log_in(page, email):
    page.goto(reverse("login"))
    page.get_by_label("Email address").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.parametrize("width", [375, 1280])
def test_each_lesson_diagram_loads_fits_opens_its_description_and_passes_axe(
    page, nurse_with_every_module_open, artifacts, width
):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, nurse_with_every_module_open.email)
    for lesson, keys in LESSONS.items():
        page.goto(reverse("module_detail", args=["proximal-hamstring-tendinopathy", lesson]))
        for key in keys:
            image = page.get_by_role("img", name=IMAGES[key]["alt"], exact=True)
            expect(image).to_be_visible()
            image.scroll_into_view_if_needed()
            image.evaluate("img => img.complete || new Promise(done => img.addEventListener('load', done))")
            natural_width, shown_width, right = image.evaluate(
                "img => [img.naturalWidth, img.getBoundingClientRect().width, img.getBoundingClientRect().right]"
            )
            assert natural_width > 0, f"{key} did not load"
            assert 0 < shown_width <= width and right <= width, (key, shown_width, right)

            figure = page.locator("figure", has=image)
            expect(figure.locator("figcaption")).to_contain_text(IMAGES[key]["source"].split(";")[0])
            details = figure.locator("details")
            expect(details).not_to_have_attribute("open", "")
            details.locator("summary").click()
            expect(details).to_have_attribute("open", "")
            first_words = " ".join(IMAGES[key]["long_description"].split()[:4]).replace("**", "")
            expect(details).to_contain_text(first_words)
            figure.screenshot(path=str(artifacts / f"{key}-{width}px.png"))

        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{lesson} scrolls sideways at {width} px by {overflow} px"
        assert_accessible(page)  # axe-core with every description open
        page.screenshot(path=str(artifacts / f"{lesson}-{width}px.png"), full_page=True)
    assert len(list(artifacts.glob(f"*-{width}px.png"))) == len(LESSONS) + len(IMAGES)
