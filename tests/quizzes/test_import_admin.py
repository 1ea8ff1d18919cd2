"""The admin's question-bank import and export: every format, the preview as learners see it,
confirmation all or nothing, hostile uploads refused with a 4xx and nothing saved, round trips
through the database. Runs on SQLite and PostgreSQL alike."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from quizzes.bank_formats import MAX_BANK_UPLOAD_BYTES, bank_import
from quizzes.models import Choice, Question, Quiz
from quizzes.moodle_xml import parse_moodle_xml
from quizzes.qti import parse_qti
from tests.conftest import login, shared_path

pytestmark = pytest.mark.django_db

MOODLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/Post-test/Anatomy</text></category></question>
  <question type="multichoice">
    <name><text>Origin</text></name>
    <questiontext format="html"><text><![CDATA[<p>Where do the hamstrings attach?</p>]]></text></questiontext>
    <generalfeedback format="html"><text>They share an origin.</text></generalfeedback>
    <idnumber>origin</idnumber>
    <single>true</single>
    <answer fraction="100"><text>The ischial tuberosity</text></answer>
    <answer fraction="0"><text>The greater trochanter</text></answer>
  </question>
  <question type="essay"><name><text>Essay</text></name><questiontext><text>Write.</text></questiontext></question>
  <question type="matching">
    <name><text>Sides</text></name>
    <questiontext format="markdown"><text>Match each muscle with its side.</text></questiontext>
    <subquestion><text>Biceps femoris</text><answer><text>lateral</text></answer></subquestion>
    <subquestion><text>Semitendinosus</text><answer><text>medial</text></answer></subquestion>
    <subquestion><text></text><answer><text>anterior</text></answer></subquestion>
  </question>
</quiz>
"""
AIKEN = b"Where is the pain?\nA. Deep in the buttock\nB. In the knee\nANSWER: A\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # a Moodle XML import stores its embedded images


@pytest.fixture
def quiz(course):
    return Quiz.objects.create(course=course)


def url(quiz):
    return reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])


