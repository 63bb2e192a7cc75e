"""The anonymised ballots as CSV, for anyone who wants to recompute the figures.

Rows are shuffled with the operating system's randomness, so their order tells nothing about
when a ballot was cast. A rater group suppressed on a subject is not named on that subject's
rows (they read "other groups"), and their opinions are left out, exactly as on the pages: the
file must not undo the suppression.
"""

from __future__ import annotations

import csv
import io
import random

import numpy as np
from flask_babel import gettext as _

from evalapp.campaigns.labels import LEVEL_LABELS, SATISFACTION_LABELS
from evalapp.i18n import localized
from evalapp.results.charts import subject_label
from evalapp.results.compute import BallotStatus, CampaignResults
from evalapp.spreadsheets import csv_text

BOM = "\ufeff"  # lets Excel open the UTF-8 file as UTF-8


def status_labels() -> dict[int, str]:
    return {
        BallotStatus.COUNTED: _("valid"),
        BallotStatus.VOID_BLANK: _("void: too many blanks"),
        BallotStatus.VOID_UNIFORM: _("void: uniform answers"),
        BallotStatus.TRIMMED: _("valid, dropped as highest or lowest"),
    }


def ballots_csv(results: CampaignResults) -> str:
    campaign = results.campaign
    common = campaign.common_items()
    individual = max((len(s.subject.individual_items) for s in results.subjects), default=0)
    levels = [str(label) for label in LEVEL_LABELS.values()]
    satisfactions = [str(label) for label in SATISFACTION_LABELS.values()]
    statuses = status_labels()
    rows = []
    for result in results.subjects:
        label = subject_label(result)
        names = {g.group.id: (str(_("other groups")) if g.suppressed
                              else localized(g.group, "name"))
                 for g in result.groups}
        shown = {g.group.id for g in result.groups
                 if not g.suppressed and g.valid >= campaign.min_report_size}
        for index in np.flatnonzero(results.ballots.subject_ids == result.subject.id):
            group = int(results.ballots.group_ids[index])
            satisfaction = int(results.ballots.satisfaction[index])
            rows.append([
                csv_text(label), csv_text(names[group]), statuses[int(results.status[index])],
                *(levels[level] if level >= 0 else "" for level in results.ballots.levels[index]),
                satisfactions[satisfaction] if satisfaction >= 0 else "",
                csv_text(results.ballots.comments[index] or "") if group in shown else "",
            ])
    random.SystemRandom().shuffle(rows)
    header = [_("Subject"), _("Rater group"), _("Status"),
              *(f"{n}. {item.text_zh}" for n, item in enumerate(common, start=1)),
              *(_("Individual item %(n)d", n=n) for n in range(1, individual + 1)),
              _("Overall satisfaction"), _("Opinion")]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return BOM + buffer.getvalue()
