"""The attempt page's question markup: a stem may place a figure (a block), which a legend may not
hold, so the legend names the question by number and the group is labelled by number and stem."""

import lxml.html
import pytest

from modules.images import SVG, clean_image
from modules.models import Image
from modules.services import image_save
from quizzes.models import Choice, Question, Quiz
from quizzes.presentation import question_view, render_question
from quizzes.services import attempt_start
from tests.modules.image_fixtures import LABELLED_SVG

pytestmark = pytest.mark.django_db

# What HTML calls phrasing content is all a legend may hold; these are the blocks a stem can bring.
BLOCKS = {"figure", "figcaption", "div", "p", "ul", "ol", "table", "details", "blockquote", "pre", "h1", "h2"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def question_html(course, learner):
    image_save(
        image=Image(key="marked", alt_text="A thigh, one structure marked."),
        clean=clean_image(LABELLED_SVG, SVG),
    )
    quiz = Quiz.objects.create(course=course, shuffle_questions=False, shuffle_choices=False)
    question = Question.objects.create(
        quiz=quiz,
        key="which",
        kind="single",
        topic="anatomy",
        stem_markdown="Which structure is marked?\n\n[[image:marked]]\n\n- one list item",
        rationale_markdown="Why.",
    )
    Choice.objects.create(question=question, position=1, text="Ischial tuberosity", is_correct=True)
    Choice.objects.create(question=question, position=2, text="Greater trochanter")
    attempt = attempt_start(user=learner, quiz=quiz, all_modules_complete=True)
    return str(render_question(question_view(attempt.questions.get())))


def test_no_legend_holds_a_block_when_the_stem_places_a_figure(question_html):
    fieldset = lxml.html.fragment_fromstring(question_html)
    assert fieldset.find(".//figure") is not None  # the stem's figure is on the page
    for legend in fieldset.iter("legend"):
        assert {element.tag for element in legend.iterdescendants()} & BLOCKS == set(), lxml.html.tostring(
            legend
        )
    assert fieldset.find("legend").text_content().strip() == "Question 1"


def test_the_question_group_is_named_by_its_number_and_stem_with_the_figure(question_html):
    fieldset = lxml.html.fragment_fromstring(question_html)
    ids = fieldset.get("aria-labelledby").split()
    named_by = [fieldset.get_element_by_id(i) for i in ids]
    assert [e.tag for e in named_by] == ["legend", "div"]
    stem = named_by[1]
    assert "Which structure is marked?" in stem.text_content()
    assert stem.find(".//img").get("alt") == "A thigh, one structure marked."
