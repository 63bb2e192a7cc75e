"""The questionnaire and the fresh ballot page are kept per open campaign
(evalapp.rating.questionnaire): what each rater gets is still their own page, in their own
language, with their own CSRF token, and a token from another rater's page is refused."""

from __future__ import annotations

import re

import pytest

from tests.support.rater import full_answers, make_tickets

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def tickets(app):
    with app.app_context():
        return make_tickets()


def ballot_page(client, token: str) -> str:
    assert client.get(f"/t/{token}").status_code == 303
    page = client.get("/ballot")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_raters_of_the_same_subjects_get_the_same_page_with_their_own_token(app, tickets):
    first, second = app.test_client(), app.test_client()
    pages = [ballot_page(first, tickets.single[0]), ballot_page(second, tickets.single[1])]
    tokens = [set(CSRF.findall(page)) for page in pages]
    assert all(len(found) == 1 for found in tokens)  # the form's and the language switch's
    assert tokens[0] != tokens[1]
    assert CSRF.sub("", pages[0]) == CSRF.sub("", pages[1])
    assert "\x00" not in pages[0]
    # each rater's own token is accepted, another rater's is not
    assert second.post("/ballot", data=full_answers(pages[0])).status_code == 400
    assert first.post("/ballot", data=full_answers(pages[0])).status_code == 303
    assert second.post("/ballot", data=full_answers(pages[1])).status_code == 303


def test_the_kept_page_follows_the_raters_language(app, tickets):
    chinese, english = app.test_client(), app.test_client()
    english.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = ballot_page(chinese, tickets.pair[0])
    assert 'lang="zh-CN"' in page and "提交" in page
    page = ballot_page(english, tickets.pair[1])
    assert 'lang="en"' in page and "Submit" in page
