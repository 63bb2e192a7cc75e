"""OpenID Connect log-in against a provider run on loopback (tests.support.oidc_provider): a
good ID token logs in; a token of another issuer, for another client, with another nonce or
signed by a key the provider never published is refused in Chinese, and each would have
logged in with the check switched off."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from authlib.integrations.flask_client import FlaskOAuth2App
from authlib.oidc.core import CodeIDToken
from joserfc.jwk import ECKey

from evalapp.auth import lockout
from evalapp.auth.models import User
from evalapp.database import utcnow
from evalapp.extensions import db
from tests.support.factories import PASSWORD, make_directory_world
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.support.served import served
from tests.support.web import login

NOT_CONFIRMED = "统一身份认证未能确认您的身份"
NO_ACCOUNT = "本系统没有与您关联的账户"


@pytest.fixture(scope="module")
def provider():
    provider = Provider()
    with served(provider.app(), threads=2) as base:
        provider.issuer = base
        yield provider


def oidc_config(issuer: str) -> dict:
    return {"OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET}


@pytest.fixture
def app(make_app, provider):
    provider.tamper = {}
    provider.person = {"sub": "42", "preferred_username": "bob"}
    app = make_app(**oidc_config(provider.issuer))
    with app.app_context():
        make_directory_world("Bob")  # the provider's "bob", whatever the case
        db.session.commit()
    return app


def sign_in(client, path: str = "/auth/oidc/login"):
    """Through the provider, as a browser would: to its authorize endpoint and back."""
    start = client.get(path)
    assert start.status_code == 302, start.get_data(as_text=True)
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=30)
    back = urlsplit(at_provider.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def logged_in(client) -> bool:
    return client.get("/campaigns/").status_code == 200


def test_the_log_in_page_offers_the_unified_sign_in(client):
    assert "使用统一身份认证登录" in client.get("/auth/login").get_data(as_text=True)


def test_a_good_id_token_logs_in_the_linked_account(client):
    response = sign_in(client, "/auth/oidc/login?next=/audit/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/audit/"
    assert logged_in(client)


TAMPERED = {
    "wrong issuer": {"claims": {"iss": "http://127.0.0.1:9/"}},
    "wrong audience": {"claims": {"aud": "another-client"}},
    "wrong nonce": {"claims": {"nonce": "a nonce of another log-in"}},
    "bad signature": {"key": ECKey.generate_key("P-256")},  # not the published key
}


@pytest.mark.parametrize("tamper", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_id_token_is_refused(client, provider, tamper):
    provider.tamper = tamper
    response = sign_in(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert NOT_CONFIRMED in page and "Traceback" not in page
    assert not logged_in(client)


def switch_checks_off(monkeypatch, provider, tamper) -> None:
    """Authlib's checks of the ID token switched off: its claims (issuer, audience, nonce,
    expiry) are not validated, and the tampering key is trusted as if the provider had
    published it."""
    monkeypatch.setattr(CodeIDToken, "validate", lambda self, **options: None)
    if "key" in tamper:
        forged = {**tamper["key"].as_dict(private=False), "kid": provider.key.kid}
        monkeypatch.setattr(FlaskOAuth2App, "fetch_jwk_set",
                            lambda self, force=False: {"keys": [forged]})


@pytest.mark.parametrize("tamper", TAMPERED.values(), ids=TAMPERED.keys())
def test_attack_a_tampered_id_token_logs_in_without_the_checks(client, provider, monkeypatch,
                                                                tamper):
    switch_checks_off(monkeypatch, provider, tamper)
    provider.tamper = tamper
    assert sign_in(client).status_code == 302
    assert logged_in(client)


@pytest.mark.parametrize("username", ["carol", "admin"])  # nobody; a local account
def test_only_an_account_the_organisation_checks_is_opened(client, provider, username):
    provider.person = {"sub": "7", "preferred_username": username}
    response = sign_in(client)
    assert response.status_code == 403
    assert NO_ACCOUNT in response.get_data(as_text=True)
    assert not logged_in(client)


def test_a_callback_without_the_sessions_state_is_refused(client):
    response = client.get("/auth/oidc/callback?code=stolen&state=forged")
    assert response.status_code == 401
    assert NOT_CONFIRMED in response.get_data(as_text=True)


def test_with_the_provider_down_log_in_says_so_and_local_accounts_work(make_app):
    with served(Provider().app(), threads=1) as gone:
        pass  # a port where nothing listens any more
    client = make_app(**oidc_config(gone)).test_client()
    with client.application.app_context():
        make_directory_world("bob")
        db.session.commit()
    response = client.get("/auth/oidc/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "暂时无法连接统一身份认证服务" in page and "Traceback" not in page
    assert login(client, "admin", PASSWORD).status_code == 302


def test_without_a_provider_the_routes_do_not_exist(make_app):
    client = make_app().test_client()
    assert client.get("/auth/oidc/login").status_code == 404
    assert "统一身份认证" not in client.get("/auth/login").get_data(as_text=True)


def lock(app, username: str) -> None:
    """Five failed log-ins as `username` (a password guesser's, or wrong codes)."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        for _n in range(5):
            lockout.failed(username, user, "wrong_password", utcnow())
        db.session.commit()


def test_a_locked_account_does_not_log_in_through_the_identity_provider(app, client):
    lock(app, "Bob")
    response = sign_in(client)
    assert response.status_code == 423
    assert "账户已锁定" in response.get_data(as_text=True)
    assert not logged_in(client)


def test_attack_without_the_lock_check_a_locked_account_logs_in_through_it(app, client,
                                                                            monkeypatch):
    monkeypatch.setattr(lockout, "locked_until", lambda username, now: None)
    lock(app, "Bob")
    assert sign_in(client).status_code == 302
    assert logged_in(client)
