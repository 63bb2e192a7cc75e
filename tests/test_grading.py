"""干部考核 through the app (issue 25, part 3): a questionnaire item of grades, each person's
votes per group and overall, the grade the campaign's rule proposes, the 优秀 quota with its
rounding, ties at its edge flagged, and the recount of all of it from the export."""

from __future__ import annotations

import io
import json
import re
from dataclasses import astuple

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from analysis.recount import Settings, differences, recount
from evalapp.auth.models import Role
from evalapp.ballotbox.operations import open_campaign
from evalapp.campaigns.models import Campaign, GradeDecision, GradingSettings, Rounding, Scale
from evalapp.extensions import db
from evalapp.results.ballots_csv import ballots_csv
from evalapp.results.compute import campaign_results
from evalapp.results.published import published_figures, recount_settings
from evalapp.tickets.operations import issue_tickets
from tests.support.disclosure import GroupPlan, Row, build_campaign
from tests.support.factories import groups_of, make_user, make_world
from tests.support.grading import grading_draft
from tests.support.organiser import close_on_the_web, download, post_subject
from tests.support.paper import clerk, key
from tests.support.rater import CSRF, enter, questions
from tests.support.sheets import pdf_text
from tests.support.web import csrf_token, login

# 22 persons, 10 raters in two groups of 5: person n has EXCELLENT[n] votes of 优秀 and the
# rest 称职; the fourth and fifth largest shares of 优秀 are equal (7 of 10)
EXCELLENT = [10, 9, 8, 7, 7, 6, 6, 5] + [2] * 14


def _rows(raters: range) -> tuple[Row, ...]:
    return tuple((person, (0 if rater < votes else 1,), 0, "")
                 for person, votes in enumerate(EXCELLENT) for rater in raters)


@pytest.fixture
def graded(app) -> int:
    with app.app_context():
        world = make_world()
        return build_campaign(world.customs, [GroupPlan(30, None, _rows(range(0, 10, 2))),
                                              GroupPlan(30, None, _rows(range(1, 10, 2)))],
                              subjects=len(EXCELLENT), items=1, minimum=3,
                              scales=((Scale.GRADES, False),))


def _published(campaign_id: int, check_recount: bool = True) -> dict:
    campaign = db.session.get(Campaign, campaign_id)
    results = campaign_results(campaign)
    published = published_figures(results)
    if check_recount:
        settings = Settings.from_json(json.loads(json.dumps(
            recount_settings(results).as_json())))
        found = recount(ballots_csv(results), settings)
        assert found.status_rows == () and differences(published, found.figures) == []
    return published


def test_22_persons_at_20_percent_give_4_places_half_up_with_a_tie_flagged(app, graded):
    with app.app_context():
        published = _published(graded)
        labels = [s.label_zh() for s in db.session.get(Campaign, graded).subjects]
    assert published["grading/places"] == 4 and published["grading/undecided_places"] == 1
    proposed = [published[f"{label}/grading/proposed"] for label in labels]
    assert proposed[:3] == ["优秀"] * 3 and proposed[3:5] == ["", ""]
    assert set(proposed[5:]) == {"称职"}
    assert [published[f"{label}/grading/tied"] for label in labels[:6]] == [0, 0, 0, 1, 1, 0]
    # each group's votes on the grades item, beside the overall counts
    assert published[f"{labels[0]}/item 1/优秀/count"] == 10
    assert published[f"{labels[3]}/类别1/item 1/优秀/count"] == 4  # raters 0, 2, 4, 6
    assert published[f"{labels[3]}/类别2/item 1/称职/count"] == 2  # raters 7, 9
    assert published[f"{labels[0]}/score"] is None  # grades are votes, in no score


def test_the_same_votes_give_5_places_by_rounding_up_and_no_tie(app, graded):
    with app.app_context():
        campaign = db.session.get(Campaign, graded)
        campaign.grading = GradingSettings(rounding=Rounding.UP)
        db.session.commit()
        published = _published(graded)
        labels = [s.label_zh() for s in campaign.subjects]
    assert published["grading/places"] == 5 and published["grading/undecided_places"] == 0
    assert [published[f"{label}/grading/proposed"] for label in labels[:6]] == [
        "优秀"] * 5 + ["称职"]


