"""The anonymised ballots as CSV, for anyone who wants to recompute the figures.

Rows are shuffled with the operating system's randomness, so their order tells nothing about
when a ballot was cast. The rows follow the same disclosure rule as the pages: the groups
merged on a subject read "other groups" (其他类别) on that subject's rows, and a subject that
shows counts only has no rows, because its few ballots would be its figures. The file must
not undo the merge.
"""

from __future__ import annotations

import csv
import io
import random

import numpy as np
from flask_babel import gettext as _

from evalapp.campaigns.labels import LEVEL_LABELS, SATISFACTION_LABELS
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
        label = result.subject.label()
        names = {g.group.id: result.group_label(g.group) for g in result.groups}
        reported = {g.group.id for g in result.groups
                    if result.disclosure.cell_of(g.group.id) is not None}
        for index in np.flatnonzero(results.ballots.subject_ids == result.subject.id):
            group = int(results.ballots.group_ids[index])
            name = names[group]
            if name is None:
                continue
            satisfaction = int(results.ballots.satisfaction[index])
            rows.append([
                csv_text(label), csv_text(name), statuses[int(results.status[index])],
                *(levels[level] if level >= 0 else "" for level in results.ballots.levels[index]),
                satisfactions[satisfaction] if satisfaction >= 0 else "",
                csv_text(results.ballots.comments[index] or "") if group in reported else "",
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
