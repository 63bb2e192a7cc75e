"""Scrutineers with custody keys, and the shares of campaigns opened before issue 23 as they
were printed on slips."""

from __future__ import annotations

import base64
import time

import sqlalchemy as sa
from flask import Flask

from evalapp.auth.models import Role
from evalapp.ballotbox.closing import read_progress
from evalapp.ballotbox.custody import KeyShare, split_key, typing_check
from evalapp.ballotbox.scrutineers import enrol
from evalapp.campaigns.models import Campaign
from evalapp.campaigns.operations import mark_open
from evalapp.extensions import db
from evalapp.units.models import OrgUnit
from tests.support.factories import make_user
from tests.support.web import csrf_token, login


def passphrase(username: str) -> str:
    return f"保管口令-{username[::-1]}-2026"


def make_scrutineers(unit: OrgUnit, count: int = 3) -> list[int]:
    """`count` scrutineer accounts (scrutineer1...), each with a custody key; their ids."""
    users = [make_user(f"scrutineer{n}", unit, Role.SCRUTINEER) for n in range(1, count + 1)]
    for user in users:
        enrol(user, passphrase(user.username))
    return [user.id for user in users]


def printed(public_key: bytes, share: KeyShare) -> str:
    """A share as the slips of a campaign opened before issue 23 printed it."""
    raw = bytes([share.number]) + share.value + typing_check(public_key, share)
    text = base64.b32encode(raw).decode("ascii")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def scrutineer_posts(app: Flask, username: str, campaign_id: int, action: str,
                     secret: str | None = None):
    """A scrutineer, in a session of their own, checks (action "check") or releases
    ("release") their share of the campaign with their passphrase; the response."""
    client = app.test_client()
    login(client, username)
    return client.post(f"/custody/{campaign_id}/{action}", data={
        "csrf_token": csrf_token(client, "/custody/"),
        "passphrase": passphrase(username) if secret is None else secret})


def wait_for_progress(app: Flask, campaign_id: int, condition) -> None:
    """Until the closing's progress file satisfies `condition` (the ceremony's thread
    writes it every half second)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with app.app_context():
            progress = read_progress(campaign_id)
        if progress is not None and condition(progress):
            return
        time.sleep(0.05)
    raise AssertionError(f"the closing of campaign {campaign_id} never got there")


def printed_share_campaign(app: Flask) -> tuple[int, bytes, list[str]]:
    """The tickets' draft campaign opened with its box's key split into 5 printed shares, 3
    of which open it (as campaigns were before scrutineers held custody keys), and its
    organiser: the campaign's id, the box's public key and the shares as typed."""
    with app.app_context():
        draft = db.session.scalar(sa.select(Campaign).where(Campaign.title == "未开始的测评"))
        make_user("organiser", draft.unit)
        public, shares = split_key(3, 5)
        mark_open(draft, public, threshold=3, shares=5)
        typed = [printed(public, share) for share in shares]
        draft_id = draft.id
        db.session.commit()
    return draft_id, public, typed
