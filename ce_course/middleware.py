from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Sends one Content-Security-Policy on every response.

    Django 5.2 has no CSP support of its own; the policy allows no inline script or style, so
    templates keep all CSS and JS in static files.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
