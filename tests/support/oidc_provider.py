"""A minimal OpenID Connect provider on a loopback port, for the tests of the OIDC log-in: a
discovery document, its key set (JWKS), an authorize endpoint that hands out a code at once
(as if the person had signed in there) and a token endpoint that trades it for an ID token
signed with a key made for the test run.

`Provider.tamper` makes the next ID tokens wrong in one way (another issuer, audience or
nonce, or a signature by a key the provider never published), as a forged or misdirected
token would be.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

CLIENT_ID = "evalapp"
CLIENT_SECRET = "client secret of the tests"


@dataclass
class Provider:
    """The provider's state: its signing key, the codes handed out (code: nonce), the claims
    of the person who signs in, and how to tamper with the next tokens."""

    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", auto_kid=True))
    codes: dict[str, str] = field(default_factory=dict)
    person: dict[str, Any] = field(default_factory=lambda: {"sub": "42",
                                                            "preferred_username": "bob"})
    tamper: dict[str, Any] = field(default_factory=dict)
    issuer: str = ""

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "nonce": nonce, "iat": now,
                  "exp": now + 300, **self.person, **self.tamper.get("claims", {})}
        key = self.tamper.get("key", self.key)
        return jwt.encode({"alg": "ES256", "kid": self.key.kid}, claims, key)

    def app(self) -> Flask:
        app = Flask(__name__)

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(issuer=self.issuer, authorization_endpoint=f"{self.issuer}/authorize",
                           token_endpoint=f"{self.issuer}/token", jwks_uri=f"{self.issuer}/jwks",
                           response_types_supported=["code"],
                           id_token_signing_alg_values_supported=["ES256"],
                           subject_types_supported=["public"])

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([self.key]).as_dict(private=False))

        @app.get("/authorize")
        def authorize():
            if request.args.get("client_id") != CLIENT_ID:
                abort(400)
            code = secrets.token_urlsafe(16)
            self.codes[code] = request.args.get("nonce", "")
            return redirect(f"{request.args['redirect_uri']}?code={code}"
                            f"&state={request.args['state']}")

        @app.post("/token")
        def token():
            nonce = self.codes.pop(request.form.get("code", ""), None)
            if nonce is None or request.authorization is None or (
                    request.authorization.username,
                    request.authorization.password) != (CLIENT_ID, CLIENT_SECRET):
                return jsonify(error="invalid_grant"), 400
            return jsonify(access_token=secrets.token_urlsafe(16), token_type="Bearer",
                           expires_in=300, id_token=self.id_token(nonce))

        return app
