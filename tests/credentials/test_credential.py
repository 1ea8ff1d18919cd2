"""Every certificate's Open Badges 3.0 credential: its content, the schema, and independent verification."""

import base64
import json
from datetime import UTC, datetime, time
from unittest import mock

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse
from django.utils import timezone
from jwcrypto import jwk, jws

from certificates import services
from certificates.models import Certificate
from credentials.models import Credential
from tests.conftest import shared_path
from tests.credentials.conftest import NotVerified, published_jwks, verify_vc_jwt

pytestmark = pytest.mark.django_db


def schema_validator(name="achievementcredential.schema.json"):
    schema = json.loads(shared_path("conformance", "openbadges3", name).read_text())
    return jsonschema.Draft201909Validator(
        schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER
    )


def test_every_issued_credential_validates_against_the_ob3_schema(issued_credential):
    validator = schema_validator()
    document = json.loads(issued_credential.document)
    assert not list(validator.iter_errors(document))
    # The signed payload is the same credential with its JWT claims: it validates too.
    payload = json.loads(base64.urlsafe_b64decode(issued_credential.jws.split(".")[1] + "=="))
    assert not list(validator.iter_errors(payload))
    assert {
        key: value for key, value in payload.items() if key not in {"iss", "jti", "nbf", "iat"}
    } == document


def test_credential_states_the_course_hours_date_and_provider_without_the_email(issued_credential, learner):
    certificate = issued_credential.certificate
    document = json.loads(issued_credential.document)
    subject = document["credentialSubject"]
    achievement = subject["achievement"]
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert achievement["name"] == certificate.course_title
    assert achievement["criteria"]["narrative"] == certificate.course.completion_criteria
    assert achievement["achievementType"] == "CertificateOfCompletion"
    assert achievement["creator"]["name"] == certificate.provider_name == document["issuer"]["name"]
    assert subject["creditsEarned"] == achievement["creditsAvailable"] == float(certificate.contact_hours)
    # The start of the completion day where the provider is (America/New_York in tests), in UTC.
    start = datetime.combine(certificate.completion_date, time.min, tzinfo=timezone.get_default_timezone())
    assert (
        document["validFrom"]
        == document["awardedDate"]
        == start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    assert document["validFrom"] < timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert document["issuer"]["id"].endswith(reverse("credentials_issuer"))
    (identity,) = subject["identifier"]
    assert identity["hashed"] is True and identity["identityType"] == "emailAddress"
    # The nurse proves the credential is hers with her email and the salt; nothing else names her.
    from credentials.document import identity_hash

    assert identity["identityHash"] == identity_hash(learner.email, identity["salt"])
    for text in (
        issued_credential.document,
        base64.urlsafe_b64decode(issued_credential.jws.split(".")[1] + "=="),
    ):
        text = text if isinstance(text, str) else text.decode()
        assert learner.email not in text and learner.last_name not in text


def test_issuer_profile_is_served_and_validates(client, issued_credential):
    response = client.get(reverse("credentials_issuer"))
    assert response.status_code == 200
    profile = json.loads(response.content)
    assert profile["id"] == json.loads(issued_credential.document)["issuer"]["id"]
    assert not list(schema_validator("profile.schema.json").iter_errors(profile))


def test_independent_verifier_accepts_the_issued_credential(client, issued_credential):
    payload = verify_vc_jwt(issued_credential.jws, published_jwks(client))
    assert payload["id"] == f"urn:uuid:{issued_credential.credential_id}"
    header = json.loads(base64.urlsafe_b64decode(issued_credential.jws.split(".")[0] + "=="))
    assert header["kid"].endswith(reverse("credentials_key", args=[issued_credential.key_id]))
    # The kid dereferences to the JWK, as OB 3.0 asks.
    path = reverse("credentials_key", args=[issued_credential.key_id])
    assert json.loads(client.get(path).content)["kid"] == header["kid"]


def test_tampered_claim_is_refused(client, issued_credential):
    header, payload, signature = issued_credential.jws.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["credentialSubject"]["creditsEarned"] = 40
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(NotVerified, match="signature"):
        verify_vc_jwt(f"{header}.{forged}.{signature}", published_jwks(client))


def test_token_signed_with_another_key_is_refused(client, issued_credential):
    header, payload, _ = issued_credential.jws.split(".")
    # Same header (so the same kid) and payload, signed by a key the provider does not hold.
    stranger = jwk.JWK.from_pyca(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    token = jws.JWS(base64.urlsafe_b64decode(payload + "=="))
    token.add_signature(stranger, alg="RS256", protected=base64.urlsafe_b64decode(header + "==").decode())
    with pytest.raises(NotVerified, match="signature"):
        verify_vc_jwt(token.serialize(compact=True), published_jwks(client))


def test_jwks_publishes_public_keys_only(client, issued_credential):
    (key,) = published_jwks(client)["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    assert key["retired_at"] is None and key["valid_from"]


def test_no_signing_key_means_no_certificate(passed_learner, course):
    from django.core.exceptions import ImproperlyConfigured

    from tests.certificates.conftest import EVALUATION

    services.evaluation_submit(user=passed_learner, course=course, **EVALUATION)
    services.attestation_submit(user=passed_learner, course=course, minutes=60)
    with (
        mock.patch(
            "certificates.signing_keys.current_key", side_effect=ImproperlyConfigured("No signing key")
        ),
        pytest.raises(ImproperlyConfigured),
    ):
        services.certificate_issue(user=passed_learner, course=course)
    assert not Certificate.objects.exists() and not Credential.objects.exists()
    assert services.certificate_issue(user=passed_learner, course=course).credential
