"""Writes of the LTI app: accounts from launches, links, grade links, scores to send, refusals."""

import hashlib
import logging
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from ce_course.audit import audit_record
from lti.models import GradeLink, Identity, ScoreSend, UsedNonce
from lti.refusals import REASONS
from lti.tool_conf import LaunchRefused

logger = logging.getLogger(__name__)

AGS_SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


class LinkError(Exception):
    """An account cannot be linked (wrong password, already linked); the message says which."""


def nonce_use(*, platform, nonce):
    """Record the nonce of an accepted id_token; raises LaunchRefused when it was used before."""
    try:
        with transaction.atomic():
            UsedNonce.objects.create(platform=platform, nonce=nonce)
    except IntegrityError as error:
        raise LaunchRefused("replayed_nonce", "The nonce of this launch token was used before.") from error


def refusal_record(*, code, detail, platform=None, issuer=""):
    """Write the audit row of a refused launch (no actor: nobody is signed in by a refused launch)."""
    return audit_record(
        actor=None,
        action="lti.launch_refused",
        obj=platform,
        summary=f"LTI launch refused ({code}): {REASONS.get(code, '')}",
        data={"reason": code, "detail": detail[:500], "issuer": issuer[:500]},
    )


def _placeholder_email(platform, sub):
    # The LMS may withhold the email (privacy settings); the account still needs a unique one.
    digest = hashlib.sha256(f"{platform.pk}:{sub}".encode()).hexdigest()[:24]
    return f"lti-{digest}@lti.invalid"


def account_create(*, platform, pending):
    """Create the nurse's account from the launch's claims; her identity is unconfirmed until she checks it."""
    User = get_user_model()
    email = (pending.get("email") or "").strip() or _placeholder_email(platform, pending["sub"])
    if User.objects.filter(email__iexact=email).exists():
        raise LinkError("An account with this email exists here already: link it with its password instead.")
    first, last = pending.get("given_name") or "", pending.get("family_name") or ""
    if not (first or last) and pending.get("name"):
        first, _, last = pending["name"].partition(" ")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=None, first_name=first[:150], last_name=last[:150]
            )
            identity = Identity.objects.create(
                platform=platform, sub=pending["sub"], user=user, created_account=True
            )
            audit_record(
                actor=user,
                action="lti.account_created",
                obj=identity,
                summary=f"Account created from {platform.name}",
            )
    except IntegrityError as error:
        # The check above passed, but a request running at the same time (a double-clicked
        # "Continue") created the account first: the unique email or LMS user refused this one.
        raise LinkError(
            "Your account was just created by another request: open the activity again from your LMS."
        ) from error
    return identity


@transaction.atomic
def account_link(*, platform, sub, user):
    """Link an existing account (her password was checked by the view) to the platform user, once."""
    if Identity.objects.filter(platform=platform, user=user).exists():
        raise LinkError("This account is linked to another user of this LMS already.")
    try:
        with transaction.atomic():
            identity = Identity.objects.create(
                platform=platform, sub=sub, user=user, identity_confirmed_at=timezone.now()
            )
    except IntegrityError as error:
        raise LinkError("This LMS user is linked to an account already.") from error
    audit_record(
        actor=user, action="lti.account_linked", obj=identity, summary=f"Account linked to {platform.name}"
    )
    return identity


def identity_confirm(*, user, first_name, last_name):
    """Save her legal name and mark every LMS identity of hers confirmed."""
    with transaction.atomic():
        user.first_name, user.last_name = first_name, last_name
        user.save(update_fields=["first_name", "last_name"])
        Identity.objects.filter(user=user, identity_confirmed_at__isnull=True).update(
            identity_confirmed_at=timezone.now()
        )


def grade_link_save(*, identity, course, ags_claim):
    """Keep where this learner's score for `course` goes (the AGS claim of her latest launch)."""
    if not ags_claim or not ags_claim.get("lineitem") or AGS_SCORE_SCOPE not in ags_claim.get("scope", []):
        return None
    link, _ = GradeLink.objects.update_or_create(
        identity=identity,
        course=course,
        defaults={"lineitem_url": ags_claim["lineitem"], "scopes": list(ags_claim.get("scope", []))},
    )
    return link


def scores_enqueue(*, user_id, course_id, kind, percent):
    """Queue the score `percent` (0–100) for every line item of this learner's course.

    Called from `transaction.on_commit` in quizzes and certificates: it never raises, so a failure
    here never touches the attempt or the certificate.
    """
    from lti.tasks import score_send  # tasks import services

    try:
        completed = kind == ScoreSend.Kind.CERTIFICATE_ISSUED
        now = timezone.now()
        sends = [
            ScoreSend.objects.create(
                link=link,
                kind=kind,
                score_given=Decimal(percent).quantize(Decimal("0.01")),
                score_maximum=Decimal(100),
                activity_progress="Completed" if completed else "Submitted",
                grading_progress="FullyGraded",
                timestamp=now,
            )
            for link in GradeLink.objects.filter(identity__user_id=user_id, course_id=course_id)
        ]
        for send in sends:
            score_send.enqueue(send.pk)
    except Exception:  # the score is a courtesy to the LMS; the learner's record stands regardless
        logger.exception("LTI scores for user %s, course %s not queued", user_id, course_id)
