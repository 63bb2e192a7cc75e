"""`evalapp close`: close a campaign and open its box from the server's console, with the
progress printed; the same operation as the organiser's page.

Closing cannot be undone, and a mistyped number names another campaign: the command shows
what it is about to close (title, unit, tickets) and asks, unless given `--yes`; without a
terminal to ask at and without `--yes` it refuses."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from evalapp.audit.operations import console_user
from evalapp.ballotbox.custody import ShareRefused
from evalapp.ballotbox.keystore import KeyMissing
from evalapp.ballotbox.operations import close_campaign, sealed_count
from evalapp.ballotbox.scrutineers import is_entrusted
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.extensions import db
from evalapp.tickets.counts import being_keyed, response_counts


@click.command("close")
@with_appcontext
@click.argument("campaign_id", metavar="CAMPAIGN", type=int)
@click.option("--share", "shares", multiple=True,
              help="A scrutineer's share (repeat for each); asked for when needed and absent.")
@click.option("--yes", is_flag=True,
              help="Close without asking (for scripts); without it the command asks first.")
def close_command(campaign_id: int, shares: tuple[str, ...], yes: bool) -> None:
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
    click.echo(summary(campaign))
    if not yes:
        if not interactive():
            raise click.ClickException(
                "没有终端可以确认：核对上面的测评后加 --yes 再运行 / no terminal to confirm "
                "at: check the campaign above, then run again with --yes. 未作任何更改 / "
                "nothing was changed.")
        if not click.confirm("结束这个测评并开箱？此操作不可撤销 / close this campaign and "
                             "open its ballot box? This cannot be undone"):
            click.echo("未结束，未作任何更改 / not closed; nothing was changed.")
            return
    if campaign.box_threshold and not shares:
        shares = tuple(click.prompt(f"监票人密钥份额 / share {n}", hide_input=True)
                       for n in range(1, campaign.box_threshold + 1))

    def progress(done: int, total: int) -> None:
        click.echo(f"开箱 / opening: {done} / {total}")

    try:
        opened = close_campaign(campaign, shares, progress=progress, console=console_user())
    except KeyMissing as missing:
        raise click.ClickException(
            ("本服务器的密钥加密密钥打不开此投票箱的密钥，各服务器须配置同一个 "
             "EVALAPP_KEY_ENCRYPTION_KEY / this server's key-encryption key does not open the "
             "box's key: every server must have the same EVALAPP_KEY_ENCRYPTION_KEY"
             if missing.reason == "foreign" else
             "数据库中没有开箱密钥 / the box's key is not in the database")
            + "。未作任何更改 / nothing was changed.") from None
    except ShareRefused as refused:
        where = f" {refused.position}" if refused.position else ""
        raise click.ClickException(f"密钥份额{where}有误或不足 / share{where}: {refused.reason}."
                                   " 未作任何更改 / nothing was changed.") from None
    click.echo(f"已结束，开箱 {opened.tickets} 张测评票的 {opened.ballots} 张选票 / closed: "
               f"{opened.ballots} ballots of {opened.tickets} tickets")


def interactive() -> bool:
    """Whether a person at a terminal can answer the question."""
    return sys.stdin.isatty()


def summary(campaign: Campaign) -> str:
    """What `close` is about to close, in both languages."""
    returns = response_counts(campaign).total
    keying = being_keyed(campaign)
    lines = [
        f"测评 / campaign {campaign.id}：{campaign.title}",
        f"单位 / unit：{campaign.unit.name_zh}",
        f"发出测评票 / tickets issued：{returns.issued}；已交回 / returned：{returns.returned}；"
        f"投票箱中 / sealed in the box：{sealed_count(campaign.id)}",
    ]
    if keying:
        lines.append(f"正在录入的纸质票 / paper ballots being keyed：{keying}（结束后不计入 / "
                     "left out once closed）")
    return "\n".join(lines)
