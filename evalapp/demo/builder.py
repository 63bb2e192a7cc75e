"""Building the demo: the five pilot customs of seed 001, their staff as a roster, and three
campaigns over the same subjects: the two previous years', closed with simulated ballots (so
that the look-back has two rounds to compare from the first run; the later one kept a year of
rectification), and this year's, open with unspent tickets to try on a phone.

Running it again replaces the previous demo (and only the demo: everything it makes is marked
as demo), because the plain ticket codes it prints exist nowhere else.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from evalapp.audit.operations import console_user
from evalapp.auth.models import Role, User
from evalapp.ballotbox.models import BoxKey
from evalapp.ballotbox.operations import close_campaign, open_campaign, seal_ballots
from evalapp.ballotbox.sealing import SealedContent
from evalapp.ballots.models import encode_levels
from evalapp.campaigns.models import Campaign, IndividualItem, ProblemEntry, Subject
from evalapp.campaigns.operations import create_campaign
from evalapp.demo import ballots as simulated
from evalapp.demo.content import ADMINISTRATION, SUBJECTS, DemoSubject
from evalapp.demo.people import invented_names
from evalapp.extensions import db
from evalapp.rectification.models import MeasureStatus
from evalapp.rectification.operations import (
    MeasureInput,
    add_from_problem_list,
    ledger_of,
    save_measure,
)
from evalapp.roster.models import RosterEntry
from evalapp.sampling.operations import DrawRequest, prepare_and_draw
from evalapp.tickets.models import TicketBatch
from evalapp.tickets.operations import issue_tickets, spend
from evalapp.tickets.tokens import new_receipt_code
from evalapp.units.models import OrgUnit, UnitKind

STAFF_PER_UNIT = 200
# Share of each rater group in a unit's staff (party members are about 80%, as in seed 001),
# and how much more or less kindly each group rates.
GROUP_SHARES = (0.22, 0.06, 0.56, 0.16)
GROUP_SHIFTS = (0.04, 0.0, 0.0, -0.07)
SAMPLE_FRACTION = 0.3
RETURN_RATE = 0.9
DEMO_ACCOUNTS = (
    ("organiser", "演示组织者", Role.ORGANISER),
    ("leader", "演示领导", Role.LEADER),
    ("auditor", "演示审计员", Role.AUDITOR),
    ("clerk1", "演示录入员甲", Role.CLERK),
    ("clerk2", "演示录入员乙", Role.CLERK),
    ("scrutineer1", "演示监票人甲", Role.SCRUTINEER),
    ("scrutineer2", "演示监票人乙", Role.SCRUTINEER),
    ("scrutineer3", "演示监票人丙", Role.SCRUTINEER),
    # The three separated administrators (三员分立), one account each.
    ("sysadmin", "演示系统管理员", Role.SYSTEM_ADMIN),
    ("secadmin", "演示安全管理员", Role.SECURITY_ADMIN),
    ("auditadmin", "演示审计管理员", Role.AUDIT_ADMIN),
)


# The closed rounds: title, years before this one, and how much less kindly raters treated
# each subject then than the subject's quality (its secretaries have improved since).
CLOSED_ROUNDS = (
    ("2024年度基层党建工作述职评议考核（演示）", 2, -0.06),
    ("2025年度基层党建工作述职评议考核（演示）", 1, 0.0),
)


@dataclass(frozen=True)
class DemoResult:
    password: str
    closed_campaign_ids: tuple[int, ...]  # earliest first
    open_campaign_id: int
    tickets: tuple[tuple[str, str], ...]  # (subject's unit, plain code) of the open campaign
    issued: tuple[tuple[TicketBatch, list[str]], ...]  # every ticket of the open campaign
    replaced: bool


def build_demo(seed: int = 2016) -> DemoResult:
    rng = np.random.default_rng(seed)
    replaced = remove_demo()
    root, units = _build_units()
    password = secrets.token_urlsafe(9)
    organiser = None
    for username, display_name, role in DEMO_ACCOUNTS:
        user = User(username=username, display_name=display_name, role=role, unit=root)
        user.set_password(password)
        db.session.add(user)
        organiser = organiser or user
    roster = _invent_roster(rng)

    closed = []
    for title, years_ago, shift in CLOSED_ROUNDS:
        campaign, batches = _campaign(root, units, roster, organiser, rng, title)
        open_campaign(campaign)
        _simulate_meeting(campaign, [batch for batch, _ in batches], rng, shift)
        close_campaign(campaign, console=console_user())  # built by `evalapp demo`
        _years_ago(campaign, years_ago)
        closed.append(campaign)
    _keep_ledger(closed[-1], rng)

    current, current_batches = _campaign(
        root, units, roster, organiser, rng, "2026年度基层党建工作述职评议考核（演示）"
    )
    open_campaign(current)
    return DemoResult(
        password=password,
        closed_campaign_ids=tuple(campaign.id for campaign in closed),
        open_campaign_id=current.id,
        tickets=tuple(_first_ticket_per_subject(current_batches)),
        issued=tuple(current_batches),
        replaced=replaced,
    )


def _years_ago(campaign: Campaign, years: int) -> None:
    """An earlier year's campaign dated in its year, so that its ledger has a year of history
    and the rounds close in their order."""
    back = timedelta(days=365 * years)
    campaign.created_at -= back
    campaign.opened_at -= back
    campaign.closed_at -= back


DEPARTMENTS = ("机关党委", "人事处", "办公室", "督察内审处", "综合业务处", "各隶属海关党委")


def _keep_ledger(campaign: Campaign, rng: np.random.Generator) -> None:
    """A year of rectification: each published problem with a measure or two, most done
    (some late), some still open, a few overdue, as a look-back would find them."""
    today = datetime.now(UTC).date()
    start = campaign.created_at.date()
    for subject in campaign.subjects:
        add_from_problem_list(subject)
    for problem in ledger_of([s.id for s in campaign.subjects]):
        for number in range(int(rng.integers(1, 3))):
            deadline = start + timedelta(days=int(rng.integers(30, 330)))
            done = rng.random() < 0.75 and deadline < today + timedelta(days=60)
            completed = min(today, deadline + timedelta(days=int(rng.integers(-40, 25))))
            save_measure(problem, MeasureInput(
                text=f"针对“{problem.text[:18]}”制定整改措施（{number + 1}）",
                responsible_department=str(rng.choice(DEPARTMENTS)),
                cooperating_departments=str(rng.choice(DEPARTMENTS)),
                deadline=deadline,
                status=MeasureStatus.DONE if done else MeasureStatus.IN_PROGRESS,
                completion_note="已按期落实" if done else "",
                completed_on=max(completed, start) if done else None,
            ), today)


def remove_demo() -> bool:
    """Delete everything marked as demo; the database cascades from campaigns downwards, and
    the wrapped key of the demo's open box (kept by the box's public key) goes with it."""
    demo_units = sa.select(OrgUnit.id).where(OrgUnit.is_demo)
    found = db.session.scalar(sa.select(sa.func.count()).select_from(demo_units.subquery()))
    db.session.execute(sa.delete(BoxKey).where(BoxKey.public_key.in_(
        sa.select(Campaign.box_public_key).where(Campaign.is_demo))))
    db.session.execute(sa.delete(Campaign).where(Campaign.is_demo))
    db.session.execute(sa.delete(User).where(User.unit_id.in_(demo_units)))
    child = aliased(OrgUnit)
    while leaves := db.session.scalars(  # leaves first: a unit cannot go before its children
        sa.select(OrgUnit.id).where(
            OrgUnit.is_demo, ~sa.exists().where(child.parent_id == OrgUnit.id)
        )
    ).all():
        db.session.execute(sa.delete(OrgUnit).where(OrgUnit.id.in_(leaves)))
    db.session.expire_all()
    return bool(found)


def _build_units() -> tuple[OrgUnit, list[OrgUnit]]:
    root = OrgUnit(
        kind=UnitKind.ADMINISTRATION,
        name_zh=f"{ADMINISTRATION[0]}（演示）",
        name_en=f"{ADMINISTRATION[1]} (demo)",
        is_demo=True,
    )
    db.session.add(root)
    units = []
    for subject in SUBJECTS:
        unit = OrgUnit(
            parent=root,
            kind=UnitKind.DIRECT,
            name_zh=subject.unit.name_zh,
            name_en=subject.unit.name_en,
            is_demo=True,
        )
        db.session.add(unit)
        db.session.add_all(
            OrgUnit(parent=unit, kind=UnitKind.SUBORDINATE, name_zh=name_zh, name_en=name_en,
                    is_demo=True)
            for name_zh, name_en in subject.unit.subordinates
        )
        units.append(unit)
    db.session.flush()
    return root, units


@dataclass(frozen=True)
class _Person:
    name: str
    staff_number: str
    unit_index: int
    group_index: int


def _invent_roster(rng: np.random.Generator) -> list[_Person]:
    people = []
    for unit_index in range(len(SUBJECTS)):
        names = invented_names(rng, STAFF_PER_UNIT)
        groups = rng.choice(len(GROUP_SHARES), size=STAFF_PER_UNIT, p=GROUP_SHARES)
        people.extend(
            _Person(name, f"D{unit_index + 1}{number:04d}", unit_index, int(group))
            for number, (name, group) in enumerate(zip(names, groups, strict=True), start=1)
        )
    return people


def _campaign(
    root: OrgUnit,
    units: list[OrgUnit],
    roster: list[_Person],
    organiser: User | None,
    rng: np.random.Generator,
    title: str,
) -> tuple[Campaign, list[tuple[TicketBatch, list[str]]]]:
    """A campaign over the five subjects with roster, a recorded draw and tickets: for each
    subject, one ticket per person drawn from that subject's own unit, in their group."""
    campaign = create_campaign(
        root,
        title,
        description="演示数据：试点单位党组书记抓基层党建工作述职评议。",
        is_demo=True,
    )
    groups = campaign.rater_groups
    subjects = [_subject(campaign, position, unit, content)
                for position, (unit, content) in enumerate(zip(units, SUBJECTS, strict=True), 1)]
    db.session.add_all(
        RosterEntry(
            campaign_id=campaign.id,
            rater_group_id=groups[person.group_index].id,
            name=person.name,
            staff_number=person.staff_number,
            unit_name=units[person.unit_index].name_zh,
        )
        for person in roster
    )
    # The demo is the same every time it is built: its secret comes from its generator.
    secret = hashlib.sha256(f"demo-{rng.integers(1 << 30)}".encode()).digest()
    draw = prepare_and_draw(campaign, DrawRequest(fraction=SAMPLE_FRACTION), secret=secret,
                            witness="2026", user=organiser)
    staff_unit = {person.staff_number: person.unit_index for person in roster}
    drawn = np.zeros((len(subjects), len(groups)), dtype=int)
    group_index = {group.id: index for index, group in enumerate(groups)}
    for person in draw.people:
        entry = person.roster_entry
        drawn[staff_unit[entry.staff_number], group_index[entry.rater_group_id]] += 1
    issued = [
        issue_tickets(
            campaign, group, [subject], int(drawn[subject_index, index]),
            draw=draw, user=organiser,
        )
        for subject_index, subject in enumerate(subjects)
        for index, group in enumerate(groups)
        if drawn[subject_index, index]
    ]
    return campaign, issued


