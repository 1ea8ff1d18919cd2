"""Every form and POST endpoint fed random, oversized, wrongly typed, Unicode, null-byte and forged data.

Each answer must be below 500, and an answer of 400-499 must leave every table as it was
(rows counted before and after). Hypothesis drives the data; the personas and objects are real.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import License, User
from ce_course.models import AuditEvent
from certificates.models import Attestation, Certificate, Evaluation
from certificates.services import evaluation_submit
from modules.models import Enrollment, ModuleProgress
from quizzes import services as quiz_services
from quizzes.grading import key_from_snapshot, validate_response
from quizzes.models import Attempt, AttemptQuestion, Question
from reports.models import RosterBatch
from tests.certificates.conftest import EVALUATION, pass_post_test
from tests.factories import LicenseFactory, UserFactory
from tests.quizzes.conftest import complete_modules

EXAMPLES = 30
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.just("\x00"),
    st.just("a\x00b"),
    st.just("x" * 20_000),
    st.just("<script>alert(1)</script>"),
    st.just('=HYPERLINK("http://evil")'),
    st.just("'; DROP TABLE accounts_user; --"),
    st.just("-1"),
    st.just("99999999999999999999999"),
    st.just("1e309"),
    st.just("NaN"),
    st.just(""),
    st.integers().map(str),
)
hostile_value = st.one_of(hostile_text, st.lists(hostile_text, max_size=3))


def form_data(fields):
    """A dict over the endpoint's own field names plus a few invented ones, each value hostile or absent."""
    known = st.fixed_dictionaries({}, optional=dict.fromkeys(fields, hostile_value))
    extra = st.dictionaries(st.text(min_size=1, max_size=12), hostile_value, max_size=3)
    return st.tuples(known, extra).map(lambda pair: {**pair[1], **pair[0]})


TABLES = [
    User,
    License,
    Enrollment,
    ModuleProgress,
    Attempt,
    Evaluation,
    Attestation,
    Certificate,
    RosterBatch,
    Question,
    AuditEvent,
]


def table_state():
    state = tuple(model.objects.count() for model in TABLES)
    answered = AttemptQuestion.objects.exclude(response=None).count()
    names = tuple(User.objects.order_by("pk").values_list("first_name", "last_name", "credentials"))
    licenses = tuple(License.objects.order_by("pk").values_list("state", "number", "is_primary"))
    return state, answered, names, licenses


def post_and_check(client, url, data, *, files=None, keeps_valid_answers=False):
    before = table_state()
    payload = dict(data)
    if files:
        payload.update(files)
    response = client.post(url, payload)
    assert response.status_code < 500, (url, data, response.status_code)
    if 400 <= response.status_code < 500 and keeps_valid_answers:
        # An attempt save keeps the answers that fit even when it refuses another (README, "The
        # post-test"): nothing else may change, and every stored answer must fit its question.
        after = table_state()
        assert (after[0], after[2:]) == (before[0], before[2:]), (url, data)
        for key, stored in AttemptQuestion.objects.exclude(response=None).values_list("key", "response"):
            validate_response(key_from_snapshot(key), stored)
    elif 400 <= response.status_code < 500:
        assert table_state() == before, (url, data)
    return response


@pytest.fixture
def world(db, course, post_test, other_learner, board, author, settings):
    settings.AXES_ENABLED = False  # log-in fuzzing is about input, not lock-outs (tested elsewhere)
    carol = UserFactory(email="carol@example.com")
    LicenseFactory(user=carol, number="RN777")
    complete_modules(carol, course)
    attempt = quiz_services.attempt_start(user=carol, quiz=post_test, all_modules_complete=True)
    dave = UserFactory(email="dave@example.com")
    complete_modules(dave, course)
    pass_post_test(dave, post_test)
    erin = UserFactory(email="erin@example.com")
    complete_modules(erin, course)
    pass_post_test(erin, post_test)
    evaluation_submit(user=erin, course=course, **EVALUATION)
    Enrollment.objects.create(
        user=other_learner, course=course, disclosures_acknowledged_at=attempt.started_at
    )
    return {
        "carol": carol,
        "attempt": attempt,
        "dave": dave,
        "erin": erin,
        "course": course,
        "quiz": post_test,
    }


