"""Error pages: a plain sentence in the reader's language and the fitting status, never a
stack trace."""

from __future__ import annotations

from flask import Flask, Response, current_app, make_response, render_template
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

# A sentence for every status this app or Werkzeug may answer with; a status not listed
# speaks the sentence of its class (4xx, 5xx), so that no error page falls back to Werkzeug's
# English description.
MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    401: _l("Please log in to open this page."),
    403: _l("You do not have permission to open this page."),
    404: _l("This page does not exist. Please check the address."),
    405: _l("This page cannot be used that way."),
    408: _l("The request took too long. Please try again."),
    409: _l("This cannot be done now: the page may have been changed meanwhile, or the step "
            "is already done. Please reload the page and try again."),
    410: _l("This page is no longer available."),
    413: _l("The upload is too large: at most %(limit)s MB can be sent at once."),
    414: _l("The address is too long. Please check the address."),
    422: _l("What was sent could not be processed. Please check it and try again."),
    429: _l("Too many attempts. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. Please try again in a moment."),
    502: _l("The service is unavailable for the moment. Please try again shortly."),
    503: _l("The service is unavailable for the moment. Please try again shortly."),
    504: _l("The service is unavailable for the moment. Please try again shortly."),
}
CLIENT_ERROR = _l("The request could not be completed. Please go back and try again.")


def message_for(status: int) -> str:
    """The sentence for an error status, in the reader's language. A 413 states the limit:
    it is the only message a file past the limit gets, the upload's own checks never see it."""
    if status == 413:
        limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return str(MESSAGES[413]) % {"limit": limit}
    if status in MESSAGES:
        return str(MESSAGES[status])
    return str(CLIENT_ERROR if status < 500 else MESSAGES[500])


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
    def http_error(error: HTTPException) -> Response | HTTPException:
        status = error.code or 500
        if status < 400:
            return error
        response = make_response(render_error(status, message_for(status)))
        for name, value in error.get_headers():  # Allow (405), Retry-After (429, 503)
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError) -> tuple[str, int] | Response:
        return render_error(500, message_for(500))
