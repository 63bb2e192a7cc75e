"""The `evalapp` console command."""

import click
from flask.cli import FlaskGroup

from evalapp.app import create_app
from evalapp.config import BadKey


def _create_cli_app():
    # Commands run before the schema may exist (`db upgrade`, `serve`, `demo` migrate it);
    # those that need it check for themselves.
    try:
        return create_app({"SCHEMA_CHECK": False})
    except BadKey as error:  # a configuration to fix, said in a line: no traceback
        raise click.ClickException(str(error)) from None


main = FlaskGroup(
    name="evalapp",
    create_app=_create_cli_app,
    help="evalapp: 民主测评 / democratic evaluation. Start with `evalapp demo` then "
         "`evalapp serve`.",
)
