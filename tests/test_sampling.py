"""Sample draws through the organiser's pages, and the draw's statistical behaviour."""

from __future__ import annotations

import io

import numpy as np
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from analysis import draw_stratified_sample
from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.campaigns.models import RaterGroup
from evalapp.extensions import db
from evalapp.roster.models import RosterEntry, SampleDraw
from evalapp.tickets.models import Ticket, TicketBatch
from evalapp.tickets.tokens import normalize
from tests.support.factories import groups_of, make_campaign, make_user, make_world
from tests.support.sheets import CODE, pdf_text
from tests.support.web import csrf_token, login

SIZES = (47, 33, 19, 1)  # per rater group


@pytest.fixture
def campaign_id(app, client):
    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        make_user("auditor", world.customs, Role.AUDITOR)
        campaign = make_campaign(world.customs)
        for group, size in zip(groups_of(campaign), SIZES, strict=True):
            db.session.add_all(RosterEntry(campaign_id=campaign.id, rater_group_id=group.id,
                                           name=f"{group.name_zh}{n}",
                                           staff_number=f"{group.position}-{n:03d}")
                               for n in range(size))
        db.session.commit()
        campaign_id = campaign.id
    login(client, "organiser")
    return campaign_id


def draw(client, campaign_id, **data):
    path = f"/campaigns/{campaign_id}/draws/"
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def last_draw(app) -> tuple[SampleDraw, list[str]]:
    with app.app_context():
        record = db.session.scalar(sa.select(SampleDraw).order_by(SampleDraw.id.desc()))
        people = sorted(p.roster_entry.staff_number for p in record.people)
        db.session.expunge(record)
        return record, people


def allocation_by_name(app, record) -> dict[str, int]:
    with app.app_context():
        names = {str(g.id): g.name_zh for g in db.session.scalars(sa.select(RaterGroup))}
    return {names[key]: value for key, value in record.allocation.items()}


def test_a_draw_allocates_by_largest_remainder_and_is_recorded(app, client, campaign_id):
    # 10 of 100: quotas 4.7 / 3.3 / 1.9 / 0.1 -> floors 4, 3, 1, 0; the two seats left go to
    # the largest remainders, 1.9 (基层党员) and 4.7 (机关党员).
    response = draw(client, campaign_id, total=10, seed="2026-A")
    assert response.status_code == 303
    record, people = last_draw(app)
    assert allocation_by_name(app, record) == {"机关党员": 5, "机关群众": 3, "基层党员": 2,
                                               "基层群众": 0}
    assert len(people) == 10
    assert record.seed == "2026-A" and record.sequence == 1 and len(record.roster_fingerprint) == 64
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2026-A" in page and page.count("<td>机关党员</td></tr>") == 5


def test_a_minimum_lifts_a_small_group_to_all_of_it(app, client, campaign_id):
    draw(client, campaign_id, percent=10, minimum=3, seed="m")
    record, _people = last_draw(app)
    # 10 of 100; 基层党员 and 基层群众 need 3 and 1 (all of it): 6 seats left for 47 + 33.
    assert allocation_by_name(app, record) == {"机关党员": 3, "机关群众": 3, "基层党员": 3,
                                               "基层群众": 1}


def test_the_same_seed_reproduces_and_a_new_draw_needs_a_reason(app, client, campaign_id):
    draw(client, campaign_id, percent=20, seed="same")
    _first, first_people = last_draw(app)
    refused = draw(client, campaign_id, percent=20, seed="same")
    assert refused.status_code == 422
    assert "再次抽样须填写理由" in refused.get_data(as_text=True)
    assert draw(client, campaign_id, percent=20, seed="same",
                reason="核对第一次抽样").status_code == 303
    second, second_people = last_draw(app)
    assert second.sequence == 2 and second_people == first_people
    draw(client, campaign_id, percent=20, reason="换种子")
    third, third_people = last_draw(app)
    assert third.seed != "same" and len(third.seed) == 16
    assert third_people != first_people
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SampleDraw.id))) == 3


