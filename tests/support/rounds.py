"""A three-level tree below 海关总署 with a round made at the top, for the rounds' tests."""

from __future__ import annotations

from dataclasses import dataclass

from evalapp.extensions import db
from evalapp.rounds.operations import RoundData, create_round
from evalapp.units.models import OrgUnit, UnitKind
from tests.support.factories import make_user, make_world


@dataclass(frozen=True)
class Tree:
    """海关总署 → 宁波海关, 重庆海关 → two 隶属海关 each → two 党支部 each (14 units below the
    root), and a round made at the root."""

    round_id: int
    root: int
    direct: tuple[int, ...]
    subordinate: tuple[int, ...]
    branches: tuple[int, ...]


def make_tree() -> Tree:
    world = make_world()
    subordinate, branches = [], []
    for customs in (world.customs, world.other_customs):
        for n in (1, 2):
            office = OrgUnit(parent=customs, kind=UnitKind.SUBORDINATE,
                             name_zh=f"{customs.name_zh}隶属{n}")
            db.session.add(office)
            subordinate.append(office)
            for m in (1, 2):
                branch = OrgUnit(parent=office, kind=UnitKind.BRANCH, name_zh=f"第{m}党支部")
                db.session.add(branch)
                branches.append(branch)
    db.session.flush()
    make_user("organiser", world.root)
    make_user("below", world.customs)
    round_ = create_round(world.root, RoundData("2026年度党支部书记述职评议"))
    db.session.commit()
    return Tree(round_.id, world.root.id, (world.customs.id, world.other_customs.id),
                tuple(u.id for u in subordinate), tuple(u.id for u in branches))
