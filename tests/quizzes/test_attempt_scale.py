"""Attempt pages cost the same number of queries with 5 or 40 questions; races leave one attempt."""

import threading

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.selectors import roles_forget
from quizzes import services
from quizzes.models import Attempt, Quiz
from quizzes.presentation import inputs_forget_kept, question_inputs_html
from quizzes.selectors import SavedAnswer
from tests.factories import course_with_modules
from tests.quizzes.conftest import build_bank, complete_modules, correct_post, make_question


def attempt_with_questions(user, extra):
    course = course_with_modules(2)
    quiz = Quiz.objects.create(course=course, shuffle_questions=False)
    build_bank(quiz)
    for n in range(extra):
        make_question(quiz, f"x{n}", "single", choices=[{"text": "Yes", "is_correct": True}, {"text": "No"}])
    complete_modules(user, course)
    return course, services.attempt_start(user=user, quiz=quiz, all_modules_complete=True)


def queries(client, method, url, data=None):
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 302), response.status_code
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_attempt_page_save_summary_submit_and_review_do_not_grow_with_questions(client, learner):
    roles_forget()  # a roles version exists, as in any running site, so both sizes start equally cold
    counts = []
    for extra in (0, 35):
        course, attempt = attempt_with_questions(learner, extra)
        client.force_login(learner)
        detail = reverse("attempt_detail", args=[course.slug, attempt.number])
        row = []
        row.append(queries(client, "get", detail))
        row.append(queries(client, "post", detail, correct_post(attempt)))
        row.append(queries(client, "get", reverse("attempt_summary", args=[course.slug, attempt.number])))
        row.append(queries(client, "post", reverse("attempt_submit", args=[course.slug, attempt.number])))
        row.append(queries(client, "get", reverse("attempt_review", args=[course.slug, attempt.number])))
        row.append(queries(client, "get", reverse("post_test", args=[course.slug])))
        counts.append(row)
    assert counts[0] == counts[1], counts
    # The first GET is cold: it also fills the cache (session, user, the rendered questions).
    assert max(counts[1]) <= 22, counts


def _race(target, *args):
    errors = []

    def run():
        try:
            target(*args)
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_starts_leave_one_open_attempt(learner, course):
    quiz = Quiz.objects.create(course=course)
    build_bank(quiz)
    complete_modules(learner, course)
    errors = _race(lambda: services.attempt_start(user=learner, quiz=quiz, all_modules_complete=True))
    assert errors == []
    assert Attempt.objects.filter(user=learner).count() == 1
    assert Attempt.objects.get().questions.count() == 5


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_grade_once(learner, course):
    quiz = Quiz.objects.create(course=course)
    build_bank(quiz)
    complete_modules(learner, course)
    attempt = services.attempt_start(user=learner, quiz=quiz, all_modules_complete=True)
    errors = _race(lambda: services.attempt_submit(attempt=attempt))
    assert errors == []
    graded = Attempt.objects.get()
    assert graded.submitted_at is not None
    assert graded.questions.filter(points_awarded__isnull=True).count() == 0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_never_exceed_the_attempts_limit(learner, course):
    quiz = Quiz.objects.create(course=course, attempts_allowed=1)
    build_bank(quiz)
    complete_modules(learner, course)
    first = services.attempt_start(user=learner, quiz=quiz, all_modules_complete=True)
    services.attempt_submit(attempt=first)
    errors = _race(lambda: services.attempt_start(user=learner, quiz=quiz, all_modules_complete=True))
    assert len(errors) == 2 and all(isinstance(e, services.PostTestError) for e in errors)
    assert Attempt.objects.count() == 1


def questions_html(page):
    return page[page.index("<fieldset") : page.rindex("</fieldset>")]


def test_attempt_page_renders_a_question_again_only_when_its_answer_changed(client, learner):
    """The rendered inputs are cached per attempt question and saved answer, never stale."""
    course, attempt = attempt_with_questions(learner, 3)
    client.force_login(learner)
    detail = reverse("attempt_detail", args=[course.slug, attempt.number])
    first = questions_html(client.get(detail).text)
    assert questions_html(client.get(detail).text) == first  # served from the cache, identical
    # The draw is random: answer the first question that has choices to pick.
    row = next(
        r for r in attempt.questions.order_by("position") if r.snapshot["kind"] in ("single", "true_false")
    )
    choice = row.snapshot["choices"][0]["id"]
    client.post(detail, {f"q{row.pk}": str(choice), "action": "save"})
    after = questions_html(client.get(detail).text)
    assert after != first
    assert f'id="q{row.pk}-{choice}" value="{choice}" checked' in after


def test_a_worker_serves_the_inputs_it_rendered_without_reading_the_shared_cache(client, learner):
    course, attempt = attempt_with_questions(learner, 3)
    client.force_login(learner)
    detail = reverse("attempt_detail", args=[course.slug, attempt.number])
    first = questions_html(client.get(detail).text)

    def inputs_reads():
        with CaptureQueriesContext(connection) as captured:
            page = questions_html(client.get(detail).text)
        return page, sum("attempt-inputs" in query["sql"] for query in captured.captured_queries)

    page, reads = inputs_reads()
    assert (page, reads) == (first, 0)
    inputs_forget_kept()  # as if another worker served the next view: it reads the shared entry
    page, reads = inputs_reads()
    assert (page, reads) == (first, 1)


@pytest.mark.django_db
def test_inputs_rendered_after_a_save_that_came_in_between_are_filed_under_that_answer(learner):
    # The page read its answers, then a save (another tab) changed one before its inputs were
    # rendered: the HTML shows the newer answer, and is filed under the newer answer's digest, so
    # the older answer never meets HTML that is not its own.
    _, attempt = attempt_with_questions(learner, 1)
    row = next(r for r in attempt.questions.order_by("position") if r.snapshot["kind"] == "single")
    first, second = (c["id"] for c in row.snapshot["choices"][:2])
    row.response = second
    row.save(update_fields=["response"])

    stale = [SavedAnswer(row.pk, first)]
    (html,) = question_inputs_html(attempt, stale)
    assert f'value="{second}" checked' in html and f'value="{first}" checked' not in html

    row.response = first
    row.save(update_fields=["response"])
    (html,) = question_inputs_html(attempt, [SavedAnswer(row.pk, first)])
    assert f'value="{first}" checked' in html and f'value="{second}" checked' not in html
