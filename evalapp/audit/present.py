"""The audit log as a person reads it: actions in words, details as labelled fields with
names instead of ids, local times. The stored entries keep ids (names change; ids do not),
so names are looked up here, for the entries shown, in one query per kind of thing."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import format_percent, to_user_timezone
from flask_babel import gettext as _

from evalapp.audit.labels import DETAILS, DIRECTIONS, REFUSALS, action_label
from evalapp.audit.models import AuditEntry
from evalapp.extensions import db

TEXT_SHOWN = 80  # characters of a problem's or measure's text
# The detail naming the system user of a console command: shown as who acted (in the detail,
# so that the hash chain covers it as it covers the rest of the entry).
CONSOLE = "console"
_OLD_SCRUTINEERS = re.compile(r"(\d+)/(\d+): (.*)", re.S)


@dataclass(frozen=True)
class AuditLine:
    sequence: int
    at: datetime  # in the organisation's time zone
    user: str  # the user's name now, else (a deleted user) the username the entry keeps
    username: str
    campaign: str
    action: str
    details: tuple[tuple[str, str], ...]  # (label, value), in the order recorded
    mac: str

    def details_text(self) -> str:
        return "; ".join(f"{label}: {value}" for label, value in self.details)


Namer = Callable[[set[int]], dict[int, str]]
"""The names of the things of one kind with these ids, in one query for all of them."""

# The features whose things the entries mention say here how those things are named (and how
# stored values read), when their modules load: the log depends on no feature, every feature
# may record into it, and it shows what each feature says about its own things.
_NAMERS: dict[str, Namer] = {}
_VALUE_LABELS: dict[str, Callable[[str], str | None]] = {}
# Detail keys holding ids, and the kind of thing they name.
_ID_KEYS = {"subject": "subject", "subjects": "subject", "item": "item", "problem": "problem",
            "measure": "measure", "batch": "batch", "batches": "batch"}


def names(kind: str) -> Callable[[Namer], Namer]:
    """Register how things of `kind` ("campaign", "subject", "item", "problem", "measure",
    "group", "batch") are named in the log."""

    def register(namer: Namer) -> Namer:
        _NAMERS[kind] = namer
        return namer

    return register


def value_labels(key: str, label: Callable[[str], str | None]) -> None:
    """Register how a detail's stored value reads (None: as stored)."""
    _VALUE_LABELS[key] = label


def load_names(model: Any, ids: set[int], name: Callable[[Any], str]) -> dict[int, str]:
    """A namer's usual body: the rows of `model` with these ids, each named by `name`."""
    if not ids:
        return {}
    return {row.id: name(row) for row in db.session.scalars(
        sa.select(model).where(model.id.in_(ids)))}


def shortened(text: str) -> str:
    """A problem's or measure's text as the log shows it."""
    return text if len(text) <= TEXT_SHOWN else text[: TEXT_SHOWN - 1] + "…"


class _Names:
    """Names of the things the entries mention, fetched once for all of them."""

    def __init__(self, entries: Sequence[AuditEntry]) -> None:
        wanted: dict[str, set[int]] = {}
        for entry in entries:
            if entry.campaign_id:
                wanted.setdefault("campaign", set()).add(entry.campaign_id)
            for key, value in entry.detail.items():
                values = value if isinstance(value, list) else [value]
                if key in _ID_KEYS:
                    wanted.setdefault(_ID_KEYS[key], set()).update(
                        v for v in values if isinstance(v, int))
                elif key == "allocation" and isinstance(value, dict):
                    wanted.setdefault("group", set()).update(int(g) for g in value)
        self._names = {kind: _NAMERS[kind](ids) for kind, ids in wanted.items()
                       if kind in _NAMERS}

    def of(self, kind: str) -> dict[int, str]:
        return self._names.get(kind, {})


def _named(names: dict[int, str], value: Any) -> str:
    return names.get(value, f"#{value}") if isinstance(value, int) else str(value)


def _value(key: str, value: Any, names: _Names) -> str:
    """One detail's value in words."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in _ID_KEYS:
        named = names.of(_ID_KEYS[key])
        values = value if isinstance(value, list) else [value]
        joiner = ", " if _ID_KEYS[key] == "batch" else "; "
        return joiner.join(_named(named, v) for v in values)
    if key in ("fraction", "void_blank_fraction") and isinstance(value, int | float):
        return format_percent(value, "#,##0.##%")
    if key == "allocation" and isinstance(value, dict):
        return ", ".join(f"{_named(names.of('group'), int(g))} {n}" for g, n in value.items())
    if key == "groups" and isinstance(value, dict):
        return ", ".join(f"{g} {format_percent(w, '#,##0.##%')}" if w is not None else g
                         for g, w in value.items())
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if key == "scrutineers" and isinstance(value, str) and (
            older := _OLD_SCRUTINEERS.fullmatch(value)):
        # entries before the count moved to its own detail: "k/n: names"
        return _("any %(needed)s of %(shares)s: %(names)s", needed=older[1], shares=older[2],
                 names=older[3])
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "、".join(value)
    label = _VALUE_LABELS.get(key)
    if label is not None and isinstance(value, str) and (read := label(value)) is not None:
        return read
    if key == "direction" and value in DIRECTIONS:
        return str(DIRECTIONS[value])
    if key == "reason" and value in REFUSALS:
        return str(REFUSALS[value])
    if key == "roster" and isinstance(value, str):
        return value[:16]
    return str(value)


def _by(entry: AuditEntry) -> str:
    """Who acted: the user's name now (unless the id was deleted and given to someone else),
    else the username the entry keeps, else the system user of a console command."""
    if entry.user and entry.user.username == entry.username:
        return entry.user.display_name
    if entry.username:
        return entry.username
    if isinstance(console := entry.detail.get(CONSOLE), str):
        return _("Console (system user %(name)s)", name=console)
    return ""


def present(entries: Sequence[AuditEntry]) -> list[AuditLine]:
    names = _Names(entries)
    return [AuditLine(
        sequence=entry.sequence,
        at=to_user_timezone(entry.at),
        user=_by(entry),
        username=entry.username or "",
        # (a campaign deleted since, the demo's included, by its number)
        campaign=names.of("campaign").get(entry.campaign_id, f"#{entry.campaign_id}")
        if entry.campaign_id else "",
        action=action_label(entry.action),
        details=tuple((str(DETAILS.get(key, key)), _value(key, value, names))
                      for key, value in entry.detail.items()
                      if value is not None and key != CONSOLE),
        mac=entry.mac,
    ) for entry in entries]
