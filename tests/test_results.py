"""A campaign's results from known ballots, worked by hand, and who may see them when."""

from __future__ import annotations

import math

import pytest

from analysis import compare_groups
from evalapp.auth.models import Role
from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.campaigns.models import Campaign, Level, Satisfaction
from evalapp.extensions import db
from evalapp.results.compute import campaign_results
from evalapp.results.explain import difference_summary
from evalapp.roster.models import RosterEntry
from evalapp.tickets.operations import issue_tickets
from tests.support.ballots import cast
from tests.support.factories import groups_of, make_campaign, make_user, make_world
from tests.support.organiser import download
from tests.support.pdf import pdf_pages
from tests.support.web import login


@pytest.fixture
def known(app):
    """One subject; group A (roster 10): 5 ballots all 好 and 满意; group B (roster 30):
    5 ballots all 较好 and 基本满意; plus one all-blank ballot in B (void)."""
    return known_campaign(app, [Satisfaction.FAIRLY_SATISFIED] * 5)


def known_campaign(app, b_satisfaction: list[Satisfaction]) -> int:
    """The campaign of `known`, B's five ballots answering `b_satisfaction`."""
    with app.app_context():
        world = make_world()
        make_user("leader", world.customs, Role.LEADER)
        campaign = make_campaign(world.customs)
        a, b = groups_of(campaign)[:2]
        for group, size in ((a, 10), (b, 30)):
            db.session.add_all(RosterEntry(campaign_id=campaign.id, rater_group_id=group.id,
                                           name=f"{group.id}-{n}", staff_number=f"{group.id}-{n}")
                               for n in range(size))
            issue_tickets(campaign, group, campaign.subjects, 6)
        open_campaign(campaign)
        subject = campaign.subjects[0].id

        def ballots(level, satisfaction, count):
            return [([level] * 28, satisfaction, "意见")] * count

        cast(campaign, a.id, subject, ballots(Level.EXCELLENT, Satisfaction.SATISFIED, 5))
        cast(campaign, b.id, subject, [([Level.GOOD] * 28, answer, "意见")
                                       for answer in b_satisfaction] + ballots(None, None, 1))
        db.session.commit()
        return campaign.id


def test_figures_worked_by_hand(app, known):
    with app.app_context():
        campaign = db.session.get(Campaign, known)
        close_campaign(campaign)
        (result,) = campaign_results(campaign).subjects
    assert (result.issued, result.returned, result.counted, result.void_blank) == (12, 11, 10, 1)
    assert result.score == pytest.approx(90.0)  # (5·100 + 5·80)/10
    assert result.grade == "excellent" and result.rank == 1
    assert result.design.estimate == pytest.approx(10 / 40 * 100 + 30 / 40 * 80)  # 85
    assert result.design.se == 0  # no spread within either group
    assert result.satisfaction.rate == 1.0 and result.satisfaction.strict_rate == 0.5
    assert [g.score for g in result.groups[:2]] == [100.0, 80.0]
    assert result.groups[2].counted == 0 and result.groups[2].score is None
    assert result.comparison.p_value < 0.05
    # satisfaction: both groups show 100% (A 5 满意, B 5 基本满意): the rate shown is the same,
    # so there is nothing to test (the mix of 满意 and 基本满意 is not a figure any table shows)
    assert result.satisfaction_test is None
    assert result.items[0].mean_points == 90.0 and result.items[0].shares == (0.5, 0.5, 0, 0)
    assert len(result.opinions) == 10


def test_results_are_sealed_until_closed_then_shown_to_leaders(app, client, known):
    login(client, "leader")
    sealed = client.get(f"/campaigns/{known}/results/")
    assert sealed.status_code == 403 and "测评结束前结果保密" in sealed.get_data(as_text=True)
    assert "90.00" not in sealed.get_data(as_text=True)
    with app.app_context():
        close_campaign(db.session.get(Campaign, known))
        db.session.commit()
        subject = db.session.get(Campaign, known).subjects[0].id
    page = client.get(f"/campaigns/{known}/results/").get_data(as_text=True)
    assert "90.00" in page and "85.00" in page and "100.0%" in page
    assert "满意率 =（满意 + 基本满意）÷ 作答该题的有效票数" in page
    detail = client.get(f"/campaigns/{known}/results/{subject}").get_data(as_text=True)
    assert "发放测评票 12 张，收回 11 张，有效 10 张，废票（空题过多）1 张" in detail
    assert "所显示各类别的得分比较（Mann-Whitney U 检验）" in detail
    assert "满意率比较" not in detail and detail.count("很可能不是偶然") == 1  # the scores'
    report = pdf_pages(download(client, f"/campaigns/{known}/results/export.pdf").data)
    assert "满意率比较" not in "".join(report) and "所显示各类别的得分比较" in "".join(report)


def test_the_satisfaction_test_is_on_the_rates_the_groups_show(app, client):
    """A 100% (5 of 5), B 60% (3 基本满意 of 5, 2 不满意): a 2 × 2 table of satisfied or
    fairly satisfied against dissatisfied, [[5, 0], [3, 2]]: χ² = 10·(5·2 − 0·3)² / (5·5·8·2)
    = 2.5, one degree of freedom."""
    campaign_id = known_campaign(app, [Satisfaction.FAIRLY_SATISFIED] * 3
                                 + [Satisfaction.DISSATISFIED] * 2)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        close_campaign(campaign)
        db.session.commit()
        (result,) = campaign_results(campaign).subjects
        subject = campaign.subjects[0].id
    test = result.satisfaction_test
    assert (test.statistic, test.dof) == (pytest.approx(2.5), 1)
    assert test.p_value == pytest.approx(math.erfc(math.sqrt(2.5 / 2)))  # χ²(1) tail
    assert [g.figures.satisfaction.rate for g in result.groups[:2]] == [1.0, 0.6]
    login(client, "leader")
    detail = client.get(f"/campaigns/{campaign_id}/results/{subject}").get_data(as_text=True)
    assert ("所显示各类别的满意率比较（卡方检验：“满意或基本满意”对“不满意”）："
            "各组评价的差异可能只是偶然（p = 0.114）") in detail


def test_a_difference_between_groups_is_worded_through_the_catalogue(app):
    """`analysis` answers in figures (p, significant, effect class); the words, in the
    reader's language, come from the translation catalogue."""
    result = compare_groups([90, 85, 88, 92, 95, 70, 75, 80, 72, 85, 78],
                            ["机关"] * 5 + ["基层"] * 6)
    small = compare_groups([1, 2, 3, 4, 4, 4], ["A", "A", "A", "B", "B", "B"])
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert difference_summary(result) == ("各组评价的差异很可能不是偶然造成的（p = 0.010），"
                                              "差异程度较大。")
        assert difference_summary(small).endswith("。部分组人数较少，结果仅供参考。")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert difference_summary(result) == ("The groups' ratings very likely differ by more "
                                              "than chance (p = 0.010); the difference is large.")
        assert difference_summary(small).endswith(
            ". Some groups are small, so this is approximate.")
