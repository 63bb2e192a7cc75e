"""A recount anyone can run (issue 18, part 3): the anonymised ballot export of a closed
campaign, recounted with its printed settings, gives every published figure and the digest
published when its box was opened; one altered answer is caught by both."""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np
import pytest
from openpyxl import load_workbook

from analysis.figures import BallotStatus, Rules, ballot_statuses
from analysis.recount import OTHER_ZH, Settings, differences, recount
from analysis.scoring import DONT_KNOW
from evalapp.campaigns.models import Campaign, Scale
from evalapp.extensions import db
from evalapp.results import data
from evalapp.results.ballots_csv import ballots_csv
from evalapp.results.compute import campaign_results
from evalapp.results.published import published_figures, record_json, recount_settings
from evalapp.results.report_pdf import report_pdf
from evalapp.results.summary_xlsx import summary_xlsx
from tests.support.disclosure import GroupPlan, Row, build_campaign
from tests.support.factories import make_world
from tests.support.recount import altered, mixed_ballots
from tests.support.sheets import pdf_text


@pytest.fixture
def closed(app) -> int:
    """A closed campaign of two subjects, four rater groups with policy weights (two small
    ones merged into 其他类别), void ballots of both kinds and trimmed scores; on the first
    subject the highest score is tied between a ballot of the first group, which the app drops
    (it breaks ties by group), and one of the merged cell, which comes first in the export."""
    with app.app_context():
        world = make_world()
        tied: dict[int, tuple[Row, ...]] = {1: ((0, (1, 0, 0), 0, ""),),
                                            3: ((0, (0, 0, 1), 1, ""),)}
        plans = [GroupPlan(roster, weight, mixed_ballots(count, seed) + tied.get(seed, ()))
                 for roster, weight, count, seed in
                 ((30, 0.4, 9, 1), (20, 0.3, 8, 2), (6, 0.2, 3, 3), (4, 0.1, 2, 4))]
        return build_campaign(world.customs, plans, subjects=2, trim_above=5,
                              void_uniform=True)


def test_recount_matches_every_published_figure_and_the_digest(app, closed):
    with app.app_context():
        campaign = db.session.get(Campaign, closed)
        results = campaign_results(campaign)
        export = ballots_csv(results)
        # published when the box was opened, and the file's own SHA-256 (what sha256sum says)
        assert campaign.ballot_export_sha256 == hashlib.sha256(export).hexdigest()
        published = published_figures(results)
        found = recount(export, recount_settings(results))
    assert found.digest == campaign.ballot_export_sha256
    assert found.status_rows == ()
    assert differences(published, found.figures) == []
    # the campaign has what the recount must get right: a merged cell, voids of both kinds,
    # trimmed scores, weights, design-weighted intervals
    label = results.subjects[0].subject.label_zh()
    assert published[f"{label}/{OTHER_ZH}/score"] is not None
    assert published[f"{label}/trimmed"] == 2
    assert all(published[f"{label}/{kind}"] for kind in ("void_blank", "void_uniform"))
    assert published[f"{label}/policy_score"] is not None
    assert published[f"{label}/design/ci_low"] < published[f"{label}/design/ci_high"]
    assert published[f"{label}/item 1/好/share"] is not None
    assert sum(v is not None for v in published.values()) > 150


def test_the_same_ballots_give_the_same_bytes(app, closed):
    with app.app_context():
        first = ballots_csv(campaign_results(db.session.get(Campaign, closed)))
        db.session.expire_all()
        assert ballots_csv(campaign_results(db.session.get(Campaign, closed))) == first
    assert first.startswith("\ufeff被评对象,测评人类别,状态,1. 题目1".encode())
    assert first.count(b"\r\n") == first.count(b"\n")


def test_the_export_and_figures_do_not_follow_the_order_of_storage(app, closed, monkeypatch):
    """The database may return the ballots in any order (PostgreSQL's follows its writes):
    the export's bytes, its digest and every figure stay the same."""
    with app.app_context():
        campaign = db.session.get(Campaign, closed)
        results = campaign_results(campaign)
        export, figures = ballots_csv(results), published_figures(results)
        stored = data._plain_rows
        monkeypatch.setattr(data, "_plain_rows", lambda statement: stored(statement)[::-1])
        backwards = campaign_results(campaign)
        assert ballots_csv(backwards) == export
        assert differences(figures, published_figures(backwards)) == []


