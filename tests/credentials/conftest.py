"""A learner with an issued certificate (and so a credential), and an independent VC-JWT verifier.

The verifier uses PyJWT and `cryptography`, never jwcrypto (which signs), and follows the OB 3.0
steps "Verify a Credential": dereference `kid` to the JWK (here: look it up in the JWKS the site
publishes), check the RS256 signature, then check that the registered claims match the credential.
"""

import base64
import gzip
import json
from datetime import UTC, datetime

import jwt
import pytest
from django.urls import reverse

from tests.certificates.conftest import certificate, passed_learner, post_test  # noqa: F401 (fixtures)


class NotVerified(Exception):
    pass


def published_jwks(client):
    response = client.get(reverse("credentials_jwks"))
    assert response.status_code == 200
    return json.loads(response.content)


def verify_vc_jwt(token, jwks):
    """The credential (the JWT payload) if `token` verifies against `jwks`; raises NotVerified."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise NotVerified(f"bad header: {error}") from error
    if header.get("alg") != "RS256" or set(header) - {"alg", "kid", "typ", "jwk"}:
        raise NotVerified(f"header not allowed by OB 3.0: {header}")
    matching = [key for key in jwks["keys"] if key["kid"] == header.get("kid")]
    if len(matching) != 1:
        raise NotVerified(f"no published key {header.get('kid')!r}")
    public_key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(matching[0]))
    try:
        payload = jwt.decode(
            token, key=public_key, algorithms=["RS256"], options={"require": ["iss", "jti", "nbf", "iat"]}
        )
    except jwt.PyJWTError as error:
        raise NotVerified(f"signature or claims refused: {error}") from error
    # The key must have been in service when the token was signed (`iat`): a retired key stays
    # published for what it signed before, never for anything signed after.
    signed_at = datetime.fromtimestamp(payload["iat"], UTC) if "iat" in payload else None
    valid_from, retired_at = matching[0].get("valid_from"), matching[0].get("retired_at")
    if signed_at is None or (valid_from and signed_at < datetime.fromisoformat(valid_from)):
        raise NotVerified("signed before the key was in service (or no iat)")
    if retired_at and signed_at >= datetime.fromisoformat(retired_at):
        raise NotVerified("signed by a key already retired")
    issuer = payload["issuer"]
    if payload["iss"] != (issuer["id"] if isinstance(issuer, dict) else issuer):
        raise NotVerified("iss does not match issuer.id")
    if payload["jti"] != payload["id"]:
        raise NotVerified("jti does not match id")
    valid_from = datetime.fromisoformat(payload["validFrom"])  # aware: it ends in Z
    if payload["nbf"] != int(valid_from.timestamp()):
        raise NotVerified("nbf does not match validFrom")
    if payload["credentialSubject"].get("id", payload.get("sub")) != payload.get("sub"):
        raise NotVerified("sub does not match credentialSubject.id")
    return payload


def status_bit(encoded_list, index):
    """Read one bit of a published list, written from the Bitstring Status List text: multibase
    base64url (prefix "u", no padding), GZIP, index 0 the left-most bit."""
    assert encoded_list[0] == "u"
    raw = base64.urlsafe_b64decode(encoded_list[1:] + "=" * (-len(encoded_list[1:]) % 4))
    bits = gzip.decompress(raw)
    assert len(bits) >= 16 * 1024, "the spec's minimum is 16 KB"
    byte = bits[index // 8]
    return 1 if byte & (1 << (7 - index % 8)) else 0


def revoked_per_status_list(client, credential):
    """Fetch the credential's status list from the site, verify it, and read its bit."""
    entry = credential["credentialStatus"]
    path = entry["statusListCredential"].split("://", 1)[1]
    path = path[path.index("/") :]
    response = client.get(path)
    assert response.status_code == 200
    status_list = verify_vc_jwt(response.content.decode("ascii"), published_jwks(client))
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert status_list["credentialSubject"]["statusPurpose"] == entry["statusPurpose"] == "revocation"
    return status_bit(status_list["credentialSubject"]["encodedList"], int(entry["statusListIndex"])) == 1


@pytest.fixture
def issued_credential(certificate):  # noqa: F811 (the fixture imported above)
    return certificate.credential
