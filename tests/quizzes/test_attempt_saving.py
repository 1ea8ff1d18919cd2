"""No answer is lost: a save keeps every answer that fits, names each that does not, and shows the
page as the learner left it; a half-ordered question is kept as incomplete and graded as unanswered."""

from decimal import Decimal

import pytest
from django.urls import reverse

from quizzes import services
from quizzes.grading import GradingError
from quizzes.models import Attempt, AttemptQuestion
from tests.quizzes.conftest import correct_post

pytestmark = pytest.mark.django_db

FETCH = {"X-Requested-With": "fetch"}


@pytest.fixture
def attempt(ready_learner, quiz):
    return services.attempt_start(user=ready_learner, quiz=quiz, all_modules_complete=True)


@pytest.fixture
def rows(attempt):
    return {row.question.key: row for row in attempt.questions.select_related("question")}


def url(course, page="attempt_detail"):
    return reverse(page, args=[course.slug, 1])


def saved(key):
    return AttemptQuestion.objects.get(question__key=key).response


def half_ordered(row):
    """One item of the four given a position: the first thing a learner does on an ordering question."""
    first = row.snapshot["items"][0]["id"]
    return {f"q{row.pk}-pos-{first}": "2"}, first


# --- the service ---------------------------------------------------------------------------------


def test_save_keeps_each_valid_answer_and_names_each_refused_question(attempt, rows):
    single, multi, order = rows["single"], rows["multi"], rows["order"]
    items = order.key["correct_order"]
    result = services.attempt_save(
        attempt=attempt,
        answers={
            single.pk: "not-a-choice",
            multi.pk: multi.key["correct_ids"],
            order.pk: [items[0], items[0], items[1], items[2]],
        },
    )
    assert result.changed == 1
    assert result.errors == {
        single.pk: "This answer mentions a choice that is not part of the question.",
        order.pk: "Each item must appear exactly once in the order.",
    }
    assert saved("multi") == sorted(multi.key["correct_ids"])
    assert saved("single") is None and saved("order") is None


def test_a_refused_answer_leaves_the_answer_saved_before_it_in_place(attempt, rows):
    single = rows["single"]
    right = single.key["correct_ids"][0]
    services.attempt_save(attempt=attempt, answers={single.pk: right})
    result = services.attempt_save(attempt=attempt, answers={single.pk: ["a", "list"]})
    assert single.pk in result.errors
    assert saved("single") == right


def test_a_forged_question_id_saves_nothing_at_all(attempt, rows):
    with pytest.raises(GradingError, match="not part of this attempt"):
        services.attempt_save(attempt=attempt, answers={rows["tf"].pk: "x", 999999: "1"})
    assert not AttemptQuestion.objects.exclude(response=None).exists()


def test_a_half_ordered_question_is_stored_as_incomplete_and_graded_as_unanswered(attempt, rows):
    order = rows["order"]
    # The first item in its right place: absolute_position would credit it if it were graded.
    first = order.key["correct_order"][0]
    result = services.attempt_save(
        attempt=attempt,
        answers={order.pk: {"incomplete": {first: 1}}, rows["tf"].pk: rows["tf"].key["correct_ids"][0]},
    )
    assert result.errors == {} and result.changed == 2
    assert saved("order") == {"incomplete": {first: 1}}
    graded = services.attempt_submit(attempt=attempt)
    assert AttemptQuestion.objects.get(question__key="order").points_awarded == Decimal(0)
    assert AttemptQuestion.objects.get(question__key="tf").points_awarded == Decimal(1)
    assert graded.score == Decimal(1)


# --- the Save button -----------------------------------------------------------------------------


def test_save_button_with_duplicate_positions_saves_the_rest_and_shows_the_page_as_left(
    client, ready_learner, course, attempt, rows
):
    """Found item 1: a just-ticked checkbox and a bad ordering came back blank, and nothing was saved."""
    multi, order = rows["multi"], rows["order"]
    ticked = multi.key["correct_ids"][0]
    items = [item["id"] for item in order.snapshot["items"]]
    data = {f"q{multi.pk}": ticked, "action": "save"}
    data |= {f"q{order.pk}-pos-{item}": "1" for item in items[:2]}  # two items at position 1
    data[f"q{order.pk}-pos-{items[2]}"] = "3"
    client.force_login(ready_learner)
    response = client.post(url(course), data)

    assert response.status_code == 400
    html = response.text
    assert (
        f'<a href="#question-{order.position}">Question {order.position}</a>: Use each position once.' in html
    )
    assert f'aria-describedby="error-{order.pk}"' in html
    assert saved("multi") == [ticked] and saved("order") is None
    # The page is the learner's form, not the saved answers: the tick and all three positions stay.
    assert f'id="q{multi.pk}-{ticked}" value="{ticked}" checked' in html
    for item, position in ((items[0], 1), (items[1], 1), (items[2], 3)):
        select = html[html.index(f'name="q{order.pk}-pos-{item}"') :]
        select = select[: select.index("</select>")]
        assert f'<option value="{position}" selected>' in select, item
        assert select.count(" selected") == 1
    assert html.count(" selected") == 3


