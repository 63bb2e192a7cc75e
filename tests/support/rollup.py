"""A round whose campaigns closed with ballots, over `tests.support.rounds`' tree, and the
roll-up recomputed from the member campaigns' recounts, for the roll-up's tests."""

from __future__ import annotations

import random
from collections.abc import Sequence

import sqlalchemy as sa

from analysis.recount import differences, recount
from analysis.rollup import SubjectSummary, summaries
from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.campaigns.models import Campaign, CampaignStatus, Level, Satisfaction, Subject
from evalapp.extensions import db
from evalapp.results.ballots_csv import ballots_csv
from evalapp.results.compute import campaign_results
from evalapp.results.published import published_figures, recount_settings
from evalapp.rounds.models import Round
from evalapp.rounds.operations import instantiate
from evalapp.tickets.operations import issue_tickets
from evalapp.tickets.tokens import new_receipt_code
from tests.support.ballots import BallotContent, insert_ballots

# Ballots per rater group (机关党员, 机关群众, 基层党员, 基层群众) of each branch's campaign, in
# the tree's branch order: small groups a campaign merges, a subject with too few ballots to
# report (the fourth), one campaign left open and one a draft.
PLANS: tuple[tuple[int, ...] | str, ...] = (
    (6, 2, 5, 0), (7, 5, 1, 6), (5, 0, 0, 9), (2, 1, 0, 0),
    (8, 6, 6, 2), (5, 5, 5, 5), "open", "draft")


def close_with_ballots(campaign: Campaign, unit_id: int, counts: Sequence[int],
                       rng: random.Random, *, close: bool = True) -> None:
    """The campaign's one subject (reporting for `unit_id`) rated by `counts[i]` ballots of
    group i (varied levels and satisfaction), then closed (or left open)."""
    subject = Subject(campaign=campaign, unit_id=unit_id, position=1,
                      person_name=f"书记{unit_id}", report_text="述职报告")
    db.session.add(subject)
    db.session.flush()
    items = len(campaign.common_items())
    for group in campaign.rater_groups:  # the attack reads a merged cell's label (English)
        group.name_en = f"Group {group.position}"  # split at its commas
    for group, count in zip(campaign.rater_groups, counts, strict=False):
        if not count:
            continue
        issue_tickets(campaign, group, [subject], count)
    open_campaign(campaign)
    for group, count in zip(campaign.rater_groups, counts, strict=False):
        insert_ballots(campaign.id, group.id, [BallotContent(
            subject.id, [rng.choice(list(Level)) for _ in range(items)],
            rng.choice((Satisfaction.SATISFIED, Satisfaction.SATISFIED,
                        Satisfaction.FAIRLY_SATISFIED, Satisfaction.DISSATISFIED)),
            "", new_receipt_code()) for _ in range(count)])
    if close:
        close_campaign(campaign)


def run_round(round_id: int, branches: Sequence[int], seed: int = 27) -> None:
    """Instantiate the round over `branches` and rate and close each campaign by PLANS."""
    round_ = db.session.get(Round, round_id)
    instantiate(round_, branches)
    rng = random.Random(seed)
    campaigns = {c.unit_id: c for c in db.session.scalars(sa.select(Campaign).where(
        Campaign.round_id == round_id, ~Campaign.is_template))}
    for unit_id, plan in zip(branches, PLANS, strict=True):
        if plan != "draft":
            close_with_ballots(campaigns[unit_id], unit_id, (5, 5, 5, 5) if plan == "open"
                               else plan, rng, close=plan != "open")
    db.session.commit()


def recounted(round_id: int) -> list[SubjectSummary]:
    """Every closed member campaign's subjects as its recount gives them: its anonymised
    export recounted (`analysis.recount`), read as the roll-up reads a campaign."""
    found = []
    for campaign in db.session.scalars(sa.select(Campaign).where(
            Campaign.round_id == round_id, Campaign.status == CampaignStatus.CLOSED)):
        results = campaign_results(campaign)
        settings = recount_settings(results)
        figures = recount(ballots_csv(results), settings).figures
        assert not differences(published_figures(results), figures)  # the recount agrees
        found += summaries(campaign.id, [r.subject.unit_id for r in results.subjects],
                           settings, figures)
    return found
