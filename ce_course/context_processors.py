from functools import cache

from django.templatetags.static import static
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from accounts.roles import is_board_reviewer


def roles(request):
    """`is_board_reviewer` for the menu: free for a logged-in user (cached groups), and lazy."""
    return {"is_board_reviewer": SimpleLazyObject(lambda: is_board_reviewer(request.user))}


@cache
def _site_links():
    # The same on every page of a deployment: worked out once per process instead of a dozen
    # {% url %} and {% static %} lookups per page (README "Performance").
    names = (
        "catalogue",
        "dashboard",
        "profile",
        "reports",
        "export_jobs",
        "admin:index",
        "logout",
        "login",
        "signup",
        "verify",
        "transcript_pdf",
    )
    links = {name.replace(":", "_"): reverse(name) for name in names}
    links["bootstrap_css"] = static("bootstrap/css/bootstrap.min.css")
    links["site_css"] = static("css/site.css")
    links["favicon"] = static("favicon.svg")
    links["post_test_js"] = static("js/post-test.js")
    return links


def site_links(request):
    """`site`: the URLs of the header, the footer, the stylesheets and the post-test script."""
    return {"site": _site_links()}
