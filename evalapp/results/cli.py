"""`evalapp report`: the same exports as the results page, for scripts and for offices that
file reports from the server itself."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from evalapp.audit.operations import record
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.extensions import db
from evalapp.results.compute import campaign_results
from evalapp.results.exports import EXPORTS


@click.command("report")
@with_appcontext
@click.argument("campaign_id", metavar="CAMPAIGN", type=int)
@click.option("--format", "fmt", type=click.Choice(sorted(EXPORTS)), required=True,
              help="pdf: printable report; xlsx: summary table; csv: anonymised ballots.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              required=True, help="The file to write.")
def report_command(campaign_id: int, fmt: str, output: Path) -> None:
    """Export the results of a closed campaign (CAMPAIGN is its number, as in its address)."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"没有编号为 {campaign_id} 的测评 / no campaign {campaign_id}")
    if campaign.status is not CampaignStatus.CLOSED:
        raise click.ClickException("测评结束后才有结果 / results exist only once the campaign "
                                   "is closed")
    output.write_bytes(EXPORTS[fmt].build(campaign_results(campaign)))
    record("results.export", user=None, campaign=campaign, format=fmt, via="command line")
    db.session.commit()
    click.echo(f"{output} ({output.stat().st_size:,} bytes)")
