"""Images authors add: loaded from course folders, placed in Markdown, uploaded in the admin, served."""

import hashlib
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from modules.images import PNG, SVG, clean_image
from modules.models import Image, Module
from modules.services import image_save
from quizzes.models import Choice, Question, Quiz
from quizzes.services import attempt_start
from tests.factories import UserFactory
from tests.modules.image_fixtures import LABELLED_SVG, course_folder, png_bytes

pytestmark = pytest.mark.django_db

IMAGES_TOML = """
[[image]]
key = "test-thigh"
file = "images/thigh.svg"
alt = "The back of the thigh with the ischial tuberosity labelled."
caption = "The *posterior* thigh"
source = "Degen 2019"
long_description = "A box labelled **ischial tuberosity**."

[[image]]
key = "test-dot"
file = "images/dot.png"
decorative = true
"""
OVERVIEW = "Intro paragraph.\n\n[[image:test-thigh]]\n\nAfter.\n\n[[image:test-dot]]\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def load(folder):
    out = StringIO()
    call_command("load_course", str(folder), stdout=out)
    return out.getvalue()


def fixture_course(tmp_path, module_text=OVERVIEW, images_toml=IMAGES_TOML):
    files = {"images/thigh.svg": LABELLED_SVG, "images/dot.png": png_bytes()}
    return course_folder(tmp_path, images_toml=images_toml, files=files, module_text=module_text)


def test_load_course_stores_images_and_renders_figures_in_the_module(tmp_path):
    load(fixture_course(tmp_path))
    thigh = Image.objects.get(key="test-thigh")
    assert thigh.content_type == "image/svg+xml" and (thigh.width, thigh.height) == (400, 300)
    html = Module.objects.get(slug="overview").body_html
    assert f'<figure class="figure"><img src="{thigh.url}" alt="The back of the thigh' in html
    assert 'width="400" height="300" loading="lazy"' in html
    assert "<figcaption>The <em>posterior</em> thigh — Degen 2019</figcaption>" in html
    assert "<details><summary>Description of the figure</summary><p>A box labelled <strong>" in html
    dot = Image.objects.get(key="test-dot")
    assert f'<img src="{dot.url}" alt="" width="32" height="24" loading="lazy"></figure>' in html


def test_load_course_twice_leaves_images_unchanged(tmp_path):
    folder = fixture_course(tmp_path)
    load(folder)
    before = list(Image.objects.values_list("key", "file", "sha256", "updated_at"))
    output = load(folder)
    assert list(Image.objects.values_list("key", "file", "sha256", "updated_at")) == before
    assert "image test-thigh" not in output.replace("unchanged", "")


def test_load_course_names_the_file_and_key_of_an_unknown_image(tmp_path):
    folder = fixture_course(tmp_path, module_text="Text.\n\n[[image:no-such-picture]]\n")
    with pytest.raises(CommandError) as error:
        load(folder)
    assert "01-overview.md" in str(error.value) and "no-such-picture" in str(error.value)
    assert not Module.objects.exists()  # nothing half-loaded


def test_load_course_names_the_post_test_file_and_key_of_an_unknown_stem_image(tmp_path):
    folder = fixture_course(tmp_path)
    quiz = folder / "post-test.toml"
    text = quiz.read_text(encoding="utf-8")
    stem = 'stem = "A patient with chronic proximal hamstring tendinopathy'
    assert stem in text
    quiz.write_text(
        text.replace(stem, 'stem = "[[image:missing-stem-figure]]\\n\\nA patient', 1), encoding="utf-8"
    )
    with pytest.raises(CommandError) as error:
        load(folder)
    assert "post-test.toml" in str(error.value) and "missing-stem-figure" in str(error.value)
    assert not Module.objects.exists()


