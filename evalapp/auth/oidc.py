"""Log-in through the organisation's OpenID Connect provider (统一身份认证), with Authlib.

The authorization code flow: /auth/oidc/login sends the browser to the provider with a fresh
state, nonce and PKCE verifier (kept in the signed session); /auth/oidc/callback trades the
code for tokens at the provider's token endpoint and accepts the ID token only when its
signature verifies against the provider's published keys (JWKS) and its issuer is the
configured one, its audience this client, its nonce the one sent and it has not expired
(Authlib checks them: `parse_id_token`). The person is then the account named by a claim
(`preferred_username` unless configured), when that account is checked by the organisation
(`User.directory`): a local account is never opened this way, nor a locked one
(auth.lockout), and an account with a second factor still goes through its second step.

Configured by EVALAPP_OIDC_ISSUER (the provider's address: its discovery document is
ISSUER/.well-known/openid-configuration), EVALAPP_OIDC_CLIENT_ID, EVALAPP_OIDC_CLIENT_SECRET
and optionally EVALAPP_OIDC_USERNAME_CLAIM (see docs/directory.md).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, request, session, url_for
from flask_babel import lazy_gettext as _l
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from evalapp.auth import lockout
from evalapp.auth.credentials import MESSAGES, Refusal, organisation_account
from evalapp.auth.events import announce
from evalapp.auth.policy import now
from evalapp.auth.views import locked_message, start_session
from evalapp.errors import render_error
from evalapp.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint("oidc", __name__, url_prefix="/auth/oidc")

EXTENSION = "evalapp.oidc"
PROVIDER = "organisation"
TIMEOUT = 5  # seconds, for each request to the provider
NEXT = "oidc_next"  # the session key of the page asked for before the detour
NOT_CONFIRMED = _l("The unified sign-in could not confirm who you are. Please try again, "
                   "or log in with a username and password.")
NO_ACCOUNT = _l("The unified sign-in confirmed you, but no account here is linked to you. "
                "Please ask the system administrator.")


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    username_claim: str = "preferred_username"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"


def settings_from(config: Mapping[str, Any]) -> OidcSettings | None:
    """The provider's settings in an app's configuration, or None when OIDC_ISSUER is unset.
    Raises ValueError when the issuer is set without the client's id and secret."""
    issuer = (config.get("OIDC_ISSUER") or "").strip()
    if not issuer:
        return None
    if not (config.get("OIDC_CLIENT_ID") and config.get("OIDC_CLIENT_SECRET")):
        raise ValueError("OIDC_ISSUER is set but not OIDC_CLIENT_ID and OIDC_CLIENT_SECRET")
    return OidcSettings(issuer=issuer, client_id=config["OIDC_CLIENT_ID"],
                        client_secret=config["OIDC_CLIENT_SECRET"],
                        username_claim=config.get("OIDC_USERNAME_CLAIM") or "preferred_username")


def init_app(app: Flask) -> None:
    """Register the provider (the log-in page then offers it); an OAuth registry per app, so
    that apps with different providers can live in one process (the tests)."""
    settings = settings_from(app.config)
    app.add_template_global(settings is not None, "oidc_enabled")
    if settings is None:
        return
    oauth = OAuth(app)
    oauth.register(
        PROVIDER, client_id=settings.client_id, client_secret=settings.client_secret,
        server_metadata_url=settings.discovery_url,
        client_kwargs={"scope": "openid profile", "code_challenge_method": "S256",
                       "default_timeout": TIMEOUT},
    )
    app.extensions[EXTENSION] = (settings, oauth.create_client(PROVIDER))


def _provider() -> tuple[OidcSettings, Any]:
    configured = current_app.extensions.get(EXTENSION)
    if configured is None:
        abort(404)
    return configured


@bp.get("/login")
def login() -> Response | tuple[str, int]:
    settings, client = _provider()
    session[NEXT] = request.args.get("next") or ""
    try:
        return client.authorize_redirect(url_for("oidc.callback", _external=True))
    except (requests.RequestException, ValueError) as error:  # no discovery document
        log.warning("OpenID Connect provider %s unavailable: %s", settings.issuer, error)
        return render_error(503, str(MESSAGES[Refusal.DIRECTORY_DOWN]))


@bp.get("/callback")
def callback() -> Response | tuple[str, int]:
    settings, client = _provider()
    try:
        token = client.authorize_access_token(
            claims_options={"iss": {"essential": True, "value": settings.issuer}})
    except requests.RequestException as error:
        log.warning("OpenID Connect provider %s unavailable: %s", settings.issuer, error)
        return render_error(503, str(MESSAGES[Refusal.DIRECTORY_DOWN]))
    except (AuthlibBaseError, JoseError, ValueError) as error:
        log.warning("OpenID Connect log-in refused: %r", error)
        return render_error(401, str(NOT_CONFIRMED))
    claims = token.get("userinfo")  # present only for a verified ID token
    if not claims:
        return render_error(401, str(NOT_CONFIRMED))
    user = organisation_account(str(claims.get(settings.username_claim) or ""))
    if user is None or not user.active:
        return render_error(403, str(NO_ACCOUNT))
    until = lockout.locked_until(user.username, now())
    if until is not None:
        # The lock holds for every way in: the provider's word is no exception to it.
        announce("login.refused", user, username=lockout.key(user.username), reason="locked")
        db.session.commit()
        return render_error(423, locked_message(until))
    return start_session(user, session.pop(NEXT, None))
