"""民主推荐 (issue 25, part 4): a nomination ballot where each rater marks at most k of n
candidates. A ballot with more marks is void, on paper as counted at the opening of its
ticket's box; a phone asks the rater to take marks off and stores nothing until they have.
Results are votes and 得票率 per candidate with the organiser's threshold, recounted from the
export."""

from __future__ import annotations

import io
import json
import re
from dataclasses import astuple

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import load_workbook

from analysis.nomination import NominationRule, tally
from analysis.recount import STATUS_ZH, Settings, differences, recount
from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.ballots.models import Ballot, Receipt
from evalapp.campaigns.models import Campaign, Scale
from evalapp.extensions import db
from evalapp.results.ballots_csv import ballots_csv
from evalapp.results.compute import campaign_results
from evalapp.results.published import published_figures, record_json, recount_settings
from evalapp.tickets.models import Ticket
from evalapp.tickets.operations import issue_tickets
from evalapp.tickets.paper import paper_questionnaire
from evalapp.tickets.tokens import hash_token
from tests.support.factories import groups_of, make_campaign
from tests.support.grading import grading_draft
from tests.support.organiser import close_on_the_web, download, post_subject
from tests.support.paper import clerk, scan
from tests.support.rater import CSRF, enter
from tests.support.sheets import pdf_text
from tests.support.web import csrf_token, login


def test_the_threshold_is_compared_exactly_and_ranks_share_ties():
    above = NominationRule(2, 50, "above")
    at_least = NominationRule(2, 50, "at_least")
    # 5 of 10 is not more than half, and it is at least half
    assert [v.reached for v in tally([(5, 10), (6, 10)], above)] == [False, True]
    assert [v.reached for v in tally([(5, 10), (6, 10)], at_least)] == [True, True]
    votes = tally([(3, 9), (7, 9), (3, 9), (0, 0)], above)
    assert [v.rank for v in votes] == [2, 1, 2, 4]
    assert votes[1].rate == pytest.approx(7 / 9) and votes[3].rate is None
    assert not votes[3].reached  # no valid ballot reaches nothing
    with pytest.raises(ValueError):
        tally([(4, 3)], above)


def _nomination_round(app, client, max_marks: int = 2):
    """A draft of three subjects made a nomination ballot and its rule set through the
    organiser's pages; tickets issued (6 for phones, 2 on paper) and opened."""
    with app.app_context():
        campaign_id = grading_draft().campaign_id
    login(client, "organiser")
    path = f"/campaigns/{campaign_id}/questionnaire"
    asked = client.post(f"{path}/nomination", data={"csrf_token": csrf_token(client, path)})
    assert asked.status_code == 200 and "项共性内容" in asked.get_data(as_text=True)
    assert client.post(f"{path}/nomination", data={
        "csrf_token": csrf_token(client, path), "confirm": "yes"}).status_code == 303
    scoring = f"/campaigns/{campaign_id}/scoring"
    refused = client.post(f"/campaigns/{campaign_id}/nomination", data={
        "csrf_token": csrf_token(client, scoring), "max_marks": "0", "threshold_percent": "50",
        "threshold_rule": "above"})
    assert refused.status_code == 422
    assert "只有推荐人数超过规定的票才作废" in client.get(scoring).get_data(as_text=True)
    assert client.post(f"/campaigns/{campaign_id}/nomination", data={
        "csrf_token": csrf_token(client, scoring), "max_marks": str(max_marks),
        "threshold_percent": "50", "threshold_rule": "above"}).status_code == 303
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert not campaign.asks_satisfaction
        [item] = campaign.common_items()
        assert item.scale is Scale.NOMINATION
        subjects = list(campaign.subjects)
        _, phones = issue_tickets(campaign, groups_of(campaign)[0], subjects, 6)
        _, papers = issue_tickets(campaign, groups_of(campaign)[1], subjects, 2)
        open_campaign(campaign)
        db.session.commit()
        return campaign_id, item.id, [s.id for s in subjects], phones, papers


def _phone(app, token: str, item_id: int, marked: list[int]):
    phone = app.test_client()
    page = enter(phone, token).get_data(as_text=True)
    data = {"csrf_token": CSRF.search(page).group(1)} | {
        f"s{sid}_c{item_id}": "nominated" for sid in marked}
    return phone.post("/ballot", data=data)


