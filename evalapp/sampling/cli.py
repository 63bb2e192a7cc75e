"""`evalapp verify-draw`: recompute a recorded draw, from the server's console; the same
checks as the auditors' page. From the database (the roster as stored) or from a draw's
record file as the draw's page exports it (record.json), which needs no database at all."""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from analysis.commitment import LEGACY, check_draw, record_from_json
from evalapp.extensions import db
from evalapp.roster.models import SampleDraw
from evalapp.sampling.operations import DrawNotMade
from evalapp.sampling.verification import Verification, in_words, publication, verification


@click.command("verify-draw")
@with_appcontext
@click.argument("campaign_id", metavar="[CAMPAIGN]", type=int, required=False)
@click.option("--draw", "sequence", type=int, default=None,
              help="The draw's number (1, 2, …); by default the campaign's last draw made.")
@click.option("--record", "record_file", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path),
              help="Check a draw's exported record file (record.json) instead.")
def verify_draw_command(campaign_id: int | None, sequence: int | None,
                        record_file: Path | None) -> None:
    """Check a draw of CAMPAIGN (its number, as in its address), or the record file given
    with --record: exit status 0 when the record matches, 1 when it does not or cannot be
    checked."""
    if (campaign_id is None) == (record_file is None):
        raise click.UsageError("给出测评编号或 --record 文件之一 / give CAMPAIGN or --record")
    if record_file is not None:
        click.echo(f"抽样记录文件 {record_file.name}")
        _report(_from_file(record_file))
        return
    draw = _draw(campaign_id, sequence)
    try:
        result = verification(draw)
    except DrawNotMade:
        raise click.ClickException(
            f"第 {draw.sequence} 次抽样尚未抽取或已作废，无可核验 / draw {draw.sequence} was "
            "not drawn: there is nothing to check") from None
    click.echo(f"测评 {campaign_id} · 第 {draw.sequence} 次抽样")
    if draw.committed:
        click.echo(publication(draw).statement())
    _report(result)


def _draw(campaign_id: int, sequence: int | None) -> SampleDraw:
    query = sa.select(SampleDraw).where(SampleDraw.campaign_id == campaign_id)
    if sequence is None:
        query = query.where(SampleDraw.drawn_at.isnot(None))
    else:
        query = query.where(SampleDraw.sequence == sequence)
    draw = db.session.scalar(query.order_by(SampleDraw.sequence.desc()).limit(1))
    if draw is None:
        raise click.ClickException(f"测评 {campaign_id} 没有这次抽样 / campaign {campaign_id} "
                                   "has no such draw")
    return draw


def _from_file(path: Path) -> Verification:
    try:
        record = record_from_json(json.loads(path.read_text(encoding="utf-8")))
        checks = check_draw(record)
    # (RecursionError: JSON nested deeper than Python's recursion limit)
    except (ValueError, TypeError, AttributeError, RecursionError) as error:
        raise click.ClickException(f"无法读取抽样记录文件 / not a draw record: {error}") from None
    return in_words(checks, legacy=record.scheme == LEGACY)


def _report(result: Verification) -> None:
    for line in result.lines:
        click.echo(f"{'✓' if line.ok else '✗'} {line.text}" + (f"：{line.detail}"
                                                                 if line.detail else ""))
    click.echo(result.verdict())
    if not result.matches:
        raise SystemExit(1)
