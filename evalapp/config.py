"""Configuration: defaults, then the instance folder's `config.py`, then `EVALAPP_*`
environment variables (EVALAPP_DATABASE_URL, EVALAPP_SECRET_KEY, EVALAPP_AUDIT_KEY,
EVALAPP_BASE_URL, EVALAPP_PORT and EVALAPP_INSTANCE_PATH), then what the caller passes (tests).

The secret key is never written in the code: when none is configured, one is generated on
first start and kept in the instance folder, so sessions survive restarts and every
installation has its own. So is the audit key, which seals the audit log's chain (evalapp.audit
.chain): it is kept out of the database, so that whoever holds only the database cannot forge
an entry.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

ENVIRONMENT = {
    "EVALAPP_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "EVALAPP_SECRET_KEY": "SECRET_KEY",
    "EVALAPP_AUDIT_KEY": "AUDIT_KEY",
    "EVALAPP_BASE_URL": "BASE_URL",
    "EVALAPP_RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "EVALAPP_PROXIES": "PROXIES",
    "EVALAPP_TIMEZONE": "BABEL_DEFAULT_TIMEZONE",
    "EVALAPP_PORT": "PORT",
}

DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_DATABASE_URI": None,
    "SECRET_KEY": None,
    "AUDIT_KEY": None,
    "BASE_URL": None,
    # The port `evalapp serve` listens on, and so the one in the addresses `evalapp demo`
    # prints and puts on its ticket sheet: one setting, so that they always agree.
    "PORT": 5000,
    "SCHEMA_CHECK": True,
    "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": None,  # None: derived from the base URL's scheme
    "WTF_CSRF_TIME_LIMIT": None,
    # Flask-WTF's extra check over HTTPS wants a same-site Referer header, which browsers
    # never send here: every page says `Referrer-Policy: no-referrer`, so that a ticket code
    # in an address never reaches a log. With the check on, every form posted over HTTPS was
    # refused (log-in and ballots included). The token, tied to the session whose cookie is
    # SameSite=Lax (and Secure over HTTPS), is what stops a forged post.
    "WTF_CSRF_SSL_STRICT": False,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    # In-memory limits hold per process; set redis://… so they hold across gunicorn workers.
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # How many reverse proxies stand in front (0: none); they set X-Forwarded-For/-Proto.
    "PROXIES": 0,
}

SECRET_KEY_FILE = "secret_key"
AUDIT_KEY_FILE = "audit_key"
SQLITE_FILE = "evalapp.sqlite3"


def instance_path(overrides: Mapping[str, Any] | None) -> str | None:
    """The instance folder: given by the caller, by EVALAPP_INSTANCE_PATH, or Flask's default
    (`instance/` beside the package in a checkout)."""
    return (overrides or {}).get("INSTANCE_PATH") or os.environ.get("EVALAPP_INSTANCE_PATH")


def configure(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    for variable, key in ENVIRONMENT.items():
        if os.environ.get(variable):
            app.config[key] = os.environ[variable]
    if overrides:
        app.config.from_mapping(overrides)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / SQLITE_FILE}"
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret_key(instance / SECRET_KEY_FILE)
    if not app.config["AUDIT_KEY"]:
        app.config["AUDIT_KEY"] = _instance_secret_key(instance / AUDIT_KEY_FILE)
    # Served over HTTPS (as the base URL says), cookies never travel in clear text.
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = str(app.config["BASE_URL"] or "").startswith(
            "https://"
        )
    app.config["PROXIES"] = int(app.config["PROXIES"])
    app.config["PORT"] = int(app.config["PORT"])


def _instance_secret_key(path: Path) -> str:
    if not path.exists():
        # Written aside and linked into place: when several workers start at once, exactly one
        # link succeeds and every worker then reads that same, complete key.
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()
