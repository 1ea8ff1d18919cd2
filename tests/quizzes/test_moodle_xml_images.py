"""Images embedded in Moodle XML: imported from the question text as figures (cleaned like an
upload, alt text required), refused with a line and a reason, shown as a placeholder in the
preview (nothing stored), and embedded again on export so Moodle -> us -> Moodle keeps them.
Runs on SQLite and PostgreSQL alike."""

import base64
import re

import pytest
from django.core.files.storage import storages
from django.urls import reverse

from modules.images import PNG, clean_image
from modules.models import Image
from quizzes.bank_formats import bank_import, moodle_xml_export
from quizzes.moodle_xml import ImageFile, export_moodle_xml, parse_moodle_xml
from tests.conftest import login, shared_path
from tests.modules.image_fixtures import png_bytes

PNG_DATA = png_bytes()


def moodle_file(img='<img src="@@PLUGINFILE@@/thigh.png" alt="The back of the thigh">', data=None):
    encoded = (
        base64.b64encode(PNG_DATA if data is None else data).decode() if not isinstance(data, str) else data
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="multichoice">
    <name><text>Marked structure</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>Which structure is marked? {img}</p>]]></text>
      <file name="thigh.png" path="/" encoding="base64">{encoded}</file>
    </questiontext>
    <single>true</single>
    <answer fraction="100"><text>Ischial tuberosity</text></answer>
    <answer fraction="0"><text>Greater trochanter</text></answer>
  </question>
