"""Look-back on two small closed campaigns with known ballots, every delta worked by hand.

Earlier round: 宁波海关 (5 ballots, every item 较好 = 80; satisfaction 基本满意 ×3, 不满意 ×2:
rate 60%) and 重庆海关 (only in this round). Later round: 宁波海关 with a new secretary (5 ballots,
every item 好 = 100, all 满意: rate 100%), 海关总署 (only in this round), and the first common
item reworded. So: score +20.00, satisfaction +40 points; the rank test of 5 × 80 against
5 × 100 says more than chance (p = 0.004), while the satisfaction rate's chi-square, satisfied
or fairly satisfied against dissatisfied, (3, 2) against (5, 0) (expected 4, 1, 4, 1:
χ² = 1/4 + 1 + 1/4 + 1 = 2.5, 1 df, p = 0.114), says within chance; 23 common items keep
their wording (one retyped with spaces and a half-width comma, still the same item) and each
moves 80 → 100.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from evalapp.auth.models import Role
from evalapp.campaigns.models import Campaign, Level, Satisfaction
from evalapp.extensions import db
from evalapp.lookback.compare import Change, lookback, verdict
from evalapp.rectification.models import ProblemSource, RectificationProblem
from evalapp.results.compute import campaign_results
from evalapp.results.explain import p_text
from tests.support.ballots import RETYPED, REWORDED, rated_campaign
from tests.support.factories import make_user, make_world
from tests.support.web import csrf_token, login


@pytest.fixture
def rounds(app):
    with app.app_context():
        world = make_world()
        make_user("leader", world.customs, Role.LEADER)
        make_user("organiser", world.root)
        make_user("stranger", world.other_customs)
        earlier = rated_campaign("2025年度测评", [world.customs, world.other_customs], lambda u: (
            [(Level.GOOD, Satisfaction.FAIRLY_SATISFIED)] * 3
            + [(Level.GOOD, Satisfaction.DISSATISFIED)] * 2))
        later = rated_campaign("2026年度测评", [world.customs, world.root], lambda u: (
            [(Level.EXCELLENT, Satisfaction.SATISFIED)] * 5), reword=True)
        db.session.commit()
        return earlier.id, later.id


def test_every_delta_worked_by_hand(app, rounds):
    with app.app_context():
        earlier, later = (campaign_results(db.session.get(Campaign, c)) for c in rounds)
        result = lookback(earlier, later)
        (change,) = result.subjects
        assert change.later.subject.unit.name_zh == "宁波海关"
        assert (change.score.earlier, change.score.later, change.score.delta) == (80, 100, 20)
        assert change.satisfaction.earlier == pytest.approx(0.6)
        assert change.satisfaction.delta == pytest.approx(0.4)
        assert change.score_test.p_value < 0.05
        test = change.satisfaction_test
        assert (test.statistic, test.dof) == (pytest.approx(2.5), 1)
        assert test.p_value == pytest.approx(math.erfc(math.sqrt(2.5 / 2)))  # χ²(1) tail
        assert [s.unit.name_zh for s in result.only_earlier] == ["重庆海关"]
        assert [s.unit.name_zh for s in result.only_later] == ["海关总署"]
        assert len(result.items) == 23 and len(change.items) == 23  # the unit's own items
        assert {(i.mean.earlier, i.mean.later, i.mean.delta) for i in change.items} == {
            (80, 100, 20)}
        assert {(i.mean.earlier, i.mean.later, i.mean.delta) for i in result.items} == {
            (80, 100, 20)}
        assert all(i.test.p_value < 0.05 for i in result.items)
        assert result.items[0].text == RETYPED  # the same item, copied with other punctuation
        assert result.items_only_later == [REWORDED]
        assert result.items_only_earlier == [
            db.session.get(Campaign, rounds[0]).common_items()[0].text_zh]


def test_the_lookback_page_says_it_plainly(client, rounds):
    login(client, "leader")
    earlier, later = rounds
    page = client.get(f"/lookback/?earlier={earlier}&later={later}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "+20.00" in text and "+40.0 个百分点" in text
    assert "明显好转" in text and "p = 0.004" in text and "p = 0.114" in text
    assert "仅见于 2025年度测评： 重庆海关" in text and "仅见于 2026年度测评： 海关总署" in text
    assert REWORDED in text and "宁波海关的各题目" in text
    chart = client.get(f"/lookback/chart.svg?earlier={earlier}&later={later}")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"
    assert client.get(f"/lookback/?earlier={earlier}&later={earlier}").status_code == 400
    for query in ("earlier=abc&later=1", "earlier=<script>&later=%00",
                  f"earlier={earlier}&later=99999999999999999999999", "earlier=1"):
        response = client.get(f"/lookback/?{query}")
        assert response.status_code == 400, query
        assert "<script>&" not in response.get_data(as_text=True)


def test_campaigns_of_other_units_cannot_be_compared(client, rounds):
    login(client, "stranger")  # an organiser of 重庆海关; both campaigns are 宁波海关's
    response = client.get(f"/lookback/?earlier={rounds[0]}&later={rounds[1]}")
    assert response.status_code == 400  # not among the campaigns offered to choose


def test_weakest_items_of_a_closed_campaign_go_into_the_ledger_once(app, client, rounds):
    login(client, "organiser")
    with app.app_context():
        subject = db.session.get(Campaign, rounds[1]).subjects[0].id
    path = f"/campaigns/{rounds[1]}/rectification/{subject}/from-results"
    said = []
    for _ in range(2):  # the second time adds nothing, and says so
        assert client.post(path, data={"csrf_token": csrf_token(client, "/")}
                           ).status_code == 303
        said.append(client.get(f"/campaigns/{rounds[1]}/rectification/").get_data(
            as_text=True))
    assert "已将 4 个得分最弱的题目添加为问题。" in said[0]
    assert "未添加任何问题：得分最弱的题目已在整改清单中。" in said[1] and "已将 0" not in said[1]
    with app.app_context():
        problems = list(db.session.scalars(sa.select(RectificationProblem).where(
            RectificationProblem.subject_id == subject)))
    # every item rated alike: the four weakest are the first four, by questionnaire order
    assert len(problems) == 4 and {p.source for p in problems} == {ProblemSource.RATINGS}
    assert problems[0].text == f"测评得分较弱：{REWORDED}"
    assert all(p.common_item_id is not None for p in problems)


def test_a_p_value_below_what_three_decimals_show_is_printed_p_under_0_001(app):
    test = SimpleNamespace(significant=True, p_value=0.00002)
    assert p_text(0.00002) == "p < 0.001" and p_text(0.0431) == "p = 0.043"
    assert p_text(0.0004999) == "p < 0.001" and p_text(0.0006) == "p = 0.001"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        text = verdict(Change(80.0, 90.0), test)
    assert "p < 0.001" in text and "0.000" not in text
