"""Items of the campaign's own (issue 25): an organiser gives items the 满意 scale and
不了解 and a subject three individual items, through the pages; raters answer 不了解 on their
phones and on paper; the results show it apart and the recount gets every figure."""

from __future__ import annotations

import json
import re

from analysis.recount import Settings, differences, recount
from evalapp.auth.models import Role
from evalapp.ballotbox.operations import open_campaign
from evalapp.campaigns.models import Campaign, Scale
from evalapp.extensions import db
from evalapp.results.ballots_csv import ballots_csv
from evalapp.results.compute import campaign_results
from evalapp.results.published import published_figures, recount_settings
from evalapp.tickets.operations import issue_tickets
from forms.limits import ITEMS_MAX
from tests.support.factories import groups_of, make_campaign, make_user, make_world
from tests.support.organiser import close_on_the_web, post_subject
from tests.support.paper import clerk, key
from tests.support.rater import enter, full_answers, questions
from tests.support.web import csrf_token, login


def _dont_know_where_offered(values: list[str]) -> str:
    return "dont_know" if "dont_know" in values else values[-1]


def _edit_item(client, campaign_id: int, item_id: int, **fields):
    token = csrf_token(client, f"/campaigns/{campaign_id}/questionnaire")
    return client.post(f"/campaigns/{campaign_id}/questionnaire/{item_id}",
                       data={"csrf_token": token, **fields})


def test_items_of_its_own_are_set_rated_on_phone_and_paper_and_recounted(app, client):
    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        for name in ("clerk1", "clerk2"):
            make_user(name, world.customs, Role.CLERK)
        campaign = make_campaign(world.customs, "自定条目的测评")
        campaign.min_report_size = 3
        campaign.paper_recheck_percent = 0  # the re-check draw is random; tested apart
        db.session.commit()
        campaign_id, subject_id = campaign.id, campaign.subjects[0].id
        first = campaign.sections[0].items[0].id
    login(client, "organiser")
    saved = _edit_item(client, campaign_id, first, text_zh="对本单位党建工作的总体感受",
                       scale="satisfaction", dont_know="y")
    assert saved.status_code == 303
    # three individual items: the fourth row left empty; the first offers 不了解
    saved = post_subject(client, campaign_id, subject_id, **{
        "items-0-dont_know": "y", "items-1-scale": "satisfaction", "items-3-text_zh": ""})
    assert saved.status_code == 303, saved.get_data(as_text=True)[-800:]
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        subject = campaign.subjects[0]
        assert [(i.scale, i.dont_know) for i in subject.individual_items] == [
            (Scale.LEVELS, True), (Scale.SATISFACTION, False), (Scale.LEVELS, False)]
        _, phones = issue_tickets(campaign, groups_of(campaign)[0], [subject], 4)
        _, papers = issue_tickets(campaign, groups_of(campaign)[1], [subject], 2)
        open_campaign(campaign)
        db.session.commit()
        item_ids = [i.id for i in subject.individual_items]

    offered = questions(enter(app.test_client(), phones[0]).get_data(as_text=True))
    assert offered[f"s{subject_id}_c{first}"] == [
        "satisfied", "fairly_satisfied", "dissatisfied", "dont_know"]
    assert offered[f"s{subject_id}_i{item_ids[0]}"][-1] == "dont_know"
    assert offered[f"s{subject_id}_i{item_ids[1]}"] == [
        "satisfied", "fairly_satisfied", "dissatisfied"]
    assert len([name for name in offered if "_i" in name]) == 3
    for number, token in enumerate(phones):
        phone = app.test_client()
        page = enter(phone, token).get_data(as_text=True)
        answers = full_answers(page, _dont_know_where_offered if number % 2 else
                               lambda values, n=number: values[n % len(values)])
        assert phone.post("/ballot", data=answers).status_code == 303
    for token in papers:
        for name in ("clerk1", "clerk2"):
            assert key(clerk(app, name), campaign_id, token,
                       choose=_dont_know_where_offered).status_code == 303

    close_on_the_web(client, campaign_id)
    detail = client.get(f"/campaigns/{campaign_id}/results/{subject_id}").get_data(as_text=True)
    assert "不了解" in detail
    with app.app_context():
        results = campaign_results(db.session.get(Campaign, campaign_id))
        export, settings = ballots_csv(results), recount_settings(results)
        published = published_figures(results)
    assert differences(published, recount(
        export, Settings.from_json(json.loads(json.dumps(settings.as_json())))).figures) == []
    label = results.subjects[0].subject.label_zh()
    # two phones and two papers said 不了解 where offered: items 1 and 25, four times each
    assert published[f"{label}/item 1/不了解/count"] == 4
    assert published[f"{label}/item 25/不了解/count"] == 4
    assert f"{label}/item 28/mean" not in published  # a subject of 24 + 3 items
    assert published[f"{label}/counted"] == 6


def test_a_subject_takes_up_to_forty_individual_items_and_refuses_more(app, client):
    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        campaign = make_campaign(world.customs)
        db.session.commit()
        campaign_id, subject_id = campaign.id, campaign.subjects[0].id
    login(client, "organiser")
    path = f"/campaigns/{campaign_id}/subjects/{subject_id}"
    more = post_subject(client, campaign_id, subject_id, more_items="1")
    assert more.status_code == 200  # the page again, with a row more: nothing saved yet
    assert 'name="items-4-text_zh"' in more.get_data(as_text=True)
    rows = {f"items-{n}-text_zh": f"个性化内容{n + 1}" for n in range(ITEMS_MAX)}
    assert post_subject(client, campaign_id, subject_id, **rows).status_code == 303
    with app.app_context():
        assert len(db.session.get(Campaign, campaign_id).subjects[0].individual_items) == 40
    full = client.get(path).get_data(as_text=True)
    assert 'name="items-39-text_zh"' in full and 'name="more_items"' not in full
    refused = post_subject(client, campaign_id, subject_id,
                           **rows, **{f"items-{ITEMS_MAX}-text_zh": "第四十一条"})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert re.search(r'role="alert"[^>]*>[^<]*40', text)
    with app.app_context():
        assert len(db.session.get(Campaign, campaign_id).subjects[0].individual_items) == 40
    assert client.get(path).status_code == 200
