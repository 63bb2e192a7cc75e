"""What a recount checks a campaign against: the digest of its anonymised ballot export,
published when the box is opened, and its printed settings and figures (the recount record,
a JSON file beside the CSV). The recount itself is `analysis.recount`; `evalapp recount`
runs it here against the database or offline against a record.
"""

from __future__ import annotations

import json
import logging

from analysis.recount import (
    FORMAT,
    OTHER_ZH,
    CellSettings,
    Settings,
    SubjectSettings,
    Value,
    digest,
    figure_table,
)
from analysis.rollup import summaries, summaries_as_json
from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.results.ballots_csv import ballots_csv
from evalapp.results.compute import (
    CampaignResults,
    SubjectResults,
    campaign_results,
    shown_figures,
)
from evalapp.spreadsheets import csv_text

log = logging.getLogger(__name__)


def recount_settings(results: CampaignResults) -> Settings:
    """The settings the export is recounted with, as the app applied them."""
    common = len(results.campaign.common_items())
    return Settings(results.rules, common, tuple(
        SubjectSettings(csv_text(r.subject.label_zh()), r.scales, r.has_figures,
                        _cells(r) if r.has_figures else ())
        for r in results.subjects), results.graded, results.nominated)


def _cells(result: SubjectResults) -> tuple[CellSettings, ...]:
    names = {g.id: g.name_zh for g in result.subject.campaign.rater_groups}
    return tuple(
        CellSettings(csv_text(names[cell[0]]) if cell != result.disclosure.merged else OTHER_ZH,
                     settings.population, settings.weight)
        for cell, settings in zip(result.disclosure.cells, result.cells, strict=True))


def published_figures(results: CampaignResults) -> dict[str, Value]:
    """Every published figure the export determines, as the app computed them."""
    return figure_table(recount_settings(results), shown_figures(results.subjects),
                        results.alpha)


def summary_json(results: CampaignResults) -> bytes:
    """What the roll-up of a round reads of the campaign (`analysis.rollup.summaries`): its
    subjects' published figures as its recount record gives them, each with its unit."""
    subjects = summaries(results.campaign.id, [r.subject.unit_id for r in results.subjects],
                         recount_settings(results), published_figures(results))
    return json.dumps(summaries_as_json(subjects), ensure_ascii=False).encode("utf-8")


def export_digest(results: CampaignResults) -> str:
    """The published digest of the campaign's export: the one stored when its box was opened,
    or (a campaign closed before digests were published, or an opening killed before it was
    stored) computed now and stored, once."""
    campaign = results.campaign
    if campaign.ballot_export_sha256 is not None:
        return campaign.ballot_export_sha256
    # Two workers that both find none store the same value: the export is a function of the
    # stored ballots and the frozen settings alone.
    value = campaign.ballot_export_sha256 = digest(ballots_csv(results))
    db.session.commit()  # and no transaction left open (SQLite's compaction follows)
    return value


def publish_digest(_app: object, campaign: Campaign) -> None:
    """Publish the digest of the export of a campaign whose box was just opened (connected to
    `evalapp.ballotbox.operations.box_opened`). A failure here leaves the box opened and the
    digest to `export_digest`, the next time the results are read."""
    try:
        export_digest(campaign_results(campaign))
    except Exception:
        log.exception("publishing the export digest of campaign %s failed", campaign.id)
        db.session.rollback()


def record_json(results: CampaignResults) -> bytes:
    """The recount record: the export's digest, the settings and every published figure, for
    `evalapp recount EXPORT.csv --record RECORD.json` anywhere."""
    return json.dumps({
        "format": FORMAT, "campaign": results.campaign.id,
        "ballot_export_sha256": export_digest(results),
        "settings": recount_settings(results).as_json(),
        "figures": published_figures(results),
    }, ensure_ascii=False, indent=1).encode("utf-8")
