"""`evalapp verify-draw`: recompute a recorded draw from the roster as stored, from the
server's console; the same checks as the auditors' page."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from evalapp.extensions import db
from evalapp.roster.models import SampleDraw
from evalapp.sampling.operations import DrawNotMade
from evalapp.sampling.verification import verification


@click.command("verify-draw")
@with_appcontext
@click.argument("campaign_id", metavar="CAMPAIGN", type=int)
@click.option("--draw", "sequence", type=int, default=None,
              help="The draw's number (1, 2, …); by default the campaign's last draw made.")
def verify_draw_command(campaign_id: int, sequence: int | None) -> None:
    """Check a draw of CAMPAIGN (its number, as in its address): exit status 0 when the record
    matches, 1 when it does not or cannot be checked."""
    query = sa.select(SampleDraw).where(SampleDraw.campaign_id == campaign_id)
    if sequence is None:
        query = query.where(SampleDraw.drawn_at.isnot(None))
    else:
        query = query.where(SampleDraw.sequence == sequence)
    draw = db.session.scalar(query.order_by(SampleDraw.sequence.desc()).limit(1))
    if draw is None:
        raise click.ClickException(f"测评 {campaign_id} 没有这次抽样 / campaign {campaign_id} "
                                   "has no such draw")
    try:
        result = verification(draw)
    except DrawNotMade:
        raise click.ClickException(
            f"第 {draw.sequence} 次抽样尚未抽取或已作废，无可核验 / draw {draw.sequence} was "
            "not drawn: there is nothing to check") from None
    click.echo(f"测评 {campaign_id} · 第 {draw.sequence} 次抽样")
    for line in result.lines:
        click.echo(f"{'✓' if line.ok else '✗'} {line.text}" + (f"：{line.detail}"
                                                                 if line.detail else ""))
    click.echo(result.verdict())
    if not result.matches:
        raise SystemExit(1)
