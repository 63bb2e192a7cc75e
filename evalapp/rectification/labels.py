"""How the ledger's sources and statuses read, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from evalapp.rectification.models import MeasureStatus, ProblemSource

SOURCE_LABELS = {ProblemSource.PROBLEM_LIST: _l("Problem list"),
                 ProblemSource.RATINGS: _l("Ratings"),
                 ProblemSource.LEADERSHIP: _l("Leadership")}
STATUS_LABELS = {MeasureStatus.PLANNED: _l("Planned"),
                 MeasureStatus.IN_PROGRESS: _l("In progress"),
                 MeasureStatus.DONE: _l("Done")}


def problem_source_label(source: ProblemSource) -> str:
    return str(SOURCE_LABELS[source])


def measure_status_label(status: MeasureStatus) -> str:
    return str(STATUS_LABELS[status])
