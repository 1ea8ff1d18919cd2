"""The post-test lifecycle: locked until modules are done, start, save, resume, submit, review, retake."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from modules.selectors import course_progress
from quizzes import services
from quizzes.models import Attempt, AttemptQuestion, Choice, Question
from tests.quizzes.conftest import complete_modules, correct_post, wrong_post

pytestmark = pytest.mark.django_db


def post_test_url(course):
    return reverse("post_test", args=[course.slug])


def attempt_url(course, number, page="attempt_detail"):
    return reverse(page, args=[course.slug, number])


def start(client, course):
    response = client.post(post_test_url(course))
    assert response.status_code == 302, response
    return Attempt.objects.latest("pk")


def test_post_test_is_locked_until_every_module_is_complete(client, learner, course, quiz):
    complete_modules(learner, course)  # enrolls and completes...
    # ...then pretend the last module is not done yet.
    from modules.models import ModuleProgress

    ModuleProgress.objects.filter(module=course.modules.order_by("position").last()).update(completed_at=None)
    client.force_login(learner)
    response = client.get(post_test_url(course))
    assert response.status_code == 200
    assert "opens when you have completed every module" in response.text
    response = client.post(post_test_url(course), follow=True)
    assert response.redirect_chain == [(post_test_url(course), 302)]
    assert "Complete every module before you start the post-test." in response.text
    assert not Attempt.objects.exists()


def test_not_enrolled_learner_is_sent_to_the_course_page(client, other_learner, course, quiz):
    client.force_login(other_learner)
    response = client.get(post_test_url(course))
    assert response.status_code == 302
    assert response["Location"] == reverse("course_detail", args=[course.slug])


def test_anonymous_is_sent_to_login(client, course, quiz):
    for url in (post_test_url(course), attempt_url(course, 1), attempt_url(course, 1, "attempt_review")):
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_course_without_post_test_is_404(client, learner, course):
    client.force_login(learner)
    assert client.get(post_test_url(course)).status_code == 404


def test_start_freezes_drawn_questions_and_the_page_never_carries_the_key(
    client, ready_learner, course, quiz
):
    client.force_login(ready_learner)
    attempt = start(client, course)
    assert attempt.number == 1 and attempt.is_open
    assert attempt.questions.count() == 5
    assert attempt.max_score == Decimal(5)
    html = client.get(attempt_url(course, 1)).text
    for forbidden in ("correct", "is_correct", "weight", "Under 38% relieved at six months</option><option"):
        assert forbidden not in html.replace("correctly", ""), forbidden
    # Each question is a fieldset whose legend is the stem.
    assert html.count("<fieldset") == 5 and "<legend" in html
    assert "Stem of single?" in html


def test_answers_are_saved_and_survive_logging_out(client, ready_learner, course, quiz):
    client.force_login(ready_learner)
    attempt = start(client, course)
    response = client.post(attempt_url(course, 1), {**correct_post(attempt), "action": "save"})
    assert response.status_code == 302
    client.post(reverse("logout"))
    client.force_login(ready_learner)
    html = client.get(attempt_url(course, 1)).text
    assert html.count(" checked") >= 3  # single, true/false and two multiple choices
    assert html.count(" selected") >= 4 + 2


def test_summary_names_unanswered_questions(client, ready_learner, course, quiz):
    client.force_login(ready_learner)
    attempt = start(client, course)
    single = attempt.questions.get(question__key="single")
    client.post(attempt_url(course, 1), {f"q{single.pk}": single.key["correct_ids"][0], "action": "summary"})
    html = client.get(attempt_url(course, 1, "attempt_summary")).text
    assert "4 questions unanswered" in html
    assert f"#question-{single.position}" not in html


def test_submit_grades_passes_and_completion_rule_moves_on(client, ready_learner, course, quiz):
    client.force_login(ready_learner)
    attempt = start(client, course)
    client.post(attempt_url(course, 1), correct_post(attempt))
    response = client.post(attempt_url(course, 1, "attempt_submit"))
    assert response["Location"] == attempt_url(course, 1, "attempt_review")
    attempt.refresh_from_db()
    assert attempt.score == Decimal(5) and attempt.percent == Decimal("100.00") and attempt.passed
    review = client.get(response["Location"]).text
    assert "passed" in review and "Because single." in review and "Correct answer:" in review
    progress = course_progress(user=ready_learner, course=course)
    assert progress.post_test.state == "passed"
    assert "Pass the post-test" not in progress.missing


def test_fail_then_retake_then_pass_and_correct_answers_hidden_until_pass(
    client, ready_learner, course, quiz
):
    client.force_login(ready_learner)
    first = start(client, course)
    client.post(attempt_url(course, 1), wrong_post(first))
    client.post(attempt_url(course, 1, "attempt_submit"))
    first.refresh_from_db()
    assert first.passed is False
    review = client.get(attempt_url(course, 1, "attempt_review")).text
    assert "Correct answer:" not in review and "try again" in review and "Because single." in review
    assert course_progress(user=ready_learner, course=course).post_test.state == "failed_can_retry"

    second = start(client, course)
    assert second.number == 2
    client.post(attempt_url(course, 2), correct_post(second))
    client.post(attempt_url(course, 2, "attempt_submit"))
    status = course_progress(user=ready_learner, course=course).post_test
    assert status.state == "passed" and status.best.number == 2
    # After a pass, the first attempt's review shows the correct answers too.
    assert "Correct answer:" in client.get(attempt_url(course, 1, "attempt_review")).text


def test_attempts_limit_holds_and_says_what_to_do(client, ready_learner, course, quiz):
    client.force_login(ready_learner)
    for number in (1, 2, 3):
        attempt = start(client, course)
        client.post(attempt_url(course, number), wrong_post(attempt))
        client.post(attempt_url(course, number, "attempt_submit"))
    response = client.post(post_test_url(course), follow=True)
    assert "used every attempt" in response.text
    assert Attempt.objects.count() == 3
    assert course_progress(user=ready_learner, course=course).post_test.state == "failed_no_attempts"
    assert "Correct answer:" in client.get(attempt_url(course, 3, "attempt_review")).text


def test_unlimited_attempts_when_zero(ready_learner, course, quiz):
    quiz.attempts_allowed = 0
    quiz.save()
    for _ in range(5):
        attempt = services.attempt_start(user=ready_learner, quiz=quiz, all_modules_complete=True)
        services.attempt_submit(attempt=attempt)
    assert Attempt.objects.count() == 5


def test_second_submit_of_same_attempt_is_ignored(client, ready_learner, course, quiz):
    client.force_login(ready_learner)
    attempt = start(client, course)
    client.post(attempt_url(course, 1), correct_post(attempt))
    client.post(attempt_url(course, 1, "attempt_submit"))
    attempt.refresh_from_db()
    submitted_at = attempt.submitted_at
    client.post(attempt_url(course, 1), wrong_post(attempt))
    client.post(attempt_url(course, 1, "attempt_submit"))
    attempt.refresh_from_db()
    assert attempt.submitted_at == submitted_at and attempt.score == Decimal(5)


def test_starting_twice_resumes_the_open_attempt(client, ready_learner, course, quiz):
    client.force_login(ready_learner)
    assert start(client, course).pk == start(client, course).pk
    assert Attempt.objects.count() == 1


def test_answer_after_deadline_does_not_count_and_attempt_is_graded_as_it_stood(ready_learner, course, quiz):
    quiz.time_limit_minutes = 10
    quiz.save()
    now = timezone.now()
    attempt = services.attempt_start(user=ready_learner, quiz=quiz, all_modules_complete=True, now=now)
    assert attempt.deadline == now + timedelta(minutes=10)
    single = attempt.questions.get(question__key="single")
    services.attempt_save(attempt=attempt, answers={single.pk: single.key["correct_ids"][0]}, now=now)
    tf = attempt.questions.get(question__key="tf")
    with pytest.raises(services.PostTestError, match="Time ran out"):
        services.attempt_save(
            attempt=attempt, answers={tf.pk: tf.key["correct_ids"][0]}, now=now + timedelta(minutes=11)
        )
    attempt.refresh_from_db()
    assert not attempt.is_open and attempt.submitted_late
    assert attempt.score == Decimal(1) and attempt.submitted_at == attempt.deadline


def test_open_attempt_past_deadline_is_closed_when_the_learner_returns(client, ready_learner, course, quiz):
    quiz.time_limit_minutes = 5
    quiz.save()
    attempt = services.attempt_start(
        user=ready_learner, quiz=quiz, all_modules_complete=True, now=timezone.now() - timedelta(hours=1)
    )
    client.force_login(ready_learner)
    response = client.get(attempt_url(course, 1))
    assert response["Location"] == attempt_url(course, 1, "attempt_review")
    attempt.refresh_from_db()
    assert attempt.submitted_late and attempt.score == 0 and attempt.passed is False


def test_author_edit_after_attempt_leaves_its_review_unchanged(client, ready_learner, course, quiz):
    client.force_login(ready_learner)
    attempt = start(client, course)
    client.post(attempt_url(course, 1), correct_post(attempt))
    client.post(attempt_url(course, 1, "attempt_submit"))
    main = re.compile(r"<main.*</main>", re.S)  # the CSRF token in the header changes per request
    client.get(attempt_url(course, 1, "attempt_review"))  # shows (and clears) the "saved" message
    before = main.search(client.get(attempt_url(course, 1, "attempt_review")).text).group()
    question = Question.objects.get(key="single")
    question.stem_markdown = "An entirely new stem?"
    question.rationale_markdown = "A new rationale."
    question.save()
    Choice.objects.filter(question=question, is_correct=True).update(is_correct=False, text="Changed")
    after = main.search(client.get(attempt_url(course, 1, "attempt_review")).text).group()
    assert before == after
    assert "Stem of single?" in after
    attempt.refresh_from_db()
    assert attempt.score == Decimal(5)


def test_retake_draws_questions_not_seen_before(ready_learner, course, quiz):
    from tests.quizzes.conftest import make_question

    for n in range(3):
        make_question(
            quiz, f"extra{n}", "single", choices=[{"text": "Yes", "is_correct": True}, {"text": "No"}]
        )
    quiz.draw_rules.create(position=1, topic="anatomy", count=2)
    first = services.attempt_start(user=ready_learner, quiz=quiz, all_modules_complete=True)
    services.attempt_submit(attempt=first)
    second = services.attempt_start(user=ready_learner, quiz=quiz, all_modules_complete=True)
    seen = set(first.questions.values_list("question_id", flat=True))
    again = set(second.questions.values_list("question_id", flat=True))
    assert len(first.questions.all()) == 2 and not seen & again


def test_other_learner_gets_404_for_the_learners_attempt(client, ready_learner, other_learner, course, quiz):
    client.force_login(ready_learner)
    attempt = start(client, course)
    complete_modules(other_learner, course)
    client.force_login(other_learner)
    for page in ("attempt_detail", "attempt_summary", "attempt_review"):
        assert client.get(attempt_url(course, 1, page)).status_code == 404
    assert client.post(attempt_url(course, 1), correct_post(attempt)).status_code == 404
    assert client.post(attempt_url(course, 1, "attempt_submit")).status_code == 404
    attempt.refresh_from_db()
    assert attempt.is_open and not attempt.questions.exclude(response=None).exists()


@pytest.mark.parametrize(
    ("forge", "bad_key", "message"),
    [
        ("foreign_choice", "single", "not part of the question"),
        ("other_question_choice", "single", "not part of the question"),
        ("ordering_duplicate", "order", "Use each position once."),
        ("matching_outside_list", "match", "not offered"),
        ("two_radio_values", "single", "Choose one answer only."),
        ("position_out_of_range", "order", "Positions run from 1 to 4."),
    ],
)
def test_a_forged_answer_is_refused_by_name_and_every_other_answer_is_saved(
    client, ready_learner, course, quiz, forge, bad_key, message
):
    client.force_login(ready_learner)
    attempt = start(client, course)
    rows = {row.question.key: row for row in attempt.questions.select_related("question")}
    data = correct_post(attempt)
    single, order, match = rows["single"], rows["order"], rows["match"]
    items = order.key["correct_order"]
    if forge == "foreign_choice":
        data[f"q{single.pk}"] = "999999"
    elif forge == "other_question_choice":
        data[f"q{single.pk}"] = rows["tf"].key["choice_ids"][0]
    elif forge == "ordering_duplicate":
        data[f"q{order.pk}-pos-{items[0]}"] = data[f"q{order.pk}-pos-{items[1]}"]
    elif forge == "matching_outside_list":
        prompt = next(iter(match.key["matches"]))
        data[f"q{match.pk}-match-{prompt}"] = "a999999"
    elif forge == "two_radio_values":
        data[f"q{single.pk}"] = single.key["choice_ids"][:2]
    elif forge == "position_out_of_range":
        data[f"q{order.pk}-pos-{items[0]}"] = "99"
    response = client.post(attempt_url(course, 1), data)
    assert response.status_code == 400
    bad = rows[bad_key]
    assert f"Question {bad.position}</a>: " in response.text and message in response.text
    saved = dict(AttemptQuestion.objects.values_list("question__key", "response"))
    assert saved.pop(bad_key) is None
    assert all(response is not None for response in saved.values()), saved


def test_an_answer_for_a_question_not_in_the_attempt_is_a_forgery_and_saves_nothing(
    client, ready_learner, course, quiz
):
    client.force_login(ready_learner)
    attempt = start(client, course)
    response = client.post(attempt_url(course, 1), {**correct_post(attempt), "q999999": "1"})
    assert response.status_code == 400
    assert "Nothing was saved" in response.text
    assert not AttemptQuestion.objects.exclude(response=None).exists()


def test_forged_answer_by_fetch_gets_json_400(client, ready_learner, course, quiz):
    client.force_login(ready_learner)
    attempt = start(client, course)
    single = attempt.questions.get(question__key="single")
    response = client.post(
        attempt_url(course, 1), {f"q{single.pk}": "nope"}, headers={"X-Requested-With": "fetch"}
    )
    assert response.status_code == 400
    assert "not part of the question" in response.json()["error"]
    ok = client.post(
        attempt_url(course, 1),
        {f"q{single.pk}": single.key["correct_ids"][0]},
        headers={"X-Requested-With": "fetch"},
    )
    assert ok.json() == {"saved": 1, "errors": [], "incomplete": []}


def test_submit_and_save_are_post_only(client, ready_learner, course, quiz):
    client.force_login(ready_learner)
    start(client, course)
    assert client.get(attempt_url(course, 1, "attempt_submit")).status_code == 405
    assert client.put(attempt_url(course, 1)).status_code == 405


def test_draw_rules_pick_per_topic(ready_learner, course, drawn_quiz):
    attempt = services.attempt_start(user=ready_learner, quiz=drawn_quiz, all_modules_complete=True)
    topics = sorted(attempt.questions.values_list("snapshot__topic", flat=True))
    assert topics == ["anatomy", "treatment", "treatment"]


def test_choice_text_is_escaped_once_on_the_attempt_page(client, ready_learner, course, quiz):
    from tests.quizzes.conftest import make_question

    Question.objects.update(is_active=False)
    make_question(
        quiz,
        "quote",
        "single",
        choices=[{"text": "Buttock or 'sciatica' <pain>", "is_correct": True}, {"text": "No"}],
    )
    client.force_login(ready_learner)
    start(client, course)
    html = client.get(attempt_url(course, 1)).text
    # Jinja2 (MarkupSafe) writes the apostrophe as &#39;, Django's escape as &#x27;: either is once.
    assert "Buttock or &#39;sciatica&#39; &lt;pain&gt;" in html
    assert "&amp;#39;" not in html and "&amp;lt;" not in html
