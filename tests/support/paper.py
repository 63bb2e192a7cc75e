"""Helpers for tests of paper ballots: a clerk scanning a code and keying the marks."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from tests.support.rater import CSRF, full_answers
from tests.support.web import login

MESSAGE = re.compile(r'<div class="notice error" role="alert"><p>([^<]+)</p>')


def clerk(app, name: str) -> FlaskClient:
    """A client of its own, logged in as the clerk `name`."""
    client = app.test_client()
    login(client, name)
    return client


def scan(client: FlaskClient, campaign_id: int, code: str):
    """A clerk types or scans `code` on the paper ballots page: the keying form, the
    decision page, or a refusal."""
    page = client.get(f"/campaigns/{campaign_id}/paper/").get_data(as_text=True)
    return client.post(f"/campaigns/{campaign_id}/paper/",
                       data={"code": code, "csrf_token": CSRF.search(page).group(1)})


def key(client: FlaskClient, campaign_id: int, code: str,
        choose: Callable[[list[str]], str] = lambda values: values[0],
        opinion: str = "", change: Callable[[dict[str, str]], None] = lambda data: None):
    """Key the paper ballot of `code` with `choose`'s answer to every question (and
    `opinion` for each subject); `change` edits the form before it is sent. The response."""
    form = scan(client, campaign_id, code)
    assert form.status_code == 200, form.get_data(as_text=True)
    page = form.get_data(as_text=True)
    data = full_answers(page, choose)
    data["code"] = code
    if opinion:
        for name in [n for n in data if n.endswith("_satisfaction")]:
            data[name.replace("satisfaction", "comment")] = opinion
    change(data)
    return client.post(f"/campaigns/{campaign_id}/paper/ballot", data=data)


def post_code(client: FlaskClient, campaign_id: int, action: str, page: str, code: str):
    """POST `code` alone to the paper page `action` ("ballot", "decide", "void") with the CSRF
    token of `page` (the page the clerk is on)."""
    return client.post(f"/campaigns/{campaign_id}/paper/{action}",
                       data={"csrf_token": CSRF.search(page).group(1), "code": code})


def refusal(response) -> str:
    match = MESSAGE.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:2000]
    return match.group(1)
