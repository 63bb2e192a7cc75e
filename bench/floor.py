"""The floor: a bare Flask app doing the rater path's database work and nothing else, to
measure what share of the stack's speed the app reaches (`bench.ratio`).

It looks the ticket up, renders a plain form of the same 29 questions (24 common, 4
individual, satisfaction) with the same field names, spends the ticket by deleting its
unspent row and inserts the ballot in one transaction, and shows a receipt: the same pages and
redirects as the app, on the same database settings (`configure_sqlite`) and the same
servers (`evalapp.serving`, `evalapp.gunicorn_conf`). It has no CSRF token, no validation
messages, no ballot sealing, no translations, no ORM.

    python -m bench.floor --port 5001    # Waitress with `evalapp serve`'s settings
    gunicorn -c python:evalapp.gunicorn_conf 'bench.floor:create_floor_app()'
"""

from __future__ import annotations

import argparse
import os
import secrets

import sqlalchemy as sa
from flask import Flask, abort, redirect, render_template_string, request, session

from evalapp.database import configure_sqlite
from evalapp.tickets.tokens import hash_token, normalize

COMMON, INDIVIDUAL = 24, 4
LEVELS = ("excellent", "good", "fair", "poor")
SATISFACTIONS = ("satisfied", "fairly_satisfied", "dissatisfied")
QUESTIONS = [f"s1_c{i}" for i in range(1, COMMON + 1)] + [
    f"s1_i{i}" for i in range(1, INDIVIDUAL + 1)]

FORM = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>测评</title>
<form method="post" action="/ballot">
{% for name in questions %}<fieldset><legend>第{{ loop.index }}项</legend>
{% for level in levels %}<label><input type="radio" name="{{ name }}" value="{{ level }}">
{{ level }}</label>{% endfor %}</fieldset>
{% endfor %}<fieldset><legend>满意度</legend>{% for s in satisfactions %}<label>
<input type="radio" name="s1_satisfaction" value="{{ s }}">{{ s }}</label>{% endfor %}
</fieldset><button>提交</button></form></html>"""
RECEIPT = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>已提交</title>
<p>测评票已提交</p><p class="receipt-code">{{ code }}</p></html>"""

metadata = sa.MetaData()
unspent = sa.Table("unspent_tickets", metadata, sa.Column("token_hash", sa.String(64),
                                                         primary_key=True),
                   sa.Column("paper", sa.Boolean))
floor_ballots = sa.Table(
    "floor_ballots", metadata, sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("answers", sa.String(64)), sa.Column("satisfaction", sa.String(20)),
    sa.Column("receipt_code", sa.String(16)))


def create_floor_app() -> Flask:
    """The floor on the database at EVALAPP_DATABASE_URL (one made by bench.harness.prepare;
    the floor adds its own ballots table)."""
    app = Flask(__name__)
    app.secret_key = os.environ.get("EVALAPP_SECRET_KEY", "bench")
    engine = sa.create_engine(os.environ["EVALAPP_DATABASE_URL"])
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    with app.app_context():
        floor_ballots.create(engine, checkfirst=True)

    def usable(token_hash: str) -> bool:
        with engine.connect() as connection:
            row = connection.execute(sa.select(unspent.c.paper).where(
                unspent.c.token_hash == token_hash)).first()
        return row is not None and not row.paper

    @app.get("/")
    def start():
        return "evalapp floor"

    @app.get("/t/<code>")
    def enter(code: str):
        token_hash = hash_token(normalize(code) or "")
        if not usable(token_hash):
            abort(409)
        session["ticket"], session["receipt"] = token_hash, secrets.token_hex(5).upper()
        return redirect("/ballot", code=303)

    @app.route("/ballot", methods=["GET", "POST"])
    def ballot():
        token_hash = session.get("ticket") or abort(403)
        if request.method == "GET":
            usable(token_hash) or abort(409)
            return render_template_string(FORM, questions=QUESTIONS, levels=LEVELS,
                                          satisfactions=SATISFACTIONS)
        answers = [request.form.get(name, "") for name in QUESTIONS]
        satisfaction = request.form.get("s1_satisfaction", "")
        if any(a not in LEVELS for a in answers) or satisfaction not in SATISFACTIONS:
            abort(422)
        with engine.begin() as connection:
            spent = connection.execute(unspent.delete().where(
                unspent.c.token_hash == token_hash, sa.not_(unspent.c.paper)))
            if spent.rowcount != 1:
                abort(409)
            connection.execute(floor_ballots.insert().values(
                id=secrets.token_hex(16),
                answers="".join(str(LEVELS.index(a)) for a in answers),
                satisfaction=satisfaction, receipt_code=session["receipt"]))
        return redirect("/ballot/receipt", code=303)

    @app.get("/ballot/receipt")
    def receipt():
        return render_template_string(RECEIPT, code=session.get("receipt") or abort(403))

    return app


def main() -> None:
    """Serve the floor with Waitress as `evalapp serve` serves the app."""
    from waitress import serve

    from evalapp.serving import WAITRESS, raise_open_files_limit

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    raise_open_files_limit()
    serve(create_floor_app(), host="127.0.0.1", port=args.port, threads=args.threads,
          **WAITRESS)


if __name__ == "__main__":
    main()
