"""The four leaks of issue 13, each tried as a curious leader would, with only what the product
publishes; on SQLite and PostgreSQL. Groups are named 类别1, 类别2, … (Group 1, …)."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from analysis.figures import BallotStatus
from analysis.nomination import NominationRule
from analysis.recount import STATUS_ZH
from evalapp.auth.models import Role
from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.lookback.compare import lookback
from evalapp.rectification.models import RectificationProblem
from evalapp.results.ballots_csv import ballots_csv
from evalapp.results.compute import campaign_results
from evalapp.roster.models import RosterEntry
from evalapp.roster.operations import RosterFrozen, RosterPreview, import_roster
from evalapp.units.models import OrgUnit
from tests.support.disclosure import GroupPlan, attack, build_campaign
from tests.support.factories import make_user, make_world
from tests.support.web import csrf_token, login

EXCELLENT, GOOD, FAIR, POOR = range(4)  # 100, 80, 60, 40 points
SATISFIED, FAIRLY, DISSATISFIED = range(3)


def ballots(count: int, level: int, answer: int | None, subject: int = 0, items: int = 3,
            opinion: str = ""):
    return ((subject, (level,) * items, answer, opinion),) * count


@pytest.fixture
def world(app):
    with app.app_context():
        world = make_world()
        make_user("leader", world.customs, Role.LEADER)
        make_user("organiser", world.customs)
        db.session.commit()
        return world.customs.id


def build(app, unit_id, groups, **rules) -> int:
    with app.app_context():
        return build_campaign(db.session.get(OrgUnit, unit_id), groups, **rules)


def test_weighted_scores_no_longer_give_the_hidden_groups_away(app, client, world):
    """A: 2 ballots all 差 (40), B: 6 all 好 (100), both under the minimum of 7; C: 8 较好,
    D: 8 一般. Merged: 其他类别 = A + B, 8 ballots, mean (80 + 600)/8 = 85. Roster-weighted
    with the merged cell one stratum of 10 + 20: (30·80 + 40·60 + 30·85)/100 = 73.50;
    policy-weighted (A 5%, B 15%, C 30%, D 50%; the cell 20%): 24 + 30 + 17 = 71.00. Before,
    with A and B each a stratum, these two figures, the score and C's and D's gave A's and B's
    means exactly; the unmerged setting shows it still would."""
    campaign_id = build(app, world, [
        GroupPlan(10, 0.05, ballots(2, POOR, DISSATISFIED)),
        GroupPlan(20, 0.15, ballots(6, EXCELLENT, SATISFIED)),
        GroupPlan(30, 0.30, ballots(8, GOOD, FAIRLY)),
        GroupPlan(40, 0.50, ballots(8, FAIR, DISSATISFIED))], minimum=7)
    with app.app_context():
        (result,) = campaign_results(db.session.get(Campaign, campaign_id)).subjects
        assert [g.name_zh for g in result.other.groups] == ["类别1", "类别2"]
        assert result.other.figures.score == 85
        assert result.design.estimate == pytest.approx(73.5)
        assert result.policy_score == pytest.approx(71.0)
        assert [g.counted for g in result.groups] == [None, None, 8, 8]
    assert attack(app, campaign_id) == []
    recovered = {(r.group, r.what): r for r in attack(app, campaign_id, unmerged=True)}
    assert recovered[("Group 1", "mean score")].value == pytest.approx(40, abs=0.01)
    assert recovered[("Group 2", "mean score")].value == pytest.approx(100, abs=0.01)
    login(client, "leader")
    subject = f"/campaigns/{campaign_id}/results/{result.subject.id}"
    page = client.get(subject).get_data(as_text=True)
    assert "其他类别（类别1、类别2）" in page and "85.00" in page
    assert "40.00" not in page and "100.00" not in page


def test_the_roster_is_frozen_once_the_campaign_opens(app, client, world):
    """After close, re-importing a roster that gives a small group a huge population would
    make the roster-weighted score read that group's mean, and change published results."""
    campaign_id = build(app, world, [
        GroupPlan(10, None, ballots(2, POOR, DISSATISFIED)),
        GroupPlan(20, None, ballots(6, EXCELLENT, SATISFIED))])
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        before = campaign_results(campaign).subjects[0].design.estimate
        with pytest.raises(RosterFrozen):
            import_roster(campaign, RosterPreview((), ()))
    login(client)
    token = csrf_token(client, "/")
    base = f"/campaigns/{campaign_id}/roster"
    upload = client.post(f"{base}/", data={"csrf_token": token, "file": (
        io.BytesIO("姓名,工号,类别\n张三,1,类别1\n".encode()), "roster.csv")})
    assert upload.status_code == 409
    assert "测评已开始，名册已冻结" in upload.get_data(as_text=True)
    assert client.post(f"{base}/mapping", data={"csrf_token": token}).status_code == 409
    shown = client.get(f"{base}/").get_data(as_text=True)
    assert "名册已冻结" in shown and 'type="file"' not in shown
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(RosterEntry.id)).where(
            RosterEntry.campaign_id == campaign_id)) == 30
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign_results(campaign).subjects[0].design.estimate == before


