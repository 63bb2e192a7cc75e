"""The audit log as a person reads it: actions in words, details as labelled fields with
names instead of ids, local times. The stored entries keep ids (names change; ids do not),
so names are looked up here, for the entries shown, in one query per kind of thing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import format_percent, to_user_timezone
from flask_babel import gettext as _

from evalapp.audit.labels import DETAILS, DIRECTIONS, action_label
from evalapp.audit.models import AuditEntry
from evalapp.campaigns.models import Campaign, CommonItem, Subject
from evalapp.extensions import db
from evalapp.i18n import localized
from evalapp.rectification.labels import measure_status_label, problem_source_label
from evalapp.rectification.models import (
    MeasureStatus,
    ProblemSource,
    RectificationMeasure,
    RectificationProblem,
)
from evalapp.roster.models import RaterGroup
from evalapp.tickets.models import TicketBatch

TEXT_SHOWN = 80  # characters of a problem's or measure's text


@dataclass(frozen=True)
class AuditLine:
    at: datetime  # in the organisation's time zone
    user: str
    campaign: str
    action: str
    details: tuple[tuple[str, str], ...]  # (label, value), in the order recorded

    def details_text(self) -> str:
        return "; ".join(f"{label}: {value}" for label, value in self.details)


class _Names:
    """Names of the things the entries mention, fetched once for all of them."""

    def __init__(self, entries: Sequence[AuditEntry]) -> None:
        campaign_ids = {e.campaign_id for e in entries if e.campaign_id}
        self.campaigns = self._load(Campaign, campaign_ids, lambda c: c.title)
        self.subjects = self._load(Subject, self._ids(entries, "subject", "subjects"),
                                   lambda s: f"{localized(s.unit, 'name')} · {s.person_name}")
        self.items = self._load(CommonItem, self._ids(entries, "item"),
                                lambda i: localized(i, "text"))
        self.problems = self._load(RectificationProblem, self._ids(entries, "problem"),
                                   lambda p: _short(p.text))
        self.measures = self._load(RectificationMeasure, self._ids(entries, "measure"),
                                   lambda m: _short(m.text))
        self.groups = self._load(RaterGroup, {int(g) for e in entries
                                              for g in (e.detail.get("allocation") or {})},
                                 lambda g: localized(g, "name"))
        self.batches = self._batch_numbers(campaign_ids)

    @staticmethod
    def _ids(entries: Sequence[AuditEntry], *keys: str) -> set[int]:
        found: set[int] = set()
        for entry in entries:
            for key in keys:
                value = entry.detail.get(key)
                values = value if isinstance(value, list) else [value]
                found.update(v for v in values if isinstance(v, int))
        return found

    @staticmethod
    def _load(model: Any, ids: set[int], name: Any) -> dict[int, str]:
        if not ids:
            return {}
        return {row.id: name(row) for row in db.session.scalars(
            sa.select(model).where(model.id.in_(ids)))}

    @staticmethod
    def _batch_numbers(campaign_ids: set[int]) -> dict[int, int]:
        """Batch id: its number within its campaign, as the tickets page numbers it."""
        rows = db.session.execute(
            sa.select(TicketBatch.id, TicketBatch.campaign_id)
            .where(TicketBatch.campaign_id.in_(campaign_ids)).order_by(TicketBatch.id)).all()
        seen: dict[int, int] = {}
        numbers = {}
        for batch_id, campaign_id in rows:
            seen[campaign_id] = seen.get(campaign_id, 0) + 1
            numbers[batch_id] = seen[campaign_id]
        return numbers


def _short(text: str) -> str:
    return text if len(text) <= TEXT_SHOWN else text[: TEXT_SHOWN - 1] + "…"


def _named(names: dict[int, str], value: Any) -> str:
    return names.get(value, f"#{value}") if isinstance(value, int) else str(value)


def _value(key: str, value: Any, names: _Names) -> str:
    """One detail's value in words."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    as_names = {"subject": names.subjects, "subjects": names.subjects, "item": names.items,
                "problem": names.problems, "measure": names.measures}.get(key)
    if as_names is not None:
        values = value if isinstance(value, list) else [value]
        return "; ".join(_named(as_names, v) for v in values)
    if key in ("batch", "batches"):
        values = value if isinstance(value, list) else [value]
        return ", ".join(str(names.batches.get(v, f"#{v}")) for v in values)
    if key in ("fraction", "void_blank_fraction") and isinstance(value, int | float):
        return format_percent(value, "#,##0.##%")
    if key == "allocation" and isinstance(value, dict):
        return ", ".join(f"{_named(names.groups, int(g))} {n}" for g, n in value.items())
    if key == "groups" and isinstance(value, dict):
        return ", ".join(f"{g} {format_percent(w, '#,##0.##%')}" if w is not None else g
                         for g, w in value.items())
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if key == "status" and value in set(MeasureStatus):
        return measure_status_label(MeasureStatus(value))
    if key == "source" and value in set(ProblemSource):
        return problem_source_label(ProblemSource(value))
    if key == "direction" and value in DIRECTIONS:
        return str(DIRECTIONS[value])
    if key == "roster" and isinstance(value, str):
        return value[:16]
    return str(value)


def present(entries: Sequence[AuditEntry]) -> list[AuditLine]:
    names = _Names(entries)
    return [AuditLine(
        at=to_user_timezone(entry.at),
        user=entry.user.display_name if entry.user else "",
        campaign=names.campaigns.get(entry.campaign_id, "") if entry.campaign_id else "",
        action=action_label(entry.action),
        details=tuple((str(DETAILS.get(key, key)), _value(key, value, names))
                      for key, value in entry.detail.items() if value is not None),
    ) for entry in entries]
