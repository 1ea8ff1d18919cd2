"""Writes for the last stages: evaluation, attestation, issuing, revoking and re-issuing certificates.

`certificate_issue` is the only code that creates a certificate. It re-checks the completion rule
inside its transaction, copies everything printed into the row, renders the PDF once, signs it
with the provider's current key and stores the signed bytes with their SHA-256. A PDF failure rolls
everything back; an email failure never does (the email is a background task enqueued after the
commit, certificates/tasks.py).
"""

import hashlib
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ce_course.audit import audit_record
from certificates import pdf, pdf_signing
from certificates.codes import new_verification_code, serial_for
from certificates.models import Attestation, Certificate, CertificateLicense, Evaluation
from certificates.tasks import certificate_email_enqueue
from credentials.services import credential_issue, credential_revoke
from lti.hooks import IDENTITY_UNCONFIRMED, lti_certificate_issued, lti_identity_unconfirmed
from modules.models import Course, Enrollment
from modules.selectors import course_progress
from reports import summary as completion_summary
from reports.services import roster_carry_forward


class CertificateError(Exception):
    """A step the learner may not take now; the message is shown to them."""


def _fresh(user_id, course_id):
    """The learner (row-locked) and the course as the database holds them now, whatever was passed in.

    Views hand in the cached request user (up to a minute old) and the worker's copy of the course.
    What the completion rule checks and what a certificate prints are legal facts, so they are read
    from the rows inside the caller's transaction; the lock on the learner also holds a rename or a
    license change back until the certificate that prints them is committed.
    """
    user = get_user_model().objects.select_for_update().get(pk=user_id)
    course = Course.objects.select_related("quiz").get(pk=course_id)
    return user, course


def _locked_enrollment(user, course):
    enrollment = Enrollment.objects.select_for_update().filter(user=user, course=course).first()
    if enrollment is None:
        raise CertificateError("Enrol in the course first.")
    return enrollment


def _require_passed(progress):
    if not progress.all_modules_complete:
        raise CertificateError("Complete every module first.")
    if progress.post_test.exists and not progress.post_test.passed:
        raise CertificateError("Pass the post-test first.")


@transaction.atomic
def evaluation_submit(
    *,
    user,
    course,
    objective_ratings,
    evidence_based,
    free_of_bias,
    bias_comment,
    intended_change,
    comments,
    now=None,
):
    """Record the learner's evaluation, once. Raises CertificateError if not yet due or already given."""
    user, course = _fresh(user.pk, course.pk)
    enrollment = _locked_enrollment(user, course)
    _require_passed(course_progress(user=user, course=course))
    if Evaluation.objects.filter(enrollment=enrollment).exists():
        raise CertificateError("You have already submitted the evaluation.")
    return Evaluation.objects.create(
        enrollment=enrollment,
        objective_ratings=objective_ratings,
        evidence_based=evidence_based,
        free_of_bias=free_of_bias,
        bias_comment=bias_comment,
        intended_change=intended_change,
        comments=comments,
        submitted_at=now or timezone.now(),
    )


@transaction.atomic
def attestation_submit(*, user, course, minutes, now=None):
    """Record "I completed this activity" with the minutes the learner attests (once).

    The minutes may be more than were tracked (reading a printout is not tracked); the board report
    flags one above the tracked time by more than reports.selectors.ATTESTED_OVER_TRACKED_MARGIN_MINUTES.
    """
    user, course = _fresh(user.pk, course.pk)
    enrollment = _locked_enrollment(user, course)
    progress = course_progress(user=user, course=course)
    _require_passed(progress)
    if progress.evaluation is None:
        raise CertificateError("Complete the evaluation first.")
    if progress.minutes_missing:
        raise CertificateError(
            f"This course asks for at least {course.minimum_minutes} minutes of study; "
            f"{progress.minutes_missing} more minutes are needed before you can attest."
        )
    if Attestation.objects.filter(enrollment=enrollment).exists():
        raise CertificateError("You have already attested your time.")
    return Attestation.objects.create(
        enrollment=enrollment,
        minutes_attested=minutes,
        minutes_tracked=progress.minutes_spent,
        attested_at=now or timezone.now(),
    )


