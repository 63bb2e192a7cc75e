"""Many submits of one ticket at once, against a real server on each database: exactly one
ballot, no error, no "database is locked"."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bench.http import HttpClient
from evalapp.ballotbox.operations import close_campaign
from evalapp.ballots.models import Ballot
from evalapp.extensions import db
from tests.support.race import all_at_once
from tests.support.rater import campaign_of, full_answers, make_tickets

RATERS = 50


@pytest.fixture
def tickets(app):
    with app.app_context():
        return make_tickets()


def ready_to_submit(client: HttpClient, token: str) -> dict[str, str]:
    assert client.get(f"/t/{token}").status == 303
    page = client.get("/ballot")
    assert page.status == 200
    return full_answers(page.text)


def submit_all(raters: list[HttpClient], forms: list[dict[str, str]]):
    pairs = zip(raters, forms, strict=True)
    return all_at_once([lambda r=r, f=f: r.post("/ballot", f) for r, f in pairs])


def ballots(app, tickets) -> int:
    """Open the box and count what comes out."""
    with app.app_context():
        close_campaign(campaign_of(tickets.campaign_id))
        return db.session.scalar(sa.select(sa.func.count(Ballot.id)))


def test_fifty_people_submitting_one_ticket_store_one_ballot(app, live_server, tickets):
    token = tickets.single[0]
    raters = [HttpClient(live_server) for _ in range(RATERS)]
    forms = [ready_to_submit(rater, token) for rater in raters]
    replies = submit_all(raters, forms)
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [303] + [409] * (RATERS - 1)
    assert all("此测评票已被使用" in r.text for r in replies if r.status == 409)
    assert not any("locked" in reply.text for reply in replies)
    assert ballots(app, tickets) == 1


def test_fifty_taps_of_one_rater_store_one_ballot_and_all_see_the_receipt(
    app, live_server, tickets
):
    rater = HttpClient(live_server)
    form = ready_to_submit(rater, tickets.pair[0])
    taps = [HttpClient(live_server, rater.cookies) for _ in range(RATERS)]
    replies = all_at_once([lambda t=t: t.post("/ballot", form) for t in taps])
    assert {(r.status, r.headers.get("Location")) for r in replies} == {(303, "/ballot/receipt")}
    assert ballots(app, tickets) == 2  # the ticket covers two subjects: one ballot each, once
    receipt = rater.get("/ballot/receipt")
    assert receipt.status == 200 and "测评票已提交" in receipt.text


def test_many_tickets_submitted_at_once_are_all_stored(app, live_server, tickets):
    raters = [HttpClient(live_server) for _ in range(RATERS)]
    tokens = tickets.single[:RATERS]
    forms = [ready_to_submit(rater, token) for rater, token in zip(raters, tokens, strict=True)]
    replies = submit_all(raters, forms)
    assert [reply.status for reply in replies] == [303] * RATERS
    assert ballots(app, tickets) == RATERS
