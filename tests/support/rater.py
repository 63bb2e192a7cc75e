"""Helpers for tests of the rater's side: campaigns with tickets, and filling a ballot."""

from __future__ import annotations

import re
from dataclasses import dataclass

from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.tickets.operations import issue_tickets
from tests.support.factories import groups_of, make_campaign, make_world

QUESTION = re.compile(r'name="(s\d+_(?:c|i)\d+|s\d+_satisfaction)" value="([a-z_]+)"')
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Tickets:
    campaign_id: int
    subject_ids: tuple[int, ...]
    single: list[str]  # covering the first subject, group 机关党员
    pair: list[str]  # covering both subjects, group 基层群众
    voided: str
    draft: str  # of a campaign not yet open
    closed: str  # of a closed campaign


def make_tickets(singles: int = 60) -> Tickets:
    world = make_world()
    campaign = make_campaign(world.customs, "2026年度测评", subjects=2)
    groups = groups_of(campaign)
    _, single = issue_tickets(campaign, groups[0], campaign.subjects[:1], singles)
    _, pair = issue_tickets(campaign, groups[3], campaign.subjects, 3)
    batch, voided = issue_tickets(campaign, groups[1], campaign.subjects[:1], 1)
    batch.tickets[0].voided = True
    open_campaign(campaign)
    draft_campaign = make_campaign(world.customs, "未开始的测评")
    _, draft = issue_tickets(draft_campaign, groups_of(draft_campaign)[0],
                             draft_campaign.subjects, 1)
    closed_campaign = make_campaign(world.customs, "已结束的测评")
    _, closed = issue_tickets(closed_campaign, groups_of(closed_campaign)[0],
                              closed_campaign.subjects, 1)
    open_campaign(closed_campaign)
    close_campaign(closed_campaign)
    db.session.commit()
    return Tickets(campaign.id, tuple(s.id for s in campaign.subjects), single, pair,
                   voided[0], draft[0], closed[0])


def questions(page: str) -> dict[str, list[str]]:
    """Every radio question on the page with its offered values."""
    found: dict[str, list[str]] = {}
    for name, value in QUESTION.findall(page):
        found.setdefault(name, []).append(value)
    return found


def full_answers(page: str, choose=lambda values: values[0]) -> dict[str, str]:
    data = {name: choose(values) for name, values in questions(page).items()}
    data["csrf_token"] = CSRF.search(page).group(1)
    return data


def campaign_of(campaign_id: int) -> Campaign:
    return db.session.get(Campaign, campaign_id)


def enter(client, token: str):
    """Scan the ticket as a phone does: its address leads to the ballot."""
    response = client.get(f"/t/{token}")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"] == "/ballot"
    return client.get("/ballot")


def submit_full(client, token: str):
    """Enter with the ticket, answer every question with the first level and submit; the
    receipt page is returned."""
    page = enter(client, token).get_data(as_text=True)
    response = client.post("/ballot", data=full_answers(page))
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"] == "/ballot/receipt"
    return client.get("/ballot/receipt")


RECEIPT = re.compile(r'class="receipt-code">([0-9A-Z]{10})<')


def vote(app, token: str, opinion: str = "") -> str:
    """A rater on their own phone, through HTTP; the receipt shown."""
    client = app.test_client()
    assert client.get(f"/t/{token}").status_code == 303
    page = client.get("/ballot").get_data(as_text=True)
    data = full_answers(page)
    if opinion:
        data[next(name for name in data if name.endswith("satisfaction")).replace(
            "satisfaction", "comment")] = opinion
    assert client.post("/ballot", data=data).status_code == 303
    receipt = client.get("/ballot/receipt")
    assert receipt.status_code == 200
    return RECEIPT.search(receipt.get_data(as_text=True)).group(1)
