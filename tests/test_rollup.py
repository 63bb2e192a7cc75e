"""A round's roll-up (issue 27, part 2): over a three-level tree, equal to what the member
campaigns' recounts give, per unit and level, for each reader's part of the tree, against
the round before, in Excel and PDF; and no figure of it, nor any difference of its figures
and the campaigns' published ones, says anything of a group or subject a campaign withholds."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from analysis.rollup import Aggregate, SubjectSummary, aggregate
from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.results.compute import UNMERGED_SETTING, campaign_results
from evalapp.results.models import ResultOutput
from evalapp.results.published import published_figures
from evalapp.results.store import summaries_job
from evalapp.rollup import operations
from evalapp.rollup.operations import rollup
from evalapp.rounds.models import Round
from evalapp.rounds.operations import RoundData, create_round
from evalapp.units.models import OrgUnit
from tests.support.disclosure import attack
from tests.support.factories import make_user
from tests.support.rollup import recounted, run_round
from tests.support.rounds import Tree, make_tree
from tests.support.web import login


@pytest.fixture
def tree(app) -> Tree:
    with app.app_context():
        made = make_tree()
        root = db.session.get(OrgUnit, made.root)
        make_user("hq_leader", root, Role.LEADER)
        make_user("ningbo_leader", db.session.get(OrgUnit, made.direct[0]), Role.LEADER)
        make_user("branch_leader", db.session.get(OrgUnit, made.branches[0]), Role.LEADER)
        make_user("sysadmin", root, Role.SYSTEM_ADMIN)
        db.session.commit()
        run_round(made.round_id, made.branches)
        return made


def _under(unit_id: int, subjects: Sequence[SubjectSummary]) -> list[SubjectSummary]:
    parents = dict(db.session.execute(sa.select(OrgUnit.id, OrgUnit.parent_id)).all())

    def above(at: int | None) -> set[int]:
        found = set()
        while at is not None:
            found.add(at)
            at = parents[at]
        return found

    return [s for s in subjects if unit_id in above(s.unit_id)]


def _same(a: Aggregate, b: Aggregate) -> None:
    assert (a.subjects, a.withheld, a.counted, a.answers, a.grades, a.bands) == (
        b.subjects, b.withheld, b.counted, b.answers, b.grades, b.bands)
    assert a.mean_score == pytest.approx(b.mean_score)
    assert sorted(a.groups, key=str) == sorted(b.groups, key=str)


def test_the_rollup_equals_the_member_campaigns_recounts(app, tree):
    with app.test_request_context():
        result = rollup(db.session.get(Round, tree.round_id),
                        db.session.get(OrgUnit, tree.root))
        expected = recounted(tree.round_id)
        assert (result.campaigns, result.closed, result.preparing) == (8, 6, 0)
        _same(result.total, aggregate(expected))
        assert result.total.subjects == 5 and result.total.withheld == 1
        assert [level.kind.value for level in result.levels] == [
            "direct", "subordinate", "branch"]
        for level in result.levels:
            for row in level.rows:
                _same(row.figures, aggregate(_under(row.unit.id, expected)))
        branches = result.levels[-1].rows
        assert len(branches) == 6  # the open and the draft campaign's units have nothing
        scored = sorted((r.figures.mean_score, r.rank) for r in branches
                        if r.figures.mean_score is not None)
        assert [rank for _score, rank in reversed(scored)] == [1, 2, 3, 4, 5]
        # a group a campaign reports only merged is no group's figure here
        names = {g.name for g in result.total.groups}
        assert names <= {"机关党员", "机关群众", "基层党员", "基层群众"}


def test_each_reader_reads_the_part_below_their_unit(app, tree):
    hq, ningbo = app.test_client(), app.test_client()
    login(hq, "hq_leader")
    login(ningbo, "ningbo_leader")
    page = hq.get(f"/rollups/{tree.round_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "重庆海关" in text and "宁波海关" in text and "海关总署" in text
    own = ningbo.get(f"/rollups/{tree.round_id}").get_data(as_text=True)
    assert "宁波海关" in own and "重庆海关" not in own
    with app.app_context():  # each closed campaign's unit leads to its results
        closed = db.session.scalars(sa.select(Campaign.id).where(
            Campaign.round_id == tree.round_id, Campaign.status == "closed")).all()
    assert {f"/campaigns/{c}/results/" for c in closed} == set(
        re.findall(r'href="(/campaigns/\d+/results/)"', text))
    linked = re.findall(r'href="(/campaigns/\d+/results/)"', own)
    assert linked and all(ningbo.get(path).status_code == 200 for path in linked)
    assert ningbo.get("/rollups/").get_data(as_text=True).count(f"/rollups/{tree.round_id}") == 1
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', own)
    assert len(images) == 2  # the satisfaction and the score charts
    assert all(base64.b64decode(image).startswith(b"\x89PNG") for image in images)
    admin = app.test_client()
    login(admin, "sysadmin")
    assert admin.get(f"/rollups/{tree.round_id}").status_code in (302, 403)
    with app.app_context():  # a round made below the reader's unit and beside it: 404
        unit = db.session.get(OrgUnit, tree.direct[1])
        other = create_round(unit, RoundData("重庆海关的轮次")).id
        db.session.commit()
    assert ningbo.get(f"/rollups/{other}").status_code == 404
    assert hq.get(f"/rollups/{other}").status_code == 200
    assert hq.get("/rollups/999999").status_code == 404


def test_exports_hold_the_pages_table(app, tree):
    client = app.test_client()
    login(client, "hq_leader")
    workbook = client.get(f"/rollups/{tree.round_id}/rollup.xlsx")
    assert workbook.status_code == 200
    rows = list(load_workbook(io.BytesIO(workbook.data)).worksheets[0].iter_rows(
        values_only=True))
    assert rows[2][:3] == ("层级", "单位", "已结束的测评")
    with app.test_request_context():
        result = rollup(db.session.get(Round, tree.round_id), db.session.get(OrgUnit, tree.root))
    assert rows[3][1] == "海关总署" and rows[3][5] == result.total.counted
    assert rows[3][8] == pytest.approx(result.total.satisfaction.rate)
    # the heading, the coverage, the header; the total, 2 直属, 3 隶属 (the fourth's
    # campaigns are open or a draft), 6 branches
    assert len(rows) == 3 + 1 + 2 + 3 + 6
    pdf = client.get(f"/rollups/{tree.round_id}/rollup.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    with app.app_context():
        assert [e.detail["format"] for e in db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "round.rollup_export"))] == ["xlsx", "pdf"]


def test_the_round_before_is_set_beside(app, tree):
    with app.app_context():
        later = create_round(db.session.get(OrgUnit, tree.root), RoundData("2027年度"))
        db.session.commit()
        run_round(later.id, tree.branches, seed=28)
        later_id = later.id
    with app.test_request_context():
        result = rollup(db.session.get(Round, later_id), db.session.get(OrgUnit, tree.root))
        assert result.previous.id == tree.round_id
        before = rollup(db.session.get(Round, tree.round_id),
                        db.session.get(OrgUnit, tree.root))
        assert result.previous_total == before.total
        rows = {r.unit.id: r for level in result.levels for r in level.rows}
        rows_before = {r.unit.id: r for level in before.levels for r in level.rows}
        assert all(rows[u].previous == rows_before[u].figures for u in rows_before)


def _hidden(app, tree) -> dict[str, tuple[int, int]]:
    """The subtraction attack on the roll-up: for each rater group, the group's ballots and
    satisfied answers in the roll-up minus those the campaigns publish of it on their pages;
    and for each unit, its ballots minus its subjects' published ones. What is left over
    would be ballots of a group or subject some campaign withholds."""
    with app.test_request_context():
        result = rollup(db.session.get(Round, tree.round_id),
                        db.session.get(OrgUnit, tree.root))
        published: dict[str, list[int]] = {}
        for campaign in db.session.scalars(sa.select(Campaign).where(
                Campaign.round_id == tree.round_id)):
            if campaign.status.value != "closed":
                continue
            for subject in campaign_results(campaign).subjects:
                if not subject.has_figures:
                    continue
                for cell, shown in zip(subject.disclosure.cells, subject.figures.cells,
                                       strict=True):
                    if shown is not None and cell != subject.disclosure.merged:
                        name = next(g.name_zh for g in campaign.rater_groups
                                    if g.id == cell[0])
                        totals = published.setdefault(name, [0, 0])
                        totals[0] += subject.figures.cell_counted[
                            subject.disclosure.cells.index(cell)]
                        totals[1] += shown.satisfaction.satisfied if shown.satisfaction else 0
        left = {g.name: (g.counted - published.get(g.name, [0, 0])[0],
                         g.answers.satisfied - published.get(g.name, [0, 0])[1])
                for g in result.total.groups}
        return {name: values for name, values in left.items() if values != (0, 0)}


def test_subtracting_the_rollup_reveals_no_withheld_group(app, tree):
    """With each campaign's summary made of what it publishes (the defence), the roll-up's
    groups are exactly the sums of the published cells. Made instead of a campaign's
    figures before its disclosure control merges small groups (the defence off), the
    roll-up minus the pages gives away the small groups' ballots and answers."""
    assert _hidden(app, tree) == {}
    with app.app_context():  # the summaries made anew, without the merge
        db.session.execute(sa.delete(ResultOutput))
        db.session.commit()
    app.config[UNMERGED_SETTING] = True
    with app.test_request_context():
        rollup(db.session.get(Round, tree.round_id), db.session.get(OrgUnit, tree.root))
    app.config[UNMERGED_SETTING] = False
    leaked = _hidden(app, tree)
    assert leaked and all(counted > 0 for counted, _satisfied in leaked.values())


