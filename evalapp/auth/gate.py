"""Before every request of a logged-in member of staff: end the session when it has been idle
too long or lasted its maximum (the request then goes on as a visitor's: a staff page asks to
log in, saying why; a rater's page on the same browser opens as before), and keep the person
on the one page they must go through first — changing a due password, then (for the three
administrators) enrolling a second factor — before any other page opens.
"""

from __future__ import annotations

from flask import flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from evalapp.auth import sessions
from evalapp.auth.models import User
from evalapp.auth.passwords import password_change_due
from evalapp.auth.policy import current, now
from evalapp.errors import API_PATHS
from evalapp.extensions import db

LOGGED_IN = "_user_id"  # the session key Flask-Login's login_user writes
# Open whatever is due: the files of the pages, logging out and the choice of language. The
# HTTP API (API_PATHS) answers to its tokens alone: a session cookie neither opens it nor is
# kept alive or ended by it.
ALWAYS_OPEN = frozenset({"static", "auth.logout", "i18n.switch_language"})

ENDED = {
    sessions.Ended.IDLE: _l("Your session ended after being idle. Please log in again."),
    sessions.Ended.MAXIMUM: _l("Your session reached its maximum length. Please log in "
                               "again."),
}


def must_enrol(user: User) -> bool:
    """The three administrators log in with a second factor (GB/T 22239-2019 8.1.4.1 d)."""
    return user.role.is_administrator and not user.has_second_factor


def required_page(user: User) -> str | None:
    """The endpoint `user` must go through before any other page, or None."""
    if password_change_due(user, now()) is not None:
        return "account.password"
    if must_enrol(user):
        return "account.second_factor"
    return None


def enforce() -> Response | None:
    # A session with no log-in in it (a rater's) has nothing to enforce. Asking Flask-Login
    # for its user anyway made its "strong" session protection rewrite the session, and so
    # sign and send the cookie again, on every request of the rater path.
    if (request.endpoint in ALWAYS_OPEN or LOGGED_IN not in session
            or request.path.startswith(API_PATHS) or not current_user.is_authenticated):
        return None
    ended = sessions.ended(session, now(), current())
    if ended is not None:
        # The request so far only read (in a deferred transaction on SQLite, for a GET): end
        # it, so the log-out's audit entry is written in a transaction of its own, not by
        # upgrading a read whose snapshot another writer may have outdated meanwhile.
        db.session.rollback()
        logout_user()  # the audit log records it; the rater's part of the session stays
        sessions.forget(session)
        db.session.commit()
        flash(str(ENDED[ended]), "notice")
        return None
    sessions.touch(session, now())
    page = required_page(current_user)
    if page is not None and request.endpoint != page:
        return redirect(url_for(page))
    return None
