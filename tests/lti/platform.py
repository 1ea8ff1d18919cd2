"""A test LMS written from the LTI 1.3 / LTI-DL 2.0 / AGS 2.0 specifications, not from the tool's library.

It holds its own RSA keys, publishes a JWKS, signs id_tokens with PyJWT, and (through
pytest-httpserver) answers the tool's JWKS fetch, its client-credentials token request and its
score posts, recording what it received.
"""

import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


class TestPlatform:
    __test__ = False  # a helper, not a test class

    def __init__(
        self, server, *, issuer="https://lms.hospital.test", client_id="ce-tool-1", deployment_id="dep-1"
    ):
        self.server = server
        self.issuer, self.client_id, self.deployment_id = issuer, client_id, deployment_id
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "platform-key-1"
        self.scores = []  # (path, headers, body) of every score the tool posted
        self.token_requests = []
        server.expect_request("/jwks").respond_with_handler(self._jwks)
        server.expect_request("/token", method="POST").respond_with_handler(self._token)

    # --- endpoints -------------------------------------------------------------------------------
    def _jwks(self, request):
        from werkzeug import Response

        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, alg="RS256", use="sig")
        return Response(json.dumps({"keys": [jwk]}), content_type="application/json")

    def _token(self, request):
        from werkzeug import Response

        self.token_requests.append(dict(request.form))
        return Response(
            json.dumps({"access_token": "platform-access-token", "token_type": "Bearer", "expires_in": 3600}),
            content_type="application/json",
        )

    def accept_scores(self, path="/lineitems/7/lineitem", *, fail_first=0):
        failures = {"left": fail_first}

        def handler(request):
            from werkzeug import Response

            if failures["left"]:
                failures["left"] -= 1
                return Response("platform busy", status=503)
            self.scores.append((request.path, dict(request.headers), json.loads(request.data)))
            return Response("", status=200)

        self.server.expect_request(f"{path}/scores", method="POST").respond_with_handler(handler)
        return self.server.url_for(path)

    # --- registration values ---------------------------------------------------------------------
    def register(self):
        from lti.models import Deployment, Platform

        platform = Platform.objects.create(
            name="Hospital LMS",
            issuer=self.issuer,
            client_id=self.client_id,
            auth_login_url=f"{self.issuer}/auth",
            auth_token_url=self.server.url_for("/token"),
            key_set_url=self.server.url_for("/jwks"),
        )
        Deployment.objects.create(platform=platform, deployment_id=self.deployment_id)
        return platform

    # --- messages --------------------------------------------------------------------------------
    def claims(self, *, nonce, sub="lms-user-42", message_type="LtiResourceLinkRequest", **extra):
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": sub,
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "given_name": "Ally",
            "family_name": "Nguyen",
            "name": "Ally Nguyen",
            "email": "ally.lms@hospital.test",
            LTI + "message_type": message_type,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "roles": [LEARNER_ROLE],
            LTI + "target_link_uri": "http://127.0.0.1:8000/lti/launch/",
        }
        if message_type == "LtiResourceLinkRequest":
            body[LTI + "resource_link"] = {"id": "resource-link-1", "title": "CE course"}
            body[LTI + "custom"] = {"course": "hamstring"}
        else:
            body[LTI + "roles"] = [INSTRUCTOR_ROLE]
            body[DL + "deep_linking_settings"] = {
                "deep_link_return_url": f"{self.issuer}/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "data": "platform-opaque-data",
            }
        body.update(extra)
        return body

    def sign(self, body, *, key=None, kid=None):
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    # --- the browser side of a launch, driven through Django's test client -------------------------
    def login_step(self, client, *, new_window=True):
        """The LMS starts the OIDC login; returns (state, nonce) from the tool's redirect to /auth."""
        params = {
            "iss": self.issuer,
            "login_hint": "hint-42",
            "target_link_uri": "http://127.0.0.1:8000/lti/launch/",
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        if new_window:
            params["lti1p3_new_window"] = "1"
        response = client.post("/lti/login/", params)
        assert response.status_code == 302, response.content[:500]
        location = urlsplit(response["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == f"{self.issuer}/auth"
        query = parse_qs(location.query)
        assert query["response_mode"] == ["form_post"] and query["client_id"] == [self.client_id]
        return query["state"][0], query["nonce"][0]

    def launch(self, client, *, body_changes=None, drop=(), key=None, kid=None, **claims):
        state, nonce = self.login_step(client)
        body = self.claims(nonce=nonce, **claims)
        body.update(body_changes or {})
        for name in drop:
            body.pop(name)
        return client.post("/lti/launch/", {"id_token": self.sign(body, key=key, kid=kid), "state": state})


def new_nonce():
    return uuid.uuid4().hex
