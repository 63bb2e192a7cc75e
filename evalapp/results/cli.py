"""`evalapp report`: the same exports as the results page, for scripts and for offices that
file reports from the server itself."""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from analysis.recount import (
    FORMAT,
    ExportError,
    Settings,
    Value,
    differences,
    digest,
    recount,
)
from evalapp.audit.operations import console_user, record
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.extensions import db
from evalapp.paths import write_private
from evalapp.results.compute import campaign_results
from evalapp.results.exports import EXPORTS
from evalapp.results.published import export_digest, published_figures, recount_settings


@click.command("report")
@with_appcontext
@click.argument("campaign_id", metavar="CAMPAIGN", type=int)
@click.option("--format", "fmt", type=click.Choice(sorted(EXPORTS)), required=True,
              help="pdf: printable report; xlsx: summary table; csv: anonymised ballots.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              required=True, help="The file to write.")
def report_command(campaign_id: int, fmt: str, output: Path) -> None:
    """Export the results of a closed campaign (CAMPAIGN is its number, as in its address)."""
    campaign = _closed(campaign_id)
    write_private(output, EXPORTS[fmt].build(campaign_results(campaign)))
    record("results.export", user=None, campaign=campaign, format=fmt, via="command line",
           console=console_user())
    db.session.commit()
    click.echo(f"{output} ({output.stat().st_size:,} bytes)")


def _closed(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"没有编号为 {campaign_id} 的测评 / no campaign {campaign_id}")
    if campaign.status is not CampaignStatus.CLOSED:
        raise click.ClickException("测评结束后才有结果 / results exist only once the campaign "
                                   "is closed")
    return campaign


@click.command("recount")
@with_appcontext
@click.argument("export", metavar="EXPORT.csv",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--campaign", "campaign_id", type=int,
              help="The campaign to check against, in this server's database (without it and "
                   "without --record: the closed campaign whose published digest the file has).")
@click.option("--record", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A recount record (JSON, downloaded beside the CSV) to check against, "
                   "without the database.")
def recount_command(export: Path, campaign_id: int | None, record: Path | None) -> None:
    """Recount a campaign from its anonymised ballot export: recompute every published figure
    from the file and the campaign's printed settings, check the file against the digest
    published when the box was opened, and say every difference (exit code 1 if any)."""
    data = export.read_bytes()
    if record is not None:
        expected, settings, figures = _record(record)
    else:
        results = campaign_results(_campaign(campaign_id, digest(data)))
        settings, figures = recount_settings(results), published_figures(results)
        expected = export_digest(results)
    try:
        found = recount(data, settings)
    except ExportError as error:
        raise click.ClickException(f"文件不是该测评的匿名测评票导出（第 {error.line} 行）/ not an "
                                   f"export of this campaign: {error}") from error
    problems = 0
    if found.digest == expected:
        click.echo(f"摘要一致 / digest matches: {found.digest}")
    else:
        problems += 1
        click.echo(f"摘要不一致 / digest differs: 公布 published {expected}, "
                   f"文件 file {found.digest}")
    for line, stated, recounted in found.status_rows:
        problems += 1
        click.echo(f"第 {line} 行状态不符合计票规则 / line {line}: status {stated}, "
                   f"the rules give {recounted}")
    changed = differences(figures, found.figures)
    for difference in changed:
        click.echo(f"数字不同 / figure differs: {difference.figure}: 公布 published "
                   f"{difference.published}, 重算 recounted {difference.recounted}")
    problems += len(changed)
    if problems:
        click.echo(f"共 {problems} 处不同 / {problems} differences")
        raise SystemExit(1)
    click.echo(f"{len(figures)} 个公布数字全部重算一致 / all {len(figures)} published figures "
               "recounted alike")


def _campaign(campaign_id: int | None, file_digest: str) -> Campaign:
    """The closed campaign given, or the one whose published digest is the file's."""
    if campaign_id is None:
        campaign = db.session.scalar(
            sa.select(Campaign).where(Campaign.ballot_export_sha256 == file_digest))
        if campaign is None:
            raise click.ClickException(
                "没有哪个测评公布了这个文件的摘要，请用 --campaign 指定测评或用 --record 指定计票"
                "记录 / no campaign published this file's digest: name it with --campaign, or "
                "give its record with --record")
        return campaign
    return _closed(campaign_id)


def _record(path: Path) -> tuple[str, Settings, dict[str, Value]]:
    """The recount record's published digest, settings and figures
    (`evalapp.results.published.record_json`)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, not {FORMAT}")
        return (str(data["ballot_export_sha256"]), Settings.from_json(data["settings"]),
                dict(data["figures"]))
    # (RecursionError: JSON nested deeper than Python's recursion limit)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise click.ClickException(f"无法读取计票记录 / cannot read the record {path}: "
                                   f"{error}") from error
