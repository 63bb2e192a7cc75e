"""Error pages: a plain sentence in the reader's language and the fitting status, never a
stack trace. Under `/api/` (evalapp.api) the same sentence comes as JSON, with what was wrong
with a request's fields when a 422 says."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

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
# The API's own words where a page's would speak of pages and logging in.
API_MESSAGES = {
    401: _l("This needs a valid API token, sent as “Authorization: Bearer …”: the token is "
            "missing, unknown, expired or revoked, or its account is disabled."),
    403: _l("The role of the token's account may not do this."),
    404: _l("Not found: no such address, or nothing of that number among the units of the "
            "token's account."),
    409: _l("Not possible in the campaign's present state: a roster cannot be replaced once "
            "a sample is drawn or the campaign has opened, and results wait for its close."),
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


API_PATHS = "/api/"  # the HTTP API's addresses (evalapp.api), which answer in JSON


def render_error(status: int, message: str,
                 errors: object = None) -> tuple[str, int] | Response:
    """The error page; plain text when the request could not even be matched to this site
    (a `Host` header no URL can be built for, such as `.`): the page's links would fail
    again and turn a 400 into a 500. JSON for the API (`evalapp.api.schemas.ErrorSchema`),
    with `errors` (what was wrong with which field) when there are some."""
    if request.path.startswith(API_PATHS):
        body: dict[str, object] = {"code": status, "status": HTTP_STATUS_CODES.get(
            status, "Error"), "message": str(API_MESSAGES.get(status, message))}
        if errors:
            body["errors"] = errors
        return jsonify(body), status
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
        data = getattr(error, "data", None)  # webargs' (flask-smorest's) 422: what was wrong
        response = make_response(render_error(
            status, message_for(status), data.get("messages") if isinstance(data, dict)
            else None))
        for name, value in error.get_headers():  # Allow (405), Retry-After (429, 503)
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError) -> tuple[str, int] | Response:
        return render_error(500, message_for(500))
