"""The application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import flask
from flask import Flask
from flask_login import current_user
from jinja2 import FileSystemBytecodeCache
from werkzeug.routing import IntegerConverter, ValidationError

from evalapp import commands, errors, i18n, jobs, security
from evalapp.config import configure, instance_path
from evalapp.database import MAX_ROW_ID, configure_sqlite
from evalapp.extensions import babel, csrf, db, limiter, login_manager, migrate
from evalapp.paths import STATIC_DIR, private_folder
from evalapp.schema import ensure_schema_current
from evalapp.text import paragraphs, plain_text


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        static_folder=str(STATIC_DIR),
        instance_path=instance_path(config),
        instance_relative_config=True,
    )
    app.request_class = Request
    app.jinja_env.filters["paragraphs"] = paragraphs
    configure(app, config)
    # Each server process compiled every template it used, 55 ms for the ballot page: the
    # compiled code is kept in the instance folder and loaded by the other processes and
    # the next start (Jinja keys each by the template's name and checks its source's
    # checksum, so an upgraded template is compiled anew).
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(
        str(private_folder(Path(app.instance_path) / "templates-compiled")))
    # Every <int:…> in an address is a row id: beyond PostgreSQL's integer (and far beyond
    # SQLite's) it names nothing, and is not found rather than an error of the database.
    app.url_map.converters["int"] = RowId
    register_extensions(app)
    register_blueprints(app)
    errors.register(app)
    security.register(app)
    commands.register(app)
    if app.config["SCHEMA_CHECK"]:
        ensure_schema_current(app)
    return app


class Request(flask.Request):
    """A request whose form values are `evalapp.text.plain_text` (each line break one LF, other
    control characters dropped), whatever the browser or the paste sent: every field (a report,
    a problem list, an opinion, a measure pasted from Word with its U+000B breaks, a keyed
    paper opinion) is read alike, before any form, length check or view sees it, so that a
    textarea's counter and the server count alike and what is stored can be written to Excel.
    Uploaded files are left as they are."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        # Werkzeug keeps the parsed form in the instance's dict (see its _load_form_data).
        self.__dict__["form"] = self.parameter_storage_class(
            [(name, plain_text(value)) for name, value in self.form.items(multi=True)])


class RowId(IntegerConverter):
    """An integer route argument within the ids the databases hold: up to 2³¹ − 1, the range
    of PostgreSQL's `integer` (SQLite's goes to 2⁶³ − 1); a larger one matches no route."""

    def to_python(self, value: str) -> int:
        number = int(super().to_python(value))
        if number > MAX_ROW_ID:
            raise ValidationError
        return number


def register_extensions(app: Flask) -> None:
    import evalapp.models  # noqa: F401  (the whole schema, for Alembic and relationships)
    from evalapp.auth import directory, oidc

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db)
    jobs.init_app(app)
    csrf.init_app(app)
    # Templates get current_user as the proxy it is, loaded only where a page asks: Flask-
    # Login's own context processor loaded it for every page, a rater's too, and its
    # "strong" session protection then rewrote a rater's session cookie each time.
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.register(app)
    # Settings that cannot work stop the start rather than someone's log-in.
    directory.init_app(app)
    oidc.init_app(app)


def register_blueprints(app: Flask) -> None:
    from evalapp.accounts.views import bp as accounts_bp
    from evalapp.api.resources import register as register_api
    from evalapp.api.views import bp as api_tokens_bp
    from evalapp.audit.views import bp as audit_bp
    from evalapp.auth.account import bp as account_bp
    from evalapp.auth.oidc import bp as oidc_bp
    from evalapp.auth.settings import bp as security_bp
    from evalapp.auth.views import bp as auth_bp
    from evalapp.ballotbox.custody_views import bp as custody_bp
    from evalapp.ballotbox.operations import box_compacted, box_opened
    from evalapp.ballotbox.scrutineers import forget_shares
    from evalapp.ballotbox.views import bp as ballotbox_bp
    from evalapp.campaigns.setup import bp as setup_bp
    from evalapp.campaigns.views import bp as campaigns_bp
    from evalapp.home.views import bp as home_bp
    from evalapp.lookback.views import bp as lookback_bp
    from evalapp.paper.views import bp as paper_bp
    from evalapp.rating.views import bp as rating_bp
    from evalapp.rectification.views import bp as rectification_bp
    from evalapp.results.published import publish_digest
    from evalapp.results.store import prepare_results
    from evalapp.results.views import bp as results_bp
    from evalapp.rollup.views import bp as rollup_bp
    from evalapp.roster.views import bp as roster_bp
    from evalapp.rounds.views import bp as rounds_bp
    from evalapp.sampling.views import bp as sampling_bp
    from evalapp.tickets.views import bp as tickets_bp
    from evalapp.unittree.views import bp as units_bp

    app.register_blueprint(home_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(oidc_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(security_bp)
    app.register_blueprint(campaigns_bp)
    app.register_blueprint(ballotbox_bp)
    app.register_blueprint(custody_bp)
    app.register_blueprint(setup_bp)
    app.register_blueprint(rating_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(roster_bp)
    app.register_blueprint(sampling_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(tickets_bp)
    app.register_blueprint(rectification_bp)
    app.register_blueprint(lookback_bp)
    app.register_blueprint(paper_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(units_bp)
    app.register_blueprint(rounds_bp)
    app.register_blueprint(rollup_bp)
    app.register_blueprint(api_tokens_bp)
    register_api(app)
    box_opened.connect(publish_digest)
    box_compacted.connect(prepare_results)
    box_opened.connect(forget_shares)
