"""Every `{{ site.<name> }}` a template uses is in the per-process link table (an unknown name renders empty)."""

import re
from pathlib import Path

from django.urls import reverse

from ce_course.context_processors import _site_links

TEMPLATES = Path(__file__).resolve().parents[2] / "ce_course" / "jinja2"


def test_every_site_link_a_template_names_exists_and_is_not_empty():
    used = set()
    for template in TEMPLATES.rglob("*.html"):
        used |= set(re.findall(r"\{\{\s*site\.(\w+)", template.read_text()))
    assert used, "no template uses the link table"
    links = _site_links()
    missing = sorted(name for name in used if not links.get(name))
    assert not missing, missing


def test_site_links_are_the_reversed_urls():
    links = _site_links()
    assert links["transcript_pdf"] == reverse("transcript_pdf")
    assert links["admin_index"] == reverse("admin:index")