</quiz>
""".encode()


def fixture(name):
    return shared_path("conformance", "moodlexml", name).read_bytes()


# Parsing (pure)


def test_an_embedded_image_becomes_a_figure_paragraph_with_the_img_alt_text():
    parsed = parse_moodle_xml(moodle_file())
    assert parsed.problems == () and parsed.notes == ()
    (question,) = parsed.questions
    (image,) = parsed.images
    assert question.stem == f"<p>Which structure is marked? </p>\n\n[[image:{image.key}]]"
    assert re.fullmatch(r"thigh-[0-9a-f]{10}", image.key)
    assert (image.alt, image.name, image.clean.content_type) == ("The back of the thigh", "thigh.png", PNG)
    assert (image.clean.width, image.clean.height) == (32, 24)


def test_truefalse_fixture_imports_the_logo_of_each_question_text_once():
    parsed = parse_moodle_xml(fixture("moodle_fixtures_truefalse.xml"))
    assert parsed.problems == ()
    (logo,) = parsed.images  # the same picture and alt text in both questions: one image
    assert (logo.name, logo.alt, logo.clean.width, logo.clean.height) == ("logo.jpg", "Moodle logo", 48, 48)
    for question in parsed.questions:
        assert question.stem.endswith(f"</p>\n\n[[image:{logo.key}]]")
        assert "@@PLUGINFILE@@" not in question.stem
    # Images in feedback are not imported: each is listed as skipped with its line.
    assert [n.message.split(" was skipped")[0] for n in parsed.notes][:3] == [
        "Line 21: the embedded file 'infos.jpg'",
        "Line 29: the embedded file 'thumbdown.jpg'",
        "Line 35: the embedded file 'thumbup.jpg'",
    ]
    assert len(parsed.notes) == 6


def test_multichoice_fixture_has_no_image_in_its_text_and_lists_its_files_as_skipped():
    parsed = parse_moodle_xml(fixture("moodle_fixtures_multichoice.xml"))
    assert parsed.problems == () and parsed.images == ()
    assert [n.message.split("'")[1] for n in parsed.notes] == [
        "bonjour.mp3",
        "flag-uk.jpg",
        "flag-france.jpg",
        "flag-german.jpg",
        "flag-denmark.jpg",
    ]


@pytest.mark.parametrize(
    "img, data, message",
    [
        (
            '<img src="@@PLUGINFILE@@/thigh.png">',
            None,
            "Line 7: the image 'thigh.png' has no alt text: add alt=\"what the picture shows\" to its <img>",
        ),
        (
            '<img src="@@PLUGINFILE@@/thigh.png" alt="  ">',
            None,
            "Line 7: the image 'thigh.png' has no alt text",
        ),
        (
            '<img src="@@PLUGINFILE@@/thigh.png" alt="x">',
            "not base64!",
            "Line 7: the embedded image 'thigh.png' is not valid base64",
        ),
        (
            '<img src="@@PLUGINFILE@@/thigh.png" alt="x">',
            PNG_DATA[:40],
            "Line 7: the embedded image 'thigh.png' was refused:",
        ),
        (
            '<img src="@@PLUGINFILE@@/other.png" alt="x">',
            None,
            "Line 1: the image 'other.png' is placed but not embedded in the file",
        ),
    ],
)
def test_an_image_that_cannot_be_imported_refuses_its_question_with_line_and_reason(img, data, message):
    parsed = parse_moodle_xml(moodle_file(img, data))
    assert parsed.questions == () and parsed.images == ()
    (problem,) = parsed.problems
    assert problem.message.startswith(message.replace("Line 1", "Line 3")), problem.message


@pytest.mark.parametrize(
    "svg",
    [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1e400 100"/>',
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        + "<g>" * 50_000
        + "</g>" * 50_000
        + "</svg>",
    ],
    ids=["infinite-viewbox", "nested-50000-deep"],
)
def test_a_hostile_embedded_svg_refuses_its_question_and_parsing_does_not_raise(svg):
    data = moodle_file('<img src="@@PLUGINFILE@@/thigh.png" alt="x">', svg.encode()).replace(
        b"thigh.png", b"thigh.svg"
    )
    parsed = parse_moodle_xml(data)
    assert parsed.questions == () and parsed.images == ()
    (problem,) = parsed.problems
    assert problem.message.startswith("Line 7: the embedded image 'thigh.svg' was refused:"), problem.message


def test_export_embeds_the_image_and_reading_it_back_gives_the_same_question_and_picture():
    parsed = parse_moodle_xml(moodle_file())
    (image,) = parsed.images
    files = {image.key: ImageFile(image.alt, image.clean.data, image.clean.extension)}
    exported = export_moodle_xml(parsed.questions, files)
    assert f'<file name="{image.key}.png" path="/" encoding="base64">'.encode() in exported
    assert (
        f'&lt;img src="@@PLUGINFILE@@/{image.key}.png" alt="The back of the thigh"&gt;'.encode() in exported
    )
    again = parse_moodle_xml(exported)
    assert again.problems == ()
    (back,) = again.images
    assert (back.key, back.alt, back.clean.data) == (image.key, image.alt, image.clean.data)
    assert [q.stem for q in again.questions] == [q.stem for q in parsed.questions]


def test_truefalse_fixture_round_trips_through_our_export_with_its_logo():
    parsed = parse_moodle_xml(fixture("moodle_fixtures_truefalse.xml"))
    (logo,) = parsed.images
    exported = export_moodle_xml(
        parsed.questions, {logo.key: ImageFile(logo.alt, logo.clean.data, logo.clean.extension)}
    )
    assert exported.count(b"<file ") == 2
    again = parse_moodle_xml(exported)
    assert again.problems == ()
    (back,) = again.images
    assert (back.alt, back.clean.width, back.clean.height, back.clean.content_type) == (
        "Moodle logo",
        48,
        48,
        "image/jpeg",
    )
    assert [q.true_false_answer for q in again.questions] == [False, True]


# Import and export through the database


pytestmark_db = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def quiz(course):
    from quizzes.models import Quiz

    return Quiz.objects.create(course=course)


def stored_files(media):
    return sorted(p.name for p in media.rglob("*") if p.is_file()) if media.exists() else []


@pytestmark_db
def test_a_dry_run_stores_no_image_and_no_file(quiz, media):
    report, _ = bank_import(quiz=quiz, fmt="moodle_xml", data=moodle_file(), dry_run=True)
    assert report.ok and len(report.would_create) == 1
    assert Image.objects.count() == 0 and stored_files(media) == []


@pytestmark_db
def test_import_stores_the_image_and_the_stem_shows_it_as_a_figure(quiz, author, media):
    report, _ = bank_import(quiz=quiz, fmt="moodle_xml", data=moodle_file(), dry_run=False, user=author)
    assert report.ok and report.created == 1
    image = Image.objects.get()
    assert (image.alt_text, image.width, image.uploaded_by) == ("The back of the thigh", 32, author)
    question = quiz.questions.get()
    assert f'<img src="{image.url}" alt="The back of the thigh"' in question.stem_html
    assert "<figure" in question.stem_html
    # The same file again reuses the image instead of storing another.
    bank_import(quiz=quiz, fmt="moodle_xml", data=moodle_file(), dry_run=False)
    assert Image.objects.count() == 1 and quiz.questions.count() == 2


@pytestmark_db
def test_a_refused_image_imports_nothing_at_all(quiz, media):
    report, _ = bank_import(quiz=quiz, fmt="moodle_xml", data=moodle_file(data="@@@"), dry_run=False)
    assert not report.ok and "is not valid base64" in report.problems[0].message
    assert quiz.questions.count() == 0 and Image.objects.count() == 0 and stored_files(media) == []


@pytestmark_db
def test_moodle_to_us_to_moodle_keeps_the_picture(quiz, media):
    bank_import(quiz=quiz, fmt="moodle_xml", data=fixture("moodle_fixtures_truefalse.xml"), dry_run=False)
    logo = Image.objects.get()
    export = moodle_xml_export(quiz)
    again = parse_moodle_xml(export.content)
    assert again.problems == () and len(again.questions) == 2
    (back,) = again.images
    with storages["default"].open(logo.file.name) as stored:
        assert back.clean.data == clean_image(stored.read(), "image/jpeg").data
    assert (back.alt, back.clean.width) == ("Moodle logo", 48)


@pytestmark_db
def test_the_preview_shows_the_image_as_its_alt_text_and_size_and_stores_nothing(client, author, quiz, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, author)
    url = reverse("admin:quizzes_quiz_import_gift", args=[quiz.pk])
    data = {"file": SimpleUploadedFile("bank.xml", moodle_file()), "dry_run": "on"}
    html = client.post(url, data).content.decode()
    assert "[Image: The back of the thigh (32 × 24 px, PNG, " in html
    assert "stored when you confirm the import]" in html
    assert Image.objects.count() == 0 and stored_files(media) == []


def test_an_image_in_a_folder_is_found_by_its_path_and_name():
    data = moodle_file('<img src="@@PLUGINFILE@@/figures/thigh.png" alt="The back of the thigh">')
    data = data.replace(b'path="/"', b'path="/figures/"')
    parsed = parse_moodle_xml(data)
    assert parsed.problems == () and parsed.notes == ()
    (image,) = parsed.images
    assert image.name == "thigh.png" and image.key.startswith("thigh-")
