"""`evalapp import-units`: the unit file import of the unit pages, for the first set-up of a
server (before any system administrator can log in) and for scripts."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from evalapp.audit.operations import console_user, record
from evalapp.extensions import db
from evalapp.tabular import TableError, read_rows
from evalapp.units.imports import UnitFileRefused, apply_plan, plan_import
from evalapp.units.models import OrgUnit


@click.command("import-units")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--under", "under", required=True,
              help="The unit (by Chinese name or code) the file's units go under.")
@click.option("--dry-run", is_flag=True, help="Only say what would change.")
def import_units_command(file: Path, under: str, dry_run: bool) -> None:
    """Import a unit tree from FILE (CSV or Excel: 单位名称, 上级单位, 单位代码), as the unit
    pages do; nothing is written while any row has a problem."""
    matches = db.session.scalars(sa.select(OrgUnit).where(
        sa.or_(OrgUnit.name_zh == under, OrgUnit.code == under))).all()
    if len(matches) != 1:
        raise click.ClickException(
            f"找不到唯一的单位“{under}” / no single unit {under!r} ({len(matches)} found)")
    reach = matches[0]
    try:
        plan = plan_import(read_rows(file.name, file.read_bytes()), reach)
    except (TableError, UnitFileRefused) as error:
        raise click.ClickException(error.message()) from None
    if plan.problems:
        for problem in plan.problems:
            click.echo(f"第 {problem.row} 行 / row {problem.row}: {'；'.join(problem.reasons)}",
                       err=True)
        raise click.ClickException("未导入任何单位 / nothing was imported")
    for unit in plan.units:
        click.echo(f"{unit.action:9} {'  ' * unit.depth}{unit.name}")
    if dry_run:
        return
    done = apply_plan(plan)
    record("unit.import", user=None, unit=reach.name_zh, via="command line",
           console=console_user(), **done)
    db.session.commit()
    click.echo("已导入 / imported: " + ", ".join(f"{key} {count}" for key, count in done.items()))
