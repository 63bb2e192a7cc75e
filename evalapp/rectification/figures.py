"""The ledger's figures, from plain facts about measures, so that they can be worked by hand
and tested without a database.

The rectification rate is done ÷ all measures (the seeds' 整改率); the on-time rate is done by
the deadline ÷ all measures, so that a measure still open counts against both. A measure is
overdue when its deadline has passed and it is not done; a measure kept up without an end
(长期坚持: no deadline) is never overdue, and done is on time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class MeasureFacts:
    problem_id: int
    deadline: date | None  # None: open-ended
    completed_on: date | None  # set exactly when the measure is done

    def overdue(self, today: date) -> bool:
        return self.completed_on is None and self.deadline is not None and self.deadline < today

    @property
    def on_time(self) -> bool:
        return self.completed_on is not None and (
            self.deadline is None or self.completed_on <= self.deadline)


@dataclass(frozen=True)
class LedgerFigures:
    problems: int
    measures: int
    done: int
    done_on_time: int
    overdue: int

    @property
    def rectification_rate(self) -> float | None:
        return self.done / self.measures if self.measures else None

    @property
    def on_time_rate(self) -> float | None:
        return self.done_on_time / self.measures if self.measures else None


def ledger_figures(problems: int, measures: Sequence[MeasureFacts], today: date) -> LedgerFigures:
    return LedgerFigures(
        problems=problems,
        measures=len(measures),
        done=sum(m.completed_on is not None for m in measures),
        done_on_time=sum(m.on_time for m in measures),
        overdue=sum(m.overdue(today) for m in measures),
    )


@dataclass(frozen=True)
class ProgressPoint:
    day: date
    due: int  # measures whose deadline is on or before this day (open-ended ones never are)
    done: int  # measures completed on or before this day


def progress(measures: Iterable[MeasureFacts]) -> list[ProgressPoint]:
    """Cumulative measures due and done, on every day something fell due or was done."""
    facts = list(measures)
    days = sorted({m.deadline for m in facts if m.deadline is not None}
                  | {m.completed_on for m in facts if m.completed_on is not None})
    return [ProgressPoint(day, sum(m.deadline is not None and m.deadline <= day for m in facts),
                          sum(m.completed_on is not None and m.completed_on <= day
                              for m in facts))
            for day in days]