def verification_url(code):
    return f"{settings.SITE_URL}{reverse('verify_code', args=[code])}"


def course_printed_fields(course):
    """What a certificate prints from the course (provider, hours, nurse planner), as it is now.

    Also used by reports.seeding, which copies it once for every seeded certificate.
    """
    planner = course.planners.filter(is_nurse_planner=True).first()
    provider = course.provider  # read now: a later change to the provider prints on later certificates only
    return {
        "course_title": course.title,
        "provider_name": provider.legal_name,
        "provider_address": provider.address,
        "provider_web_address": provider.web_address,
        "provider_approval_number": provider.approval_number,
        "accreditation_statement": provider.accreditation_statement,
        "joint_providership_statement": course.joint_providership_statement(),
        "contact_hours": course.contact_hours,
        "nurse_planner_name": planner.name if planner else "",
        "nurse_planner_credentials": planner.credentials if planner else "",
    }


def _printable_signature(provider):
    """The signature file's name when the PDF can draw it; an SVG signature is not printed (no renderer)."""
    name = provider.nurse_planner_signature.name if provider.nurse_planner_signature else ""
    return "" if name.endswith(".svg") else name


def _signature_bytes(name):
    if not name:
        return b""
    with storages["default"].open(name, "rb") as stored:
        return stored.read()


def _printed_fields(user, course, completion_date):
    """Everything the certificate prints, copied from the learner and the course as they are now."""
    return {
        "learner_name": user.legal_name,
        "learner_credentials": user.credentials,
        "completion_date": completion_date,
        # A file name, not text: kept out of course_printed_fields, whose values are renderer input.
        "nurse_planner_signature_file": _printable_signature(course.provider),
        **course_printed_fields(course),
    }


def certificate_data(certificate):
    """The renderer's input, built only from the certificate's frozen copy."""
    return pdf.CertificateData(
        serial=certificate.serial,
        verification_code=certificate.verification_code,
        verification_url=verification_url(certificate.verification_code),
        learner_name=certificate.learner_name,
        learner_credentials=certificate.learner_credentials,
        licenses=tuple(
            pdf.LicenseLine(profession=lic.profession, state=lic.state, number=lic.number)
            for lic in certificate.licenses.all()
        ),
        course_title=certificate.course_title,
        completion_date=certificate.completion_date,
        contact_hours=certificate.contact_hours,
        provider_name=certificate.provider_name,
        provider_address=certificate.provider_address,
        provider_web_address=certificate.provider_web_address,
        provider_approval_number=certificate.provider_approval_number,
        accreditation_statement=certificate.accreditation_statement,
        joint_providership_statement=certificate.joint_providership_statement,
        signature_image=_signature_bytes(certificate.nurse_planner_signature_file),
        issued_at=timezone.localdate(certificate.issued_at),
        nurse_planner_name=certificate.nurse_planner_name,
        nurse_planner_credentials=certificate.nurse_planner_credentials,
        title_note=f"Replaces certificate {certificate.replaces.serial}" if certificate.replaces_id else "",
    )


def _create(*, user, course, enrollment, completion_date, now, replaces=None):
    certificate = Certificate.objects.create(
        serial=new_verification_code(),  # placeholder, unique, replaced below once the id is known
        verification_code=new_verification_code(),
        user=user,
        course=course,
        enrollment=enrollment,
        issued_at=now,
        replaces=replaces,
        pdf=b"",
        pdf_sha256="",
        **_printed_fields(user, course, completion_date),
    )
    CertificateLicense.objects.bulk_create(
        CertificateLicense(
            certificate=certificate, position=i, profession=lic.profession, state=lic.state, number=lic.number
        )
        for i, lic in enumerate(user.licenses.order_by("-is_primary", "state", "number"), start=1)
    )
    certificate.serial = serial_for(timezone.localdate(now).year, certificate.pk)
    signed = pdf_signing.sign_with_current_key(
        pdf.render_certificate(certificate_data(certificate)),
        reason=f"Certificate {certificate.serial} issued by {certificate.provider_name}",
    )
    # The signed file is the document: its bytes are stored and its hash is what the upload check matches.
    certificate.pdf = signed.pdf
    certificate.pdf_sha256 = hashlib.sha256(signed.pdf).hexdigest()
    certificate.signing_kid = signed.kid
    certificate.save(update_fields=["serial", "pdf", "pdf_sha256", "signing_kid"])
    # Its Open Badges credential, in the same transaction: a certificate never exists without one.
    credential_issue(certificate=certificate, course=course, email=user.email, now=now)
    completion_summary.certificate_issued(certificate)  # the board's totals, in this transaction
    return certificate


