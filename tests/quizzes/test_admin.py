"""Authoring the post-test in the admin: question validation that explains itself and saves nothing
half, the learner-view preview without the key, GIFT upload and download, and read-only attempts."""

import html
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from quizzes.models import Attempt, AttemptQuestion, Choice, DrawRule, Question, Quiz
from tests.conftest import login

pytestmark = pytest.mark.django_db

ADD_QUESTION = reverse("admin:quizzes_question_add")

GIFT = """\
$CATEGORY: Post-test/Anatomy

::Origin::Where do the hamstrings attach?{
  =The ischial tuberosity
  ~The greater trochanter
  ####They share a common origin on the ischial tuberosity.
}

The pain sits deep in the buttock.{TRUE####It does.}
"""


@pytest.fixture
def quiz(course):
    return Quiz.objects.create(course=course)


def make_question(quiz, key="q1", kind="single", choices=(("Right", True), ("Wrong", False)), **fields):
    question = Question.objects.create(
        quiz=quiz,
        key=key,
        kind=kind,
        topic=fields.pop("topic", "anatomy"),
        stem_markdown=fields.pop("stem_markdown", "Where is **the pain**?"),
        rationale_markdown="Because.",
        **fields,
    )
    for position, (text, is_correct) in enumerate(choices, start=1):
        Choice.objects.create(question=question, position=position, text=text, is_correct=is_correct)
    return question


def question_post(quiz, kind, choices, *, grading="all_or_nothing", key="new-question"):
    """The admin add form as a browser posts it. `choices` are dicts of Choice fields."""
    data = {
        "quiz": quiz.pk,
        "key": key,
        "position": 1,
        "kind": kind,
        "topic": "anatomy",
        "title": "",
        "points": "1",
        "is_active": "on",
        "stem_markdown": "Which is right?",
        "rationale_markdown": "Because the article says so.",
        "reference": "",
        "multiple_grading": grading,
        "ordering_mode": "absolute_position",
        "choices-TOTAL_FORMS": str(len(choices)),
        "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0",
        "choices-MAX_NUM_FORMS": "1000",
        "blank_input": "select",
        "unit_handling": "none",
        "unit_penalty": "10",
        "units-TOTAL_FORMS": "0",
        "units-INITIAL_FORMS": "0",
        "units-MIN_NUM_FORMS": "0",
        "units-MAX_NUM_FORMS": "1000",
    }
    for i, choice in enumerate(choices):
        data[f"choices-{i}-position"] = str(i + 1)
        for name in ("text", "weight", "correct_position", "match_text", "number", "tolerance"):
            data[f"choices-{i}-{name}"] = str(choice.get(name, ""))
        if choice.get("is_correct"):
            data[f"choices-{i}-is_correct"] = "on"
    return data


def counts():
    return Question.objects.count(), Choice.objects.count()


