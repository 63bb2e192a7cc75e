"""Making, checking and revoking the API's bearer tokens.

A token is 256 random bits (`secrets.token_urlsafe`) after the marker `evalapp_`, so that a
secret scanner can tell one in a leaked file; it is shown once. The database keeps its keyed
digest (`keyed_digest`): a reader of the database or a backup learns no token, and a writer
cannot plant a row for a token of their own without the key-encryption key. Each use checks
the account as it is then (active, its role and unit), so disabling an account or changing
its role reaches its tokens at once. The three administrators get none: their log-in asks a
second factor, which a token would go round (GB/T 22239-2019 8.1.4.1 d).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from evalapp.api.models import PREFIX_LENGTH, ApiToken
from evalapp.audit.operations import record
from evalapp.auth.models import User
from evalapp.auth.policy import now
from evalapp.extensions import db
from evalapp.keywrap import keyed_digest
from forms.limits import TOKEN_DAYS_DEFAULT, TOKEN_DAYS_MAX

MARKER = "evalapp_"
PURPOSE = "api token"
# A use is written back at most this often: a client polling every second would otherwise
# write a row a second.
USE_RECORDED_EVERY = timedelta(minutes=5)


class TokenRefused(ValueError):
    """The account cannot hold a token (an administrator, or an inactive account)."""


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: `secret` is shown once and stored nowhere."""

    token: ApiToken
    secret: str


def digest(secret: str) -> str:
    return keyed_digest(secret.encode("utf-8"), PURPOSE)


def issue(user: User, name: str, at: datetime, *, days: int = TOKEN_DAYS_DEFAULT,
          by: User | None = None, console: str | None = None) -> IssuedToken:
    """A new token of `user`, valid `days` days (1..TOKEN_DAYS_MAX), audited as made by `by` (the
    account itself on its page) or on the console (`console`: the system user). Raises
    TokenRefused for an administrator or an inactive account, ValueError for a bad `days`."""
    if user.role.is_administrator:
        raise TokenRefused("administrators hold no API token")
    if not user.active:
        raise TokenRefused("the account is disabled")
    if not 1 <= days <= TOKEN_DAYS_MAX:
        raise ValueError(f"days must be from 1 to {TOKEN_DAYS_MAX}")
    body = secrets.token_urlsafe(32)
    secret = MARKER + body
    token = ApiToken(user=user, name=name, digest=digest(secret), prefix=body[:PREFIX_LENGTH],
                     created_at=at, expires_at=at + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    record("api.token_create", user=by, token=token.id, prefix=token.prefix,
           account=user.username, name=name, days=days,
           **({"console": console} if console else {}))
    return IssuedToken(token, secret)


def revoke(token: ApiToken, at: datetime, by: User) -> None:
    """Revoke `token` (once: revoking again changes nothing and records nothing)."""
    if token.revoked_at is not None:
        return
    token.revoked_at = at
    record("api.token_revoke", user=by, token=token.id, prefix=token.prefix,
           account=token.user.username)


def revoke_all(_app: object, user: User) -> None:
    """Revoke every token of `user` still valid (connected to
    `evalapp.auth.events.rights_withdrawn`: an administrator reset its password, disabled it
    or changed its role, the usual answers to a compromised account, which a token made
    with a stolen session must not outlive)."""
    at = now()
    revoked = db.session.scalars(sa.update(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > at)
        .values(revoked_at=at).returning(ApiToken.id)).all()
    if revoked:
        record("api.token_revoke", user=None, tokens=list(revoked), account=user.username,
               reason="rights_withdrawn")


def tokens_of(user: User) -> list[ApiToken]:
    """The account's tokens, newest first, revoked and expired ones included."""
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def bearer(secret: str, at: datetime) -> ApiToken | None:
    """The usable token whose secret this is, its use noted; None for any other string (no
    such token, revoked, expired, or its account disabled or now an administrator's)."""
    if not secret.startswith(MARKER) or len(secret) > 100:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.digest == digest(secret)))
    if token is None or not token.usable(at) or token.user.role.is_administrator:
        return None
    if token.last_used_at is None or at - token.last_used_at >= USE_RECORDED_EVERY:
        token.last_used_at = at
        db.session.commit()
    return token
