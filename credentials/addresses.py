"""The absolute URLs a credential names: the issuer profile, the keys and the status lists.

They are built on settings.SITE_URL, the base the certificate's QR code and verification link use,
because a verifier follows them from outside the site.
"""

from django.conf import settings
from django.urls import reverse


def absolute(path):
    return f"{settings.SITE_URL}{path}"


def issuer_url():
    return absolute(reverse("credentials_issuer"))


def key_url(kid):
    return absolute(reverse("credentials_key", args=[kid]))


def status_list_url(status_list_id):
    return absolute(reverse("credentials_status_list", args=[status_list_id]))


def achievement_url(course_slug):
    """The course's public page: the achievement a credential is for."""
    return absolute(reverse("course_detail", args=[course_slug]))
