"""Author Markdown is rendered once, on save, and sanitised: nothing that runs script survives."""

import pytest

from modules.markdown import render_markdown
from tests.factories import ModuleFactory

HOSTILE = """
Hello <script>alert(1)</script>

<img src="x.png" onerror="alert(2)" alt="x">

[click me](javascript:alert(3))

<iframe src="https://example.org"></iframe>

<a href="https://example.org" onclick="alert(4)">link</a>

<style>body{display:none}</style>

<div style="position:fixed">styled</div>
"""


def test_hostile_markdown_renders_no_script_handlers_js_links_or_iframes():
    html = render_markdown(HOSTILE).lower()
    for forbidden in ("<script", "onerror", "javascript:", "<iframe", "onclick", "<style", "style="):
        assert forbidden not in html, forbidden
    assert "hello" in html and 'href="https://example.org"' in html


def test_links_get_rel_noopener():
    html = render_markdown("[site](https://example.org)")
    assert 'rel="noopener noreferrer"' in html


def test_key_points_box_renders_as_admonition():
    html = render_markdown('!!! key-points "Key points"\n    - one\n')
    assert '<div class="admonition key-points">' in html
    assert '<p class="admonition-title">Key points</p>' in html


@pytest.mark.django_db
def test_module_html_is_rendered_on_save():
    module = ModuleFactory(body_markdown="# Hi <script>x</script>")
    # The page owns the one <h1> (the module title), so a body's own H1 keeps its text only.
    assert "Hi" in module.body_html and "<h1" not in module.body_html and "<script" not in module.body_html
    module.body_markdown = "*changed*"
    module.save(update_fields=["body_markdown"])
    module.refresh_from_db()
    assert module.body_html == "<p><em>changed</em></p>"
