"""The Open Badges 3.0 documents the site issues, as plain dicts (no database, no keys).

OpenBadgeCredential (VC Data Model 2.0 generation of OB 3.0: `validFrom`, the v2 context), the
issuer Profile and the BitstringStatusListCredential. The JWT claims that wrap a credential for
VC-JWT are added in `jose.py`.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# A CE certificate is a certificate of completion of an activity (OB 3.0 AchievementType).
ACHIEVEMENT_TYPE = "CertificateOfCompletion"


@dataclass(frozen=True)
class CredentialFacts:
    """Everything a credential states, copied from the certificate's frozen fields and the course."""

    credential_id: str  # urn:uuid:...
    issuer_id: str
    provider_name: str
    provider_url: str
    achievement_id: str
    course_title: str
    course_summary: str
    completion_criteria: str
    contact_hours: Decimal
    completion_date: date
    email: str
    salt: str
    status_entry_id: str
    status_list_url: str
    status_index: int
    # The provider's time zone: the completion date is the day there (settings.TIME_ZONE).
    time_zone: tzinfo = UTC


def identity_hash(identifier, salt):
    """OB 3.0 IdentityHash: "sha256$" + hex SHA-256 of the UTF-8 identifier followed by the salt."""
    return "sha256$" + hashlib.sha256((identifier + salt).encode("utf-8")).hexdigest()


def date_time(value, time_zone=UTC):
    """An XML Schema dateTime in UTC with whole seconds, as the credential's date fields take.

    A date becomes the start of that day in `time_zone`: never later than the moment it names, so
    `nbf` is never in the future for a verifier, whatever the zone.
    """
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time.min, tzinfo=time_zone)
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def hours_number(hours):
    """Contact hours as a JSON number (the schema's creditsEarned is a number): 1.5, not "1.50"."""
    hours = Decimal(hours).normalize()
    return int(hours) if hours == hours.to_integral_value() else float(hours)


def issuer_profile(*, issuer_id, name, url=""):
    profile = {"id": issuer_id, "type": ["Profile"], "name": name}
    if url:
        profile["url"] = url
    return profile


def open_badge_credential(facts):
    """The OpenBadgeCredential for one certificate.

    The nurse is named only by a salted hash of her email (`identifier`), so the document carries
    no address; she proves it is hers by showing the email and the salt. The completion date is
    both `awardedDate` and `validFrom` (as the start of that day in the provider's time zone), and the contact hours are
    the achievement's `creditsAvailable` and the subject's `creditsEarned`.
    """
    completed = date_time(facts.completion_date, facts.time_zone)
    issuer = issuer_profile(issuer_id=facts.issuer_id, name=facts.provider_name, url=facts.provider_url)
    hours = hours_number(facts.contact_hours)
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": facts.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": facts.course_title,
        "issuer": issuer,
        "validFrom": completed,
        "awardedDate": completed,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": identity_hash(facts.email, facts.salt),
                    "salt": facts.salt,
                }
            ],
            "achievement": {
                "id": facts.achievement_id,
                "type": ["Achievement"],
                "achievementType": ACHIEVEMENT_TYPE,
                "name": facts.course_title,
                "description": facts.course_summary or facts.course_title,
                "criteria": {"narrative": facts.completion_criteria},
                "creator": issuer,
                "creditsAvailable": hours,
                "fieldOfStudy": "Nursing",
            },
            "creditsEarned": hours,
            "activityEndDate": completed,
        },
        "credentialStatus": {
            "id": facts.status_entry_id,
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(facts.status_index),
            "statusListCredential": facts.status_list_url,
        },
    }


def status_list_credential(*, list_url, issuer_id, valid_from, encoded_list, purpose="revocation"):
    """The BitstringStatusListCredential that publishes one list's bits."""
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": date_time(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded_list,
        },
    }
