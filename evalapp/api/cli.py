"""`evalapp create-token USERNAME`: an API token made on the server's console."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from evalapp.api.tokens import TokenRefused, issue
from evalapp.audit.operations import console_user
from evalapp.auth.models import User
from evalapp.auth.policy import now
from evalapp.extensions import db
from forms.limits import TOKEN_DAYS_DEFAULT, TOKEN_DAYS_MAX


@click.command("create-token")
@with_appcontext
@click.argument("username")
@click.option("--name", default="console", show_default=True,
              help="What the token is for (e.g. the personnel system).")
@click.option("--days", type=click.IntRange(1, TOKEN_DAYS_MAX), default=TOKEN_DAYS_DEFAULT,
              show_default=True, help="How many days the token is valid.")
def create_token_command(username: str, name: str, days: int) -> None:
    """Make an API token of USERNAME's account and print it, as the last line: it acts as the
    account (its role and units) until it expires or is revoked on the account's page; it is
    shown only this once. Administrators hold none."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"没有该用户 / no account named {username!r}")
    try:
        made = issue(user, name.strip() or "console", now(), days=days,
                     console=console_user())
    except TokenRefused as error:
        raise click.ClickException(f"不能为该账户创建令牌 / {error}") from None
    db.session.commit()
    click.echo(f"已创建令牌 / token made for {username}, valid {days} days, until "
               f"{made.token.expires_at:%Y-%m-%d %H:%M} UTC:")
    click.echo(made.secret)