def test_a_forged_vote_is_a_difference_in_the_proposal(app, graded):
    with app.app_context():
        campaign = db.session.get(Campaign, graded)
        results = campaign_results(campaign)
        export, settings = ballots_csv(results), recount_settings(results)
        published = published_figures(results)
        label = campaign.subjects[4].label_zh()
    text = export.decode("utf-8")
    # one of person 5's 称职 votes turned into 优秀 breaks the tie in its favour
    row = next(line for line in text.split("\r\n") if line.startswith(label)
               and line.split(",")[3] == "称职")
    forged = text.replace(row, row.replace(",称职,", ",优秀,", 1), 1).encode("utf-8")
    changed = {d.figure for d in differences(published, recount(forged, settings).figures)}
    assert {f"{label}/grading/proposed", f"{label}/grading/tied"} <= changed


def test_the_pages_show_the_votes_the_proposal_and_the_publicity_list(app, client, graded):
    with app.app_context():
        campaign = db.session.get(Campaign, graded)
        make_user("leader", campaign.unit, Role.LEADER)
        db.session.commit()
        subjects = [(s.id, s.person_name) for s in campaign.subjects]
    login(client, "leader")
    overview = client.get(f"/campaigns/{graded}/results/").get_data(as_text=True)
    assert "干部考核" in overview and "22 人" in overview and "四舍五入" in overview
    assert overview.count("并列") >= 2
    detail = client.get(f"/campaigns/{graded}/results/{subjects[3][0]}").get_data(as_text=True)
    grading = re.search(r'<table class="table stack grading">.*?</table>', detail, re.S).group(0)
    assert "类别1" in grading and "80.0%" in grading  # 4 of 5 in the first group
    listed = client.get(f"/campaigns/{graded}/results/publicity").get_data(as_text=True)
    names = re.findall(r"<tr><td class=\"num\">\d+</td><td>[^<]*</td><td>([^<]+)</td>", listed)
    assert names == [name for _, name in subjects[:3]]
    assert subjects[3][1] in listed and subjects[4][1] in listed  # named as undecided
    report = "".join(pdf_text(download(client, f"/campaigns/{graded}/results/export.pdf").data))
    assert "干部考核拟定等次" in report and "名额边界并列：待决定" in report
    workbook = load_workbook(io.BytesIO(
        download(client, f"/campaigns/{graded}/results/export.xlsx").data))
    rows = list(workbook["干部考核拟定等次"].iter_rows(values_only=True))
    assert rows[0][:3] == ("人员", "优秀 得票率", "优秀 票数")
    assert rows[1][1:3] == (1.0, 10) and rows[1][-1] == "优秀"  # the largest share first
    assert [row[-1] for row in rows[4:6]] == ["名额边界并列：待决定"] * 2
    assert download(client, f"/campaigns/{graded}/results/export.csv").status_code == 200


def test_a_campaign_without_grades_has_no_publicity_list(app, client):
    with app.app_context():
        world = make_world()
        campaign_id = build_campaign(world.customs,
                                     [GroupPlan(10, None, ((0, (0, 1, 2), 0, ""),))])
        make_user("leader", world.customs, Role.LEADER)
        db.session.commit()
    login(client, "leader")
    assert client.get(f"/campaigns/{campaign_id}/results/publicity").status_code == 404
    assert "干部考核" not in client.get(f"/campaigns/{campaign_id}/results/").get_data(
        as_text=True)


