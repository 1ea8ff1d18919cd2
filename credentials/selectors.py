"""Reads: a credential for its owner, the published status list, the issuer's keys and profile."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F

from accounts.roles import is_board_reviewer
from certificates import signing_keys
from credentials import addresses, document, jose, status_bits
from credentials.models import Credential, StatusList
from modules.models import Course


def credential_for_download(*, user, serial):
    """The certificate's credential if `user` may download it (as for the PDF: its owner, a CE
    board reviewer or an admin), else None."""
    credential = (
        Credential.objects.select_related("certificate")
        .defer("certificate__pdf")
        .filter(certificate__serial=serial)
        .first()
    )
    if credential is None:
        return None
    if credential.certificate.user_id == user.pk or is_board_reviewer(user):
        return credential
    return None


@dataclass(frozen=True)
class PublishedStatusList:
    jws: str
    etag: str
    last_modified: datetime


def status_list_published(status_list_id):
    """The signed BitstringStatusListCredential of a list as it is now, or None for no such list.

    Built from the credentials' rows on each call (one indexed query, a 16 KB bitstring, gzip and
    one RS256 signature: about a millisecond), so it can never lag a revocation.
    """
    status_list = StatusList.objects.filter(pk=status_list_id).first()
    if status_list is None:
        return None
    revoked = Credential.objects.filter(status_list=status_list, revoked_at__isnull=False).values_list(
        "status_index", flat=True
    )
    credential = document.status_list_credential(
        list_url=addresses.status_list_url(status_list.pk),
        issuer_id=addresses.issuer_url(),
        valid_from=status_list.updated_at,
        encoded_list=status_bits.encode(revoked, status_list.size),
        purpose=status_list.purpose,
    )
    signing_key = signing_keys.current_key()
    # Signed "at" the list's last change, or when the current key took over if later: the same
    # token for the same bits and key (a stable ETag), and never dated before its key's service.
    signed_at = max(status_list.updated_at, signing_key.not_before)
    token = jose.sign(
        credential, signing_key=signing_key, key_url=addresses.key_url(signing_key.kid), signed_at=signed_at
    )
    # RS256 (PKCS#1 v1.5) is deterministic: the same bits and key give the same token and ETag.
    etag = '"' + hashlib.sha256(token.encode("ascii")).hexdigest()[:32] + '"'
    return PublishedStatusList(jws=token, etag=etag, last_modified=status_list.updated_at)


def key_set():
    """The JWKS: every published key (current and retired), each with its validity."""
    return {
        "keys": [
            jose.public_jwk(key, key_url=addresses.key_url(key.kid)) for key in signing_keys.published_keys()
        ]
    }


def key_for_kid(kid):
    key = signing_keys.key_by_kid(kid)
    return None if key is None else jose.public_jwk(key, key_url=addresses.key_url(key.kid))


def issuer_profile():
    """The issuer's Profile, served at the issuer id every credential names.

    One site signs for one provider with one key (certificates.signing_keys), so the profile names
    the provider of the courses; the first published course's details are used.
    """
    provider = (
        Course.objects.filter(is_published=True)
        .order_by("pk")
        .values(provider_name=F("provider__legal_name"), provider_web_address=F("provider__web_address"))
        .first()
    ) or Course.objects.order_by("pk").values(
        provider_name=F("provider__legal_name"), provider_web_address=F("provider__web_address")
    ).first()
    profile = document.issuer_profile(
        issuer_id=addresses.issuer_url(),
        name=provider["provider_name"] if provider else "CE Course",
        url=provider["provider_web_address"] if provider else "",
    )
    return {"@context": [document.VC_CONTEXT, document.OB_CONTEXT], **profile}
