"""Paper ballots (issue 18, printing): issued with the tickets, one ballot per ticket, each page
with the ticket's code (QR and typed), the subjects, the items and satisfaction to tick, in
Chinese; A4 or A5; long texts and many subjects wrap instead of overlapping."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
import sqlalchemy as sa

from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.tickets.models import Ticket
from evalapp.tickets.tokens import hash_token, normalize
from tests.support.factories import PASSWORD, make_campaign
from tests.support.organiser import issue_on_the_web
from tests.support.sheets import (
    CODE,
    decoded,
    overlapping_characters,
    page_sizes,
    pdf_text,
    text_in_quiet_zones,
)
from tests.support.web import login

ADDRESS = "http://evalapp.test"  # the tests' BASE_URL
PAGE = re.compile(r"第 (\d+) / (\d+) 页")
LONG_UNIT = "中华人民共和国某某海关缉私局某某分局机关第二党支部"


def issue(client, setup, **overrides):
    """Paper ballots for both subjects, unless `overrides` say otherwise."""
    return issue_on_the_web(client, setup, **{
        "subjects": setup.subjects, "prints": "ballots", "paper": "A4",
        "hand_in": "第三会议室票箱", **overrides})


def ballots_of(body: bytes) -> dict[str, list[tuple[int, int, str]]]:
    """The pages of each ballot in the PDF, by the typed code they carry: (k, n, index in the
    PDF, text without line breaks) of each page that says "第 k / n 页"."""
    ballots = defaultdict(list)
    for index, text in enumerate(pdf_text(body)):
        flat = text.replace("\r", "").replace("\n", "")
        page = PAGE.search(flat)
        if page is None:
            continue
        (code,) = CODE.findall(text)
        ballots[normalize(code)].append((int(page[1]), int(page[2]), index, flat))
    return ballots


def questionnaire_texts(app, campaign_id: int,
                        count: int) -> tuple[list[str], dict[str, list[str]]]:
    """The common items, and each of the first `count` subjects' label with its individual
    items."""
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        return ([item.text_zh for item in campaign.common_items()],
                {f"{s.unit.name_zh} · {s.person_name}": [i.text_zh for i in s.individual_items]
                 for s in campaign.subjects[:count]})


def issued_hashes(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(Ticket.token_hash)))


def check_ballots(app, body: bytes, campaign_id: int, tickets: int, subjects: int = 2) -> dict:
    """Every issued ticket has one ballot whose pages run 第 1 / n 页 to 第 n / n 页 in a row,
    each page with the ticket's code; each ballot holds every subject of the ticket (the
    campaign's first `subjects`) with every item; returns the ballots."""
    ballots = ballots_of(body)
    assert len(ballots) == tickets
    assert {hash_token(code) for code in ballots} == issued_hashes(app)
    common, labels = questionnaire_texts(app, campaign_id, subjects)
    for pages in ballots.values():
        count = pages[0][1]
        assert [(k, n) for k, n, _index, _text in pages] == [(k, count)
                                                              for k in range(1, count + 1)]
        indexes = [index for _k, _n, index, _text in pages]
        assert indexes == list(range(indexes[0], indexes[0] + count))  # together
        text = "".join(page_text for _k, _n, _index, page_text in pages)
        for label, individual in labels.items():
            assert label in text
            for item in [*common, *individual]:
                assert item in text
    return ballots


def test_issuing_paper_ballots_prints_one_ballot_per_ticket(app, client, ticket_campaign):
    login(client, "organiser", PASSWORD)
    response = issue(client, ticket_campaign)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="ballots-' in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    ballots = check_ballots(app, response.data, ticket_campaign.campaign, 4)
    assert set(page_sizes(response.data)) == {(210, 297)}
    first = ballots[next(iter(ballots))][0][3]
    for words in ("2026年度测评", "测评人类别：机关党员", "填写说明", "本票不记名",
                  "28 个项目中未作答超过 7 项的", "交至第三会议室票箱", "好", "较好", "一般",
                  "差", "被评对象 1 / 2"):
        assert words in first, words
    text = "".join(page for pages in ballots.values() for *_kn, page in pages)
    for words in ("满意", "基本满意", "不满意", "意见建议（选填）", "您对该述职报告的总体评价"):
        assert words in text
    assert sum("备用票" in pages[0][3] for pages in ballots.values()) == 1
    for code, pages in ballots.items():  # the QR code on every page is the ticket's
        for _k, _n, index, _text in pages:
            assert decoded(response.data, 150, 1.0, index) == [f"{ADDRESS}/t/{code}"]