def upload(content, name="bank.gift"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


# ---------------------------------------------------------------------------
# Question validation in the add view
# ---------------------------------------------------------------------------

GOOD = {
    "single": ("all_or_nothing", [{"text": "A", "is_correct": True}, {"text": "B"}]),
    "true_false": ("all_or_nothing", [{"text": "True"}, {"text": "False", "is_correct": True}]),
    "multiple": ("all_or_nothing", [{"text": "A", "is_correct": True}, {"text": "B", "is_correct": True}]),
    "partial": (
        "partial",
        [
            {"text": "A", "is_correct": True, "weight": "50"},
            {"text": "B", "is_correct": True, "weight": "50"},
            {"text": "C", "weight": "-100"},
        ],
    ),
    "ordering": (
        "all_or_nothing",
        [
            {"text": "First", "correct_position": 1},
            {"text": "Third", "correct_position": 3},
            {"text": "Second", "correct_position": 2},
        ],
    ),
    "matching": (
        "all_or_nothing",
        [
            {"text": "Knee", "match_text": "Hinge"},
            {"text": "Hip", "match_text": "Ball"},
            {"match_text": "Pivot"},
        ],
    ),
}


@pytest.mark.parametrize("case", list(GOOD))
def test_author_adds_a_valid_question_of_each_kind(client, author, quiz, case):
    grading, choices = GOOD[case]
    kind = "multiple" if case == "partial" else case
    response = login(client, author).post(ADD_QUESTION, question_post(quiz, kind, choices, grading=grading))
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.non_form_errors()
    question = Question.objects.get(key="new-question")
    assert question.kind == kind and question.choices.count() == len(choices)


BAD = [
    ("single", "all_or_nothing", [{"text": "A", "is_correct": True}, {"text": "B", "is_correct": True}],
     "A single-choice question needs exactly one correct choice."),
    ("single", "all_or_nothing", [{"text": "A", "is_correct": True}],
     "A single-choice question needs at least two choices."),
    ("multiple", "all_or_nothing", [{"text": "A"}, {"text": "B"}],
     "A multiple-select question needs at least one correct choice."),
    ("multiple", "partial", [{"text": "A", "is_correct": True, "weight": "60"}, {"text": "B", "weight": "-10"}],
     "The positive weights add up to 60"),
    ("multiple", "partial", [{"text": "A", "is_correct": True, "weight": "100"}, {"text": "B"}],
     "Partial credit needs a weight (percent) on every choice."),
    ("true_false", "all_or_nothing", [{"text": "True", "is_correct": True}, {"text": "False"}, {"text": "Maybe"}],
     "A true/false question has exactly two choices (True and False)."),
    ("ordering", "all_or_nothing", [{"text": "A", "correct_position": 1}, {"text": "B", "correct_position": 2}],
     "An ordering question needs at least three items."),
    ("ordering", "all_or_nothing",
     [{"text": "A", "correct_position": 1}, {"text": "B", "correct_position": 1}, {"text": "C", "correct_position": 2}],
     "The items&#x27; correct positions must be 1 to 3, each used once."),
    ("matching", "all_or_nothing", [{"text": "Knee", "match_text": "Hinge"}, {"match_text": "Ball"}],
     "A matching question needs at least two pairs."),
]  # fmt: skip


@pytest.mark.parametrize("kind, grading, choices, message", BAD)
def test_a_bad_question_gets_the_explaining_message_and_saves_nothing(
    client, author, quiz, kind, grading, choices, message
):
    before = counts()
    response = login(client, author).post(ADD_QUESTION, question_post(quiz, kind, choices, grading=grading))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert counts() == before


def test_deleting_choices_on_change_is_checked_too(client, author, quiz):
    question = make_question(quiz, kind="true_false", choices=(("True", True), ("False", False)))
    data = question_post(quiz, "true_false", [], key=question.key)
    choices = list(question.choices.all())
    data.update({"choices-TOTAL_FORMS": "2", "choices-INITIAL_FORMS": "2"})
    for i, choice in enumerate(choices):
        data.update(
            {
                f"choices-{i}-id": choice.pk,
                f"choices-{i}-question": question.pk,
                f"choices-{i}-position": choice.position,
                f"choices-{i}-text": choice.text,
            }
        )
    data["choices-0-is_correct"] = "on"
    data["choices-1-DELETE"] = "on"
    response = login(client, author).post(reverse("admin:quizzes_question_change", args=[question.pk]), data)
    assert response.status_code == 200
    assert "A true/false question has exactly two choices" in response.content.decode()
    assert question.choices.count() == 2


def test_a_used_question_cannot_be_deleted_and_the_form_says_to_retire_it(client, author, learner, quiz):
    used = make_question(quiz, key="used")
    unused = make_question(quiz, key="unused")
    attempt = Attempt.objects.create(
        user=learner, quiz=quiz, number=1, started_at=timezone.now(), max_score=1
    )
    AttemptQuestion.objects.create(attempt=attempt, question=used, position=1, snapshot={}, key={})
    login(client, author)
    assert client.get(reverse("admin:quizzes_question_delete", args=[used.pk])).status_code == 403
    assert client.get(reverse("admin:quizzes_question_delete", args=[unused.pk])).status_code == 200
    change = client.get(reverse("admin:quizzes_question_change", args=[used.pk])).content.decode()
    assert "untick “Is active” to retire it" in change
    assert reverse("admin:quizzes_question_delete", args=[used.pk]) not in change


def test_question_list_filters_and_costs_the_same_for_more_questions(
    client, author, quiz, django_assert_max_num_queries
):
    for n in range(12):
        make_question(quiz, key=f"q{n}", topic="anatomy" if n % 2 else "treatment")
    login(client, author)
    client.get(reverse("admin:quizzes_question_changelist"))  # fills the cache (session, user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:quizzes_question_changelist"), {"topic": "anatomy"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 6
    assert "Preview" in response.content.decode()


# ---------------------------------------------------------------------------
# Preview
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, choices",
    [
        ("single", (("Ischial tuberosity", True), ("Greater trochanter", False))),
        ("multiple", (("Overuse", True), ("Weak hamstrings", True), ("Strong hamstrings", False))),
        ("true_false", (("True", False), ("False", True))),
    ],
)
def test_preview_shows_the_question_as_learners_see_it_without_the_key(client, author, quiz, kind, choices):
    question = make_question(quiz, kind=kind, choices=choices)
    response = login(client, author).get(reverse("admin:quizzes_question_preview", args=[question.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Where is <strong>the pain</strong>?" in html
    assert 'class="question card' in html  # the learner partial itself
    for text, _ in choices:
        assert text in html
    assert "correct" not in html.lower()


def test_preview_of_ordering_and_matching_questions(client, author, quiz):
    ordering = make_question(quiz, key="order", kind="ordering", choices=())
    for position, text in ((1, "Rest"), (2, "Load"), (3, "Return")):
        Choice.objects.create(question=ordering, position=position, text=text, correct_position=position)
    matching = make_question(quiz, key="match", kind="matching", choices=())
    for position, (text, answer) in enumerate((("Knee", "Hinge"), ("Hip", "Ball"))):
        Choice.objects.create(question=matching, position=position, text=text, match_text=answer)
    login(client, author)
    for question in (ordering, matching):
        html = client.get(reverse("admin:quizzes_question_preview", args=[question.pk])).content.decode()
        assert "correct" not in html.lower()
    assert (
        "ordering-position"
        in client.get(reverse("admin:quizzes_question_preview", args=[ordering.pk])).content.decode()
    )


def test_preview_of_a_question_that_breaks_the_rules_explains_instead_of_failing(client, author, quiz):
    question = make_question(quiz, kind="ordering", choices=(("Only", False),))
    response = login(client, author).get(reverse("admin:quizzes_question_preview", args=[question.pk]))
    assert response.status_code == 200
    assert "An ordering question needs at least three items." in response.content.decode()


def test_preview_is_for_staff_who_may_view_questions(client, learner, board, quiz):
    url = reverse("admin:quizzes_question_preview", args=[make_question(quiz).pk])
    assert client.get(url).url.startswith(reverse("admin:login"))
    for user in (learner, board):
        assert login(client, user).get(url).url.startswith(reverse("admin:login"))


# ---------------------------------------------------------------------------
# Quiz admin and the GIFT pages
# ---------------------------------------------------------------------------


def test_quiz_list_shows_settings_question_count_and_gift_links(
    client, author, quiz, django_assert_max_num_queries
):
    make_question(quiz, key="a")
    make_question(quiz, key="b")
    DrawRule.objects.create(quiz=quiz, topic="anatomy", count=1)
    login(client, author)
    client.get(reverse("admin:quizzes_quiz_changelist"))  # fills the cache (session, user)
    with django_assert_max_num_queries(10):
        html = client.get(reverse("admin:quizzes_quiz_changelist")).content.decode()
    assert '<td class="field-question_count">2</td>' in html
    assert reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk]) in html
    assert reverse("admin:quizzes_quiz_export_gift", args=[quiz.pk]) in html
    change = client.get(reverse("admin:quizzes_quiz_change", args=[quiz.pk])).content.decode()
    assert "Import questions" in change and "Export GIFT" in change and "draw_rules-0-topic" in change
    assert "Export Moodle XML" in change and "Export QTI" in change


def test_import_page_is_for_authors_only(client, learner, board, author, admin_user, quiz):
    url = reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])
    assert client.get(url).url.startswith(reverse("admin:login"))
    assert client.post(url).url.startswith(reverse("admin:login"))
    for user in (learner, board):
        login(client, user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"file": upload(GIFT.encode())}).status_code == 403
    assert counts() == (0, 0)
    for user in (author, admin_user):
        response = login(client, user).get(url)
        assert response.status_code == 200
    html = response.content.decode()
    assert "<legend>Upload a question bank</legend>" in html
    assert 'name="dry_run" id="id_dry_run" checked' in html


