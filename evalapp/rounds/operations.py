"""Making a round, instantiating it over units, and carrying a change of its design to the
campaigns made from it. Functions flush; the caller commits.

Written for rounds of thousands of campaigns (one over every 党支部 of the administration is
3,800, `bench/rounds.py`): instantiating and propagating issue a fixed number of bulk
statements (executemany INSERTs with RETURNING, UPDATEs and DELETEs over the round's drafts),
never an ORM object graph a campaign."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from evalapp.campaigns.models import (
    SCORING_FIELDS,
    Campaign,
    CampaignStatus,
    CommonItem,
    GradingSettings,
    IndividualItem,
    NominationSettings,
    RaterGroup,
    Scale,
    Section,
    Subject,
    random_receipts_key,
)
from evalapp.campaigns.operations import create_campaign, groups_fixed, groups_in_use
from evalapp.database import utcnow
from evalapp.extensions import db
from evalapp.rounds.models import Round
from evalapp.units.models import OrgUnit
from evalapp.units.operations import offered, subtree_ids

# A campaign's own columns that are the round's design: the scoring settings and whether
# the ballot asks the satisfaction with the report. The others are the campaign's own (its
# unit, status, ballot box, receipts) or the round's (the title).
DESIGN_COLUMNS = (*SCORING_FIELDS, "asks_satisfaction")
# The rows of a campaign's rules (干部考核, 民主推荐), one a campaign or none (the defaults).
RULE_TABLES = (GradingSettings.__table__, NominationSettings.__table__)


@dataclass(frozen=True)
class RoundData:
    """A round as its form gives it: the title its campaigns take, and the planned dates of
    opening and closing (either may be None: not planned yet)."""

    title: str
    opens_on: date | None = None
    closes_on: date | None = None


def create_round(unit: OrgUnit, data: RoundData) -> Round:
    """A round made at `unit`, with its template: a draft of the default questionnaire and
    rater groups (`create_campaign`), edited with the campaign editors like any draft."""
    round_ = Round(unit=unit, title=data.title, opens_on=data.opens_on,
                   closes_on=data.closes_on)
    db.session.add(round_)
    db.session.flush()
    template = create_campaign(unit, data.title)
    template.round_id, template.is_template = round_.id, True
    db.session.flush()
    return round_


def save_round(round_: Round, data: RoundData) -> None:
    """Retitle and reschedule the round. The title reaches its template and its campaigns
    not opened yet; an opened one keeps the title its ballots and results were given."""
    round_.title, round_.opens_on, round_.closes_on = data.title, data.opens_on, data.closes_on
    db.session.execute(sa.update(Campaign.__table__).where(
        Campaign.__table__.c.id.in_(_drafts(round_).union(
            sa.select(Campaign.id).where(Campaign.round_id == round_.id,
                                         Campaign.is_template)))).values(title=data.title))
    db.session.flush()
    db.session.expire_all()


def rounds_of(unit_id: int) -> list[Round]:
    """The rounds made at the unit or below it, newest first: those its organisers manage."""
    return list(db.session.scalars(
        sa.select(Round).where(Round.unit_id.in_(subtree_ids(unit_id)))
        .order_by(Round.created_at.desc(), Round.id.desc())))


def units_below(round_: Round) -> list[tuple[OrgUnit, int]]:
    """The units a round may be instantiated over, with their depth under its unit (1 for a
    unit just below): every unit below the round's unit, those retired (and below them) left
    out, as `offered` gives them."""
    return [(unit, depth) for unit, depth in offered(round_.unit_id) if depth > 0]


@dataclass(frozen=True)
class Design:
    """A template's design as rows to write into other campaigns, column values by column
    name without the keys to their owner: the campaign's `DESIGN_COLUMNS`, its sections each
    with its common items, its rater groups, and its rules (table, row) where it has them."""

    settings: dict[str, Any]
    sections: tuple[tuple[dict[str, Any], tuple[dict[str, Any], ...]], ...]
    groups: tuple[dict[str, Any], ...]
    rules: tuple[tuple[sa.Table, dict[str, Any]], ...]

    def nomination(self) -> bool:
        """Whether the questionnaire is a nomination ballot, which has no individual items
        (`campaigns.operations.make_nomination_ballot`)."""
        return any(item["scale"] is Scale.NOMINATION
                   for _section, items in self.sections for item in items)


def _row(record: object, *owner: str) -> dict[str, Any]:
    """A mapped row's column values by column name, without its id and the `owner` keys."""
    return {attr.columns[0].name: getattr(record, attr.key)
            for attr in sa.inspect(record).mapper.column_attrs
            if attr.key not in {"id", *owner}}


