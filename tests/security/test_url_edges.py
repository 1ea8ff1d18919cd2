"""Edges of the URL map: HEAD wherever GET works, and integer parameters the database cannot hold.

Both walks read the URL conf (tests/security/test_url_permissions.py's walker), so a new route is
covered without a new line here.
"""

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from ce_course.converters import AttemptNumber, RowId
from quizzes.models import Question, Quiz
from tests.security.test_url_permissions import EXPECTED, public_urls, walk

pytestmark = pytest.mark.django_db

# GET routes of the admin that this project added (the rest of the admin is Django's own).
ADMIN_ROUTES_WITH_IDS = {
    "admin:quizzes_quiz_export_gift": Quiz,
    "admin:quizzes_quiz_export_moodle_xml": Quiz,
    "admin:quizzes_quiz_export_qti": Quiz,
    "admin:quizzes_quiz_import_gift": Quiz,
    "admin:quizzes_question_preview": Question,
    "admin:modules_module_preview": None,  # filled from the course's first module
}


def _login(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)


def _head_matches_get(client, url):
    """None when HEAD answers as GET does with no body; else what differed."""
    head = client.head(url)
    get = client.get(url)
    body = b"".join(head.streaming_content) if head.streaming else head.content
    if head.status_code != get.status_code or body:
        return (url, "HEAD", head.status_code, len(body), "GET", get.status_code)
    return None


def test_head_answers_as_get_does_with_an_empty_body_on_every_route(client, world, personas):
    mismatches, checked = [], 0
    for user in personas.values():
        _login(client, user)
        for url in public_urls(world).values():
            checked += 1
            if difference := _head_matches_get(client, url):
                mismatches.append((user and user.email, *difference))
    assert mismatches == []
    assert checked == len(EXPECTED) * len(personas)


def test_head_works_on_the_admin_pages_authors_use(client, world, admin_user, course):
    _login(client, admin_user)
    urls = [
        reverse(name)
        for name, pattern in walk()
        if name.startswith("admin:") and not pattern.pattern.regex.groups
    ]
    module = course.modules.order_by("position").first()
    for name, model in ADMIN_ROUTES_WITH_IDS.items():
        pk = module.pk if model is None else model.objects.order_by("pk").first().pk
        urls.append(reverse(name, kwargs={"pk": pk}))
    urls.remove(reverse("admin:logout"))  # POST only, like the site's log-out
    # Django's admin log-in sends a signed-in GET to the index but shows the form to HEAD: its
    # own code (`request.method == "GET"`), and both answers are harmless.
    urls.remove(reverse("admin:login"))
    mismatches = [d for url in urls if (d := _head_matches_get(client, url))]
    assert mismatches == []
    assert len(urls) > 40


def _all_patterns(patterns=None, prefix=""):
    """(route text, pattern) for every pattern, named or not, admin included."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _all_patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def test_no_route_takes_an_unbounded_integer():
    # Django's <int:> matches any run of digits; ours stop at what the column holds.
    unbounded = [
        route
        for route, pattern in _all_patterns()
        if any(isinstance(c, IntConverter) for c in pattern.pattern.converters.values())
    ]
    assert unbounded == []


SENTINEL = 7_654


def _integer_routes(world, personas):
    """(name, url with SENTINEL in the integer's place, persona, method, column maximum)."""
    for name, pattern in walk():
        converters = pattern.pattern.converters
        integers = [key for key, c in converters.items() if isinstance(c, (RowId, AttemptNumber))]
        if not integers:
            continue
        assert len(integers) == 1, name
        (key,) = integers
        kwargs = {k: world[k] for k in converters if k != key}
        url = reverse(name, kwargs={**kwargs, key: SENTINEL})
        if name.startswith("admin:"):
            persona = "admin"
        elif name.startswith(("report", "roster")):
            persona = "board"
        else:
            persona = "learner"
        # Routes that refuse GET are tried with their own method, so the id is really looked up.
        method = "post" if EXPECTED.get(name, {}).get(persona) == 405 else "get"
        yield name, url, personas[persona], method, converters[key].maximum


BAD_VALUES = [str(2**63), str(2**63 - 1), "-1", "0", "1" + "0" * 40, "9" * 5000]


def test_every_integer_route_answers_404_for_values_the_database_cannot_hold(client, world, personas):
    routes = list(_integer_routes(world, personas))
    names = {name for name, *_ in routes}
    assert {"attempt_detail", "attempt_review", "license_edit", "roster_batch"} <= names
    assert {"admin:quizzes_quiz_import_gift", "admin:modules_module_preview"} <= names
    answers = []
    for name, url, user, method, maximum in routes:
        _login(client, user)
        for value in [*BAD_VALUES, str(maximum + 1)]:
            bad = url.replace(str(SENTINEL), value, 1)
            if name.startswith("admin:"):
                # Unmatched, the admin's catch-all takes the path as an object id and sends the
                # author to the index with "doesn't exist": Django's own clear answer.
                response = client.get(bad, follow=True)
                ok = response.status_code == 404 or (response.status_code == 200 and "exist" in response.text)
            else:
                response = getattr(client, method)(bad)
                ok = response.status_code == 404
            answers.append((name, value[:24], response.status_code, ok))
    assert [a for a in answers if not a[3]] == []


def test_the_largest_id_a_column_holds_is_looked_up_and_not_found(client, world, personas):
    _login(client, personas["learner"])
    number = reverse("attempt_review", kwargs={"slug": world["slug"], "number": AttemptNumber.maximum})
    assert client.get(number).status_code == 404
    license_ = reverse("license_edit", kwargs={"pk": RowId.maximum})
    assert client.get(license_).status_code == 404
    with pytest.raises(NoReverseMatch):
        reverse("license_edit", kwargs={"pk": RowId.maximum + 1})


@pytest.mark.parametrize("value", BAD_VALUES)
def test_report_query_string_integers_out_of_range_answer_4xx_or_the_nearest_page(
    client, world, board, value
):
    client.force_login(board)
    page = client.get(reverse("reports"), {"page": value})
    assert page.status_code == 200
    for name in ("reports", "report_csv", "report_roster", "report_summary_pdf", "report_zip"):
        response = client.get(reverse(name), {"course": value})
        assert response.status_code == 400, (name, value, response.status_code)
        assert "Select a valid choice" in response.text