def test_import_page_of_an_unknown_quiz_is_404(client, author):
    assert login(client, author).get(reverse("admin:quizzes_quiz_import_gift", args=[999])).status_code == 404


def test_gift_dry_run_previews_questions_with_lines_and_saves_nothing(client, author, quiz):
    url = reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])
    response = login(client, author).post(url, {"file": upload(GIFT.encode()), "dry_run": "on"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing has been saved yet" in html
    assert "Line 3 · single · topic “anatomy” · key origin" in html
    assert "Where do the hamstrings attach?" in html and "The ischial tuberosity" in html
    assert "Line 9 · true_false · topic “anatomy” · key gift-9" in html
    assert counts() == (0, 0)


def test_gift_import_creates_the_questions_and_says_so(client, author, quiz):
    url = reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])
    response = login(client, author).post(url, {"file": upload(GIFT.encode())}, follow=True)
    assert response.redirect_chain[-1][0].endswith(f"?quiz__id__exact={quiz.pk}")
    assert f"Imported 2 questions into {quiz}." in [str(m) for m in response.context["messages"]]
    assert list(quiz.questions.values_list("key", "kind", "topic")) == [
        ("origin", "single", "anatomy"),
        ("gift-9", "true_false", "anatomy"),
    ]


def test_gift_file_with_an_unsupported_question_imports_nothing_and_names_its_line(client, author, quiz):
    text = GIFT + "\nDescribe the pain.{}\n"
    url = reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])
    response = login(client, author).post(url, {"file": upload(text.encode())})
    assert response.status_code == 400
    assert "Line 11: essay questions are not supported" in response.content.decode()
    assert "Nothing was imported" in response.content.decode()
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    "content, message",
    [
        # Over the limit but within the form's envelope: received, then refused by the form.
        (b"x" * 5_242_881, "The file is 5,242,881 bytes; the limit is 5.0\xa0MB (5,242,880 bytes)."),
        ("Caf\xe9?{=Oui ~Non}".encode("latin-1"), "The file is not UTF-8 text (byte 4 cannot be read)."),
    ],
)
def test_uploads_too_large_or_not_utf8_get_a_clear_400_and_save_nothing(
    client, author, quiz, content, message
):
    url = reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])
    response = login(client, author).post(url, {"file": upload(content)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == (0, 0)


def test_upload_without_a_file_is_a_400(client, author, quiz):
    url = reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])
    response = login(client, author).post(url, {"dry_run": "on"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_utf8_with_a_byte_order_mark_is_accepted(client, author, quiz):
    url = reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])
    response = login(client, author).post(url, {"file": upload(GIFT.encode("utf-8-sig"))})
    assert response.status_code == 302
    assert quiz.questions.count() == 2