def test_load_course_places_an_image_in_a_question_stem(tmp_path):
    folder = fixture_course(tmp_path)
    quiz = folder / "post-test.toml"
    stem = 'stem = "A patient with chronic proximal hamstring tendinopathy'
    text = quiz.read_text(encoding="utf-8").replace(stem, 'stem = "[[image:test-thigh]]\\n\\nA patient', 1)
    quiz.write_text(text, encoding="utf-8")
    load(folder)
    question = Question.objects.get(stem_markdown__startswith="[[image:test-thigh]]")
    assert question.stem_html.startswith(
        f'<figure class="figure"><img src="{Image.objects.get(key="test-thigh").url}"'
    )


def test_load_course_refuses_an_image_without_alt_text(tmp_path):
    toml = IMAGES_TOML.replace('alt = "The back of the thigh with the ischial tuberosity labelled."\n', "")
    with pytest.raises(CommandError, match=r"test-thigh.*alt text is required"):
        load(fixture_course(tmp_path, images_toml=toml))


def test_load_course_refuses_a_file_outside_the_course_folder(tmp_path):
    (tmp_path / "outside.svg").write_bytes(LABELLED_SVG)  # a real file, one level above the course
    toml = IMAGES_TOML.replace('"images/thigh.svg"', '"../outside.svg"')
    with pytest.raises(CommandError, match="not a file inside"):
        load(fixture_course(tmp_path, images_toml=toml))


# Authors upload in the admin

ADD_URL = "admin:modules_image_add"


def upload_form(**overrides):
    form = {
        "key": "uploaded-dot",
        "upload": SimpleUploadedFile("dot.png", png_bytes(), content_type="image/png"),
        "alt_text": "A red square marking the ischial tuberosity.",
        "caption": "",
        "source": "",
        "long_description_markdown": "",
    }
    form.update(overrides)
    return {name: value for name, value in form.items() if value is not None}


def test_author_uploads_an_image_and_it_is_stored_reencoded(client, author, media):
    client.force_login(author)
    response = client.post(reverse(ADD_URL), upload_form())
    assert response.status_code == 302
    image = Image.objects.get(key="uploaded-dot")
    assert image.uploaded_by == author and image.content_type == "image/png"
    assert (image.width, image.height, image.decorative) == (32, 24, False)
    assert image.file.name == f"images/uploaded-dot-{image.sha256[:16]}.png"
    stored = (media / image.file.name).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == image.sha256 and len(stored) == image.bytes


def test_upload_without_alt_text_is_refused_with_400_and_a_message(client, author):
    client.force_login(author)
    response = client.post(reverse(ADD_URL), upload_form(alt_text=""))
    assert response.status_code == 400
    assert "Describe the image for readers who cannot see it" in response.text
    assert not Image.objects.exists()


def test_decorative_image_may_have_no_alt_text(client, author):
    client.force_login(author)
    response = client.post(reverse(ADD_URL), upload_form(alt_text="", decorative="on"))
    assert response.status_code == 302
    assert Image.objects.get(key="uploaded-dot").decorative


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("page.png", b"<html><script>alert(1)</script></html>", "not a PNG, JPEG or WebP"),
        ("photo.jpg", png_bytes(), "named as JPG but is really PNG"),
        ("notes.html", b"<p>hi</p>", "only PNG, JPEG, WebP and SVG"),
        ("bomb.svg", b'<!DOCTYPE svg [<!ENTITY a "a">]><svg xmlns="http://www.w3.org/2000/svg"/>', "DOCTYPE"),
    ],
    ids=["html-named-png", "png-named-jpg", "html", "svg-entities"],
)
def test_refused_upload_gets_400_with_the_reason_and_saves_nothing(
    client, author, media, name, data, message
):
    client.force_login(author)
    upload = SimpleUploadedFile(name, data, content_type="image/png")
    response = client.post(reverse(ADD_URL), upload_form(upload=upload))
    assert response.status_code == 400
    assert message in response.text and name in response.text
    assert not Image.objects.exists() and not (media / "images").exists()


