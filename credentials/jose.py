"""VC-JWT (the Open Badges 3.0 "JSON Web Token Proof Format"): sign with jwcrypto, publish keys as JWKs.

The compact JWS's payload is the credential itself with the registered claims OB 3.0 asks for
beside it: `iss` = issuer.id, `jti` = id, `nbf` = validFrom (and `sub` only when the subject has
an id, which ours never has: the nurse is a hashed identifier). `iat` (a standard claim OB 3.0
allows) is when it was signed, so a verifier can check that the key was in service then: after a
rotation the old key is still published, and `iat` tells its old signatures from forged new ones. The JOSE header carries only
`alg`, `kid` and `typ` ("Additional JOSE Headers are NOT allowed"); `kid` is a URL on this site
that serves the public key as a JWK, and the same string is the key's `kid` in the JWKS.
"""

import base64
import json
import threading
from datetime import datetime

from cryptography.hazmat.primitives.serialization import Encoding
from jwcrypto import jwk, jws

ALGORITHM = "RS256"

_jwk_lock = threading.Lock()
_jwk_by_kid = {}


def _private_jwk(signing_key):
    """The jwcrypto key for a signing key, converted once per process (it costs more than signing)."""
    with _jwk_lock:
        cached = _jwk_by_kid.get(signing_key.kid)
        if cached is not None and cached[0] is signing_key.private_key:
            return cached[1]
        key = jwk.JWK.from_pyca(signing_key.private_key)
        _jwk_by_kid[signing_key.kid] = (signing_key.private_key, key)
        return key


def json_bytes(document):
    """The exact bytes signed and served: UTF-8 JSON, no insignificant whitespace."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def jwt_payload(document, *, signed_at):
    """The credential with the registered JWT claims OB 3.0 maps from it, and `iat`."""
    issuer = document["issuer"]
    payload = {
        "iss": issuer["id"] if isinstance(issuer, dict) else issuer,
        "jti": document["id"],
        "nbf": int(datetime.fromisoformat(document["validFrom"]).timestamp()),
        "iat": int(signed_at.timestamp()),
    }
    subject_id = document["credentialSubject"].get("id")
    if subject_id:
        payload["sub"] = subject_id
    payload.update(document)
    return payload


def sign(document, *, signing_key, key_url, signed_at):
    """The compact JWS of `document` signed with `signing_key` (RS256); `key_url` becomes `kid`."""
    token = jws.JWS(json_bytes(jwt_payload(document, signed_at=signed_at)))
    header = {"alg": ALGORITHM, "kid": key_url, "typ": "JWT"}
    token.add_signature(_private_jwk(signing_key), alg=ALGORITHM, protected=json.dumps(header))
    return token.serialize(compact=True)


def public_jwk(signing_key, *, key_url):
    """The public half of `signing_key` as a JWK, with the validity a verifier needs after rotation.

    `x5c` carries the key's X.509 certificate (its own notBefore/notAfter). `valid_from` and
    `retired_at` (ISO 8601 UTC; `retired_at` null while the key is current) say when the
    provider signed with it: a credential signed inside that window verifies with this key for
    good, even after the key is retired. Members a JWK consumer does not know are ignored (RFC 7517 §4).
    """
    public = jwk.JWK.from_pyca(signing_key.certificate.public_key()).export_public(as_dict=True)
    public.update(
        {
            "kid": key_url,
            "use": "sig",
            "alg": ALGORITHM,
            "x5c": [base64.b64encode(signing_key.certificate.public_bytes(Encoding.DER)).decode("ascii")],
            "valid_from": _iso(signing_key.not_before),
            "retired_at": _iso(signing_key.retired_at),
            "development_key": signing_key.is_development,
        }
    )
    return public


def _iso(moment):
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
