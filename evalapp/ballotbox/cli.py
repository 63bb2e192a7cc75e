"""`evalapp close`: close a campaign and open its box from the server's console, with the
progress printed; the same operation as the organiser's page."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from evalapp.ballotbox.custody import ShareRefused
from evalapp.ballotbox.operations import KeyMissing, close_campaign
from evalapp.ballotbox.scrutineers import is_entrusted
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.extensions import db


@click.command("close")
@with_appcontext
@click.argument("campaign_id", metavar="CAMPAIGN", type=int)
@click.option("--share", "shares", multiple=True,
              help="A scrutineer's share (repeat for each); asked for when needed and absent.")
def close_command(campaign_id: int, shares: tuple[str, ...]) -> None:
    """Close CAMPAIGN (its number, as in its address) and open its ballot box."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status is not CampaignStatus.OPEN:
        raise click.ClickException(f"没有进行中的测评 {campaign_id} / no open campaign "
                                   f"{campaign_id}")
    if is_entrusted(campaign):
        raise click.ClickException(
            f"测评 {campaign_id} 的开箱密钥由监票人保管：请在网页上结束测评，由监票人在各自账户中"
            f"释放密钥份额 / the scrutineers hold the key of campaign {campaign_id}: close it "
            "on its web page, and each scrutineer releases their share from their own account")
    if campaign.box_threshold and not shares:
        shares = tuple(click.prompt(f"监票人密钥份额 / share {n}", hide_input=True)
                       for n in range(1, campaign.box_threshold + 1))

    def progress(done: int, total: int) -> None:
        click.echo(f"开箱 / opening: {done} / {total}")

    try:
        opened = close_campaign(campaign, shares, progress=progress)
    except KeyMissing as missing:
        raise click.ClickException(f"没有开箱密钥文件 / the key file is missing: {missing}. "
                                   "未作任何更改 / nothing was changed.") from None
    except ShareRefused as refused:
        where = f" {refused.position}" if refused.position else ""
        raise click.ClickException(f"密钥份额{where}有误或不足 / share{where}: {refused.reason}."
                                   " 未作任何更改 / nothing was changed.") from None
    click.echo(f"已结束，开箱 {opened.tickets} 张测评票的 {opened.ballots} 张选票 / closed: "
               f"{opened.ballots} ballots of {opened.tickets} tickets")