def _spent(app, token: str) -> bool:
    with app.app_context():
        return db.session.scalar(sa.select(Ticket.spent)
                                 .where(Ticket.token_hash == hash_token(token)))


def _key_paper(app, campaign_id: int, item_id: int, token: str, marked: list[int]) -> None:
    """Two clerks key the ticks; one beyond k is keyed as the paper shows it, and the clerk
    is told the ballot will be void."""
    for name in ("clerk1", "clerk2"):
        keying = clerk(app, name)
        page = scan(keying, campaign_id, token).get_data(as_text=True)
        assert 'type="checkbox"' in page
        data = {"csrf_token": CSRF.search(page).group(1), "code": token} | {
            f"s{sid}_c{item_id}": "nominated" for sid in marked}
        keyed = keying.post(f"/campaigns/{campaign_id}/paper/ballot", data=data)
        assert keyed.status_code == 303
        told = keying.get(keyed.headers["Location"]).get_data(as_text=True)
        assert ("开箱时将判为废票" in told) == (len(marked) > 2)


def _published(campaign_id: int) -> tuple[dict, bytes, Settings]:
    results = campaign_results(db.session.get(Campaign, campaign_id))
    settings = Settings.from_json(json.loads(json.dumps(recount_settings(results).as_json())))
    return published_figures(results), ballots_csv(results), settings


def test_a_nomination_round_on_phones_and_paper(app, client, tmp_path):
    """k = 2 of 3 candidates: a phone that ticks 3 is asked to take one off and nothing is
    stored; a paper ballot keyed with 3 ticks is void, all of its ballots; the tally, the
    threshold and the recount follow."""
    campaign_id, item_id, ids, phones, papers = _nomination_round(app, client)
    page = enter(app.test_client(), phones[0]).get_data(as_text=True)
    assert page.count('type="checkbox"') == 3 and "_satisfaction" not in page and "最多" in page
    over = _phone(app, phones[0], item_id, ids[:3])
    assert over.status_code == 422
    blank = app.test_client()  # a box is ticked or not: sent empty it is refused
    page = enter(blank, phones[0]).get_data(as_text=True)
    assert blank.post("/ballot", data={"csrf_token": CSRF.search(page).group(1),
                                       f"s{ids[0]}_c{item_id}": ""}).status_code == 422
    text = over.get_data(as_text=True)
    assert "您勾选了 3 人" in text and "请去掉 1 人" in text
    assert not _spent(app, phones[0])  # nothing stored: the rater takes a mark off
    # ticking nobody is asked once, then counts as nominating nobody
    nobody = _phone(app, phones[0], item_id, [])
    assert nobody.status_code == 200 and "没有勾选任何候选人" in nobody.get_data(as_text=True)
    assert not _spent(app, phones[0])
    # six phones: candidates 1 and 2 on four, candidate 1 alone on one, 3 alone on one
    for n, token in enumerate(phones):
        marked = ids[2:] if n == 5 else ids[:2] if n else ids[:1]
        assert _phone(app, token, item_id, marked).status_code == 303
    _key_paper(app, campaign_id, item_id, papers[0], ids[:3])  # too many: void on paper
    _key_paper(app, campaign_id, item_id, papers[1], ids[1:2])
    close_on_the_web(client, campaign_id)
    with app.app_context():
        published, export, settings = _published(campaign_id)
        labels = [s.label_zh() for s in db.session.get(Campaign, campaign_id).subjects]
        # the void paper ballot's three ballots (one per candidate), and their receipts
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)
                                 .where(Ballot.overvoted)) == 3
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Receipt)
                                 .where(Receipt.void)) == 3
    found = recount(export, settings)
    assert found.status_rows == () and differences(published, found.figures) == []
    with app.app_context():  # and through the command, from the downloaded record
        record = record_json(campaign_results(db.session.get(Campaign, campaign_id)))
    (tmp_path / "export.csv").write_bytes(export)
    (tmp_path / "record.json").write_bytes(record)
    command = app.test_cli_runner().invoke(args=[
        "recount", str(tmp_path / "export.csv"), "--record", str(tmp_path / "record.json")])
    assert command.exit_code == 0 and "全部重算一致" in command.output, command.output
    # valid ballots: 6 phones and 1 paper
    votes = [published[f"{label}/nomination/votes"] for label in labels]
    assert votes == [5, 5, 1]
    assert [published[f"{label}/nomination/ballots"] for label in labels] == [7] * 3
    assert [published[f"{label}/void_overvote"] for label in labels] == [1] * 3
    assert [published[f"{label}/nomination/rank"] for label in labels] == [1, 1, 3]
    assert [published[f"{label}/nomination/reached"] for label in labels] == [1, 1, 0]
    assert published[f"{labels[0]}/nomination/rate"] == pytest.approx(5 / 7)
    assert published[f"{labels[0]}/score"] is None  # marks are votes, in no score
    _the_results_read_as_a_tally(app, campaign_id, ids)