def test_both_prints_the_slips_then_the_ballots_of_the_same_tickets(app, client, ticket_campaign):
    login(client, "organiser", PASSWORD)
    response = issue(client, ticket_campaign, prints="both", count=9, spares=0)
    assert 'filename="tickets-and-ballots-' in response.headers["Content-Disposition"]
    pages = pdf_text(response.data)
    slips = [normalize(code) for page in pages[:2] for code in CODE.findall(page)]
    assert len(slips) == 9 and all("请用手机相机扫描二维码" in page for page in pages[:2])
    ballots = check_ballots(app, response.data, ticket_campaign.campaign, 9)
    assert set(slips) == set(ballots)
    assert min(index for pages in ballots.values() for _k, _n, index, _t in pages) == 2


@pytest.mark.one_database
def test_a5_ballots(app, client, ticket_campaign):
    login(client, "organiser", PASSWORD)
    response = issue(client, ticket_campaign, paper="A5", count=1, spares=0,
                     subjects=ticket_campaign.subjects[:1])
    assert response.status_code == 200
    ballots = check_ballots(app, response.data, ticket_campaign.campaign, 1, subjects=1)
    assert set(page_sizes(response.data)) == {(148, 210)}
    (pages,) = ballots.values()
    assert len(pages) <= 4  # two sheets printed on both sides
    for _k, _n, index, _text in pages:
        assert overlapping_characters(response.data, index) == []
        assert text_in_quiet_zones(response.data, index) == (1, [])


def test_slips_alone_are_printed_as_before(app, client, ticket_campaign):
    login(client, "organiser", PASSWORD)
    response = issue(client, ticket_campaign, prints="slips")
    assert 'filename="tickets-' in response.headers["Content-Disposition"]
    assert ballots_of(response.data) == {}
    assert len(CODE.findall(pdf_text(response.data)[0])) == 4


@pytest.mark.one_database
def test_long_texts_and_many_subjects_wrap_without_overlapping(app, client, ticket_campaign):
    """The case of ticket_sheet_long_text (a long unit name and title) and more: twelve
    subjects with long posts, items of the longest length allowed (300 characters), a title of
    200: every page keeps its text apart and its QR code clear, and scans."""
    with app.app_context():
        campaign = db.session.get(Campaign, ticket_campaign.campaign)
        campaign.title = ("2025年度" + LONG_UNIT + "书记抓基层党建工作述职评议考核民主测评") * 3
        campaign.title = campaign.title[:200]
        campaign.subjects[0].unit.name_zh = LONG_UNIT
        campaign.common_items()[0].text_zh = ("树牢管党治党主业主责意识，把抓党建作为最大政绩；"
                                              * 13)[:300]
        campaign.sections[1].title_zh = "解决基层党建突出问题" * 12
        db.session.flush()
        extra = make_campaign(campaign.unit, subjects=10)
        for position, subject in enumerate(list(extra.subjects), start=3):
            subject.campaign, subject.position = campaign, position
            subject.post = "党委书记、关长、" * 10
            subject.person_name = "阿依古丽·买买提" if position % 2 else "𠮷明远"
            subject.individual_items[3].text_zh = "推动问题整改落实到位，" * 27
        db.session.commit()
        subjects = [s.id for s in campaign.subjects]
    login(client, "organiser", PASSWORD)
    response = issue(client, ticket_campaign, subjects=subjects, count=1, spares=0)
    assert response.status_code == 200
    (pages,) = check_ballots(app, response.data, ticket_campaign.campaign, 1,
                             len(subjects)).values()
    assert len(pages) > 12
    assert "…" in pages[0][3]  # the title, cut at three lines
    for _k, _n, index, _text in pages:
        assert overlapping_characters(response.data, index) == [], index
    for _k, _n, index, _text in (pages[0], pages[-1]):
        assert text_in_quiet_zones(response.data, index) == (1, [])
        assert len(decoded(response.data, 150, 1.5, index)) == 1


def test_the_ballots_marked_spare_are_the_spare_tickets(app, client, ticket_campaign):
    """Tickets are stored in an order of their own (shuffled): the mark "备用票" must still go
    with the codes stored as spares (it went with others before)."""
    login(client, "organiser", PASSWORD)
    response = issue(client, ticket_campaign, count=9, spares=3,
                     subjects=ticket_campaign.subjects[:1])
    marked = {hash_token(code) for code, pages in ballots_of(response.data).items()
              if "备用票" in pages[0][3]}
    with app.app_context():
        spares = set(db.session.scalars(sa.select(Ticket.token_hash).where(Ticket.is_spare)))
    assert len(marked) == 3 and marked == spares
