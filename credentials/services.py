"""Writes: issue a certificate's Open Badges credential, revoke it.

Both run inside the certificate's own transaction (certificates.services calls them), so a
certificate never exists without its credential, and a revocation and its status bit commit or
roll back together.
"""

import secrets
import uuid

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from certificates import signing_keys
from credentials import addresses, document, jose
from credentials.models import Credential, StatusList
from credentials.status_bits import MINIMUM_ENTRIES, index_at


def _new_status_list(now):
    return StatusList.objects.create(
        size=MINIMUM_ENTRIES,
        stride=secrets.randbelow(MINIMUM_ENTRIES // 2) * 2 + 1,  # odd: see status_bits.index_at
        offset=secrets.randbelow(MINIMUM_ENTRIES),
        created_at=now,
        updated_at=now,
    )


def _allocate_status_index(now):
    """A list and an index no other credential holds, with the list's row locked until commit.

    The lock makes concurrent issues take positions one after the other; the unique constraint on
    (list, index) would refuse a duplicate anyway. A full list is left as it is and a new one opened.
    """
    status_list = (
        StatusList.objects.select_for_update().filter(allocated__lt=F("size")).order_by("pk").first()
    )
    if status_list is None:
        status_list = _new_status_list(now)
        status_list = StatusList.objects.select_for_update().get(pk=status_list.pk)
    index = index_at(
        status_list.allocated, size=status_list.size, stride=status_list.stride, offset=status_list.offset
    )
    StatusList.objects.filter(pk=status_list.pk).update(allocated=F("allocated") + 1)
    return status_list, index


def credential_issue(*, certificate, course, email, now):
    """Create and sign the OpenBadgeCredential of a certificate just created. Returns the Credential.

    Call inside the certificate's transaction: an error here (no signing key, say) rolls the
    certificate back too. `course` is the row read in that transaction (summary and criteria are
    not frozen on the certificate); everything else comes from the certificate's frozen fields.
    """
    signing_key = signing_keys.current_key()
    status_list, index = _allocate_status_index(now)
    credential_uuid = uuid.uuid4()
    list_url = addresses.status_list_url(status_list.pk)
    facts = document.CredentialFacts(
        credential_id=f"urn:uuid:{credential_uuid}",
        issuer_id=addresses.issuer_url(),
        provider_name=certificate.provider_name,
        provider_url=certificate.provider_web_address,
        achievement_id=addresses.achievement_url(course.slug),
        course_title=certificate.course_title,
        course_summary=course.summary,
        completion_criteria=course.completion_criteria,
        contact_hours=certificate.contact_hours,
        completion_date=certificate.completion_date,
        email=email,
        salt=secrets.token_hex(16),
        status_entry_id=f"{list_url}#{index}",
        status_list_url=list_url,
        status_index=index,
        time_zone=timezone.get_default_timezone(),
    )
    credential = document.open_badge_credential(facts)
    return Credential.objects.create(
        certificate=certificate,
        credential_id=credential_uuid,
        status_list=status_list,
        status_index=index,
        document=jose.json_bytes(credential).decode("utf-8"),
        jws=jose.sign(
            credential, signing_key=signing_key, key_url=addresses.key_url(signing_key.kid), signed_at=now
        ),
        key_id=signing_key.kid,
        issued_at=now,
    )


def credential_revoke(*, certificate, now, listed_at=None):
    """Set the revocation bit of the certificate's credential (if it has one and it is not set yet).

    Call inside the revoking transaction. The credential is revoked at `now`; the list's
    `updated_at` moves to `listed_at` (default `now`), so the published list gets a new validFrom,
    ETag and Last-Modified. It never moves backwards: a verifier holding the list from a later
    date would send that date in If-Modified-Since and be told, wrongly, that nothing changed.
    """
    credential = (
        Credential.objects.select_for_update()
        .filter(certificate=certificate, revoked_at__isnull=True)
        .only("pk", "status_list_id")
        .first()
    )
    if credential is None:
        return None
    Credential.objects.filter(pk=credential.pk).update(revoked_at=now)
    StatusList.objects.filter(pk=credential.status_list_id).update(
        updated_at=Greatest(F("updated_at"), listed_at or now)
    )
    return credential


def credentials_issue_missing(*, now):
    """Issue a credential for every certificate that has none (those issued before credentials
    existed); a revoked certificate's credential is issued with its bit already set. One
    transaction per certificate, so an interruption keeps what was done. Returns how many."""
    from certificates.models import Certificate

    issued = 0
    for pk in Certificate.objects.filter(credential__isnull=True).order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            # Lock the certificate row, then look: another run may have issued it meanwhile. (Not
            # one query: PostgreSQL cannot lock FOR UPDATE across the outer join `credential__isnull` needs.)
            certificate = (
                Certificate.objects.select_for_update()
                .select_related("course", "user")
                .defer("pdf")
                .get(pk=pk)
            )
            if Credential.objects.filter(certificate=certificate).exists():
                continue
            credential_issue(
                certificate=certificate, course=certificate.course, email=certificate.user.email, now=now
            )
            if certificate.revoked_at is not None:
                # Revoked when the certificate was; but the list changes now, not back then.
                credential_revoke(certificate=certificate, now=certificate.revoked_at, listed_at=now)
            issued += 1
    return issued