def _subject(campaign: Campaign, position: int, unit: OrgUnit, content: DemoSubject) -> Subject:
    subject = Subject(
        campaign=campaign,
        unit=unit,
        position=position,
        person_name=content.secretary,
        post=content.post,
        report_text=content.report,
        problems=[
            ProblemEntry(position=index, text=text)
            for index, text in enumerate(content.problems, start=1)
        ],
    )
    subject.individual_items = [
        IndividualItem(position=index, text_zh=text_zh, text_en=text_en)
        for index, (text_zh, text_en) in enumerate(content.individual_items, start=1)
    ]
    db.session.add(subject)
    db.session.flush()
    return subject


def _simulate_meeting(
    campaign: Campaign, batches: list[TicketBatch], rng: np.random.Generator, shift: float
) -> None:
    """Spend most tickets and seal a ballot into the box for every spent ticket's subject,
    as raters' phones would; `shift` is added to every subject's quality."""
    common_items = campaign.common_items()
    difficulty = rng.normal(0.0, 0.06, size=len(common_items) + 4)
    difficulty[rng.choice(len(common_items), size=4, replace=False)] -= 0.18  # weak spots
    quality = {subject.id: content.quality + shift for subject, content in zip(
        campaign.subjects, SUBJECTS, strict=True)}
    receipts: set[str] = set()
    assert campaign.box_public_key is not None
    for batch in batches:
        tickets = batch.tickets
        subject = batch.subjects[0]
        returned = int(rng.binomial(len(tickets), RETURN_RATE))
        for ticket in tickets[:returned]:
            spend(ticket.token_hash)
        result = simulated.simulate(
            rng,
            returned,
            quality=quality[subject.id],
            group_shift=GROUP_SHIFTS[batch.rater_group.position - 1],
            item_difficulty=difficulty,
        )
        for row in range(returned):
            seal_ballots(campaign.id, campaign.box_public_key, batch.rater_group_id, [
                SealedContent(
                    subject_id=subject.id,
                    levels=encode_levels(list(result.levels[row])),
                    satisfaction=result.satisfaction[row],
                    comment=result.comments[row],
                    receipt_code=_unique_receipt(receipts),
                )])
    db.session.flush()


def _unique_receipt(taken: set[str]) -> str:
    code = new_receipt_code()
    while code in taken:
        code = new_receipt_code()
    taken.add(code)
    return code


def _first_ticket_per_subject(
    issued: list[tuple[TicketBatch, list[str]]],
) -> list[tuple[str, str]]:
    """One plain code per subject, for the newcomer to open on a phone."""
    first: dict[int, tuple[str, str]] = {}
    for batch, tokens in issued:
        subject = batch.subjects[0]
        first.setdefault(subject.id, (subject.unit.name_zh, tokens[0]))
    return list(first.values())