def design_of(template: Campaign) -> Design:
    """The campaign's design as it stands in the session, as rows to write elsewhere."""
    rules = ((table, _row(rule, "campaign_id")) for table, rule in zip(
        RULE_TABLES, (template.grading, template.nomination), strict=True) if rule is not None)
    return Design(
        settings={name: getattr(template, name) for name in DESIGN_COLUMNS},
        sections=tuple((_row(section, "campaign_id"),
                        tuple(_row(item, "section_id") for item in section.items))
                       for section in template.sections),
        groups=tuple(_row(group, "campaign_id") for group in template.rater_groups),
        rules=tuple(rules))


def _write_questionnaire(design: Design, campaign_ids: Sequence[int]) -> None:
    """The design's rules, sections and items into campaigns that have none."""
    for table, rule in design.rules:
        db.session.execute(sa.insert(table), [{**rule, "campaign_id": campaign_id}
                                              for campaign_id in campaign_ids])
    sections, items = Section.__table__, CommonItem.__table__
    rows = [{**section, "campaign_id": campaign_id}
            for campaign_id in campaign_ids for section, _items in design.sections]
    if not rows:  # a questionnaire keeps a section (the editors remove none)
        return
    ids = db.session.execute(
        sa.insert(sections).returning(sections.c.id, sort_by_parameter_order=True),
        rows).scalars().all()
    db.session.execute(sa.insert(items), [
        {**item, "section_id": section_id}
        for section_id, (_section, section_items) in zip(
            ids, itertools.cycle(design.sections), strict=False)
        for item in section_items])


@dataclass(frozen=True)
class Plan:
    """What instantiating over the units chosen does: a campaign for each unit of `new`;
    `existing`, the units chosen that have one of the round already, left as they are."""

    new: tuple[int, ...]
    existing: int


class UnitsRefused(ValueError):
    """Units chosen that are not below the round's unit or are retired (their ids)."""

    def __init__(self, unit_ids: Collection[int]) -> None:
        super().__init__(", ".join(map(str, sorted(unit_ids))))


def plan(round_: Round, unit_ids: Collection[int] | None = None) -> Plan:
    """The plan of `instantiate` over `unit_ids` (default: every unit of `units_below`).
    Raises UnitsRefused."""
    below = {unit.id for unit, _depth in units_below(round_)}
    chosen = below if unit_ids is None else set(unit_ids)
    if not chosen <= below:
        raise UnitsRefused(chosen - below)
    have = set(db.session.scalars(sa.select(Campaign.unit_id).where(
        Campaign.round_id == round_.id)))
    return Plan(tuple(sorted(chosen - have)), len(chosen & have))


def _lock(round_: Round) -> None:
    """Take the round's row for this transaction: instantiating and propagating one round
    happen one after the other (PostgreSQL; SQLite writes one transaction at a time), so
    that neither meets the other's campaigns half made."""
    db.session.execute(sa.select(Round.id).where(Round.id == round_.id).with_for_update())


def instantiate(round_: Round, unit_ids: Collection[int] | None = None) -> Plan:
    """One draft campaign of the round for each unit of `unit_ids` (default: every unit of
    `units_below`), its design copied from the template; its subjects, roster and tickets are
    its unit's organisers' to add. A unit that has a campaign of the round already is skipped
    (the database holds one a unit: `Campaign`'s unique (round_id, unit_id)), so that
    instantiating again over more units adds theirs alone. The plan carried out; raises
    UnitsRefused."""
    _lock(round_)
    planned = plan(round_, unit_ids)
    if not planned.new:
        return planned
    template = round_.template
    design = design_of(template)
    now = utcnow()
    campaigns = Campaign.__table__
    ids = db.session.execute(
        sa.insert(campaigns).returning(campaigns.c.id, sort_by_parameter_order=True),
        [{"unit_id": unit_id, "title": round_.title, "description": "",
          "status": CampaignStatus.DRAFT, "is_demo": template.is_demo, "created_at": now,
          "receipts_key": random_receipts_key(), "round_id": round_.id, "is_template": False,
          **design.settings} for unit_id in planned.new]).scalars().all()
    _write_questionnaire(design, ids)
    db.session.execute(sa.insert(RaterGroup.__table__), [
        {**group, "campaign_id": campaign_id} for campaign_id in ids
        for group in design.groups])
    return planned


@dataclass(frozen=True)
class Propagated:
    """What a change of the template reached: `updated`, the round's drafts whose
    questionnaire, scoring and rules are now the template's; `groups_kept`, those of them
    whose rater groups could not follow (see `propagate`)."""

    updated: int
    groups_kept: tuple[Campaign, ...]


def _drafts(round_: Round) -> sa.Select[tuple[int]]:
    """The ids of the round's campaigns not opened yet, its template apart."""
    return sa.select(Campaign.id).where(Campaign.round_id == round_.id, ~Campaign.is_template,
                                        Campaign.status == CampaignStatus.DRAFT)