def test_the_organiser_sets_the_rule_and_a_round_that_asks_no_satisfaction(app, client):
    """The rule of the grades on the scoring page, and a questionnaire of one item of grades
    without the satisfaction question: on a phone, on paper keyed twice, in the results."""
    with app.app_context():
        campaign_id, item_id = astuple(grading_draft())
    login(client, "organiser")
    scoring = client.get(f"/campaigns/{campaign_id}/scoring").get_data(as_text=True)
    assert 'name="quota_percent"' not in scoring and "优秀 / 称职" in scoring  # no grades yet
    token = csrf_token(client, f"/campaigns/{campaign_id}/questionnaire")
    assert client.post(f"/campaigns/{campaign_id}/questionnaire/{item_id}", data={
        "csrf_token": token, "text_zh": "德能勤绩廉综合评价", "scale": "grades"}).status_code == 303
    assert client.post(f"/campaigns/{campaign_id}/questionnaire/satisfaction",
                       data={"csrf_token": token}).status_code == 303
    path = f"/campaigns/{campaign_id}/scoring"
    page = client.get(path).get_data(as_text=True)
    assert 'name="quota_percent"' in page and "四舍五入" in page and "进一法" in page
    refused = client.post(f"/campaigns/{campaign_id}/grading", data={
        "csrf_token": csrf_token(client, path), "quota_percent": "120", "rounding": "up",
        "excellent_min_percent": "50"})
    assert refused.status_code == 422 and "0 到 100" in refused.get_data(as_text=True)
    assert client.post(f"/campaigns/{campaign_id}/grading", data={
        "csrf_token": csrf_token(client, path), "quota_percent": "34", "rounding": "up",
        "excellent_min_percent": "60"}).status_code == 303
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert not campaign.asks_satisfaction
        assert campaign.graded_item().rule.quota_percent == 34
        subjects = list(campaign.subjects)
        _, phones = issue_tickets(campaign, groups_of(campaign)[0], subjects, 4)
        _, papers = issue_tickets(campaign, groups_of(campaign)[1], subjects, 1)
        open_campaign(campaign)
        db.session.commit()
        ids = [s.id for s in subjects]

    ballot = enter(app.test_client(), phones[0]).get_data(as_text=True)
    assert questions(ballot) == {f"s{sid}_c{item_id}": [
        "excellent", "competent", "basically_competent", "incompetent"] for sid in ids}
    assert "满意" not in ballot and "优秀" in ballot
    votes = {ids[0]: "excellent", ids[1]: "excellent", ids[2]: "competent"}
    for token in phones:
        phone = app.test_client()
        page = enter(phone, token).get_data(as_text=True)
        data = {"csrf_token": CSRF.search(page).group(1)} | {
            f"s{sid}_c{item_id}": vote for sid, vote in votes.items()}
        assert phone.post("/ballot", data=data).status_code == 303
    for name in ("clerk1", "clerk2"):
        keyed = key(clerk(app, name), campaign_id, papers[0],
                    choose=lambda values: values[1])  # 称职 for everyone
        assert keyed.status_code == 303
    close_on_the_web(client, campaign_id)
    with app.app_context():
        published = _published(campaign_id)
    labels = [f"宁波海关 · 述职人{n}" for n in (1, 2, 3)]
    # 34 % of 3 is 1.02, rounded up: 2 places; persons 1 and 2 have 4 of 5 votes for 优秀
    assert published["grading/places"] == 2
    assert [published[f"{label}/grading/proposed"] for label in labels] == ["优秀", "优秀", "称职"]
    assert published[f"{labels[0]}/satisfaction/answered"] is None
    listed = client.get(f"/campaigns/{campaign_id}/results/publicity").get_data(as_text=True)
    assert "述职人1" in listed and "述职人2" in listed and "述职人3" not in listed


def test_trimming_for_a_score_takes_no_vote_for_a_grade_away(app):
    """A questionnaire of an item on the levels and an item of grades, the highest and lowest
    score dropped: the two dropped ballots' votes for the grade still count."""
    rows = tuple((0, (level, 0), 0, "") for level in (0, 1, 1, 2, 2, 1, 3, 1))
    with app.app_context():
        world = make_world()
        campaign_id = build_campaign(world.customs, [GroupPlan(20, None, rows)], items=2,
                                     minimum=3, trim_above=3,
                                     scales=((Scale.LEVELS, False), (Scale.GRADES, False)))
        published = _published(campaign_id)
        label = db.session.get(Campaign, campaign_id).subjects[0].label_zh()
    assert published[f"{label}/trimmed"] == 2 and published[f"{label}/counted"] == 6
    assert published[f"{label}/item 1/好/count"] == 0  # the trimmed 好 is out of the scores
    assert published[f"{label}/item 2/优秀/count"] == 8  # and in the votes
    assert published[f"{label}/类别1/item 2/优秀/count"] == 8