def test_one_altered_answer_is_detected(app, closed):
    with app.app_context():
        results = campaign_results(db.session.get(Campaign, closed))
        export, settings = ballots_csv(results), recount_settings(results)
        published = published_figures(results)
    changed_export, label = altered(export)
    found = recount(changed_export, settings)
    assert found.digest != hashlib.sha256(export).hexdigest()
    changed = {d.figure for d in differences(published, found.figures)}
    assert any(key.startswith(f"{label}/item ") and key.endswith("/好/count") for key in changed)
    assert f"{label}/score" in changed


def test_the_command_recounts_from_the_database_and_from_the_record(app, closed, tmp_path):
    runner = app.test_cli_runner()
    with app.app_context():
        results = campaign_results(db.session.get(Campaign, closed))
        export, record = ballots_csv(results), record_json(results)
    (tmp_path / "export.csv").write_bytes(export)
    (tmp_path / "record.json").write_bytes(record)
    (tmp_path / "altered.csv").write_bytes(altered(export)[0])
    found = runner.invoke(args=["recount", str(tmp_path / "export.csv")])
    assert found.exit_code == 0, found.output
    assert "摘要一致 / digest matches" in found.output
    assert "全部重算一致 / all" in found.output
    offline = runner.invoke(args=["recount", str(tmp_path / "export.csv"), "--record",
                                  str(tmp_path / "record.json")])
    assert offline.exit_code == 0, offline.output
    for where in (["--campaign", str(closed)], ["--record", str(tmp_path / "record.json")]):
        changed = runner.invoke(args=["recount", str(tmp_path / "altered.csv"), *where])
        assert changed.exit_code == 1, changed.output
        assert "摘要不一致 / digest differs" in changed.output
        assert "数字不同 / figure differs" in changed.output
    unknown = runner.invoke(args=["recount", str(tmp_path / "altered.csv")])
    assert unknown.exit_code == 1
    assert "--campaign" in unknown.output


def test_a_status_the_rules_do_not_give_is_a_difference(app, closed):
    with app.app_context():
        results = campaign_results(db.session.get(Campaign, closed))
        export, settings = ballots_csv(results), recount_settings(results)
    text = export.decode("utf-8")
    forged = text.replace(",有效，作为最高或最低分去掉,", ",有效,", 1).encode("utf-8")
    found = recount(forged, Settings.from_json(json.loads(json.dumps(settings.as_json()))))
    assert len(found.status_rows) == 1


def test_the_digest_is_on_the_receipt_list_the_results_the_pdf_and_the_xlsx(app, client,
                                                                              closed):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        campaign = db.session.get(Campaign, closed)
        results = campaign_results(campaign)
        value, key = campaign.ballot_export_sha256, campaign.receipts_key
        pdf = "".join("".join(pdf_text(report_pdf(results))).split())
        sheet = load_workbook(io.BytesIO(summary_xlsx(results))).active
    assert value and value in pdf and "sha256sum" in pdf
    cells = [row for row in sheet.iter_rows(values_only=True) if value in row]
    assert len(cells) == 1 and "摘要（SHA-256）" in str(cells[0][0])
    page = client.get(f"/r/{key}", headers={"Accept-Language": "zh-CN"})
    assert value in page.text and "evalapp recount" in page.text


def test_a_tie_for_the_highest_score_is_dropped_either_way_but_nothing_else():
    """Two ballots tie for the highest score: the rules drop one, and the recount accepts
    whichever the export marks, never a ballot that is not the highest or lowest."""
    rules = Rules((100, 80, 60, 40), 0.25, False, 2, (90, 80, 60), 3)
    levels = np.array([[0, 0], [0, 0], [1, 1], [2, 3]])
    subjects = np.zeros(4, dtype=int)
    scores = np.array([100.0, 100.0, 80.0, 50.0])
    plain = ballot_statuses(levels, subjects, scores, rules)
    assert plain.tolist() == [BallotStatus.TRIMMED, 0, 0, BallotStatus.TRIMMED]
    second = ballot_statuses(levels, subjects, scores, rules,
                             first=np.array([False, True, False, True]))
    assert second.tolist() == [0, BallotStatus.TRIMMED, 0, BallotStatus.TRIMMED]
    wrong = ballot_statuses(levels, subjects, scores, rules,
                            first=np.array([False, False, True, True]))
    assert wrong.tolist() == plain.tolist()