def test_void_and_trimmed_groups_are_merged_too(app, client, world):
    """A's only ballot is void (all blank); B's only ballot is the highest score, dropped by
    the trimming rule (more than 5 valid); C's lowest (all 差) is dropped too. A and B enter
    nothing: small; alone they would be short, so C (5 entering, 6 returned), the smallest
    shown, joins them. Neither A nor B is named in the CSV; their rows read 其他类别."""
    campaign_id = build(app, world, [
        GroupPlan(5, None, ((0, (None,) * 3, SATISFIED, "A的意见"),)),
        GroupPlan(5, None, ballots(1, EXCELLENT, SATISFIED, opinion="B的意见")),
        GroupPlan(10, None, ballots(5, GOOD, FAIRLY) + ballots(1, POOR, DISSATISFIED)),
        GroupPlan(10, None, ballots(6, FAIR, FAIRLY))], trim_above=5)
    with app.app_context():
        (result,) = campaign_results(db.session.get(Campaign, campaign_id)).subjects
        assert (result.void_blank, result.trimmed) == (1, 2)
        assert [g.name_zh for g in result.other.groups] == ["类别1", "类别2", "类别3"]
        assert (result.other.returned, result.other.counted, result.other.figures.score) == (
            8, 5, 80)
    assert attack(app, campaign_id) == []
    login(client, "leader")
    text = client.get(f"/campaigns/{campaign_id}/results/export.csv").data.decode()
    rows = list(csv.reader(io.StringIO(text[1:])))[1:]
    assert sorted(row[1] for row in rows) == ["其他类别"] * 8 + ["类别4"] * 6
    assert {row[2] for row in rows if row[1] == "其他类别"} == {
        "有效", "废票：空题过多", "有效，作为最高或最低分去掉"}
    assert "类别1" not in text and "类别2" not in text
    assert "A的意见" in text and "B的意见" in text  # the merged cell reaches 5: opinions shown