def test_one_item_of_grades_and_only_a_common_one(app, client):
    with app.app_context():
        draft = grading_draft()
        campaign = db.session.get(Campaign, draft.campaign_id)
        section_id, subject_id = campaign.sections[0].id, campaign.subjects[0].id
    login(client, "organiser")
    path = f"/campaigns/{draft.campaign_id}/questionnaire"
    token = csrf_token(client, path)
    assert client.post(f"{path}/{draft.item_id}", data={
        "csrf_token": token, "text_zh": "综合评价", "scale": "grades"}).status_code == 303
    second = client.post(f"{path}/sections/{section_id}/items", data={
        "csrf_token": token, "text_zh": "再评一次", "scale": "grades"})
    assert second.status_code == 422
    assert "测评表中已有一项干部考核等次" in second.get_data(as_text=True)
    assert client.post(f"{path}/{draft.item_id}", data={  # the item itself may stay so
        "csrf_token": token, "text_zh": "综合评价（修改）", "scale": "grades"}).status_code == 303
    individual = post_subject(client, draft.campaign_id, subject_id, **{
        "items-0-text_zh": "个性化内容", "items-0-scale": "grades"})
    assert individual.status_code == 422
    assert "不是有效的选择" in individual.get_data(as_text=True)  # in the reader's language


def test_the_organisers_decide_a_tie_and_the_list_the_exports_and_the_recount_follow(
        app, client, graded):
    with app.app_context():
        campaign = db.session.get(Campaign, graded)
        make_user("organiser", campaign.unit)
        db.session.commit()
        subjects = [(s.id, s.person_name, s.label_zh()) for s in campaign.subjects]
    login(client, "organiser")
    overview = f"/campaigns/{graded}/results/"
    before = download(client, f"/campaigns/{graded}/results/export.json").data
    both = client.post(f"/campaigns/{graded}/results/decision", data={
        "csrf_token": csrf_token(client, overview),
        "chosen": [str(subjects[3][0]), str(subjects[4][0])]})
    assert both.status_code == 303
    assert "请在并列人员中恰好选择 1 人" in client.get(overview).get_data(as_text=True)
    not_tied = client.post(f"/campaigns/{graded}/results/decision", data={
        "csrf_token": csrf_token(client, overview), "chosen": [str(subjects[5][0])]})
    assert not_tied.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(GradeDecision)) == 0
    assert client.post(f"/campaigns/{graded}/results/decision", data={
        "csrf_token": csrf_token(client, overview),
        "chosen": [str(subjects[4][0])]}).status_code == 303
    with app.app_context():
        published = _published(graded)  # the recount follows the decision in the settings
    labels = [label for _id, _name, label in subjects]
    assert [published[f"{label}/grading/proposed"] for label in labels[3:5]] == ["称职", "优秀"]
    assert published["grading/undecided_places"] == 0
    assert published["grading/decision_valid"] == 1
    listed = client.get(f"/campaigns/{graded}/results/publicity").get_data(as_text=True)
    names = re.findall(r"<tr><td class=\"num\">\d+</td><td>[^<]*</td><td>([^<]+)</td>", listed)
    assert sorted(names) == sorted(name for _id, name, _label in
                                   [*subjects[:3], subjects[4]])
    assert download(client, f"/campaigns/{graded}/results/export.json").data != before
    # a decision for someone who was not tied, forged into the printed settings, is found
    settings = json.loads(download(client, f"/campaigns/{graded}/results/export.json").data)
    with app.app_context():
        export = ballots_csv(campaign_results(db.session.get(Campaign, graded)))
    settings["settings"]["grading"]["chosen"] = [5]
    forged = recount(export, Settings.from_json(settings["settings"]))
    assert "grading/decision_valid" in {d.figure for d in differences(published, forged.figures)}