def test_oversized_upload_is_refused_with_400(client, author, settings):
    settings.IMAGE_MAX_BYTES = 50
    client.force_login(author)
    response = client.post(reverse(ADD_URL), upload_form())
    assert (
        response.status_code == 400
        and f"dot.png: The file is {len(png_bytes())} bytes;" in response.text
        and "the limit is 50 bytes." in response.text
    )


def test_learner_and_board_cannot_upload(client, learner, board):
    for user in (learner, board):
        client.force_login(user)
        response = client.post(reverse(ADD_URL), upload_form())
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Image.objects.exists()


def test_staff_without_the_author_role_cannot_upload(client):
    client.force_login(UserFactory(email="staff@example.com", is_staff=True))
    assert client.post(reverse(ADD_URL), upload_form()).status_code == 403
    assert not Image.objects.exists()


# Placing images in Markdown


def stored_image(key="thigh", data=LABELLED_SVG, declared=SVG, **fields):
    fields.setdefault("alt_text", "The back of the thigh.")
    return image_save(image=Image(key=key, **fields), clean=clean_image(data, declared))


def test_module_body_places_an_image_as_a_figure(course):
    image = stored_image(caption="Origin", source="Degen 2019", long_description_markdown="Two **tendons**.")
    module = course.modules.get(slug="m1")
    module.body_markdown = "Before.\n\n[[image:thigh]]\n\nAfter [[image:thigh]] inline stays text."
    module.full_clean()
    module.save()
    assert module.body_html == (
        "<p>Before.</p>\n"
        f'<figure class="figure"><img src="{image.url}" alt="The back of the thigh." width="400" height="300"'
        ' loading="lazy"><figcaption>Origin — Degen 2019</figcaption><details><summary>Description of the'
        " figure</summary><p>Two <strong>tendons</strong>.</p></details></figure>\n"
        "<p>After [[image:thigh]] inline stays text.</p>"
    )


def test_decorative_image_has_empty_alt_and_no_description(course):
    stored_image(alt_text="", decorative=True, long_description_markdown="Ignored.")
    module = course.modules.get(slug="m1")
    module.body_markdown = "[[image:thigh]]"
    module.save()
    assert 'alt=""' in module.body_html and "<details>" not in module.body_html


def test_module_admin_refuses_an_unknown_image_key(client, author, course):
    module = course.modules.get(slug="m1")
    client.force_login(author)
    response = client.post(
        reverse("admin:modules_module_change", args=[module.pk]),
        {
            "course": course.pk,
            "position": 1,
            "slug": "m1",
            "title": "Module 1",
            "objectives": "",
            "estimated_minutes": 5,
            "body_markdown": "Text.\n\n[[image:not-uploaded]]\n",
        },
    )
    assert response.status_code == 200
    assert "No image has the key &quot;not-uploaded&quot;" in response.text
    module.refresh_from_db()
    assert "not-uploaded" not in module.body_markdown


def test_database_refuses_an_image_without_alt_unless_decorative(db):
    image = stored_image()
    with pytest.raises(IntegrityError), transaction.atomic():
        Image.objects.filter(pk=image.pk).update(alt_text="")
    Image.objects.filter(pk=image.pk).update(alt_text="", decorative=True)


# Quiz images and snapshots


@pytest.fixture
def quiz_with_image_question(course):
    stored_image(key="marked-structure", alt_text="A thigh with one structure marked by an arrow.")
    quiz = Quiz.objects.create(
        course=course, attempts_allowed=3, shuffle_questions=False, shuffle_choices=False
    )
    question = Question.objects.create(
        quiz=quiz,
        key="which",
        kind="single",
        topic="anatomy",
        stem_markdown="Which structure is marked?\n\n[[image:marked-structure]]",
        rationale_markdown="The arrow points at the origin.",
    )
    Choice.objects.create(question=question, position=1, text="Ischial tuberosity", is_correct=True)
    Choice.objects.create(question=question, position=2, text="Greater trochanter")
    return quiz


