"""The three separated administrators and a scrutineer beside the organiser's set-up, for the
account and route tests."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from evalapp.auth.models import Role, User
from evalapp.extensions import db
from evalapp.rounds.operations import RoundData, create_round
from evalapp.units.models import OrgUnit
from tests.support.factories import make_user
from tests.support.organiser import Setup, make_setup

ADMINISTRATORS = {"sysadmin": Role.SYSTEM_ADMIN, "secadmin": Role.SECURITY_ADMIN,
                  "auditadmin": Role.AUDIT_ADMIN}


@dataclass(frozen=True)
class AdminSetup:
    setup: Setup
    clerk: int  # a business account of 宁波海关, the administrators' usual target
    root: int  # 海关总署
    customs: int  # 宁波海关
    other_customs: int  # 重庆海关
    round: int  # a round made at 宁波海关


def unit_id(name: str) -> int:
    return db.session.scalar(sa.select(OrgUnit.id).where(OrgUnit.name_zh == name))


def make_admin_setup() -> AdminSetup:
    """`make_setup`'s campaign and staff, a clerk and a scrutineer of 宁波海关, a round made
    there, and the three administrators at 海关总署 (above every customs)."""
    setup = make_setup()
    root, customs = db.session.get_one(OrgUnit, unit_id("海关总署")), unit_id("宁波海关")
    clerk = make_user("clerk", db.session.get_one(OrgUnit, customs), Role.CLERK)
    make_user("scrutineer", db.session.get_one(OrgUnit, customs), Role.SCRUTINEER)
    for username, role in ADMINISTRATORS.items():
        make_user(username, root, role)
    round_ = create_round(db.session.get_one(OrgUnit, customs), RoundData("宁波海关轮次"))
    db.session.commit()
    return AdminSetup(setup, clerk.id, root.id, customs, unit_id("重庆海关"), round_.id)


def account(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))
