from django.conf import settings

from lti import csp
from lti.models import Platform


class LtiFrameMiddleware:
    """Lets a registered LMS frame the pages of an LTI session, and keeps that session's cookies in the frame.

    A response is framable by platform P when the view set `request.lti_frame_origins` (the login
    and launch steps, before any session) or the session began with a launch from P
    (`session["lti_platform_id"]`). Such a response gets P's origins in CSP `frame-ancestors`,
    loses X-Frame-Options, and, over HTTPS, sends the session and CSRF cookies SameSite=None; Secure
    (a browser sends no Lax cookie to a site framed by another). Every other response keeps the
    site's policy: frame-ancestors 'none'.

    Sits above SessionMiddleware, CsrfViewMiddleware and XFrameOptionsMiddleware in MIDDLEWARE so
    it sees their cookies and header on the way out; the site's CSP middleware above it only sets
    its policy when none is set.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        origins = getattr(request, "lti_frame_origins", None)
        if origins is None:
            session = getattr(request, "session", None)
            platform_id = session.get("lti_platform_id") if session is not None else None
            if platform_id:
                platform = Platform.objects.filter(pk=platform_id, is_active=True).first()
                origins = platform.allowed_frame_origins() if platform else None
        if not origins:
            return response
        response.headers["Content-Security-Policy"] = csp.policy_with(
            settings.CONTENT_SECURITY_POLICY,
            frame_ancestors=origins,
            form_action=getattr(request, "lti_form_action", ()),
        )
        if "X-Frame-Options" in response.headers:
            del response.headers["X-Frame-Options"]
        if request.is_secure():
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name]["samesite"] = "None"
                    response.cookies[name]["secure"] = True
        return response
