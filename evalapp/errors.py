"""Error pages: a plain sentence in the reader's language and the fitting status, never a
stack trace."""

from __future__ import annotations

from flask import Flask, Response, render_template
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You do not have permission to open this page."),
    404: _l("This page does not exist. Please check the address."),
    405: _l("This page cannot be used that way."),
    413: _l("The upload is too large."),
    429: _l("Too many attempts. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. Please try again in a moment."),
}
CSRF_MESSAGE = _l("This form has expired or was not sent from this site. "
                  "Please reload the page and submit it again.")


def render_error(status: int, message: str) -> tuple[str, int] | Response:
    """The error page; plain text when the request could not even be matched to this site
    (a `Host` header no URL can be built for, such as `.`): the page's links would fail
    again and turn a 400 into a 500."""
    if request_ctx.url_adapter is None:
        return Response(f"{message} ({status})", status, mimetype="text/plain")
    return render_template("errors/error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int] | Response:
        return render_error(400, str(CSRF_MESSAGE))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | Response | HTTPException:
        status = error.code or 500
        if status < 400:
            return error
        return render_error(status, str(MESSAGES.get(status, error.description)))

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError) -> tuple[str, int] | Response:
        return render_error(500, str(MESSAGES[500]))
