"""An LTI 1.3 launch in Chromium, inside an iframe of an LMS page served from another origin.

The LMS (pytest-httpserver on its own port) serves a course page that frames its launch step; the
launch step auto-posts the OIDC login initiation to the tool, the tool redirects to the LMS's auth
endpoint, which auto-posts a signed id_token back to the tool: every hop inside the frame.
"""

import html
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug import Response

from tests.factories import course_with_modules
from tests.lti.platform import TestPlatform

pytestmark = pytest.mark.browser


def auto_post(action, fields):
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items()
    )
    return Response(
        f'<!doctype html><html><body><form id="f" method="post" action="{html.escape(action)}">{inputs}'
        "</form><script>document.getElementById('f').submit()</script></body></html>",
        content_type="text/html",
    )


@pytest.fixture
def lms_site(httpserver, live_server, settings, tmp_path, transactional_db):
    from lti import keys

    settings.SITE_URL = live_server.url
    settings.LTI_KEY_DIR = str(tmp_path / "lti-keys")
    keys.create_key()
    lms_origin = httpserver.url_for("/").rstrip("/")
    platform = TestPlatform(httpserver, issuer=lms_origin)
    platform.register()
    course_with_modules(2, slug="hamstring", title="Hamstring course", is_published=True)
    tool = live_server.url

    httpserver.expect_request("/course").respond_with_data(
        '<!doctype html><html lang="en"><head><title>Hospital LMS</title></head><body><h1>Hospital LMS</h1>'
        '<iframe id="tool" title="CE course" src="/launch-frame" width="900" height="700"></iframe></body></html>',
        content_type="text/html",
    )
    httpserver.expect_request("/launch-frame").respond_with_handler(
        lambda request: auto_post(
            f"{tool}/lti/login/",
            {
                "iss": lms_origin,
                "login_hint": "hint-42",
                "target_link_uri": f"{tool}/lti/launch/",
                "client_id": platform.client_id,
                "lti_deployment_id": platform.deployment_id,
            },
        )
    )

    def auth(request):
        query = parse_qs(urlsplit(request.url).query)
        body = platform.claims(nonce=query["nonce"][0])
        return auto_post(
            query["redirect_uri"][0], {"id_token": platform.sign(body), "state": query["state"][0]}
        )

    httpserver.expect_request("/auth").respond_with_handler(auth)
    return platform


def test_a_nurse_launches_the_course_inside_the_lms_frame(page, lms_site, httpserver, live_server):
    from lti.models import Identity

    page.goto(httpserver.url_for("/course"))
    frame = page.frame_locator("#tool")
    frame.get_by_role("heading", name="Welcome from Hospital LMS").wait_for()
    frame.get_by_role("button", name="Continue as a new learner").click()
    frame.get_by_role("heading", name="Hamstring course").wait_for()
    tool_frame = next(f for f in page.frames if f.url.startswith(live_server.url))
    assert tool_frame.url.endswith("/courses/hamstring/")
    identity = Identity.objects.get()
    assert identity.sub == "lms-user-42" and identity.user.email == "ally.lms@hospital.test"
    # The enrol form (a POST with its CSRF cookie) works inside the frame too.
    frame.get_by_label("I have read the disclosures above").check()
    frame.get_by_role("button", name="Enrol", exact=True).click()
    frame.get_by_text("You are enrolled").wait_for()


def test_the_tool_refuses_to_be_framed_by_a_page_of_another_origin(page, lms_site, httpserver, live_server):
    httpserver.expect_request("/elsewhere").respond_with_data(
        f'<!doctype html><html><body><iframe id="tool" src="{live_server.url}/"></iframe></body></html>',
        content_type="text/html",
    )
    blocked = []
    page.on("console", lambda message: blocked.append(message.text))
    page.goto(httpserver.url_for("/elsewhere"))
    page.wait_for_timeout(1000)
    tool_frames = [f for f in page.frames if f.url.startswith(live_server.url)]
    assert not tool_frames or tool_frames[0].evaluate("() => document.body.innerText") == ""


def test_the_lti_pages_a_nurse_meets_pass_axe(page, lms_site, httpserver, live_server):
    from tests.browser.conftest import assert_accessible
    from tests.factories import UserFactory

    page.goto(f"{live_server.url}/lti/login/?iss=https://unknown.test&login_hint=h")
    page.get_by_role("heading", name="This launch was refused").wait_for()
    assert_accessible(page)

    page.goto(httpserver.url_for("/course"))
    page.frame_locator("#tool").get_by_role("heading", name="Welcome from Hospital LMS").wait_for()
    tool_frame = next(f for f in page.frames if f.url.startswith(live_server.url))
    page.goto(tool_frame.url)  # the same page, top-level, so axe can run on it
    assert_accessible(page)

    user = UserFactory(email="nurse@example.com")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.locator("#id_password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/lti/identity/")
    page.get_by_role("heading", name="Confirm your identity").wait_for()
    assert_accessible(page)
