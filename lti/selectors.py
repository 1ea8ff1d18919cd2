"""Reads of the LTI app."""

from django.utils import timezone

from lti.models import Identity
from modules.models import Course


def identity_for(*, platform, sub):
    return Identity.objects.select_related("user", "platform").filter(platform=platform, sub=sub).first()


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