def test_save_and_review_with_a_refused_question_stays_on_the_page(
    client, ready_learner, course, attempt, rows
):
    single = rows["single"]
    client.force_login(ready_learner)
    response = client.post(url(course), {f"q{single.pk}": "forged", "action": "summary"})
    assert response.status_code == 400
    assert "could not be saved as entered" in response.text


def test_save_button_with_a_half_ordered_question_stores_it_and_says_it_is_not_finished(
    client, ready_learner, course, attempt, rows
):
    order, tf = rows["order"], rows["tf"]
    positions, first = half_ordered(order)
    client.force_login(ready_learner)
    wrong = next(c for c in tf.key["choice_ids"] if c not in tf.key["correct_ids"])
    response = client.post(url(course), {**positions, f"q{tf.pk}": wrong, "action": "save"})
    assert response.status_code == 302
    assert saved("order") == {"incomplete": {first: 2}}
    assert saved("tf") == wrong
    html = client.get(url(course)).text
    assert "Not finished: give every item a position." in html
    select = html[html.index(f'name="q{order.pk}-pos-{first}"') :]
    assert '<option value="2" selected>' in select[: select.index("</select>")]


def test_the_summary_names_incomplete_questions_and_submit_grades_them_as_unanswered(
    client, ready_learner, course, attempt, rows
):
    order = rows["order"]
    data = correct_post(attempt)
    for key in list(data):
        if key.startswith(f"q{order.pk}-pos-") and not key.endswith(order.key["correct_order"][0]):
            del data[key]  # only the first item keeps its (right) position
    client.force_login(ready_learner)
    assert client.post(url(course), {**data, "action": "summary"}).status_code == 302
    summary = client.get(url(course, "attempt_summary")).text
    assert "1 ordering question not finished" in summary
    assert f'#question-{order.position}">Question {order.position}</a>' in summary
    assert "You have answered every question." not in summary
    assert "Incomplete</strong> (counts as unanswered)" in summary

    client.post(url(course, "attempt_submit"))
    graded = Attempt.objects.get()
    assert graded.score == Decimal(4)  # of 5: the ordering earned nothing
    assert AttemptQuestion.objects.get(question__key="order").points_awarded == Decimal(0)
    review = client.get(url(course, "attempt_review")).text
    assert "not finished (some items had no position), graded as unanswered" in review


# --- autosave (the page's script posts the whole form and reads JSON) ------------------------------


def test_autosave_with_a_half_ordered_question_saves_the_other_answer(
    client, ready_learner, course, attempt, rows
):
    """Found item 1: one position set plus another answer; autosave refused both."""
    order, single = rows["order"], rows["single"]
    positions, first = half_ordered(order)
    client.force_login(ready_learner)
    response = client.post(
        url(course),
        {**positions, f"q{single.pk}": single.key["correct_ids"][0], "action": "save"},
        headers=FETCH,
    )
    assert response.status_code == 200
    assert response.json() == {"saved": 2, "errors": [], "incomplete": [order.position]}
    assert saved("single") == single.key["correct_ids"][0]
    assert saved("order") == {"incomplete": {first: 2}}


def test_autosave_with_a_refused_question_saves_the_rest_and_answers_400_naming_it(
    client, ready_learner, course, attempt, rows
):
    order, tf = rows["order"], rows["tf"]
    items = [item["id"] for item in order.snapshot["items"]]
    client.force_login(ready_learner)
    response = client.post(
        url(course),
        {
            f"q{order.pk}-pos-{items[0]}": "2",
            f"q{order.pk}-pos-{items[1]}": "2",
            f"q{tf.pk}": tf.key["choice_ids"][0],
        },
        headers=FETCH,
    )
    assert response.status_code == 400
    message = {"question": order.position, "message": "Use each position once."}
    assert response.json() == {
        "saved": 1,
        "errors": [message],
        "incomplete": [],
        "error": f"Question {order.position}: Use each position once.",
    }
    assert saved("tf") == tf.key["choice_ids"][0] and saved("order") is None


def test_an_attempt_number_beyond_any_integer_is_404_not_500(client, ready_learner, course, attempt):
    client.force_login(ready_learner)
    for number in (2**63, 2**31, 2**15):
        response = client.get(f"/courses/{course.slug}/post-test/attempts/{number}/")
        assert response.status_code == 404, number
