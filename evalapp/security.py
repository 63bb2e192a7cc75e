"""Security headers on every response.

The Content-Security-Policy allows only this server's own scripts, styles and images (no
inline script, no CDN), which also guarantees the pages make no outside requests; frames are
refused so no other site can overlay the ballot; no page tells another site where its
reader came from, because a ticket code must never leak through a Referer header; and nothing
but the static files is kept by a browser or proxy cache (results, exports, names and the
audit log must not outlive the session on a shared office computer).
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def register(app: Flask) -> None:
    if app.config["PROXIES"]:
        # Behind a reverse proxy: take the client's address and scheme from the headers the
        # proxies set, so that rate limits apply per client and HTTPS is recognised.
        proxies = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.before_request
    def refuse_nul_characters() -> None:
        """No text a person types contains NUL, and PostgreSQL cannot store it: a request
        carrying one is malformed (400), never a failed insert (500)."""
        fields = [request.path, *request.args.values()]
        if request.method == "POST":
            fields += [value for values in request.form.listvalues() for value in values]
            fields += [upload.filename or "" for upload in request.files.values()]
        if any("\x00" in field for field in fields):
            abort(400)

    @app.after_request
    def add_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
