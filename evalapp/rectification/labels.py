"""How the ledger's sources and statuses read, in the reader's language, and how its
problems and measures are named in the audit log."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from evalapp.audit.present import load_names, names, shortened, value_labels
from evalapp.rectification.models import (
    MeasureStatus,
    ProblemSource,
    RectificationMeasure,
    RectificationProblem,
)

SOURCE_LABELS = {ProblemSource.PROBLEM_LIST: _l("Problem list"),
                 ProblemSource.RATINGS: _l("Ratings"),
                 ProblemSource.LEADERSHIP: _l("Leadership")}
STATUS_LABELS = {MeasureStatus.PLANNED: _l("Planned"),
                 MeasureStatus.IN_PROGRESS: _l("In progress"),
                 MeasureStatus.DONE: _l("Done")}


def not_a_deadline(value: str) -> str:
    """Why a deadline was refused, saying what is read (the form and the ledger's import)."""
    return _("“%(value)s” is not a deadline: write a day (2026-06-30), a month (2026年6月底), a "
             "quarter (2026年第三季度), a half-year (2026年上半年), the year's end (2026年底) or "
             "长期坚持 for a measure without an end.", value=value)


def problem_source_label(source: ProblemSource) -> str:
    return str(SOURCE_LABELS[source])


def measure_status_label(status: MeasureStatus) -> str:
    return str(STATUS_LABELS[status])


value_labels("status", lambda value: measure_status_label(MeasureStatus(value))
             if value in set(MeasureStatus) else None)
value_labels("source", lambda value: problem_source_label(ProblemSource(value))
             if value in set(ProblemSource) else None)


@names("problem")
def _problem_names(ids: set[int]) -> dict[int, str]:
    return load_names(RectificationProblem, ids, lambda problem: shortened(problem.text))


@names("measure")
def _measure_names(ids: set[int]) -> dict[int, str]:
    return load_names(RectificationMeasure, ids, lambda measure: shortened(measure.text))
