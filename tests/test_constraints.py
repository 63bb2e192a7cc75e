"""Invariants the database itself enforces, whatever code writes to it."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.ballots.models import Ballot
from evalapp.campaigns.models import (
    Campaign,
    CampaignStatus,
    IndividualItem,
    Satisfaction,
)
from evalapp.extensions import db
from evalapp.models import ProblemSource, RectificationMeasure, RectificationProblem, Ticket
from evalapp.tickets.operations import issue_tickets, spend, void_unspent
from evalapp.tickets.tokens import hash_token
from forms.limits import ITEMS_MAX
from tests.support.factories import groups_of, make_campaign, make_world

pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def campaign() -> Campaign:
    world = make_world()
    campaign = make_campaign(world.customs, subjects=2)
    db.session.commit()
    return campaign


def refused(statement_or_callable) -> str:
    """Run it, expect the database to refuse, roll back; return the error text."""
    with pytest.raises((IntegrityError, DBAPIError)) as error:
        statement_or_callable()
        db.session.flush()
        db.session.commit()
    db.session.rollback()
    return str(error.value)


def a_ballot(campaign: Campaign, **overrides) -> Ballot:
    values = {
        "campaign_id": campaign.id,
        "subject_id": campaign.subjects[0].id,
        "rater_group_id": groups_of(campaign)[0].id,
        "satisfaction": Satisfaction.SATISFIED,
        "levels": "0123-" * 5 + "012",
    }
    values.update(overrides)
    return Ballot(**values)


def test_ticket_hash_is_unique(campaign):
    group = groups_of(campaign)[0]
    batch, _ = issue_tickets(campaign, group, campaign.subjects[:1], 1)
    db.session.commit()
    duplicate = Ticket(batch_id=batch.id, token_hash=batch.tickets[0].token_hash)
    refused(lambda: db.session.add(duplicate))
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 1


def test_ticket_hash_must_be_a_sha256_not_a_plain_code(campaign):
    batch, _ = issue_tickets(campaign, groups_of(campaign)[0], campaign.subjects[:1], 1)
    db.session.commit()
    refused(lambda: db.session.add(Ticket(batch_id=batch.id, token_hash="PLAINCODE")))


BALLOT_COLUMNS = {
    # overvoted (issue 25): the verdict on the ballot's own ticket, too many marks for a
    # nomination, found at the opening; it says nothing of the ticket, a person or a time
    "ballots": {"id", "campaign_id", "subject_id", "rater_group_id", "levels", "satisfaction",
                "comment", "overvoted"},
    # a receipt names no ballot (issue 23): it says only whether its ballot is void
    "receipts": {"campaign_id", "code", "void"},
}


def test_ballots_have_no_link_to_tickets_people_addresses_or_time(app):
    """An allow-list: a column added later (a timestamp, an address) fails here until the
    anonymity model is reconsidered."""
    inspector = sa.inspect(db.engine)
    for table, allowed in BALLOT_COLUMNS.items():
        assert {column["name"] for column in inspector.get_columns(table)} == allowed
        referred = {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
        assert referred <= {"campaigns", "subjects", "rater_groups"}, table


def test_a_ballot_cannot_name_another_campaigns_subject(campaign):
    other = make_campaign(campaign.unit, "另一测评")
    db.session.commit()
    refused(lambda: db.session.add(a_ballot(campaign, subject_id=other.subjects[0].id)))


def test_a_ballot_cannot_name_another_campaigns_rater_group(campaign):
    other = make_campaign(campaign.unit, "另一测评")
    db.session.commit()
    refused(lambda: db.session.add(a_ballot(campaign, rater_group_id=groups_of(other)[0].id)))


def test_stored_ballots_are_never_changed(campaign):
    ballot = a_ballot(campaign)
    db.session.add(ballot)
    db.session.commit()
    refused(lambda: setattr(ballot, "satisfaction", Satisfaction.DISSATISFIED))
    refused(lambda: setattr(ballot, "levels", "3" * 28))
    assert db.session.scalar(sa.select(Ballot.satisfaction)) == Satisfaction.SATISFIED


@pytest.mark.parametrize("levels", ["", "0124", "好较好", "0" * 201, "01 3"])
def test_answers_only_take_the_four_levels_or_blank(campaign, levels):
    refused(lambda: db.session.add(a_ballot(campaign, levels=levels)))


def test_campaign_status_moves_only_forward(campaign):
    open_campaign(campaign)
    db.session.commit()
    refused(lambda: setattr(campaign, "status", CampaignStatus.DRAFT))
    close_campaign(campaign)
    db.session.commit()
    message = refused(lambda: setattr(campaign, "status", CampaignStatus.OPEN))
    assert "only forward" in message
    db.session.refresh(campaign)
    assert campaign.status is CampaignStatus.CLOSED


def test_campaign_status_agrees_with_its_timestamps(campaign):
    refused(lambda: setattr(campaign, "status", CampaignStatus.OPEN))  # no opened_at


@pytest.mark.parametrize(
    "setting",
    [
        {"points_good": 100},  # not below 好
        {"points_poor": -1},
        {"min_report_size": 2},  # DOMAIN.md: never below 3
        {"grade_good_min": 95},  # above 好's threshold
        {"void_blank_fraction": 1.0},
        {"trim_above": 1},
    ],
)
def test_scoring_settings_are_checked(campaign, setting):
    refused(lambda: [setattr(campaign, key, value) for key, value in setting.items()])


def test_a_subject_has_at_most_forty_individual_items(campaign):
    subject = campaign.subjects[0]
    refused(lambda: db.session.add(IndividualItem(subject=subject, position=ITEMS_MAX + 1,
                                                  text_zh="第四十一")))


def test_a_spent_ticket_stays_spent_and_a_voided_one_voided(campaign):
    batch, tokens = issue_tickets(campaign, groups_of(campaign)[0], campaign.subjects[:1], 2)
    used, unused = batch.tickets
    assert used.token_hash in {hash_token(token) for token in tokens}
    assert spend(used.token_hash) and not spend(used.token_hash)
    assert void_unspent(batch) == 1
    db.session.commit()
    db.session.expire_all()
    assert (used.spent, used.voided, unused.spent, unused.voided) == (True, False, False, True)
    assert not spend(unused.token_hash)
    refused(lambda: setattr(unused, "voided", False))


def test_a_measure_is_done_only_with_a_completion_date(campaign):
    problem = RectificationProblem(
        subject_id=campaign.subjects[0].id, source=ProblemSource.LEADERSHIP, text="问题"
    )
    db.session.add(problem)
    db.session.commit()
    measure = RectificationMeasure(
        problem=problem, text="措施", responsible_department="政工办", deadline=date(2026, 12, 31)
    )
    db.session.add(measure)
    db.session.commit()
    refused(lambda: setattr(measure, "status", "done"))
    measure.status = "done"
    measure.completed_on = date(2026, 12, 1)
    db.session.commit()