def test_export_downloads_gift_named_after_the_course_and_lists_skipped_questions(
    client, author, learner, quiz
):
    make_question(quiz, key="origin")
    ordering = make_question(quiz, key="sequence", kind="ordering", choices=())
    for position, text in ((1, "Rest"), (2, "Load"), (3, "Return")):
        Choice.objects.create(question=ordering, position=position, text=text, correct_position=position)
    url = reverse("admin:quizzes_quiz_export_gift", args=[quiz.pk])

    assert client.get(url).url.startswith(reverse("admin:login"))
    assert login(client, learner).get(url).status_code == 403

    response = login(client, author).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="hamstring-post-test.gift"'
    assert response["X-GIFT-Skipped"] == "sequence"
    text = response.content.decode()
    assert "// [id:origin]" in text and "sequence" in text.splitlines()[1]
    assert client.post(url).status_code == 405


# ---------------------------------------------------------------------------
# Attempts are read-only records
# ---------------------------------------------------------------------------


def test_attempts_are_read_only_and_never_deleted(client, admin_user, learner, quiz):
    question = make_question(quiz)
    attempt = Attempt.objects.create(
        user=learner, quiz=quiz, number=1, started_at=timezone.now(), max_score=Decimal(1)
    )
    AttemptQuestion.objects.create(attempt=attempt, question=question, position=1, snapshot={}, key={})
    login(client, admin_user)
    html = client.get(reverse("admin:quizzes_attempt_changelist")).content.decode()
    assert "alice@example.com" in html and "Add attempt" not in html
    assert client.get(reverse("admin:quizzes_attempt_change", args=[attempt.pk])).status_code == 200
    assert client.get(reverse("admin:quizzes_attempt_add")).status_code == 403
    assert client.get(reverse("admin:quizzes_attempt_delete", args=[attempt.pk])).status_code == 403
    response = client.post(
        reverse("admin:quizzes_attempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk]},
    )
    assert Attempt.objects.count() == 1 and AttemptQuestion.objects.count() == 1
    assert response.status_code in (200, 302)


def test_an_empty_choice_row_is_explained(client, author, quiz):
    data = question_post(
        quiz, "single", [{"text": "A", "is_correct": True}, {"text": "B"}, {"is_correct": True}]
    )
    response = login(client, author).post(ADD_QUESTION, data)
    assert response.status_code == 200
    assert (
        "Give the choice a text (or, in a matching question, the answer it matches; "
        "in a numerical question, a value or a range)." in response.content.decode()
    )
    assert counts() == (0, 0)


def test_preview_is_get_only(client, author, quiz):
    url = reverse("admin:quizzes_question_preview", args=[make_question(quiz).pk])
    assert login(client, author).post(url).status_code == 405


def test_author_adds_a_numerical_question_with_a_tolerance_and_units(client, author, quiz):
    data = question_post(quiz, "numerical", [{"number": "2.5", "tolerance": "0.1", "is_correct": True}])
    data.update(
        {
            "unit_handling": "graded",
            "units-TOTAL_FORMS": "2",
            "units-0-position": "1",
            "units-0-name": "mg",
            "units-0-multiplier": "1",
            "units-1-position": "2",
            "units-1-name": "g",
            "units-1-multiplier": "0.001",
        }
    )
    response = login(client, author).post(ADD_QUESTION, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    question = Question.objects.get()
    assert [(u.name, u.multiplier) for u in question.units.all()] == [("mg", 1), ("g", Decimal("0.001"))]
    assert question.choices.get().tolerance == Decimal("0.1")


@pytest.mark.parametrize(
    ("kind", "choices", "changes", "message"),
    [
        (
            "cloze",
            [{"text": "a", "is_correct": True}, {"text": "b"}],
            {},
            "needs its blank, [[blank]], exactly once",
        ),
        (
            "numerical",
            [{"is_correct": True, "text": ""}, {"number": "1", "is_correct": True}],
            {},
            "Give the choice a text",
        ),
        ("numerical", [{"number": "1", "weight": "50"}], {}, "One accepted answer must earn 100%"),
        (
            "numerical",
            [{"number": "1", "is_correct": True}],
            {
                "unit_handling": "graded",
                "units-TOTAL_FORMS": "1",
                "units-0-position": "1",
                "units-0-name": "g",
                "units-0-multiplier": "2",
            },
            "its multiplier must be 1",
        ),
    ],
)
def test_new_kinds_breaking_a_rule_are_explained_and_not_saved(
    client, author, quiz, kind, choices, changes, message
):
    data = question_post(quiz, kind, choices)
    data.update(changes)
    response = login(client, author).post(ADD_QUESTION, data)
    assert response.status_code == 200
    assert message in html.unescape(response.content.decode())
    assert counts() == (0, 0)
