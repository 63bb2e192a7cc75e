"""Configuration: defaults, then the instance folder's `config.py`, then `EVALAPP_*`
environment variables (EVALAPP_DATABASE_URL, EVALAPP_SECRET_KEY, EVALAPP_AUDIT_KEY,
EVALAPP_CREDENTIAL_KEY, EVALAPP_KEY_ENCRYPTION_KEY, EVALAPP_BASE_URL, EVALAPP_PORT,
EVALAPP_INSTANCE_PATH, and the directory log-in's EVALAPP_LDAP_* and EVALAPP_OIDC_*, see
docs/directory.md), then what the caller passes (tests).

The secret key is never written in the code: when none is configured, one is generated on
first start and kept in the instance folder, so sessions survive restarts and every
installation has its own. So are the credential key (EVALAPP_CREDENTIAL_KEY), which encrypts
the staff's TOTP secrets, and the audit key (EVALAPP_AUDIT_KEY), which seals the audit log's
chain (evalapp.audit.chain): both are kept out of the database, so that whoever holds only the
database can neither compute anyone's codes nor forge an entry; nodes that share a database
share them too. So, last, is the key-encryption key (EVALAPP_KEY_ENCRYPTION_KEY), under which
the keys of open ballot boxes are kept in the database (evalapp.ballotbox.keystore): every node
must have the same one, and a deployment of several nodes sets it in their configuration, since
a key generated in one node's instance folder dies with that folder.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from evalapp.paths import private_folder, write_private

ENVIRONMENT = {
    "EVALAPP_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "EVALAPP_SECRET_KEY": "SECRET_KEY",
    "EVALAPP_CREDENTIAL_KEY": "CREDENTIAL_KEY",
    "EVALAPP_AUDIT_KEY": "AUDIT_KEY",
    "EVALAPP_KEY_ENCRYPTION_KEY": "KEY_ENCRYPTION_KEY",
    "EVALAPP_BASE_URL": "BASE_URL",
    "EVALAPP_RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "EVALAPP_PROXIES": "PROXIES",
    "EVALAPP_JOB_BROKER_URL": "JOB_BROKER_URL",
    "EVALAPP_TIMEZONE": "BABEL_DEFAULT_TIMEZONE",
    "EVALAPP_PORT": "PORT",
    # Directory log-in (docs/directory.md; evalapp.auth.directory, evalapp.auth.oidc).
    "EVALAPP_LDAP_URL": "LDAP_URL",
    "EVALAPP_LDAP_BIND_DN": "LDAP_BIND_DN",
    "EVALAPP_LDAP_BIND_PASSWORD": "LDAP_BIND_PASSWORD",
    "EVALAPP_LDAP_USER_BASE": "LDAP_USER_BASE",
    "EVALAPP_LDAP_USER_FILTER": "LDAP_USER_FILTER",
    "EVALAPP_LDAP_USERNAME_ATTRIBUTE": "LDAP_USERNAME_ATTRIBUTE",
    "EVALAPP_LDAP_START_TLS": "LDAP_START_TLS",
    "EVALAPP_LDAP_CA_FILE": "LDAP_CA_FILE",
    "EVALAPP_LDAP_TIMEOUT": "LDAP_TIMEOUT",
    "EVALAPP_LDAP_GROUP_ROLES": "LDAP_GROUP_ROLES",
    "EVALAPP_OIDC_ISSUER": "OIDC_ISSUER",
    "EVALAPP_OIDC_CLIENT_ID": "OIDC_CLIENT_ID",
    "EVALAPP_OIDC_CLIENT_SECRET": "OIDC_CLIENT_SECRET",
    "EVALAPP_OIDC_USERNAME_CLAIM": "OIDC_USERNAME_CLAIM",
}

DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_DATABASE_URI": None,
    "SECRET_KEY": None,
    # 64 hex digits: the key that encrypts staff TOTP secrets (auth.totp), kept out of the
    # database so that a reader of the database alone cannot compute anyone's codes.
    "CREDENTIAL_KEY": None,
    "AUDIT_KEY": None,
    # 64 hex digits: the key under which open ballot boxes' keys are wrapped in the database.
    "KEY_ENCRYPTION_KEY": None,
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
    # Background jobs (evalapp.jobs): a redis://… URL puts them on a queue that `evalapp
    # worker` runs, on any node; unset, they run in threads of the process that asks.
    "JOB_BROKER_URL": None,
    "JOB_NAMESPACE": "evalapp",
    # A worker silent this long is taken for dead and its jobs handed to another.
    "JOB_HEARTBEAT_SECONDS": 15,
    # In a million of a worker's Redis commands, how many also look for dead workers' jobs.
    "JOB_MAINTENANCE_CHANCE": 100_000,
    # Closing queues every chart and export of the campaign, so that leaders find them made.
    "PREPARE_RESULTS_AT_CLOSE": True,
    # How many reverse proxies stand in front (0: none); they set X-Forwarded-For/-Proto.
    "PROXIES": 0,
    # How long before a draw a second account must have acknowledged its commitment for the
    # verification to say it was published beforehand (evalapp.sampling.verification).
    "DRAW_NOTICE_MARGIN_MINUTES": 60,
}

SECRET_KEY_FILE = "secret_key"
CREDENTIAL_KEY_FILE = "credential_key"
AUDIT_KEY_FILE = "audit_key"
KEY_ENCRYPTION_KEY_FILE = "key_encryption_key"
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

    instance = private_folder(Path(app.instance_path))  # 0700: keys, database, results
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / SQLITE_FILE}"
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret_key(instance / SECRET_KEY_FILE)
    if not app.config["CREDENTIAL_KEY"]:
        app.config["CREDENTIAL_KEY"] = _instance_secret_key(instance / CREDENTIAL_KEY_FILE)
    if not app.config["AUDIT_KEY"]:
        app.config["AUDIT_KEY"] = _instance_secret_key(instance / AUDIT_KEY_FILE)
    if not app.config["KEY_ENCRYPTION_KEY"]:
        app.config["KEY_ENCRYPTION_KEY"] = _instance_secret_key(
            instance / KEY_ENCRYPTION_KEY_FILE)
    _check_hex_key("KEY_ENCRYPTION_KEY", app.config["KEY_ENCRYPTION_KEY"])
    # Served over HTTPS (as the base URL says), cookies never travel in clear text.
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = str(app.config["BASE_URL"] or "").startswith(
            "https://"
        )
    app.config["PROXIES"] = int(app.config["PROXIES"])
    app.config["PORT"] = int(app.config["PORT"])


class BadKey(ValueError):
    """A configured key is not 64 hexadecimal digits (32 bytes)."""


def _check_hex_key(name: str, value: str) -> None:
    """Refuses at start a key that could not be used, rather than at the first close."""
    try:
        valid = len(bytes.fromhex(value)) == 32
    except ValueError:
        valid = False
    if not valid:
        raise BadKey(
            f"EVALAPP_{name} 须为 64 位十六进制数字 / EVALAPP_{name} must be 64 hexadecimal "
            "digits (32 bytes); make one with: python -c 'import secrets; "
            "print(secrets.token_hex(32))'")


def _instance_secret_key(path: Path) -> str:
    if not path.exists():
        # Written aside and linked into place: when several workers start at once, exactly one
        # link succeeds and every worker then reads that same, complete key.
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        write_private(draft, secrets.token_hex(32).encode("ascii"), exclusive=True)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()