def propagate(round_: Round) -> Propagated:
    """Make the design of every campaign of the round still a draft the template's, as it
    stands in this transaction; opened and closed ones are never touched (their ballots
    were cast on theirs).

    A draft's questionnaire (sections and common items), scoring settings, rules and
    satisfaction question are replaced whole: nothing of a draft is keyed to them (its
    individual items belong to its subjects and stay, but for a nomination ballot, which has
    none). Its rater groups follow by position, keeping their rows, so that roster people
    and tickets stay with the group at their place: renamed and reweighted always (as the
    groups page allows under a draw), while adding or removing groups reaches a draft only
    when no sample draw covers its groups (`groups_fixed`) and no roster person or ticket
    belongs to a group to remove (`groups_in_use`). A draft where either holds keeps all its
    groups as they are and is named in `groups_kept`, for its organisers to set aside the draw
    or re-import the roster, and the template to be saved again."""
    db.session.flush()
    db.session.expire_all()  # what the editors changed, read afresh
    design = design_of(round_.template)
    _lock(round_)
    drafts = _drafts(round_)
    # the drafts' rows, taken until the commit: opening one writes its row, so a draft being
    # opened meanwhile is either opened first (and left out here, its status read again
    # once its lock is released) or opened after this commits, with the new design
    ids = db.session.scalars(drafts.with_for_update()).all()
    if not ids:
        return Propagated(0, ())
    campaigns = Campaign.__table__
    db.session.execute(sa.update(campaigns).where(campaigns.c.id.in_(drafts))
                       .values(**design.settings))
    db.session.execute(sa.delete(Section.__table__).where(
        Section.__table__.c.campaign_id.in_(drafts)))  # the database cascades to the items
    for table in RULE_TABLES:
        db.session.execute(sa.delete(table).where(table.c.campaign_id.in_(drafts)))
    _write_questionnaire(design, ids)
    if design.nomination():
        db.session.execute(sa.delete(IndividualItem.__table__).where(
            IndividualItem.__table__.c.subject_id.in_(
                sa.select(Subject.id).where(Subject.campaign_id.in_(drafts)))))
    kept = _follow_groups(design, drafts, ids)
    db.session.expire_all()
    return Propagated(len(ids), tuple(kept))


def _follow_groups(design: Design, drafts: sa.Select[tuple[int]],
                   ids: Sequence[int]) -> list[Campaign]:
    """Give the drafts (`ids`) the design's rater groups by position, as `propagate` says;
    the drafts whose groups stay as they were."""
    wanted = len(design.groups)
    counts = dict.fromkeys(ids, 0) | dict(db.session.execute(
        sa.select(RaterGroup.campaign_id, sa.func.count())
        .where(RaterGroup.campaign_id.in_(drafts)).group_by(RaterGroup.campaign_id)).all())
    kept = []
    for campaign_id, count in counts.items():
        if count == wanted:
            continue
        campaign = db.session.get_one(Campaign, campaign_id)
        removed = [group for group in campaign.rater_groups if group.position > wanted]
        if any(answer for _receiver, answer in groups_fixed.send(campaign)) or (
                groups_in_use(removed)):
            kept.append(campaign)
    groups = RaterGroup.__table__
    reach = drafts.where(Campaign.id.not_in([campaign.id for campaign in kept]))
    db.session.execute(sa.delete(groups).where(groups.c.campaign_id.in_(reach),
                                               groups.c.position > wanted))
    # each name out of the way first: (campaign, name) is unique, and a group may take the
    # name another one has now
    db.session.execute(sa.update(groups).where(groups.c.campaign_id.in_(reach)).values(
        name_zh=sa.literal(" ", sa.String) + sa.cast(groups.c.id, sa.String)))
    for group in design.groups:
        db.session.execute(sa.update(groups).where(
            groups.c.campaign_id.in_(reach), groups.c.position == group["position"])
            .values(**group))
    kept_ids = {campaign.id for campaign in kept}
    added = [{**group, "campaign_id": campaign_id} for campaign_id, count in counts.items()
             if campaign_id not in kept_ids for group in design.groups[count:]]
    if added:
        db.session.execute(sa.insert(groups), added)
    return kept


@dataclass(frozen=True)
class Member:
    """A campaign of the round, with its number of subjects, for the round's page."""

    campaign: Campaign
    subjects: int


def members(round_: Round) -> list[Member]:
    """The round's campaigns, its template apart, in unit order (one query, whatever their
    number)."""
    rows = db.session.execute(
        sa.select(Campaign, sa.func.count(Subject.id)).outerjoin(Subject)
        .where(Campaign.round_id == round_.id, ~Campaign.is_template)
        .group_by(Campaign.id).order_by(Campaign.unit_id)
        .options(selectinload(Campaign.unit))).all()
    return [Member(campaign, subjects) for campaign, subjects in rows]