def certificate_issue(*, user, course, now=None):
    """Issue the learner's certificate, or return the live one. Re-checks the whole completion rule.

    Two racing requests (a double click) issue one certificate: the database allows one live
    certificate per learner and course, and the loser returns the winner's.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            user, course = _fresh(user.pk, course.pk)
            enrollment = _locked_enrollment(user, course)
            progress = course_progress(user=user, course=course)
            if progress.certificate is not None:
                return progress.certificate
            if course.is_expired(timezone.localdate(now)):
                # Enduring material past its expiry stays readable but awards no credit (ANCC).
                raise CertificateError(
                    f"This course expired on {course.expiry_date:%B %-d, %Y} and no longer awards "
                    "certificates or contact hours."
                )
            if lti_identity_unconfirmed(user):
                raise CertificateError(IDENTITY_UNCONFIRMED)
            if not progress.ready_for_certificate:
                missing = [label for label in progress.missing if label != "Claim your certificate"]
                raise CertificateError("Before your certificate: " + "; ".join(missing) + ".")
            completion_date = timezone.localdate(progress.attestation.attested_at)
            certificate = _create(
                user=user, course=course, enrollment=enrollment, completion_date=completion_date, now=now
            )
            enrollment.completed_at = now
            enrollment.save(update_fields=["completed_at"])
            audit_record(
                actor=user,
                action="certificate.issued",
                obj=certificate,
                summary=f"{certificate.serial} issued",
            )
            # The email is a background task (certificates/tasks.py), enqueued after the commit: a
            # slow or failing mail server neither delays the learner nor undoes her certificate.
            certificate_email_enqueue(certificate)
            transaction.on_commit(partial(lti_certificate_issued, user.pk, course.pk))  # score to the LMS
            return certificate
    except IntegrityError:
        live = Certificate.objects.filter(user=user, course=course, revoked_at__isnull=True).first()
        if live is None:
            raise
        return live


@transaction.atomic
def certificate_revoke(*, certificate, reason, by, now=None):
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError("Give the reason for revoking the certificate.")
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.revoked_at is not None:
        raise CertificateError("This certificate is already revoked.")
    certificate.revoked_at = now or timezone.now()
    certificate.revoked_reason = reason
    certificate.revoked_by = by
    certificate.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    completion_summary.certificate_revoked(certificate)  # the board's totals, in this transaction
    credential_revoke(certificate=certificate, now=certificate.revoked_at)  # its status-list bit
    audit_record(
        actor=by,
        action="certificate.revoked",
        obj=certificate,
        summary=f"{certificate.serial} revoked: {reason}",
    )
    return certificate


@transaction.atomic
def certificate_reissue(*, certificate, reason, by, now=None):
    """Revoke `certificate` (if live) and issue a corrected one from the learner's and course's current data.

    The new certificate keeps the original completion date and links to the one it replaces.
    """
    now = now or timezone.now()
    old = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if Certificate.objects.filter(replaces=old).exists():
        raise CertificateError("This certificate has already been replaced.")
    live = Certificate.objects.filter(user=old.user, course=old.course, revoked_at__isnull=True).exclude(
        pk=old.pk
    )
    if live.exists():
        raise CertificateError(
            f"The learner already holds a live certificate for this course ({live.first().serial})."
        )
    if old.revoked_at is None:
        old = certificate_revoke(certificate=old, reason=reason or "Corrected and re-issued", by=by, now=now)
    user, course = _fresh(old.user_id, old.course_id)
    new = _create(
        user=user,
        course=course,
        enrollment=old.enrollment,
        completion_date=old.completion_date,
        now=now,
        replaces=old,
    )
    roster_carry_forward(old=old, new=new)
    audit_record(
        actor=by,
        action="certificate.reissued",
        obj=new,
        summary=f"{new.serial} re-issued to replace {old.serial}",
    )
    return new
