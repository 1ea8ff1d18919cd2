"""Reads for certificates: objectives to evaluate, downloads, verification and the transcript."""

from decimal import Decimal

from accounts.roles import is_board_reviewer
from ce_course.plain_sql import db_datetime, db_decimal, fetch_rows, instance
from certificates.models import Certificate
from modules.models import Module


def course_objectives(course):
    """Every module objective of the course, in course order: what the evaluation asks about."""
    objectives = []
    for module_objectives in (
        Module.objects.filter(course=course).order_by("position").values_list("objectives", flat=True)
    ):
        objectives.extend(module_objectives)
    return objectives or [course.learning_outcome]


def certificate_for_download(*, user, serial):
    """The certificate if `user` may download it (its owner, a CE board reviewer or an admin), else None."""
    certificate = Certificate.objects.filter(serial=serial).first()
    if certificate is None:
        return None
    if certificate.user_id == user.pk or is_board_reviewer(user):
        return certificate
    return None


def certificate_for_verification(code):
    return (
        Certificate.objects.filter(verification_code=code).defer("pdf").select_related("replaced_by").first()
    )


# The dashboard shows the transcript on every visit, so its read is plain SQL too
# (ce_course/plain_sql.py says why).
TRANSCRIPT_SQL = """
    SELECT id, course_id, serial, verification_code, course_title, completion_date, contact_hours,
           revoked_at
    FROM certificates_certificate
    WHERE user_id = %s
    ORDER BY completion_date DESC, id DESC
"""


def transcript_rows(*, user):
    """Every certificate of the learner, newest first, and the total hours of the live ones.

    The certificates carry the columns a transcript shows; any other is loaded on first access.
    """
    certificates = [
        instance(
            Certificate,
            id=pk,
            user_id=user.pk,
            course_id=course_id,
            serial=serial,
            verification_code=code,
            course_title=title,
            completion_date=completed,
            contact_hours=db_decimal(hours),
            revoked_at=db_datetime(revoked),
        )
        for pk, course_id, serial, code, title, completed, hours, revoked in fetch_rows(
            TRANSCRIPT_SQL, [user.pk]
        )
    ]
    total = sum((c.contact_hours for c in certificates if c.is_live), Decimal("0.00"))
    return certificates, total
