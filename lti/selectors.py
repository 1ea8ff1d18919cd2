"""Reads of the LTI app."""

from django.utils import timezone

from accounts.roles import is_board_reviewer
from lti.models import Identity, Platform
from modules.models import Course


def identity_for(*, platform, sub):
    return Identity.objects.select_related("user", "platform").filter(platform=platform, sub=sub).first()


def may_sign_in_from_lms(user):
    """False for staff, superusers and board reviewers: an LMS admin who can act as any LMS user
    ("Log in as", "Act as") must not get their sessions here, and a launch session is framable."""
    return not (user.is_staff or user.is_superuser or is_board_reviewer(user))


def platform_for_pending(pending):
    """The active platform of a launch in progress, or None once it was deactivated."""
    return Platform.objects.filter(pk=pending["platform_id"], is_active=True).first()


def course_for_launch(slug):
    """A published course a launch may open (expired ones too: her record stays readable)."""
    return Course.objects.filter(slug=slug, is_published=True).first()


def course_by_id(course_id):
    return Course.objects.get(pk=course_id)


def courses_to_link():
    today = timezone.localdate()
    return list(
        Course.objects.filter(is_published=True, release_date__lte=today, expiry_date__gte=today).order_by(
            "title"
        )
    )