def test_the_disclosure_attack_through_pages_exports_and_the_api_finds_nothing(app, tree,
                                                                              runner):
    """The small-group attack (`tests.support.disclosure.attack`) on every closed campaign of
    the round, through its pages, exports and recount record, recovers nothing; the API's
    results are that record, figure for figure. With the merge off it recovers groups."""
    result = runner.invoke(args=["create-token", "hq_leader"])
    token = result.output.strip().splitlines()[-1]
    client = app.test_client()
    with app.app_context():
        closed = db.session.scalars(sa.select(Campaign.id).where(
            Campaign.round_id == tree.round_id, Campaign.status == "closed")).all()
    recovered_unmerged = 0
    for campaign_id in closed:
        assert attack(app, campaign_id, workbook=False) == []
        recovered_unmerged += len(attack(app, campaign_id, unmerged=True, workbook=False))
        through_api = client.get(f"/api/v1/campaigns/{campaign_id}/results",
                                 headers={"Authorization": f"Bearer {token}"})
        assert through_api.status_code == 200
        with app.test_request_context():
            figures = published_figures(campaign_results(db.session.get(Campaign, campaign_id)))
        assert through_api.get_json()["figures"] == json.loads(json.dumps(figures))
    assert recovered_unmerged > 0


def test_summaries_missing_in_numbers_are_queued_and_the_page_says_so(app, tree,
                                                                       monkeypatch):
    """Past BUILT_IN_REQUEST missing summaries (after an upgrade), the page does not build
    them all in the request: it queues them and says how many are being prepared."""
    queued = []
    monkeypatch.setattr(operations, "BUILT_IN_REQUEST", 2)
    monkeypatch.setattr(operations, "enqueue", lambda name, ids: queued.append((name, ids)))
    client = app.test_client()
    login(client, "hq_leader")
    page = client.get(f"/rollups/{tree.round_id}").get_data(as_text=True)
    assert "6 个已结束测评的结果仍在准备中" in page
    (name, ids), = queued
    assert name == "build-summaries" and len(ids) == 6
    with app.app_context():
        summaries_job(ids)
    page = client.get(f"/rollups/{tree.round_id}").get_data(as_text=True)
    assert "仍在准备中" not in page and len(queued) == 1
