"""Images authors add: loaded from course folders, placed in Markdown, uploaded in the admin, served."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from modules.models import Image, Module
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


def test_load_course_refuses_an_image_without_alt_text(tmp_path):
    toml = IMAGES_TOML.replace('alt = "The back of the thigh with the ischial tuberosity labelled."\n', "")
    with pytest.raises(CommandError, match=r"test-thigh.*alt text is required"):
        load(fixture_course(tmp_path, images_toml=toml))


def test_load_course_refuses_a_file_outside_the_course_folder(tmp_path):
    toml = IMAGES_TOML.replace('"images/thigh.svg"', '"../../etc/passwd.svg"')
    with pytest.raises(CommandError, match="not a file inside"):
        load(fixture_course(tmp_path, images_toml=toml))
