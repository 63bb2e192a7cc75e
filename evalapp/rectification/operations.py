"""Keeping the rectification ledger: problems from their three sources and the measures taken.
Services flush; the request handler commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from evalapp.campaigns.models import Campaign, Subject
from evalapp.extensions import db
from evalapp.i18n import local_date
from evalapp.rectification.figures import LedgerFigures, MeasureFacts, ledger_figures
from evalapp.rectification.models import (
    MeasureStatus,
    ProblemSource,
    RectificationMeasure,
    RectificationProblem,
)
from evalapp.tabular import too_long


@dataclass(frozen=True)
class MeasureInput:
    """`deadline`: the last day it is due, None when open-ended; `deadline_wording`: the
    deadline as written when it is not a single day (see `deadlines.Deadline`)."""

    text: str
    responsible_department: str
    cooperating_departments: str
    deadline: date | None
    status: MeasureStatus
    completion_note: str = ""
    completed_on: date | None = None
    deadline_wording: str = ""


class LedgerError(ValueError):
    """A change the ledger's rules refuse; the reasons are in the reader's language."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = tuple(reasons)


def campaign_start(campaign: Campaign) -> date:
    """The day the campaign was created, in the app's time zone."""
    return local_date(campaign.created_at)


def missing_parts(text: str, responsible_department: str) -> list[str]:
    reasons = []
    if not text.strip():
        reasons.append(_("The measure needs a text."))
    if not responsible_department.strip():
        reasons.append(_("The measure needs a responsible department."))
    return reasons


def measure_problems(campaign: Campaign, data: MeasureInput, today: date) -> list[str]:
    """Why the measure cannot be stored as it is; empty when it can."""
    reasons = missing_parts(data.text, data.responsible_department) + too_long(
        _("The responsible department"), data.responsible_department.strip(),
        RectificationMeasure.responsible_department) + too_long(
        _("The co-operating departments"), data.cooperating_departments.strip(),
        RectificationMeasure.cooperating_departments)
    if data.deadline is None and not data.deadline_wording:
        reasons.append(_("The deadline is missing."))
    reasons += too_long(_("The deadline"), data.deadline_wording,
                        RectificationMeasure.deadline_wording)
    if data.deadline is not None and data.deadline < campaign_start(campaign):
        reasons.append(_("The deadline (%(deadline)s) cannot precede the campaign (%(start)s).",
                         deadline=data.deadline.isoformat(),
                         start=campaign_start(campaign).isoformat()))
    if data.status is MeasureStatus.DONE and data.completed_on is None:
        reasons.append(_("A measure can be done only with its completion date."))
    if data.status is not MeasureStatus.DONE and data.completed_on is not None:
        reasons.append(_("A completion date belongs only to a measure that is done."))
    if data.completed_on is not None and data.completed_on > today:
        reasons.append(_("The completion date cannot be in the future."))
    return reasons


def add_problem(subject: Subject, source: ProblemSource, text: str, *,
                problem_entry_id: int | None = None,
                common_item_id: int | None = None) -> RectificationProblem:
    if not text.strip():
        raise LedgerError([_("The problem needs a text.")])
    problem = RectificationProblem(subject_id=subject.id, source=source, text=text.strip(),
                                   problem_entry_id=problem_entry_id,
                                   common_item_id=common_item_id)
    db.session.add(problem)
    db.session.flush()
    return problem


def save_measure(problem: RectificationProblem, data: MeasureInput, today: date,
                 measure: RectificationMeasure | None = None) -> RectificationMeasure:
    """A new measure of `problem`, or `measure` changed to `data`."""
    campaign = db.session.get(Subject, problem.subject_id).campaign
    reasons = measure_problems(campaign, data, today)
    if reasons:
        raise LedgerError(reasons)
    if measure is None:
        measure = RectificationMeasure(problem=problem)
        db.session.add(measure)
    measure.text = data.text.strip()
    measure.responsible_department = data.responsible_department.strip()
    measure.cooperating_departments = data.cooperating_departments.strip()
    measure.deadline = data.deadline
    measure.deadline_wording = data.deadline_wording
    measure.status = data.status
    measure.completion_note = data.completion_note.strip()
    measure.completed_on = data.completed_on
    db.session.flush()
    return measure


def add_from_problem_list(subject: Subject) -> int:
    """The subject's published problems not yet in the ledger; how many were added."""
    present = set(db.session.scalars(
        sa.select(RectificationProblem.problem_entry_id)
        .where(RectificationProblem.subject_id == subject.id)))
    added = [add_problem(subject, ProblemSource.PROBLEM_LIST, entry.text,
                         problem_entry_id=entry.id)
             for entry in sorted(subject.problems, key=lambda e: e.position)
             if entry.id not in present]
    return len(added)


@dataclass(frozen=True)
class WeakItem:
    text: str
    common_item_id: int | None  # None for an individual item


def add_weakest_items(subject: Subject, items: Iterable[WeakItem]) -> int:
    """Items the results flagged, as problems from the ratings, unless already in the ledger."""
    existing = db.session.scalars(
        sa.select(RectificationProblem).where(
            RectificationProblem.subject_id == subject.id,
            RectificationProblem.source == ProblemSource.RATINGS)).all()
    present = {(p.common_item_id, p.text) for p in existing}
    added = 0
    for item in items:
        text = _("Rated weakest: %(item)s", item=item.text)
        if (item.common_item_id, text) not in present:
            add_problem(subject, ProblemSource.RATINGS, text, common_item_id=item.common_item_id)
            added += 1
    return added


def ledger_of(subject_ids: Sequence[int]) -> list[RectificationProblem]:
    """Problems with their measures, in the order they were entered."""
    return list(db.session.scalars(
        sa.select(RectificationProblem)
        .options(selectinload(RectificationProblem.measures))
        .where(RectificationProblem.subject_id.in_(subject_ids))
        .order_by(RectificationProblem.subject_id, RectificationProblem.id)))


def facts(problems: Iterable[RectificationProblem]) -> list[MeasureFacts]:
    return [MeasureFacts(p.id, m.deadline, m.completed_on)
            for p in problems for m in p.measures]


def figures(problems: Sequence[RectificationProblem], today: date) -> LedgerFigures:
    return ledger_figures(len(problems), facts(problems), today)


def clear_ledger(campaign: Campaign) -> None:
    db.session.execute(sa.delete(RectificationProblem).where(
        RectificationProblem.subject_id.in_([s.id for s in campaign.subjects])))
    db.session.flush()
