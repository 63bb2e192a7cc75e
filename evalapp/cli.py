"""The `evalapp` console command."""

from flask.cli import FlaskGroup

from evalapp.app import create_app


def _create_cli_app():
    # Commands run before the schema may exist (`db upgrade`, `serve`, `demo` migrate it);
    # those that need it check for themselves.
    return create_app({"SCHEMA_CHECK": False})


main = FlaskGroup(
    name="evalapp",
    create_app=_create_cli_app,
    help="evalapp: 民主测评 / democratic evaluation. Start with `evalapp demo` then "
         "`evalapp serve`.",
)
