"""Every URL pattern × every persona, compared with a table of expected statuses.

The patterns are walked from the URL conf, not listed by hand, so a new URL without an entry in
EXPECTED fails `test_every_url_has_an_expected_row`. Parameters are filled with real objects that
belong to the learner (alice); the other learner (bob) must get 404 for them.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse

PERSONAS = ["anonymous", "learner", "other_learner", "author", "board", "admin"]

ALL = dict.fromkeys(PERSONAS)


def row(anonymous, learner, other_learner, author, board, admin):
    return dict(zip(PERSONAS, (anonymous, learner, other_learner, author, board, admin), strict=True))


# GET status per persona. 302 for anonymous always means "to the log-in page" (checked below).
EXPECTED = {
    "catalogue": row(200, 200, 200, 200, 200, 200),
    "dashboard": row(302, 200, 200, 200, 200, 200),
    "course_detail": row(200, 200, 200, 200, 200, 200),
    "module_detail": row(302, 200, 200, 302, 302, 302),
    "module_complete": row(302, 405, 405, 405, 405, 405),
    "image_file": row(200, 200, 200, 200, 200, 200),  # public like static files; names hold the content hash
    "provider_signature_file": row(404, 404, 404, 200, 404, 200),  # a handwritten signature: staff only
    "post_test": row(302, 200, 200, 302, 302, 302),
    "attempt_detail": row(302, 302, 404, 404, 404, 404),
    "attempt_summary": row(302, 302, 404, 404, 404, 404),
    "attempt_submit": row(302, 405, 405, 405, 405, 405),
    "attempt_review": row(302, 200, 404, 404, 404, 404),
    "evaluation": row(302, 200, 200, 302, 302, 302),
    "certificate": row(302, 200, 200, 302, 302, 302),
    "certificate_download": row(302, 200, 404, 404, 200, 200),
    "certificate_manage": row(302, 404, 404, 404, 200, 200),
    "transcript_pdf": row(302, 200, 200, 200, 200, 200),
    # Reminders: the unsubscribe link needs no log-in (world's token is not a valid one: 400 for all).
    "reminder_unsubscribe": row(400, 400, 400, 400, 400, 400),
    "reminder_preferences": row(302, 405, 405, 405, 405, 405),
    "verify": row(200, 200, 200, 200, 200, 200),
    "verify_code": row(200, 200, 200, 200, 200, 200),
    "verify_pdf": row(405, 405, 405, 405, 405, 405),  # POST only: the "check a PDF" upload
    "verify_keys": row(200, 200, 200, 200, 200, 200),
    "verify_key_certificate": row(200, 200, 200, 200, 200, 200),
    "signup": row(200, 302, 302, 302, 302, 302),
    "login": row(200, 302, 302, 302, 302, 302),
    "logout": row(405, 405, 405, 405, 405, 405),
    "password_reset": row(200, 200, 200, 200, 200, 200),
    "password_reset_done": row(200, 200, 200, 200, 200, 200),
    "password_reset_confirm": row(200, 200, 200, 200, 200, 200),
    "password_reset_complete": row(200, 200, 200, 200, 200, 200),
    "password_change": row(302, 200, 200, 200, 200, 200),
    "password_change_done": row(302, 200, 200, 200, 200, 200),
    "profile": row(302, 200, 200, 200, 200, 200),
    "license_add": row(302, 200, 200, 200, 200, 200),
    "license_edit": row(302, 200, 404, 404, 404, 404),
    "license_delete": row(302, 405, 405, 405, 405, 405),  # POST only; a POST by another learner is 404
    "reports": row(302, 404, 404, 404, 200, 200),
    "report_csv": row(302, 404, 404, 404, 200, 200),
    "report_roster": row(302, 404, 404, 404, 200, 200),
    "report_summary_pdf": row(302, 404, 404, 404, 200, 200),
    "report_zip": row(302, 404, 404, 404, 200, 200),
    "roster_mark_reported": row(302, 404, 404, 404, 405, 405),
    "roster_batch": row(302, 404, 404, 404, 200, 200),
    "activity_file": row(302, 404, 404, 404, 200, 200),
    "item_statistics": row(302, 404, 404, 200, 200, 200),
    # LTI 1.3: public keys; the login step and the pages of a launch answer 400 without an LMS's request.
    "lti_jwks": row(200, 200, 200, 200, 200, 200),
    "lti_login": row(400, 400, 400, 400, 400, 400),
    "lti_launch": row(405, 405, 405, 405, 405, 405),  # POST only: the LMS's auto-posting form
    "lti_account": row(400, 400, 400, 400, 400, 400),
    "lti_identity": row(302, 200, 200, 200, 200, 200),
    "lti_deep_link": row(400, 400, 400, 400, 400, 400),
    "lti_deep_link_respond": row(405, 405, 405, 405, 405, 405),
    "credentials_issuer": row(200, 200, 200, 200, 200, 200),
    "credentials_jwks": row(200, 200, 200, 200, 200, 200),
    "credentials_key": row(200, 200, 200, 200, 200, 200),
    "credentials_status_list": row(200, 200, 200, 200, 200, 200),
    "credential_json": row(302, 200, 404, 404, 200, 200),
    "credential_jwt": row(302, 200, 404, 404, 200, 200),
    "credential_badge": row(302, 200, 404, 404, 200, 200),
    "credential_badge_svg": row(302, 200, 404, 404, 200, 200),
    # The board reviewer's own background export; an admin may open anyone's.
    "export_jobs": row(302, 404, 404, 404, 200, 200),
    "export_job": row(302, 404, 404, 404, 200, 200),
    "export_job_download": row(302, 404, 404, 404, 200, 200),
}


def walk(patterns=None, prefix=""):
    """(name, namespace-qualified name, pattern) for every named URL in the URL conf."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else prefix
            yield from walk(entry.url_patterns, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{prefix}{entry.name}", entry


def public_urls(world):
    urls = {}
    for name, pattern in walk():
        if ":" in name:
            continue
        kwargs = {key: world[key] for key in pattern.pattern.converters}
        urls[name] = reverse(name, kwargs=kwargs)
    return urls


@pytest.mark.django_db
def test_every_url_has_an_expected_row(world):
    missing = set(public_urls(world)) - set(EXPECTED)
    assert not missing, f"URLs without a row in EXPECTED: {sorted(missing)}"


@pytest.mark.django_db
def test_every_url_for_every_persona_matches_the_table(client, world, personas):
    mismatches = []
    checked = 0
    for persona, user in personas.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for name, url in public_urls(world).items():
            response = client.get(url)
            checked += 1
            want = EXPECTED[name][persona]
            if response.status_code != want:
                mismatches.append((persona, name, url, response.status_code, want))
            elif want == 302 and persona == "anonymous" and "/accounts/login/" not in response["Location"]:
                mismatches.append((persona, name, url, response["Location"], "login"))
    assert mismatches == []
    assert checked == len(EXPECTED) * len(PERSONAS)


def _admin_expectation(persona, user, pattern_name):
    """Non-staff are always sent to the admin's log-in; staff get a page, a redirect or a refusal, never an error.

    Which admin pages each staff role sees is checked precisely in test_author_sees_only_what_..."""
    if pattern_name in ("admin:login", "admin:jsi18n"):
        return {200, 302}
    if user is None or not user.is_staff:
        return {302}
    return {200, 302, 403, 404, 405}


@pytest.mark.django_db
def test_admin_urls_send_non_staff_to_the_admin_login(client, world, personas):
    """Every admin pattern for every persona: anonymous and non-staff never get in."""
    checked = 0
    for persona, user in personas.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for name, pattern in walk():
            if not name.startswith("admin:") or pattern.pattern.regex.groups:
                continue
            if name in ("admin:logout",):
                continue
            response = client.get(reverse(name))
            checked += 1
            allowed = _admin_expectation(persona, user, name)
            assert response.status_code in allowed, (persona, name, response.status_code)
            if (user is None or not user.is_staff) and name not in ("admin:login", "admin:jsi18n"):
                assert "/admin/login/" in response["Location"], (persona, name)
    assert checked > 50


@pytest.mark.django_db
def test_author_sees_only_what_the_authors_group_allows(client, world, author):
    client.force_login(author)
    allowed = set(author.get_all_permissions())
    for name, _pattern in walk():
        if not (name.startswith("admin:") and name.endswith("_changelist")):
            continue
        app_label, model = name.removeprefix("admin:").removesuffix("_changelist").split("_", 1)
        response = client.get(reverse(name))
        can_see = f"{app_label}.view_{model}" in allowed or f"{app_label}.change_{model}" in allowed
        assert response.status_code == (200 if can_see else 403), (name, response.status_code)
    assert Permission.objects.filter(group__name="Authors", codename="view_certificate").count() == 0
