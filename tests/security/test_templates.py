"""The site's Jinja2 environment (ce_course/jinja_env.py) keeps the behaviour the pages were written for."""

import datetime

import pytest
from django.template import engines
from django.test import Client
from django.utils.safestring import mark_safe

from ce_course.context_processors import _site_links


def render(source, **context):
    return engines["jinja2"].from_string(source).render(context)


def test_text_is_escaped_and_django_safe_strings_are_not_escaped_twice():
    assert (
        render("{{ text }}", text="<b>'x' & \"y\"</b>") == "&lt;b&gt;&#39;x&#39; &amp; &#34;y&#34;&lt;/b&gt;"
    )
    assert render("{{ html }}", html=mark_safe("<em>kept</em>")) == "<em>kept</em>"
    assert render("{{ text|linebreaksbr }}", text="a <b>\nc") == "a &lt;b&gt;<br>c"


def test_a_missing_variable_or_attribute_renders_empty_as_in_django_templates():
    assert (
        render("[{{ nothing }}][{{ nothing.deeper.still }}][{% if nothing.at_all %}x{% endif %}]") == "[][][]"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # 00:30 UTC is 20:30 the day before in New York.
        ('{{ moment|date("Y-m-d H:i") }}', "2026-06-30 20:30"),
        ('{{ moment|time("H:i") }}', "20:30"),
        ("{{ moment }}", "June 30, 2026, 8:30 p.m."),  # Django's DATETIME_FORMAT, local time
    ],
)
def test_datetimes_are_shown_in_the_site_time_zone(settings, source, expected):
    settings.TIME_ZONE = "America/New_York"
    moment = datetime.datetime(2026, 7, 1, 0, 30, tzinfo=datetime.UTC)
    assert render(source, moment=moment) == expected


def test_the_date_filter_keeps_plain_dates():
    assert render('{{ day|date("F j, Y") }}', day=datetime.date(2026, 3, 9)) == "March 9, 2026"


def test_url_and_static_are_djangos():
    assert render("{{ url('verify_code', 'ABC') }}") == "/verify/ABC/"
    assert render("{{ url('module_detail', course_slug='c', module_slug='m') }}") == "/courses/c/modules/m/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/signup/", "/accounts/password-reset/", "/verify/", "/"]
)
def test_pages_link_the_stylesheets_and_the_header_even_where_a_view_has_its_own_site(path):
    # Django's LoginView puts a `site` (the current Site) in its context. Under Django's engine it
    # hid the link table of the same name, and the log-in page went out unstyled with empty links.
    html = Client().get(path).text
    links = _site_links()
    for name in ("bootstrap_css", "site_css", "catalogue", "login", "verify"):
        assert f'href="{links[name]}"' in html, (path, name)


@pytest.mark.parametrize(
    ("django_source", "jinja_source"),
    [
        ('{{ missing|date:"F j, Y" }}', '{{ missing|date("F j, Y") }}'),
        ('{{ missing|time:"H:i" }}', '{{ missing|time("H:i") }}'),
        ('{{ missing|floatformat:"-2" }}', '{{ missing|floatformat("-2") }}'),
        ("{{ missing|pluralize }}", "{{ missing|pluralize }}"),
        ("{{ missing|add:1 }}", "{{ missing|add(1) }}"),
        ('{{ missing|default:"none yet" }}', '{{ missing|default("none yet") }}'),
        ('{{ missing|default_if_none:"—" }}', '{{ missing|default_if_none("—") }}'),
        ('{{ missing|yesno:"Yes,No" }}', '{{ missing|yesno("Yes,No") }}'),
        ("{{ missing|linebreaksbr }}", "{{ missing|linebreaksbr }}"),
    ],
)
def test_a_filter_on_a_missing_value_renders_what_djangos_engine_renders(django_source, jinja_source):
    # Django's engine applies the filter to "" when the variable does not exist; a 500 instead
    # of a blank would be a regression of the move to Jinja2.
    expected = engines["django"].from_string(django_source).render({})
    assert render(jinja_source) == expected
