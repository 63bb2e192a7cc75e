"""A campaign set up far enough for every organiser page to have something to show."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from evalapp.auth.models import Role
from evalapp.extensions import db
from evalapp.rectification.models import (
    MeasureStatus,
    ProblemSource,
)
from evalapp.rectification.operations import MeasureInput, add_problem, save_measure
from evalapp.roster.models import RosterEntry
from evalapp.sampling.operations import DrawRequest, prepare_and_draw
from evalapp.tickets.operations import issue_tickets
from tests.support.factories import groups_of, make_campaign, make_user, make_world
from tests.support.web import csrf_token, form_values


@dataclass(frozen=True)
class Setup:
    campaign: int
    subject: int
    item: int
    draw: int
    batch: int
    token: str  # an unspent ticket for the subject
    problem: int  # in the subject's rectification ledger, with one measure
    measure: int
    section: int  # the questionnaire's first, holding `item`


def make_setup(people_per_group: int = 10) -> Setup:
    world = make_world()
    make_user("organiser", world.customs)
    make_user("leader", world.customs, Role.LEADER)
    make_user("auditor", world.customs, Role.AUDITOR)
    make_user("stranger", world.other_customs)
    make_user("other_auditor", world.other_customs, Role.AUDITOR)
    make_user("cross_auditor", world.root, Role.AUDITOR)  # above every customs
    campaign = make_campaign(world.customs, "宁波海关2026年度测评")
    groups = groups_of(campaign)
    db.session.add_all(
        RosterEntry(campaign_id=campaign.id, rater_group_id=group.id, name=f"人员{g}{n}",
                    staff_number=f"{g}{n:03d}", unit_name="宁波海关")
        for g, group in enumerate(groups) for n in range(people_per_group)
    )
    # A batch issued by hand before the draw (after it, a sampled group's tickets come from
    # the draw alone), so that the draw's own issuing stays open to the route tests.
    batch, tokens = issue_tickets(campaign, groups[0], campaign.subjects, 3)
    draw = prepare_and_draw(campaign, DrawRequest(fraction=0.3), secret=bytes(32),
                            witness="1234", user=None)
    campaign.subjects[0].report_text = ""  # not ready to open: pages stay those of a draft
    problem = add_problem(campaign.subjects[0], ProblemSource.LEADERSHIP, "领导点评的问题")
    measure = save_measure(problem, MeasureInput("整改措施", "党委办公室", "", date.today() +
                                                 timedelta(days=30), MeasureStatus.PLANNED),
                           date.today())
    db.session.commit()
    return Setup(campaign.id, campaign.subjects[0].id, campaign.sections[0].items[0].id,
                 draw.id, batch.id, tokens[0], problem.id, measure.id,
                 campaign.sections[0].id)


def close_on_the_web(client, campaign_id: int, shares: Sequence[str] = ()):
    """Close through the organiser's pages, as a person would, and follow the progress page
    until the box is open; the last response (the redirect to the campaign) is returned."""
    path = f"/campaigns/{campaign_id}/close"
    data = {"csrf_token": csrf_token(client, path)}
    data |= {f"shares-{index}": share for index, share in enumerate(shares)}
    response = client.post(path, data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        progress = client.get(f"/campaigns/{campaign_id}/closing")
        if progress.status_code == 303:
            assert progress.headers["Location"] == f"/campaigns/{campaign_id}"
            return progress
        assert progress.status_code == 200
        time.sleep(0.05)
    raise AssertionError("the ballot box was not opened within two minutes")


def download(client, path: str):
    """GET a results export as a leader's browser would: while the report is being prepared
    the page answers 202 and reloads itself; the file, when it is there, is returned."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        response = client.get(path)
        if response.status_code != 202:
            return response
        assert 'http-equiv="refresh"' in response.get_data(as_text=True)
        time.sleep(0.05)
    raise AssertionError(f"{path} was not ready within two minutes")


def measure_data(**changes) -> dict:
    data = {"text": "建立党建联系点制度", "responsible_department": "机关党委",
            "cooperating_departments": "人事处、办公室",
            "deadline": (date.today() + timedelta(days=60)).isoformat(), "status": "planned",
            "completion_note": "", "completed_on": ""}
    return {**data, **changes}


@dataclass(frozen=True)
class TicketCampaign:
    campaign: int
    group: int  # the first rater group's id
    subjects: list[int]


def make_ticket_campaign() -> TicketCampaign:
    world = make_world()
    make_user("organiser", world.customs)
    make_user("leader", world.customs, Role.LEADER)
    make_user("chongqing", world.other_customs)
    campaign = make_campaign(world.customs, "2026年度测评", subjects=2)
    db.session.commit()
    return TicketCampaign(campaign.id, groups_of(campaign)[0].id,
                          [s.id for s in campaign.subjects])


def issue_on_the_web(client, setup: TicketCampaign, **overrides):
    """The tickets page's issuing form posted: three tickets and a spare for the first subject,
    as a PDF of slips, unless `overrides` say otherwise."""
    path = f"/campaigns/{setup.campaign}/tickets/"
    data = {"csrf_token": csrf_token(client, path), "rater_group": setup.group,
            "subjects": setup.subjects[:1], "count": 3, "spares": 1, "output": "pdf"}
    data.update(overrides)
    return client.post(path, data=data)


def post_subject(client, campaign_id: int, subject_id: int, **fields):
    """Save a subject through its form as an organiser does (multipart, as the page sends
    it): the form's current values, a person's name, a short report and no problems, with
    `fields` (a file as a (stream, name) pair) on top."""
    path = f"/campaigns/{campaign_id}/subjects/{subject_id}"
    page = client.get(path).get_data(as_text=True)
    data = form_values(page)
    data.update({"csrf_token": csrf_token(client, path), "person_name": "述职人1",
                 "report_text": "述职报告正文", "problems": "", **fields})
    return client.post(path, data=data, content_type="multipart/form-data")
