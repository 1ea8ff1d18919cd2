"""Reads for certificates: objectives to evaluate, downloads, verification and the transcript."""

from decimal import Decimal
from functools import cache

from accounts.roles import is_board_reviewer
from ce_course.plain_sql import build, column, columns, fetch_rows, table
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
    """The certificate with this code and the one that replaced it, if any, in one statement.

    get(), not first(): the code is unique, and first() would sort by the model's ordering. The
    PDF bytes of neither certificate are loaded: the public page shows neither.
    """
    try:
        return (
            Certificate.objects.defer("pdf", "replaced_by__pdf")
            .select_related("replaced_by")
            .get(verification_code=code)
        )
    except Certificate.DoesNotExist:
        return None


@cache
def _transcript_sql():
    return (
        f"SELECT {columns(Certificate, 'c', exclude=['pdf'])} FROM {table(Certificate)} c"  # noqa: S608 - names from _meta
        f" WHERE c.{column(Certificate, 'user')} = %s"
        f" ORDER BY c.{column(Certificate, 'completion_date')} DESC, c.{column(Certificate, 'id')} DESC"
    )


def transcript_rows(*, user):
    """Every certificate of the learner, newest first (PDF bytes left unloaded), and the total
    hours of the live ones.

    Plain SQL: the dashboard shows the transcript on every visit, and this read made the page 32%
    faster than `filter(user=user).defer("pdf")` (README "Performance"). Names come from _meta
    and the rows are complete but for the PDF (ce_course/plain_sql.py).
    """
    certificates = [
        build(Certificate, row, exclude=["pdf"]) for row in fetch_rows(_transcript_sql(), [user.pk])
    ]
    total = sum((c.contact_hours for c in certificates if c.is_live), Decimal("0.00"))
    return certificates, total


def certificate_for_pdf_hash(sha256):
    """The certificate whose stored PDF has this SHA-256 (an index lookup), with its replacement.

    Seeded sample data shares one PDF between many certificates; the first issued is taken then.
    """
    return (
        Certificate.objects.defer("pdf", "replaced_by__pdf")
        .select_related("replaced_by")
        .filter(pdf_sha256=sha256)
        .order_by("pk")
        .first()
    )


def certificate_serial_exists(serial):
    return bool(serial) and Certificate.objects.filter(serial=serial).exists()