def _the_results_read_as_a_tally(app, campaign_id: int, ids: list[int]) -> None:
    """The leader's pages, the PDF report and the Excel summary of the round above: the
    tally by rank, the threshold, the void ballots, and no score."""
    leader = app.test_client()
    login(leader, "leader")
    overview = leader.get(f"/campaigns/{campaign_id}/results/").get_data(as_text=True)
    tally = re.search(r'<table class="table stack nomination-tally">.*?</table>', overview,
                      re.S).group(0)
    assert "超过有效票的 50%" in overview and "最多推荐 2 人" in overview
    assert tally.count("✓ 达到") == 2 and tally.count("未达到") == 1
    assert "71.4%" in tally and "14.3%" in tally  # 5 of 7, 1 of 7
    assert "得分" not in overview.split("nomination-tally")[0]  # no score column
    detail = leader.get(f"/campaigns/{campaign_id}/results/{ids[0]}").get_data(as_text=True)
    assert "推荐人数超过规定）1 张" in detail and "各类别测评人的推荐票" in detail
    report = "".join(pdf_text(download(leader, f"/campaigns/{campaign_id}/results/export.pdf"
                                       ).data))
    assert "民主推荐" in report and "71.4%" in report
    assert "满意率" not in report and "等次" not in report  # no score, grade or satisfaction
    workbook = load_workbook(io.BytesIO(
        download(leader, f"/campaigns/{campaign_id}/results/export.xlsx").data))
    headers = [cell for row in workbook.active.iter_rows(min_row=3, max_row=4, values_only=True)
               for cell in row if cell]
    assert "废票" in headers and "得分" not in headers and "满意率" not in headers
    rows = list(workbook["民主推荐"].iter_rows(values_only=True))
    assert rows[0][:3] == ("排名", "候选人", "得票数")
    assert [row[0] for row in rows[1:4]] == [1, 1, 3] and rows[1][4] == pytest.approx(5 / 7)
    assert [row[-1] for row in rows[1:4]] == ["是", "是", "否"]
    with app.app_context():  # a later round of scores, to look back from
        campaign = db.session.get(Campaign, campaign_id)
        later = make_campaign(campaign.unit, "下一轮测评", subjects=1)
        open_campaign(later)
        close_campaign(later)
        later_id = later.id
    refused = leader.get(f"/lookback/?earlier={campaign_id}&later={later_id}")
    assert refused.status_code == 400
    assert "只有投票" in refused.get_data(as_text=True)  # not "no valid ballots"


def test_the_paper_ballot_has_one_box_per_candidate_and_says_how_many(app, client):
    campaign_id, *_ = _nomination_round(app, client)
    with app.app_context(), force_locale("zh_Hans_CN"):
        campaign = db.session.get(Campaign, campaign_id)
        paper = paper_questionnaire(campaign, "类别2", campaign.subjects)
    [section] = paper.sections
    assert [item.answers for item in section.items] == [("推荐",)]
    # one list of the candidates, a box each, no opinion box
    assert [(c.text, c.answers) for c in paper.candidates] == [
        (f"宁波海关 · 述职人{n}", ("推荐",)) for n in (1, 2, 3)]
    rules = " ".join(paper.wording.instructions)
    assert "最多推荐 2 人" in rules and "推荐超过 2 人的推荐票为废票" in rules
    assert "空题" not in rules and not paper.wording.satisfactions