def endpoints(world, other_learner, board, author):
    course, attempt = world["course"], world["attempt"]
    rows = [f"q{row.pk}" for row in attempt.questions.all()]
    ordering = [
        f"q{row.pk}-pos-{item}"
        for row in attempt.questions.all()
        for item in row.key.get("correct_order", [])
    ]
    objectives = [f"objective_{i}" for i in range(3)]
    return [
        (
            "signup",
            None,
            reverse("signup"),
            ["email", "first_name", "last_name", "credentials", "password1", "password2"],
        ),
        ("login", None, reverse("login"), ["username", "password"]),
        ("password_reset", None, reverse("password_reset"), ["email"]),
        ("profile", world["carol"], reverse("profile"), ["first_name", "last_name", "credentials"]),
        (
            "license_add",
            world["carol"],
            reverse("license_add"),
            ["profession", "state", "number", "is_primary"],
        ),
        (
            "license_edit",
            world["carol"],
            reverse("license_edit", args=[world["carol"].licenses.get().pk]),
            ["profession", "state", "number", "is_primary"],
        ),
        (
            "license_other",
            other_learner,
            reverse("license_edit", args=[world["carol"].licenses.get().pk]),
            ["profession", "state", "number"],
        ),
        (
            "enrol",
            UserFactory(email="fresh@example.com"),
            reverse("course_detail", args=[course.slug]),
            ["acknowledge"],
        ),
        ("module_complete", other_learner, reverse("module_complete", args=[course.slug, "m3"]), ["x"]),
        ("post_test_start", other_learner, reverse("post_test", args=[course.slug]), ["action"]),
        (
            "attempt_save",
            world["carol"],
            reverse("attempt_detail", args=[course.slug, attempt.number]),
            [*rows, *ordering, "action", "q999999"],
        ),
        ("attempt_other", other_learner, reverse("attempt_detail", args=[course.slug, attempt.number]), rows),
        (
            "evaluation",
            world["dave"],
            reverse("evaluation", args=[course.slug]),
            [*objectives, "evidence_based", "free_of_bias", "bias_comment", "intended_change", "comments"],
        ),
        (
            "attest",
            world["erin"],
            reverse("certificate", args=[course.slug]),
            ["action", "minutes", "confirm"],
        ),
        ("roster", board, reverse("roster_mark_reported"), ["state"]),
    ]


ENDPOINT_NAMES = [
    "signup",
    "login",
    "password_reset",
    "profile",
    "license_add",
    "license_edit",
    "license_other",
    "enrol",
    "module_complete",
    "post_test_start",
    "attempt_save",
    "attempt_other",
    "evaluation",
    "attest",
    "roster",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_random_posts_never_500_and_rejections_save_nothing(
    client, world, other_learner, board, author, name
):
    endpoint = next(e for e in endpoints(world, other_learner, board, author) if e[0] == name)
    _, user, url, fields = endpoint
    client.logout()
    if user is not None:
        client.force_login(user)

    @HYPOTHESIS
    @given(data=form_data(fields))
    def run(data):
        post_and_check(client, url, data, keeps_valid_answers=name == "attempt_save")

    run()


@pytest.mark.django_db
def test_forged_submit_after_the_deadline_is_refused_and_graded_as_it_stood(client, world):
    attempt = world["attempt"]
    Attempt.objects.filter(pk=attempt.pk).update(deadline=attempt.started_at, started_at=attempt.started_at)
    client.force_login(world["carol"])
    row = attempt.questions.first()
    response = client.post(
        reverse("attempt_detail", args=[world["course"].slug, attempt.number]),
        {f"q{row.pk}": row.key["choice_ids"][0]},
    )
    assert response.status_code in (302, 400, 409)
    attempt.refresh_from_db()
    assert not attempt.is_open and attempt.submitted_late
    assert not attempt.questions.exclude(response=None).exists()


@pytest.mark.django_db
@given(
    content=st.one_of(
        st.binary(max_size=2000),
        st.text(alphabet="{}~=#:\\\n ", max_size=3000).map(str.encode),
        st.just(b"\xff\xfe\x00\x00binary"),
        st.just(b"{" * 50_000),
        st.just(b"::t::Q{=a~b}\n\n" * 40_000),
    )
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_hostile_gift_uploads_fail_fast_with_a_message(client, author, course, content):
    from quizzes.models import Quiz

    quiz, _ = Quiz.objects.get_or_create(course=course)
    client.force_login(author)
    url = reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])
    before = Question.objects.count()
    response = client.post(url, {"file": SimpleUploadedFile("x.gift", content), "dry_run": ""})
    assert response.status_code < 500
    if response.status_code >= 400:
        assert Question.objects.count() == before


@pytest.mark.django_db
def test_ten_megabyte_gift_upload_is_refused_before_parsing(client, author, course):
    from quizzes.models import Quiz

    quiz = Quiz.objects.create(course=course)
    client.force_login(author)
    big = io.BytesIO(b"::Q::What{=a~b}\n\n" * (10 * 1024 * 1024 // 17))
    response = client.post(
        reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk]),
        {"file": SimpleUploadedFile("big.gift", big.getvalue()), "dry_run": "on"},
    )
    assert response.status_code == 400 and "the limit is" in response.text
    assert not Question.objects.exists()


@pytest.mark.django_db
@given(code=hostile_text)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_verify_with_any_code_answers_400_or_404_and_writes_nothing(client, code):
    before = table_state()
    response = client.get(reverse("verify"), {"code": code}, follow=True)
    # No certificate exists: a code that is blank or too long is a 400 on the form, any other one
    # is looked up and not found (404), and a public page never writes.
    assert response.status_code in (400, 404), (code, response.status_code)
    if response.status_code == 404:
        assert "No certificate has the code" in response.text
    assert table_state() == before
