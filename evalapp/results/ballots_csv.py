"""The anonymised ballots as CSV, for anyone who wants to recompute the figures
(`evalapp recount`, `analysis.recount`).

The file is canonical: in Chinese whatever the reader's language, its rows sorted by their
content, so that the same ballots and settings always give the same bytes and `sha256sum` of
the download is the digest published when the box was opened (the exact bytes:
`analysis.recount`). Sorting by content tells nothing about when a ballot was cast, as the
shuffled order of earlier versions did not either. The rows follow the same disclosure rule as
the pages: the groups merged on a subject read 其他类别 on that subject's rows, and a subject
that shows counts only has no rows, because its few ballots would be its figures. The file
must not undo the merge.
"""

from __future__ import annotations

import numpy as np

from analysis.recount import (
    SATISFACTION_ZH,
    STATUS_ZH,
    answer_zh,
    export_bytes,
    export_header,
)
from evalapp.results.compute import BallotStatus, CampaignResults
from evalapp.spreadsheets import csv_text


def ballots_csv(results: CampaignResults) -> bytes:
    campaign = results.campaign
    individual = max((len(s.subject.individual_items) for s in results.subjects), default=0)
    rows = []
    for result in results.subjects:
        label = csv_text(result.subject.label_zh())
        names = {g.group.id: result.group_label(g.group) for g in result.groups}
        reported = {g.group.id for g in result.groups
                    if result.disclosure.cell_of(g.group.id) is not None}
        ballots = results.ballots
        for index in np.flatnonzero(ballots.subject_ids == result.subject.id):
            group = int(ballots.group_ids[index])
            name = names[group]
            if name is None:
                continue
            satisfaction = int(ballots.satisfaction[index])
            # A ballot void for its ticket's too many marks is published as void and no
            # more: only groups voting on paper can have one, so in a merged cell its marks
            # would be a small group's (the recount takes its status from the export anyway).
            shown = results.status[index] != BallotStatus.VOID_OVERVOTE
            rows.append([
                label, csv_text(name), STATUS_ZH[results.status[index]],
                *(answer_zh(scale, code) if shown else "" for scale, code in zip(
                    result.scales, ballots.levels[index], strict=False)),
                *[""] * (ballots.levels.shape[1] - len(result.scales)),
                SATISFACTION_ZH[satisfaction] if satisfaction >= 0 and shown else "",
                csv_text(ballots.comments[index] or "") if group in reported and shown
                else "",
            ])
    return export_bytes(export_header([item.text_zh for item in campaign.common_items()],
                                      individual), rows)
