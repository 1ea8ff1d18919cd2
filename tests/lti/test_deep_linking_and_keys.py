"""Deep linking (the educator picks a course) and the tool's keys: JWKS, rotation with overlap, admin values."""

from datetime import UTC, datetime, timedelta

import jwt
from django.core.management import call_command

from lti import keys
from tests.lti.platform import DL, LTI


def tool_jwks(client):
    """The platform's view of the tool's keys: what /lti/jwks/ publishes."""
    return jwt.PyJWKSet.from_dict(client.get("/lti/jwks/").json())


def deep_link_response(client, lms, course):
    response = lms.launch(client, message_type="LtiDeepLinkingRequest")
    assert response.status_code == 302 and response["Location"] == "/lti/deep-link/"
    picker = client.get("/lti/deep-link/")
    assert course.title.encode() in picker.content
    page = client.post("/lti/deep-link/respond/", {"course": course.slug})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'action="{lms.issuer}/deep-link-return"' in html
    assert f"form-action 'self' {lms.issuer}" in page["Content-Security-Policy"]
    return html.split('name="JWT" value="', 1)[1].split('"', 1)[0]


def decode(token, key_set, lms):
    header = jwt.get_unverified_header(token)
    key = key_set[header["kid"]]
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=lms.issuer, issuer=lms.client_id)


def test_deep_linking_places_a_signed_link_to_the_chosen_course(client, lms, course):
    token = deep_link_response(client, lms, course)
    message = decode(token, tool_jwks(client), lms)
    assert message[LTI + "message_type"] == "LtiDeepLinkingResponse"
    assert message[LTI + "deployment_id"] == lms.deployment_id
    assert message[DL + "data"] == "platform-opaque-data"
    (item,) = message[DL + "content_items"]
    assert item["type"] == "ltiResourceLink" and item["url"] == "http://127.0.0.1:8000/lti/launch/"
    assert item["custom"] == {"course": course.slug} and item["title"] == course.title
    assert item["lineItem"]["scoreMaximum"] == 100
    # The link it placed launches that course.
    client.logout()
    launched = lms.launch(client, body_changes={LTI + "custom": item["custom"]})
    assert launched.status_code == 302


def test_deep_linking_refuses_a_course_it_does_not_offer(client, lms, course):
    lms.launch(client, message_type="LtiDeepLinkingRequest")
    assert client.post("/lti/deep-link/respond/", {"course": "no-such-course"}).status_code == 400
    assert client.post("/lti/deep-link/respond/", {"course": course.slug}).status_code == 200
    # The response is given once: the request is used up.
    assert client.post("/lti/deep-link/respond/", {"course": course.slug}).status_code == 400


def test_a_rotated_key_keeps_verifying_during_the_overlap_and_then_leaves_the_jwks(
    client, lms, course, settings
):
    old_token = deep_link_response(client, lms, course)  # signed by the first key, "in flight"
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    call_command("lti_keys", "--create")
    published = tool_jwks(client)
    assert len(published.keys) == 2
    decode(old_token, published, lms)  # still verifies
    new_token = deep_link_response(client, lms, course)
    assert jwt.get_unverified_header(new_token)["kid"] != old_kid
    decode(new_token, published, lms)
    later = datetime.now(UTC) + timedelta(hours=settings.LTI_KEY_OVERLAP_HOURS, minutes=1)
    assert [key.kid for key in keys.published_keys(later)] == [keys.current_key().kid]
    assert len(keys.prune(later)) == 1 and len(keys.all_keys()) == 1


def test_keys_are_files_readable_only_by_the_owner_and_encrypted_with_a_password(settings, tmp_path):
    settings.LTI_KEY_DIR = str(tmp_path / "keys")
    settings.LTI_KEY_PASSWORD = "s3cret-pass"
    key = keys.create_key()
    (path,) = (tmp_path / "keys").iterdir()
    assert path.stat().st_mode & 0o777 == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    assert keys.current_key().kid == key.kid


def test_the_platform_admin_page_shows_the_values_to_paste_into_the_lms(client, admin_user, lms):
    client.force_login(admin_user)
    page = client.get(f"/admin/lti/platform/{lms.registration.pk}/change/").content.decode()
    for value in ("/lti/launch/", "/lti/login/", "/lti/jwks/"):
        assert f"<code>http://127.0.0.1:8000{value}</code>" in page


def test_make_runs_key_step_creates_a_key_once_and_leaves_it_on_later_runs(settings, tmp_path):
    settings.LTI_KEY_DIR = str(tmp_path / "fresh-keys")
    call_command("lti_keys", "--create", "--if-missing")
    first = [key.kid for key in keys.all_keys()]
    call_command("lti_keys", "--create", "--if-missing")
    assert len(first) == 1 and [key.kid for key in keys.all_keys()] == first


def test_the_keys_are_read_once_and_read_again_only_after_a_rotation(client, tool_keys, monkeypatch):
    reads = []
    real_load = keys._load
    monkeypatch.setattr(keys, "_load", lambda path: reads.append(path.name) or real_load(path))
    get_jwk = keys.Registration.get_jwk
    exports = []
    monkeypatch.setattr(keys.Registration, "get_jwk", lambda pem: exports.append(pem) or get_jwk(pem))
    first = client.get("/lti/jwks/").json()
    assert len(reads) == 1 and len(exports) == 1
    # The JWKS, the current key and the launch's key lookup: no key file is read or exported again.
    assert client.get("/lti/jwks/").json() == first
    keys.current_key()
    keys.all_keys()
    assert len(reads) == 1 and len(exports) == 1
    keys.create_key()  # a rotation changes the listing: the keys are read again, no restart needed
    assert len(keys.jwks()["keys"]) == 2
    assert len(reads) == 1 + 1 + 2
