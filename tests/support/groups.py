"""The rater groups page as an organiser fills it: rows kept, renamed, removed and added."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from evalapp.campaigns.models import RaterGroup
from evalapp.extensions import db
from tests.support.web import csrf_token


@dataclass(frozen=True)
class Row:
    """One row of the page: `group` is an existing group's id, None for a new one."""

    name_zh: str
    weight: str = ""
    group: int | None = None
    remove: bool = False
    name_en: str = ""


def group_ids(app, campaign_id: int) -> list[int]:
    """The campaign's groups' ids, in order."""
    with app.app_context():
        return list(db.session.scalars(sa.select(RaterGroup.id).where(
            RaterGroup.campaign_id == campaign_id).order_by(RaterGroup.position)))


def post_groups(client, campaign_id: int, rows: Sequence[Row], *, add: bool = False):
    """Post the page with `rows`; with `add`, the "Add a group" button instead of "Save"."""
    path = f"/campaigns/{campaign_id}/groups"
    data = {"csrf_token": csrf_token(client, path)}
    for index, row in enumerate(rows):
        data |= {f"groups-{index}-name_zh": row.name_zh, f"groups-{index}-name_en": row.name_en,
                 f"groups-{index}-weight": row.weight,
                 f"groups-{index}-group": "" if row.group is None else str(row.group)}
        if row.remove:
            data[f"groups-{index}-remove"] = "y"
    if add:
        data["add"] = "1"
    return client.post(path, data=data)


def replace_groups(app, client, campaign_id: int, names: Sequence[str],
                   weights: Sequence[str] | None = None):
    """The campaign's groups removed and `names` added instead, with `weights` (percent)."""
    removed = [Row("", group=group, remove=True) for group in group_ids(app, campaign_id)]
    return post_groups(client, campaign_id, removed + [
        Row(name, weight) for name, weight in zip(names, weights or [""] * len(names),
                                                  strict=True)])