@pytest.mark.parametrize(("data", "message"), [
    ({"percent": 20, "total": 5}, "二者选一"),
    ({}, "二者选一"),
    ({"percent": 150}, ""),
    ({"total": 5, "minimum": 3}, ""),
    ({"percent": 10, "seed": "含 空格"}, "只能包含字母"),
])
def test_impossible_draws_are_refused_with_a_reason(app, client, campaign_id, data, message):
    response = draw(client, campaign_id, **data)
    if response.status_code == 303:  # refused after validation: said on the page
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "无法按此要求抽样" in page
    else:
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SampleDraw.id))) == 0


def test_the_drawn_list_exports_to_excel(app, client, campaign_id):
    location = draw(client, campaign_id, total=10, seed="x").headers["Location"]
    workbook = load_workbook(io.BytesIO(client.get(f"{location}/people.xlsx").data))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0] == ("姓名", "工号", "单位", "测评人类别")
    _record, people = last_draw(app)
    assert sorted(row[1] for row in rows[1:11]) == people
    auditor = app.test_client()
    login(auditor, "auditor")
    assert auditor.get(location).status_code == 200  # auditors read draws
    assert draw(auditor, campaign_id, total=3).status_code == 403  # but do not draw


def test_issuing_from_a_draw_gives_one_ticket_per_person_plus_spares(app, client, campaign_id):
    location = draw(client, campaign_id, total=10, seed="t").headers["Location"]
    response = client.post(f"{location}/issue", data={"csrf_token": csrf_token(client, location),
                                                      "spares": 1})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    codes = [code for page in pdf_text(response.data) for code in CODE.findall(page)]
    assert len(codes) == 10 + 4  # 5+3+2+0 drawn, one spare per group
    with app.app_context():
        per_group = dict(db.session.execute(
            sa.select(RaterGroup.name_zh, sa.func.count(Ticket.id))
            .join(TicketBatch, TicketBatch.rater_group_id == RaterGroup.id)
            .join(Ticket, Ticket.batch_id == TicketBatch.id).group_by(RaterGroup.name_zh)).all())
        assert per_group == {"机关党员": 6, "机关群众": 4, "基层党员": 3, "基层群众": 1}
        assert db.session.scalar(sa.select(sa.func.count(Ticket.id)).where(Ticket.is_spare)) == 4


def test_issuing_from_a_draw_prints_slips_then_paper_ballots(app, client, campaign_id):
    location = draw(client, campaign_id, total=10, seed="t").headers["Location"]
    response = client.post(f"{location}/issue", data={
        "csrf_token": csrf_token(client, location), "prints": "both", "paper": "A4"})
    assert response.status_code == 200
    assert 'filename="tickets-and-ballots-' in response.headers["Content-Disposition"]
    pages = pdf_text(response.data)
    slips = [normalize(code) for page in pages[:2] for code in CODE.findall(page)]
    ballots = [CODE.findall(page) for page in pages[2:]]
    assert len(slips) == 10 and all(len(codes) == 1 for codes in ballots)
    assert {normalize(code) for codes in ballots for code in codes} == set(slips)
    assert sum("第 1 / " in page for page in pages[2:]) == 10  # one ballot per ticket
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "tickets.issue_from_draw"))
        assert entry.detail["slips"] is True and entry.detail["paper_ballots"] == "A4"


def test_each_persons_chance_of_selection_matches_the_groups_fraction():
    """Over many seeds every member is drawn about n/N of the time: no position in the roster
    and no id is favoured (a binomial check at five standard errors per person)."""
    members = {"A": [f"a{i}" for i in range(40)], "B": [f"b{i}" for i in range(15)]}
    allocation = {"A": 8, "B": 6}
    draws = 3000
    counts = {member: 0 for ids in members.values() for member in ids}
    for seed in range(draws):
        for drawn in draw_stratified_sample(members, allocation, seed).values():
            for member in drawn:
                counts[member] += 1
    for stratum, ids in members.items():
        p = allocation[stratum] / len(ids)
        tolerance = 5 * np.sqrt(p * (1 - p) / draws)
        shares = np.array([counts[member] / draws for member in ids])
        assert np.all(np.abs(shares - p) < tolerance), (stratum, shares.min(), shares.max())
        assert abs(shares.mean() - p) < 1e-12  # exactly n of N every time