def test_a_recount_finds_a_void_ballot_counted_or_a_valid_one_voided(app, client):
    """The export's word that a ballot was void for too many marks is what the recount
    takes: changing it changes the tally, which the recount names against the published
    figures."""
    campaign_id, item_id, ids, phones, papers = _nomination_round(app, client)
    for token in phones:
        assert _phone(app, token, item_id, ids[:1]).status_code == 303
    _key_paper(app, campaign_id, item_id, papers[0], ids[:3])
    close_on_the_web(client, campaign_id)
    with app.app_context():
        published, export, settings = _published(campaign_id)
    void, valid = STATUS_ZH[4].encode(), STATUS_ZH[0].encode()
    assert export.count(void) == 3
    counted = recount(export.replace(void, valid, 1), settings)
    assert {d.figure.rsplit("/", 1)[-1] for d in differences(published, counted.figures)} >= {
        "void_blank", "void_overvote"}
    # a void ballot's marks are not published: only paper can mark too many, and in a
    # merged cell they would be a small group's
    assert void + b",," in export and void + ",推荐".encode() not in export


def test_the_questionnaire_keeps_the_shape_of_a_nomination(app, client):
    """A nomination's item stands alone: no other item is added beside it, no individual
    item, no satisfaction question; and no item becomes one while others stand beside it."""
    with app.app_context():
        campaign_id, item_id = astuple(grading_draft())
        campaign = db.session.get(Campaign, campaign_id)
        section_id = campaign.sections[0].id
    login(client, "organiser")
    path = f"/campaigns/{campaign_id}/questionnaire"
    token = csrf_token(client, path)
    assert client.post(f"{path}/sections/{section_id}/items", data={
        "csrf_token": token, "text_zh": "第二项", "scale": "levels"}).status_code == 303
    refused = client.post(f"{path}/{item_id}", data={
        "csrf_token": token, "text_zh": "推荐", "scale": "nomination"})
    assert refused.status_code == 422 and "推荐票" in refused.get_data(as_text=True)
    assert client.post(f"{path}/nomination", data={"csrf_token": token, "confirm": "yes"}
                       ).status_code == 303
    refused = client.post(f"{path}/sections/{section_id + 1}/items", data={
        "csrf_token": token, "text_zh": "第二项", "scale": "levels"})
    assert refused.status_code in (404, 422)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        [item] = campaign.common_items()
        section_id = campaign.sections[0].id
        assert item.scale is Scale.NOMINATION
    refused = client.post(f"{path}/sections/{section_id}/items", data={
        "csrf_token": token, "text_zh": "第二项", "scale": "levels"})
    assert refused.status_code == 422 and "推荐票" in refused.get_data(as_text=True)
    assert client.post(f"{path}/satisfaction", data={"csrf_token": token, "asks": "y"}
                       ).status_code == 303
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert not campaign.asks_satisfaction
        subject_id = campaign.subjects[0].id
    refused = post_subject(client, campaign_id, subject_id, **{"items-0-text_zh": "个性化"})
    assert refused.status_code == 422
    assert "推荐票没有个性化内容" in refused.get_data(as_text=True)
    assert post_subject(client, campaign_id, subject_id).status_code == 303  # a candidate


def _nomination_draft(app, client) -> int:
    """A draft of three subjects made a nomination ballot by its organiser, logged in on
    `client`; its id."""
    with app.app_context():
        campaign_id = grading_draft().campaign_id
    login(client, "organiser")
    path = f"/campaigns/{campaign_id}/questionnaire"
    assert client.post(f"{path}/nomination", data={"csrf_token": csrf_token(client, path),
                                                   "confirm": "yes"}).status_code == 303
    return campaign_id


