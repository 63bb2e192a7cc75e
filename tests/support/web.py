"""The one way tests log in and out: through the forms, with their CSRF tokens, as a person
would."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.support.factories import PASSWORD

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = CSRF_PATTERN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, username: str = "organiser", password: str = PASSWORD,
          address: str = "127.0.0.1"):
    """Log `client` in through the log-in form, as a person would, from `address`."""
    return post_form(client, "/auth/login", {"username": username, "password": password},
                     address=address)


def post_form(client: FlaskClient, path: str, data: dict[str, str],
              address: str = "127.0.0.1"):
    """Post `data` with the CSRF token of the form on `path`, as from `address`."""
    token = csrf_token(client, path)
    return client.post(path, data={**data, "csrf_token": token},
                       environ_overrides={"REMOTE_ADDR": address})


def logout(client: FlaskClient):
    """Log `client` out with the log-out button."""
    token = csrf_token(client, "/")
    return client.post("/auth/logout", data={"csrf_token": token})
