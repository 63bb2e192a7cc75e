"""The one way tests log in and out: through the forms, with their CSRF tokens, as a person
would."""

from __future__ import annotations

import re
from html.parser import HTMLParser

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


class _FormReader(HTMLParser):
    """The values the page's form with the class `marker` would send as the page stands:
    ticked checkboxes and radios only, selected options, textareas; no buttons."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker, self.inside, self.values = marker, False, {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.inside = self.marker in (found.get("class") or "").split()
        if not self.inside:
            return
        name = found.get("name")
        if tag == "input" and name and found.get("type") not in {"submit", "button", "file"}:
            if found.get("type") not in {"checkbox", "radio"} or "checked" in found:
                self.values[name] = found.get("value") or ""
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in found:
            self.values[self.select] = found.get("value") or ""
        elif tag == "textarea" and name:
            self.textarea, self.values[name] = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.values[self.textarea] += data.removeprefix("\n") if not self.values[
                self.textarea] else data


def form_values(page: str, marker: str = "card") -> dict[str, str]:
    """What a browser sends from `page`'s form of the class `marker` unchanged (no button
    pressed), for tests that submit a form as the page shows it."""
    reader = _FormReader(marker)
    reader.feed(page)
    return reader.values
