"""What quizzes and certificates call: one line each where a post-test is passed or a certificate issued."""

from django.db.models import Max

IDENTITY_UNCONFIRMED = (
    "Before your certificate: confirm your legal name and license (your LMS sent only the name it "
    "knows you by). Open “Confirm your identity” at /lti/identity/."
)


def lti_identity_unconfirmed(user) -> bool:
    """True while an account created from an LMS launch has not confirmed its legal name and license."""
    from lti.models import Identity

    return Identity.objects.filter(user=user, identity_confirmed_at__isnull=True).exists()


def lti_post_test_passed(user_id, course_id, percent):
    """After the commit of a passed attempt: queue its percent for the LMS line items of this course."""
    from lti.services import scores_enqueue

    scores_enqueue(user_id=user_id, course_id=course_id, kind="passed", percent=percent)


def lti_certificate_issued(user_id, course_id):
    """After the commit of a certificate: queue completion with the best passing percent."""
    from lti.services import scores_enqueue
    from quizzes.models import Attempt

    best = Attempt.objects.filter(user_id=user_id, quiz__course_id=course_id, passed=True).aggregate(
        best=Max("percent")
    )["best"]
    scores_enqueue(user_id=user_id, course_id=course_id, kind="certificate", percent=best or 0)
