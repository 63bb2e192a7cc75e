"""Small builders of test data: a unit tree, staff accounts, a campaign with subjects."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from werkzeug.security import generate_password_hash

from evalapp.auth.models import Role, User
from evalapp.campaigns.models import Campaign, IndividualItem, RaterGroup, Subject
from evalapp.campaigns.operations import create_campaign
from evalapp.database import utcnow
from evalapp.extensions import db
from evalapp.units.models import OrgUnit, UnitKind

PASSWORD = "correct horse"


@dataclass(frozen=True)
class World:
    root: OrgUnit
    customs: OrgUnit
    other_customs: OrgUnit


def make_world() -> World:
    root = OrgUnit(kind=UnitKind.ADMINISTRATION, name_zh="海关总署", name_en="GACC")
    customs = OrgUnit(parent=root, kind=UnitKind.DIRECT, name_zh="宁波海关", name_en="Ningbo")
    other = OrgUnit(parent=root, kind=UnitKind.DIRECT, name_zh="重庆海关", name_en="Chongqing")
    db.session.add_all([root, customs, other])
    db.session.flush()
    return World(root=root, customs=customs, other_customs=other)


@cache
def password_hash() -> str:
    """Hashed once per run: a real scrypt hash, without paying for one per test user."""
    return generate_password_hash(PASSWORD)


def make_user(username: str, unit: OrgUnit, role: Role = Role.ORGANISER) -> User:
    user = User(username=username, display_name=username.title(), role=role, unit=unit,
                password_hash=password_hash(), password_changed_at=utcnow())
    db.session.add(user)
    db.session.flush()
    return user


def make_campaign(unit: OrgUnit, title: str = "测试测评", subjects: int = 1) -> Campaign:
    campaign = create_campaign(unit, title)
    for position in range(1, subjects + 1):
        subject = Subject(
            campaign=campaign, unit=unit, position=position, person_name=f"述职人{position}",
            report_text="述职报告正文",
        )
        subject.individual_items = [
            IndividualItem(position=index, text_zh=f"个性化内容{index}") for index in range(1, 5)
        ]
        db.session.add(subject)
    db.session.flush()
    return campaign


def groups_of(campaign: Campaign) -> list[RaterGroup]:
    return list(campaign.rater_groups)


def make_directory_world(directory_username: str) -> World:
    """A unit tree with a local system administrator, "admin" (the emergency account that
    works while the directory is down), and a leader at 宁波海关 whose password is the
    organisation's directory's (or whom its identity provider vouches for)."""
    world = make_world()
    make_user("admin", world.root, Role.SYSTEM_ADMIN)
    db.session.add(User(username=directory_username, display_name=directory_username.title(),
                        role=Role.LEADER, unit=world.customs, directory=True))
    db.session.flush()
    return world