def test_a_subject_rated_by_one_small_group_shows_counts_only(app, client, world):
    """Subject 2 is rated only by group 1's 3 ballots (一般 and 差: 50.00, all 不满意): its
    totals would be that group's figures. It shows counts only, everywhere."""
    campaign_id = build(app, world, [
        GroupPlan(10, None, ((1, (FAIR, POOR), DISSATISFIED, "少数人的意见"),) * 3),
        GroupPlan(10, None, ballots(6, GOOD, SATISFIED, items=2)),
        GroupPlan(10, None, ballots(6, EXCELLENT, FAIRLY, items=2))], subjects=2, items=2)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        results = campaign_results(campaign)
        first, second = results.subjects
        assert (second.returned, second.counted, second.has_figures) == (3, 3, False)
        assert (second.score, second.design, second.policy_score, second.satisfaction,
                second.items, second.opinions, second.other, second.rank) == (
            None, None, None, None, [], [], None, None)
        change = next(c for c in lookback(results, results).subjects
                      if c.later.subject.id == second.subject.id)
        assert change.score.delta is None and change.score_test is None
        assert all(item.mean.later is None for item in change.items)
        (overall,) = lookback(results, results).items[:1]
        assert overall.mean.later == first.items[0].mean_points == 90
        subject_ids = [first.subject.id, second.subject.id]
    assert attack(app, campaign_id) == []
    login(client, "leader")
    base = f"/campaigns/{campaign_id}/results"
    overview = client.get(f"{base}/").get_data(as_text=True)  # ranked, the other one last
    assert overview.index("述职人1") < overview.index("述职人2") and "3 / 3 / 0" in overview
    page = client.get(f"{base}/{subject_ids[1]}").get_data(as_text=True)
    assert "计入本被评对象得分的票不足 5 张，只显示票数" in page
    assert "50.00" not in page and "0.0%" not in page and "少数人的意见" not in page
    assert client.get(f"{base}/{subject_ids[1]}/heatmap.png").status_code == 404
    text = client.get(f"{base}/export.csv").data.decode()
    assert "述职人2" not in text and "少数人的意见" not in text
    sheet = load_workbook(io.BytesIO(client.get(f"{base}/export.xlsx").data)).active
    row = next(r for r in sheet.iter_rows(min_row=5, values_only=True) if r[2] == "述职人2")
    assert row[4:6] == (3, 3) and row[8:10] == (None, None) and row[14] is None
    organiser = app.test_client()
    login(organiser, "organiser")
    token = csrf_token(organiser, f"/campaigns/{campaign_id}/rectification/{subject_ids[1]}")
    added = organiser.post(f"/campaigns/{campaign_id}/rectification/{subject_ids[1]}/from-results",
                        data={"csrf_token": token}, follow_redirects=True)
    assert "票数过少，没有各题结果" in added.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(RectificationProblem.id))) == 0


def test_a_group_that_cannot_mark_too_many_gives_no_void_ballot_away(app, world):
    """民主推荐 of two candidates, at most one marked. Group 1's 2 tickets name both; one
    marks both, and both of its ballots are void, its opinion with them. Groups 2 and 3 name
    candidate 1 alone (3 and 8 tickets). On candidate 1 groups 1 and 2 are small (minimum 5)
    and group 3, the smallest shown, joins them in 其他类别; candidate 2, group 1's alone,
    shows counts only. A ticket naming one candidate cannot mark too many, and the pages say
    which groups returned ballots on candidate 1 only: so the one void row of 其他类别 in the
    CSV is group 1's: so a ballot void for too many marks is published as void, its marks
    and opinion left out (a phone's ballot has no opinion, and the recount takes the void
    from the export's status). tests/test_disclosure_attack.py gives every group tickets
    naming every candidate, which leaves no group unable to mark too many. Left known: group
    1's count of valid ballots follows from the counts by group and the void count."""
    group1 = ((0, (0,), None, "一组的意见"), (1, (0,), None, ""),  # void: both marked
              (0, (0,), None, ""), (1, (1,), None, ""))
    campaign_id = build(app, world, [
        GroupPlan(10, None, group1, (True, True, False, False)),
        GroupPlan(10, None, ((0, (1,), None, ""),) * 3),
        GroupPlan(10, None, ((0, (0,), None, ""),) * 4 + ((0, (1,), None, ""),) * 4)],
        subjects=2, nomination=NominationRule(1))
    with app.app_context():
        results = campaign_results(db.session.get(Campaign, campaign_id))
        first, second = results.subjects
        assert [g.name_zh for g in first.other.groups] == ["类别1", "类别2", "类别3"]
        assert (first.returned, first.counted, first.figures.void_overvote) == (13, 12, 1)
        assert not second.has_figures
        export = ballots_csv(results).decode("utf-8-sig")
    # the void row of 其他类别 is group 1's: it says it is void, and nothing of its answers
    void_rows = [row for row in csv.reader(io.StringIO(export))
                 if row[2] == STATUS_ZH[BallotStatus.VOID_OVERVOTE]]
    assert [row[:3] for row in void_rows] == [["宁波海关 · 述职人1", "其他类别",
                                               STATUS_ZH[BallotStatus.VOID_OVERVOTE]]]
    assert not any(void_rows[0][3:])
    found = attack(app, campaign_id)
    # no answer of group 1's is recovered; its count of valid ballots is, as the docstring
    # says (a known limit: the counts by group are published for the reconciliation)
    assert [(r.group, r.what, r.value) for r in found] == [("Group 1", "ballots", 1)]
