"""Every page a learner, a board reviewer and a visitor can reach fits a 375 px phone, long names included.

The learner's email, legal names and credentials are over 60 characters with no space to break at;
her license number is the longest the model holds (40 characters). Nothing may scroll sideways.
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import License
from certificates.services import evaluation_submit
from quizzes import services as quiz_services
from quizzes.models import Attempt, Quiz
from tests.certificates.conftest import EVALUATION, finish_course, pass_post_test
from tests.factories import EnrollmentFactory, LicenseFactory, UserFactory, course_with_modules
from tests.quizzes.conftest import build_bank, complete_modules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
LONG_EMAIL = "florence.nightingale.seacole.barton.henderson@royal-infirmary.example.org"
LONG_FIRST = "Maximiliana-Alexandrina-Konstantina-Wilhelmina-Bartholomea-Anne"
LONG_LAST = "Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh-Cholmondeley"
LONG_CREDENTIALS = "RN,BSN,MSN,CCRN,CEN,CPEN,TCRN,NE-BC,FAEN,FAAN,CNL,CNS,APRN,FNP-BC"
LONG_LICENSE = "RN-" + "1234567890" * 3 + "-ABCDEF"  # License.number holds 40 characters at most

OVERFLOW = """() => ({
    over: document.documentElement.scrollWidth - window.innerWidth,
    // The innermost elements whose content spills past their own box or past the window.
    culprits: [...document.querySelectorAll('body *')]
        .filter(el => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible'
                      || el.getBoundingClientRect().right > window.innerWidth + 1)
        .filter(el => el.children.length === 0)
        .slice(0, 4)
        .map(el => el.tagName + '.' + el.className + ' ' + (el.textContent || '').trim().slice(0, 30)),
})"""


def test_the_long_persona_is_as_long_as_the_fields_allow():
    assert min(len(LONG_EMAIL), len(LONG_FIRST), len(LONG_LAST), len(LONG_CREDENTIALS)) >= 60
    assert len(LONG_LICENSE) == License._meta.get_field("number").max_length == 40


@pytest.fixture
def world(transactional_db):
    """A finished course (certificate, reviewed attempt) and a second one with an attempt open."""
    done = course_with_modules(3, slug="hamstring", title="Hamstring course")
    done_quiz = Quiz.objects.create(course=done, shuffle_questions=False)
    build_bank(done_quiz)
    open_course = course_with_modules(2, slug="ankle", title="Ankle course")
    open_quiz = Quiz.objects.create(course=open_course, shuffle_questions=False)
    build_bank(open_quiz)

    nurse = UserFactory(
        email=LONG_EMAIL, first_name=LONG_FIRST, last_name=LONG_LAST, credentials=LONG_CREDENTIALS
    )
    license_ = LicenseFactory(user=nurse, state="FL", number=LONG_LICENSE)
    LicenseFactory(user=nurse, state="GA", number=LONG_LICENSE[::-1], is_primary=False)
    complete_modules(nurse, done)
    pass_post_test(nurse, done_quiz)
    certificate = finish_course(nurse, done)
    complete_modules(nurse, open_course)
    quiz_services.attempt_start(user=nurse, quiz=open_quiz, all_modules_complete=True)

    # Passed, evaluation to fill in; and evaluated, attestation to sign.
    for slug, evaluated in (("knee", False), ("wrist", True)):
        course = course_with_modules(2, slug=slug, title=f"{slug.title()} course")
        quiz = Quiz.objects.create(course=course, shuffle_questions=False)
        build_bank(quiz)
        complete_modules(nurse, course)
        pass_post_test(nurse, quiz)
        if evaluated:
            evaluation_submit(user=nurse, course=course, **EVALUATION)
    # Enrolled, nothing read yet: later modules are locked.
    EnrollmentFactory(user=nurse, course=course_with_modules(3, slug="elbow", title="Elbow course"))

    reviewer = UserFactory(email="board.reviewer.of.continuing.education.hours@state-board.example.gov")
    reviewer.groups.add(Group.objects.get(name="CE board"))
    return {"nurse": nurse, "reviewer": reviewer, "certificate": certificate, "license": license_}


def log_in(page, email):
    page.goto(reverse("login"))
    page.get_by_label("Email address").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def log_out(page):
    page.context.clear_cookies()


def too_wide(page, urls):
    """(url, pixels too wide, elements past the right edge) for each page that scrolls sideways."""
    found = []
    for url in urls:
        response = page.goto(url)
        assert response.status < 500, (url, response.status)
        # The page itself, not a log-in page or another step it redirected to.
        assert page.url.endswith(url), (url, page.url)
        measured = page.evaluate(OVERFLOW)
        if measured["over"] > 0:
            found.append((url, measured["over"], measured["culprits"]))
    return found


def learner_urls(world):
    certificate = world["certificate"]
    done = Attempt.objects.get(user=world["nurse"], quiz__course__slug="hamstring")
    open_attempt = Attempt.objects.get(user=world["nurse"], quiz__course__slug="ankle")
    return [
        reverse("catalogue"),
        reverse("course_detail", args=["hamstring"]),
        reverse("module_detail", args=["hamstring", "m1"]),
        reverse("module_detail", args=["ankle", "m2"]),
        reverse("post_test", args=["hamstring"]),
        reverse("attempt_review", args=["hamstring", done.number]),
        reverse("post_test", args=["ankle"]),
        reverse("attempt_detail", args=["ankle", open_attempt.number]),
        reverse("attempt_summary", args=["ankle", open_attempt.number]),
        reverse("module_detail", args=["elbow", "m3"]),  # locked
        reverse("evaluation", args=["knee"]),
        reverse("certificate", args=["knee"]),
        reverse("certificate", args=["wrist"]),
        reverse("evaluation", args=["hamstring"]),
        reverse("evaluation", args=["ankle"]),
        reverse("certificate", args=["hamstring"]),
        reverse("certificate", args=["ankle"]),
        reverse("dashboard"),
        reverse("profile"),
        reverse("license_add"),
        reverse("license_edit", args=[world["license"].pk]),
        reverse("password_change"),
        reverse("password_change_done"),
        reverse("verify"),
        reverse("verify_code", args=[certificate.verification_code]),
    ]


def board_urls(world):
    certificate = world["certificate"]
    return [
        reverse("reports"),
        reverse("reports") + "?state=FL&status=all",
        reverse("reports") + "?completed_from=2030-01-01&completed_to=2020-01-01",  # a filter error
        reverse("item_statistics", args=["hamstring"]),
        reverse("item_statistics", args=["hamstring"]) + "?attempts=all",
        reverse("certificate_manage", args=[certificate.serial]),
        reverse("verify_code", args=[certificate.verification_code]),
        reverse("dashboard"),
        reverse("profile"),
    ]


def visitor_urls(world):
    certificate = world["certificate"]
    return [
        reverse("catalogue"),
        reverse("course_detail", args=["hamstring"]),
        reverse("signup"),
        reverse("login"),
        reverse("password_reset"),
        reverse("password_reset_done"),
        reverse("password_reset_confirm", args=["MQ", "invalid-token"]),
        reverse("password_reset_complete"),
        reverse("verify"),
        reverse("verify") + "?code=" + "X" * 41,  # the form's error
        reverse("verify_code", args=[certificate.verification_code]),
        reverse("verify_code", args=["NO-SUCH-CODE-" + "Z" * 40]),
        "/no/such/page/",
    ]


def test_no_page_scrolls_sideways_at_375_px_for_a_learner_with_long_names(page, world):
    assert page.viewport_size["width"] == 375
    log_in(page, LONG_EMAIL)
    assert too_wide(page, learner_urls(world)) == []
    page.goto(reverse("profile"))
    assert LONG_EMAIL in page.content() and LONG_LICENSE in page.content()


def test_no_page_scrolls_sideways_at_375_px_for_a_board_reviewer(page, world):
    # The reviewer's own pages list the long-named learner: her name, email and license number.
    log_in(page, world["reviewer"].email)
    assert too_wide(page, board_urls(world)) == []
    page.goto(reverse("reports"))
    assert LONG_LAST in page.content() and LONG_LICENSE in page.content()


def test_no_page_scrolls_sideways_at_375_px_for_a_visitor(page, world, settings):
    assert too_wide(page, visitor_urls(world)) == []
    # The lock-out page, reached the way a visitor reaches it: five wrong passwords.
    settings.AXES_SLOW_SECONDS = 0
    for _ in range(5):
        page.goto(reverse("login"))
        page.get_by_label("Email address").fill(LONG_EMAIL)
        page.locator("#id_password").fill("wrong")
        page.get_by_role("button", name="Log in").click()
    assert "Too many failed log-ins" in page.content()
    measured = page.evaluate(OVERFLOW)
    assert measured["over"] <= 0, measured