def test_question_stem_places_an_image_frozen_with_the_attempt(learner, quiz_with_image_question):
    image = Image.objects.get(key="marked-structure")
    attempt = attempt_start(user=learner, quiz=quiz_with_image_question, all_modules_complete=True)
    stem = attempt.questions.get().snapshot["stem_html"]
    assert f'<img src="{image.url}" alt="A thigh with one structure marked by an arrow."' in stem


def test_question_with_an_unknown_image_key_fails_validation(quiz_with_image_question):
    question = quiz_with_image_question.questions.get()
    question.stem_markdown = "Which?\n\n[[image:gone]]"
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert 'No image has the key "gone"' in str(error.value.message_dict["stem_markdown"])


def test_replacing_an_image_keeps_the_bytes_a_snapshot_was_frozen_with(
    client, author, learner, course, quiz_with_image_question
):
    attempt = attempt_start(user=learner, quiz=quiz_with_image_question, all_modules_complete=True)
    frozen_html = attempt.questions.get().snapshot["stem_html"]
    old_url = re.search(r'src="([^"]+)"', frozen_html).group(1)
    old_bytes = client.get(old_url).content

    image = Image.objects.get(key="marked-structure")
    client.force_login(author)
    redrawn = LABELLED_SVG.replace(b"Ischial tuberosity", b"Ischial tuberosity, redrawn")
    replacement = SimpleUploadedFile("new.svg", redrawn, content_type="image/svg+xml")
    response = client.post(
        reverse("admin:modules_image_change", args=[image.pk]),
        upload_form(upload=replacement, key=None, alt_text="A thigh, redrawn."),
    )
    assert response.status_code == 302
    image.refresh_from_db()
    assert image.url != old_url and b"redrawn" in client.get(image.url).content
    # The frozen stem still points at the old file, which still serves the old bytes...
    assert attempt.questions.get().snapshot["stem_html"] == frozen_html
    assert client.get(old_url).content == old_bytes == LABELLED_SVG_CLEAN()
    # ...while the question itself now shows the new one.
    assert image.url in quiz_with_image_question.questions.get().stem_html
    assert client.get(image.url).content == (settings_media() / image.file.name).read_bytes()


def LABELLED_SVG_CLEAN():
    return clean_image(LABELLED_SVG, SVG).data


def settings_media():
    from django.conf import settings

    return Path(settings.MEDIA_ROOT)


# Serving


def test_svg_is_served_with_a_sandboxing_policy_and_long_caching(client):
    image = stored_image()
    response = client.get(image.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def test_raster_is_served_with_its_type_under_the_site_policy(client):
    image = stored_image(key="dot", data=png_bytes(), declared=PNG)
    response = client.get(image.url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Security-Policy"] == django_settings.CONTENT_SECURITY_POLICY
    assert "img-src 'self'" in response["Content-Security-Policy"]


def test_unknown_or_malformed_image_names_are_404(client):
    stored_image()
    assert client.get("/media/images/thigh-0123456789abcdef.svg").status_code == 404
    assert client.get("/media/images/../../settings.py").status_code == 404
    assert client.get("/media/images/thigh.svg").status_code == 404


def test_a_key_the_markdown_cannot_name_is_refused(client, author):
    client.force_login(author)
    response = client.post(reverse(ADD_URL), upload_form(key="Thigh"))
    assert response.status_code == 400 and "Use lowercase letters" in response.text
    assert not Image.objects.exists()


def test_figure_text_from_the_author_is_escaped_or_sanitised(course):
    stored_image(
        alt_text='Thigh" onerror="alert(1)',
        caption="<script>alert(2)</script>*origin*",
        source="<img src=x onerror=alert(3)>",
        long_description_markdown="<iframe src=https://evil.example></iframe>Two tendons.",
    )
    module = course.modules.get(slug="m1")
    module.body_markdown = "[[image:thigh]]"
    module.save()
    html = module.body_html
    assert 'alt="Thigh&quot; onerror=&quot;alert(1)"' in html
    assert "<script" not in html and "<iframe" not in html and "<img src=x" not in html
    assert "<em>origin</em>" in html and "Two tendons." in html