def test_a_file_that_is_no_export_is_refused_plainly(app, closed, tmp_path):
    runner = app.test_cli_runner()
    (tmp_path / "other.csv").write_bytes("\ufeff被评对象,测评人类别\r\n".encode())
    found = runner.invoke(args=["recount", str(tmp_path / "other.csv"), "--campaign",
                                str(closed)])
    assert found.exit_code == 1
    assert "不是该测评的匿名测评票导出" in found.output
    (tmp_path / "record.json").write_text('{"format": 1}')
    found = runner.invoke(args=["recount", str(tmp_path / "other.csv"), "--record",
                                str(tmp_path / "record.json")])
    assert found.exit_code == 1
    assert "无法读取计票记录" in found.output
    (tmp_path / "deep.json").write_text("[" * 100_000)  # nested past Python's recursion limit
    found = runner.invoke(args=["recount", str(tmp_path / "other.csv"), "--record",
                                str(tmp_path / "deep.json")])
    assert found.exit_code == 1 and not isinstance(found.exception, RecursionError)
    assert "无法读取计票记录" in found.output
    with pytest.raises(ValueError, match="malformed settings"):
        Settings.from_json({"points": [100, 80]})


def test_recount_reproduces_items_of_either_scale_with_dont_know(app):
    """Item 1 on the four levels, item 2 on 满意/基本满意/不满意 offering 不了解, item 3 on the
    levels offering 不了解; one ballot answers 不了解 everywhere it may, one is all 不了解 but
    its first item. The recount from the export and its settings (read back from JSON, as
    `evalapp recount --record` does) gets every figure, 不了解 counts included."""
    rows: tuple[Row, ...] = (
        (0, (0, 0, 1), 0, ""), (0, (1, DONT_KNOW, 0), 0, ""), (0, (2, 2, DONT_KNOW), 1, ""),
        (0, (0, 1, 3), 0, ""), (0, (3, DONT_KNOW, DONT_KNOW), 2, ""), (0, (1, 0, 2), 0, ""),
        (0, (0, 2, 0), None, ""), (0, (1, 1, DONT_KNOW), 1, ""))
    with app.app_context():
        world = make_world()
        campaign_id = build_campaign(
            world.customs, [GroupPlan(20, 0.5, rows[:5]), GroupPlan(20, 0.5, rows[5:])],
            minimum=3, scales=((Scale.LEVELS, False), (Scale.SATISFACTION, True),
                               (Scale.LEVELS, True)))
        results = campaign_results(db.session.get(Campaign, campaign_id))
        export, settings = ballots_csv(results), recount_settings(results)
        published = published_figures(results)
    text = export.decode("utf-8")
    assert "不了解" in text and "基本满意" in text
    found = recount(export, Settings.from_json(json.loads(json.dumps(settings.as_json()))))
    assert found.status_rows == ()
    assert differences(published, found.figures) == []
    label = results.subjects[0].subject.label_zh()
    assert published[f"{label}/item 2/不了解/count"] == 2
    assert published[f"{label}/item 3/不了解/count"] == 3
    assert published[f"{label}/item 2/满意/count"] == 2
    # 满意 scores as 好, 基本满意 as 较好, 不满意 as 差; 不了解 in no mean: item 2's mean is
    # (100·2 + 80·2 + 40·2) / 6
    assert published[f"{label}/item 2/mean"] == pytest.approx(440 / 6)
    # an answer given as 不了解 instead is a difference
    forged = text.replace(",不了解,", ",好,", 1).encode("utf-8")
    assert differences(published, recount(forged, settings).figures)