def test_a_candidate_whose_votes_are_not_reported_is_not_published_as_none_voted(app, client):
    """Candidate 3 is on 3 tickets only (fewer than the minimum of 5) and every one marks
    them: its tally must say 'not reported', not 0 votes of 0, ranked with the others."""
    campaign_id = _nomination_draft(app, client)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        item_id = campaign.common_items()[0].id
        subjects = list(campaign.subjects)
        ids = [s.id for s in subjects]
        _, pairs = issue_tickets(campaign, groups_of(campaign)[0], subjects[:2], 6)
        _, threes = issue_tickets(campaign, groups_of(campaign)[0], subjects, 3)
        open_campaign(campaign)
        db.session.commit()
    for token in pairs:
        assert _phone(app, token, item_id, ids[1:2]).status_code == 303
    for token in threes:
        assert _phone(app, token, item_id, ids[2:3]).status_code == 303
    close_on_the_web(client, campaign_id)
    with app.app_context():
        results = campaign_results(db.session.get(Campaign, campaign_id))
        published = published_figures(results)
        label = db.session.get(Campaign, campaign_id).subjects[2].label_zh()
    assert published.get(f"{label}/nomination/votes") is None
    assert published.get(f"{label}/nomination/rank") is None


def test_a_phone_nomination_ballot_stores_no_opinion(app, client):
    """The phone's nomination ballot offers no opinion; one posted anyway is not stored
    beside the marks (it would be published with them in the CSV and on the page)."""
    campaign_id, item_id, ids, phones, _papers = _nomination_round(app, client)
    phone = app.test_client()
    page = enter(phone, phones[0]).get_data(as_text=True)
    phone.post("/ballot", data={"csrf_token": CSRF.search(page).group(1),
                                f"s{ids[0]}_c{item_id}": "nominated",
                                f"s{ids[0]}_comment": "暗号XYZ"})
    close_on_the_web(client, campaign_id)
    with app.app_context():
        assert not db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)
                                     .where(Ballot.comment.is_not(None)))


def test_deciding_a_disputed_mark_offers_no_blank(app, client):
    """A candidate's box is ticked or not: the person deciding two keyings that differ is
    not offered 'blank', which would void that candidate's ballot alone (as too many blank
    items) and show nowhere in the tally's void column."""
    campaign_id, item_id, ids, _phones, papers = _nomination_round(app, client)
    for name, marked in (("clerk1", ids[:1]), ("clerk2", ids[:2])):
        keying = clerk(app, name)
        page = scan(keying, campaign_id, papers[0]).get_data(as_text=True)
        keying.post(f"/campaigns/{campaign_id}/paper/ballot", data={
            "csrf_token": CSRF.search(page).group(1), "code": papers[0]} | {
            f"s{sid}_c{item_id}": "nominated" for sid in marked})
    decide = scan(client, campaign_id, papers[0]).get_data(as_text=True)
    [dispute] = re.findall(r'<fieldset class="item dispute">.*?</fieldset>', decide, re.S)
    assert 'value=""' not in dispute


def test_a_questionnaire_made_a_nomination_by_its_scale_asks_no_satisfaction(app, client):
    """Made a nomination ballot, switched back to 好/较好/一般/差 with satisfaction asked,
    then switched to 推荐 again on the item's answers: the ballot asks no satisfaction (the
    phone would ask it without showing it, the paper and the results would carry it)."""
    campaign_id = _nomination_draft(app, client)
    path = f"/campaigns/{campaign_id}/questionnaire"
    with app.app_context():
        item_id = db.session.get(Campaign, campaign_id).common_items()[0].id
    for data in ({"text_zh": "推荐", "scale": "levels"}, None,
                 {"text_zh": "推荐", "scale": "nomination"}):
        if data is None:
            client.post(f"{path}/satisfaction",
                        data={"csrf_token": csrf_token(client, path), "asks": "y"})
        else:
            client.post(f"{path}/{item_id}", data={"csrf_token": csrf_token(client, path)}
                        | data)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.nominated_item() is None or not campaign.asks_satisfaction


def test_a_record_naming_an_item_it_does_not_have_is_refused(app, client):
    """`evalapp recount --record` with a nomination item out of range says the record is
    malformed (ValueError) instead of failing with an IndexError's traceback."""
    campaign_id, item_id, ids, phones, _papers = _nomination_round(app, client)
    for token in phones:
        assert _phone(app, token, item_id, ids[:1]).status_code == 303
    close_on_the_web(client, campaign_id)
    with app.app_context():
        data = recount_settings(campaign_results(db.session.get(Campaign, campaign_id))
                                ).as_json()
    data = json.loads(json.dumps(data))
    data["nomination"]["item"] = 5
    with pytest.raises(ValueError):
        Settings.from_json(data)