def upload(content, name="bank.xml"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def rows():
    return Question.objects.count(), Choice.objects.count()


def test_a_preview_shows_each_question_as_learners_see_it_and_confirm_imports_it(client, author, quiz):
    login(client, author)
    data = {"file": upload(MOODLE), "dry_run": "on", "skip_unsupported": "on"}
    response = client.post(url(quiz), data)
    html = response.content.decode()
    assert response.status_code == 200 and rows() == (0, 0)
    assert "Moodle XML (.xml) file would add" in html
    assert "Line 13: essay questions are not supported" in html  # listed as left out
    # The learner's own markup: a radio group for the single choice, selects for matching.
    assert 'type="radio"' in html and "The ischial tuberosity" in html
    assert "<select" in html and "Biceps femoris" in html
    assert 'name="token"' in html
    token = html.split('name="token" value="', 1)[1].split('"', 1)[0]
    confirm = client.post(url(quiz), {"token": token, "format": "moodle_xml", "skip_unsupported": "on"})
    assert confirm.status_code == 302
    assert list(quiz.questions.values_list("key", "kind", "topic")) == [
        ("origin", "single", "anatomy"),
        ("sides", "matching", "anatomy"),
    ]
    # The token is spent: a second confirmation imports nothing more.
    again = client.post(url(quiz), {"token": token, "format": "moodle_xml"})
    assert again.status_code == 400 and "expired" in again.content.decode()
    assert quiz.questions.count() == 2


def test_without_skip_an_unsupported_question_imports_nothing_and_names_its_line(client, author, quiz):
    response = login(client, author).post(url(quiz), {"file": upload(MOODLE)})
    assert response.status_code == 400
    assert "Line 13: essay questions are not supported" in response.content.decode()
    assert rows() == (0, 0)


def test_a_token_of_another_user_or_quiz_imports_nothing(client, author, admin_user, quiz):
    login(client, author)
    html = client.post(url(quiz), {"file": upload(AIKEN, "bank.txt"), "dry_run": "on"}).content.decode()
    token = html.split('name="token" value="', 1)[1].split('"', 1)[0]
    login(client, admin_user)
    assert client.post(url(quiz), {"token": token, "format": "aiken"}).status_code == 400
    assert rows() == (0, 0)


@pytest.mark.parametrize(
    "name, content, fmt, kinds",
    [
        ("bank.txt", AIKEN, "", ["single"]),
        ("bank.xml", MOODLE, "moodle_xml", ["single", "matching"]),
        ("bank.gift", b"Deep pain?{TRUE}\n", "", ["true_false"]),
    ],
)
def test_each_format_imports_directly_when_preview_is_unticked(
    client, author, quiz, name, content, fmt, kinds
):
    data = {"file": upload(content, name), "skip_unsupported": "on"}
    if fmt:
        data["format"] = fmt
    response = login(client, author).post(url(quiz), data)
    assert response.status_code == 302
    assert list(quiz.questions.values_list("kind", flat=True)) == kinds


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>
<quiz>&b;</quiz>"""


def zip_bomb():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", b" " * 40_000_000)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content, fmt, message",
    [
        (BILLION_LAUGHS, "moodle_xml", "declares a document type or entities"),
        (b"<?xml version='1.0'?><!DOCTYPE q [<!ENTITY s SYSTEM 'file:///etc/passwd'>]><quiz>&s;</quiz>",
         "", "declares a document type or entities"),
        (b"x" * (MAX_BANK_UPLOAD_BYTES + 1), "", "The file is 5,242,881 bytes; the limit is 5.0"),  # within the envelope
        (bytes(range(256)) * 64, "moodle_xml", "the file is binary data"),
        (bytes(range(256)) * 64, "gift", "The file is not UTF-8 text"),
        (b"<quiz>" + b"<question>" * 400 + b"</question>" * 400 + b"</quiz>", "", "nested too deeply"),
        (zip_bomb(), "", "zip bomb"),
    ],
)  # fmt: skip
def test_hostile_uploads_get_a_400_with_a_message_and_save_nothing(
    client, author, quiz, content, fmt, message
):
    data = {"file": upload(content)}
    if fmt:
        data["format"] = fmt
    response = login(client, author).post(url(quiz), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert rows() == (0, 0)


def test_the_import_page_is_for_authors_only(client, learner, board, quiz):
    assert client.post(url(quiz), {"file": upload(AIKEN)}).status_code == 302  # to the admin login
    for user in (learner, board):
        assert login(client, user).post(url(quiz), {"file": upload(AIKEN)}).status_code == 403
    assert rows() == (0, 0)


def test_an_upload_declaring_more_than_the_limit_is_refused_before_its_body_is_read(
    client, author, quiz, monkeypatch
):
    login(client, author)
    monkeypatch.setattr(
        "django.http.multipartparser.MultiPartParser.parse", lambda *args: pytest.fail("the body was read")
    )
    response = client.post(
        url(quiz), {"file": upload(b"x" * (MAX_BANK_UPLOAD_BYTES + 100_000)), "dry_run": "on"}
    )
    assert response.status_code == 400 and "Nothing was read" in response.content.decode()
    assert rows() == (0, 0)


def test_the_import_still_checks_the_csrf_token(author, quiz):
    csrf_client = login(Client(enforce_csrf_checks=True), author)
    assert csrf_client.post(url(quiz), {"file": upload(AIKEN, "bank.txt"), "dry_run": ""}).status_code == 403
    assert rows() == (0, 0)


def test_exports_download_for_authors_and_not_for_learners(client, author, learner, quiz):
    bank_import(quiz=quiz, fmt="moodle_xml", data=MOODLE, dry_run=False, skip_unsupported=True)
    login(client, author)
    moodle = client.get(reverse("admin:quizzes_quiz_export_moodle_xml", args=[quiz.pk]))
    assert moodle.status_code == 200 and moodle["Content-Type"].startswith("text/xml")
    assert moodle["Content-Disposition"] == 'attachment; filename="hamstring-post-test.xml"'
    qti = client.get(reverse("admin:quizzes_quiz_export_qti", args=[quiz.pk]))
    assert qti.status_code == 200 and qti["Content-Type"] == "application/zip"
    login(client, learner)
    assert client.get(reverse("admin:quizzes_quiz_export_qti", args=[quiz.pk])).status_code == 403


def stored(quiz):
    return [
        (q.key, q.kind, q.topic, q.title, q.stem_html, q.rationale_html,
         [(c.text, c.is_correct, c.weight, c.correct_position, c.match_text) for c in q.choices.all()])
        for q in quiz.questions.order_by("position")
    ]  # fmt: skip


def test_moodle_xml_to_us_to_moodle_xml_keeps_what_we_store(client, author, quiz, course):
    report, _ = bank_import(quiz=quiz, fmt="moodle_xml", data=MOODLE, dry_run=False, skip_unsupported=True)
    assert report.created == 2
    login(client, author)
    exported = client.get(reverse("admin:quizzes_quiz_export_moodle_xml", args=[quiz.pk])).content
    first = parse_moodle_xml(MOODLE).questions
    again = parse_moodle_xml(exported).questions
    assert [(q.id, q.kind, q.title) for q in again] == [
        ("origin", "single", "Origin"),
        ("sides", "matching", "Sides"),
    ]
    for before, after in zip(first, again, strict=True):
        assert after.stem == before.stem
        assert after.general_feedback == before.general_feedback
        assert [(c.text, c.credit, c.match) for c in after.choices] == [
            (c.text, c.credit, c.match) for c in before.choices
        ]
        assert after.category.rsplit("/", 1)[-1] == "anatomy"


def test_us_to_qti_to_us_gives_the_same_questions(client, author, quiz, course):
    bank_import(quiz=quiz, fmt="moodle_xml", data=MOODLE, dry_run=False, skip_unsupported=True)
    order = Question.objects.create(quiz=quiz, key="steps", position=3, kind="ordering", topic="treatment",
                                    title="Steps", stem_markdown="Put the **steps** in order.",
                                    rationale_markdown="Load comes last.")  # fmt: skip
    for n, text in enumerate(["Rest", "Isometrics", "Load"], start=1):
        Choice.objects.create(question=order, position=n, text=text, correct_position=n)
    multi = Question.objects.create(quiz=quiz, key="signs", position=4, kind="multiple", topic="exam",
                                    stem_markdown="Which signs?", rationale_markdown="Both.",
                                    multiple_grading="partial")  # fmt: skip
    for n, (text, weight) in enumerate([("Pain", 50), ("Tenderness", 50), ("Swelling", -100)], start=1):
        Choice.objects.create(question=multi, position=n, text=text, is_correct=weight > 0, weight=weight)
    login(client, author)
    package = client.get(reverse("admin:quizzes_quiz_export_qti", args=[quiz.pk])).content
    other = Quiz.objects.create(course=course_two())
    report, fmt = bank_import(quiz=other, fmt="detect", data=package, dry_run=False)
    assert fmt == "qti" and report.ok, report.problems
    assert stored(other) == stored(quiz)


def course_two():
    from tests.factories import course_with_modules

    return course_with_modules(slug="second", title="Second course")


def test_conformance_moodle_fixture_imports_through_the_service():
    quiz = Quiz.objects.create(course=course_two())
    data = shared_path("conformance", "moodlexml", "moodle_fixtures_truefalse.xml").read_bytes()
    report, _ = bank_import(quiz=quiz, fmt="detect", data=data, dry_run=False)
    assert report.ok and report.created == 2
    # The logo in both question texts is imported (once); the six feedback images are listed as skipped.
    assert len([n for n in report.notes if "embedded file" in str(n)]) == 6
    assert all("[[image:logo-" in stem for stem in quiz.questions.values_list("stem_markdown", flat=True))
    assert list(quiz.questions.values_list("title", "topic")) == [
        ("Moodle acronym (False)", "truefalse"),
        ("Moodle acronym (True)", "truefalse"),
    ]


def test_a_qti_sample_package_of_items_imports_and_qti2_is_reported(course):
    quiz = Quiz.objects.create(course=course)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("1edtech_qti3_QTI3multiplechoice2.xml", "ims_qti21_choice.xml"):
            archive.writestr(name, shared_path("conformance", "qti", name).read_bytes())
    report, _ = bank_import(quiz=quiz, fmt="qti", data=buffer.getvalue(), dry_run=False)
    assert not report.ok and "QTI 2 item" in report.problems[0].message and rows() == (0, 0)
    report, _ = bank_import(
        quiz=quiz, fmt="qti", data=buffer.getvalue(), dry_run=False, skip_unsupported=True
    )
    assert report.created == 1 and "QTI 2 item" in report.skipped[0].message
    parse_qti(buffer.getvalue())


def test_the_preview_renders_every_kind_with_the_learners_inputs(client, author, quiz):
    from quizzes.qti import export_qti_item, export_qti_package
    from tests.quizzes.test_qti import BANK

    kinds = ("single", "true_false", "multiple", "ordering", "matching")
    bank = [q for q in BANK if q.kind in kinds and q.id != "partial"]
    items = [(q.id, export_qti_item(q, identifier=q.id, stem_html=q.stem)) for q in bank]
    package = export_qti_package(items)
    response = login(client, author).post(url(quiz), {"file": upload(package, "bank.zip"), "dry_run": "on"})
    html = response.content.decode()
    assert response.status_code == 200 and rows() == (0, 0)
    previews = html.split('<section class="mb-4"')[1:]
    assert [p.split(" · ")[1] for p in previews] == [q.kind for q in bank]
    by_kind = dict(zip([q.kind for q in bank], previews, strict=False))
    assert 'type="radio"' in by_kind["single"] and 'type="radio"' in by_kind["true_false"]
    assert 'type="checkbox"' in by_kind["multiple"]
    assert "ordering-position" in by_kind["ordering"] and "<select" in by_kind["matching"]
    assert "Ischial tuberosity" in by_kind["single"] and "Semimembranosus" in by_kind["matching"]
    # Read-only: nothing in a preview can post an answer, and the key is not on the page.
    assert "data-autosave" not in html and "correct" not in html.split("import-previews", 1)[1].lower()


NEW_KINDS = b"""<quiz>
  <question type="category"><category><text>$course$/Treatment</text></category></question>
  <question type="numerical"><name><text>Relief</text></name><idnumber>relief</idnumber>
    <questiontext format="markdown"><text>Under what percent reported relief at six months?</text></questiontext>
    <generalfeedback format="markdown"><text>The article reports it.</text></generalfeedback>
    <answer fraction="100"><text>38</text><tolerance>0.5</tolerance></answer>
    <answer fraction="50"><text>40</text><tolerance>1</tolerance></answer>
  </question>
  <question type="numerical"><name><text>Dose</text></name><idnumber>dose</idnumber>
    <questiontext format="markdown"><text>How many mg?</text></questiontext>
    <answer fraction="100"><text>500</text><tolerance>0</tolerance></answer>
    <unitgradingtype>1</unitgradingtype><unitpenalty>0.1</unitpenalty><showunits>0</showunits>
    <units><unit><multiplier>1</multiplier><unit_name>mg</unit_name></unit>
      <unit><multiplier>0.001</multiplier><unit_name>g</unit_name></unit></units>
  </question>
  <question type="shortanswer"><name><text>Group</text></name><idnumber>group</idnumber>
    <questiontext format="markdown"><text>Name the muscle group.</text></questiontext>
    <usecase>0</usecase>
    <answer fraction="100"><text>hamstrings</text></answer>
    <answer fraction="50"><text>hamstring</text></answer>
  </question>
  <question type="cloze"><name><text>Site</text></name><idnumber>site</idnumber>
    <questiontext format="markdown"><text>Pain sits at the {1:MULTICHOICE:=ischial~%50%pubic~sacral} tuberosity.</text></questiontext>
  </question>
  <question type="cloze"><name><text>Typed</text></name><idnumber>typed</idnumber>
    <questiontext format="markdown"><text>The {1:SHORTANSWER:=bent-knee} stretch test loads the tendon.</text></questiontext>
  </question>
  <question type="multichoice"><name><text>Best</text></name><idnumber>best</idnumber>
    <questiontext format="markdown"><text>Which is best?</text></questiontext>
    <single>true</single>
    <answer fraction="100"><text>Load</text></answer>
    <answer fraction="50"><text>Rest</text></answer>
    <answer fraction="0"><text>Ice</text></answer>
  </question>
</quiz>"""


def stored_in_full(quiz):
    return [
        (q.key, q.kind, q.topic, q.title, q.stem_html, q.case_sensitive, q.blank_input, q.unit_handling,
         q.unit_penalty, q.multiple_grading,
         [(c.text, c.is_correct, c.weight, c.number, c.tolerance, c.range_low, c.range_high)
          for c in q.choices.all()],
         [(u.name, u.multiplier) for u in q.units.all()])
        for q in quiz.questions.order_by("position")
    ]  # fmt: skip


def test_new_kinds_import_from_moodle_xml_preview_and_export_back(client, author, quiz):
    login(client, author)
    html = client.post(url(quiz), {"file": upload(NEW_KINDS), "dry_run": "on"}).content.decode()
    assert "Nothing has been saved yet" in html, html
    assert 'inputmode="decimal"' in html  # the numerical inputs, as learners get them
    assert html.count('<section class="mb-4"') == 6
    report, _ = bank_import(quiz=quiz, fmt="moodle_xml", data=NEW_KINDS, dry_run=False)
    assert report.ok and report.created == 6, report.problems
    kinds = list(quiz.questions.values_list("key", "kind", "blank_input", "multiple_grading"))
    assert kinds == [
        ("relief", "numerical", "select", "all_or_nothing"),
        ("dose", "numerical", "select", "all_or_nothing"),
        ("group", "short_answer", "select", "all_or_nothing"),
        ("site", "cloze", "select", "partial"),
        ("typed", "cloze", "text", "all_or_nothing"),
        ("best", "single", "select", "partial"),
    ]
    dose = quiz.questions.get(key="dose")
    assert (dose.unit_handling, dose.unit_penalty) == ("graded", 10)
    exported = client.get(reverse("admin:quizzes_quiz_export_moodle_xml", args=[quiz.pk])).content
    again = Quiz.objects.create(course=course_two())
    report, _ = bank_import(quiz=again, fmt="detect", data=exported, dry_run=False)
    assert report.ok, report.problems
    assert stored_in_full(again) == stored_in_full(quiz)


def test_new_kinds_go_through_qti_and_back_unchanged_except_units(client, author, quiz):
    bank_import(quiz=quiz, fmt="moodle_xml", data=NEW_KINDS, dry_run=False)
    login(client, author)
    response = client.get(reverse("admin:quizzes_quiz_export_qti", args=[quiz.pk]))
    assert response["X-Export-Skipped"] == "dose"  # graded units: QTI text entry has none
    again = Quiz.objects.create(course=course_two())
    report, _ = bank_import(quiz=again, fmt="qti", data=response.content, dry_run=False)
    assert report.ok, report.problems
    assert stored_in_full(again) == [row for row in stored_in_full(quiz) if row[0] != "dose"]


@pytest.mark.parametrize(
    "data, name, fmt",
    [
        (b"PK\x03\x04rest", "bank.zip", "qti"),
        (b'<?xml version="1.0"?>\n<quiz></quiz>', "bank.xml", "moodle_xml"),
        (b"<quiz>\n</quiz>", "bank.xml", "moodle_xml"),
        (b'<?xml version="1.0"?><qti-assessment-item xmlns="x"/>', "item.xml", "qti"),
        (b"<b>Pick one</b>{=a ~b}", "bank.txt", "gift"),
        (b"Q?\nA. a\nB. b\nANSWER: A\n", "bank.txt", "aiken"),
        (b"Q?\nA. a\nB. b\nANSWER: A\n", "bank.gift", "gift"),
    ],
)
def test_the_format_is_detected_from_the_file(data, name, fmt):
    from quizzes.bank_formats import detect_format

    assert detect_format(data, name) == fmt
