"""The `evalapp` command line: serve, worker, demo, create-user, backup, restore, report, close,
verify-draw, audit verify, import-units (and Flask-Migrate's `db`)."""

from __future__ import annotations

import shutil
import signal
import threading
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from evalapp.api.cli import create_token_command
from evalapp.audit.cli import audit_group
from evalapp.auth.models import Role, User, WeakPassword
from evalapp.backup import BackupError, backup, restore
from evalapp.ballotbox.cli import close_command
from evalapp.ballotbox.closing import settle_interrupted
from evalapp.ballotbox.keystore import destroy_legacy_key_files
from evalapp.ballotbox.operations import custody_notes
from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.jobs import worker
from evalapp.netaddr import base_url, lan_address
from evalapp.paths import write_private
from evalapp.results.cli import recount_command, report_command
from evalapp.results.store import prepare_unprepared
from evalapp.sampling.cli import verify_draw_command
from evalapp.schema import SchemaNotCurrent, ensure_schema_current, upgrade_schema
from evalapp.tickets.sheets import faces_for, ticket_sheet_pdf
from evalapp.units.models import OrgUnit, UnitKind
from evalapp.unittree.cli import import_units_command

DEMO_SHEET = "demo-tickets.pdf"
ALL_INTERFACES = ("0.0.0.0", "::", "")
# The demo's accounts as `evalapp demo` lists them (evalapp.demo.builder.DEMO_ACCOUNTS).
DEMO_LOGINS = (
    ("组织者 / organiser:", "organiser"),
    ("领导 / leader:", "leader"),
    ("审计 / auditor:", "auditor"),
    ("录入员 / clerks:", "clerk1, clerk2"),
    ("监票人 / scrutineers:", "scrutineer1, scrutineer2, scrutineer3"),
    ("系统管理员 / system administrator:", "sysadmin"),
    ("安全管理员 / security administrator:", "secadmin"),
    ("审计管理员 / audit administrator:", "auditadmin"),
)


def listening_addresses(host: str, port: int) -> list[str]:
    """The addresses a server bound to `host` answers on: loopback and the LAN address for
    all interfaces, else only the one it was given."""
    if host in ALL_INTERFACES:
        return [f"http://127.0.0.1:{port}", f"http://{lan_address()}:{port}"]
    return [f"http://{f'[{host}]' if ':' in host else host}:{port}"]


@click.command("serve")
@with_appcontext
@click.option("--host", default="0.0.0.0", show_default=True,
              help="Interface to listen on; 0.0.0.0 lets phones on the network connect.")
@click.option("--port", type=int, default=None,
              help="Port to listen on  [default: EVALAPP_PORT, else 5000]")
@click.option("--threads", default=16, show_default=True)
def serve_command(host: str, port: int | None, threads: int) -> None:
    """Migrate the database and serve the app with Waitress (also on Windows), with limits
    that let a whole room hold its connections (evalapp.serving)."""
    from waitress import serve

    from evalapp.serving import WAITRESS, cannot_listen, raise_open_files_limit

    app = current_app._get_current_object()
    port = port or app.config["PORT"]
    if (refused := cannot_listen(host, port)) is not None:  # said in a line, before any work
        raise click.ClickException(
            f"无法监听端口 {port}（{refused.strerror}）：可能另一个程序（或另一个 evalapp）"
            f"正在使用它；请用 --port 换一个端口 / cannot listen on port {port} "
            f"({refused.strerror}): another program, or another evalapp, may be using it; "
            "choose another with --port")
    upgrade_schema(app)
    destroy_legacy_key_files()  # after the migration's commit (migration 0019)
    # Charts and exports were kept here before migration 0021: they are in the database now.
    shutil.rmtree(Path(app.instance_path) / "results", ignore_errors=True)
    settle_interrupted()  # closings a dead process left mid-way
    prepare_unprepared()  # results whose preparation an ended process cut short
    db.session.remove()  # the requests have sessions of their own
    for address in dict.fromkeys(listening_addresses(host, port)):
        click.echo(f"evalapp: 请在浏览器中打开 / open {address}/")
    if app.config.get("BASE_URL"):
        click.echo(f"evalapp: 测评票指向 / tickets point to {base_url(app, port)}/")
    raise_open_files_limit()
    serve(app, host=host, port=port, threads=threads, **WAITRESS)


@click.command("worker")
@with_appcontext
@click.option("--threads", default=2, show_default=True,
              help="Jobs run at once (each a thread; a chart or a report takes one core).")
def worker_command(threads: int) -> None:
    """Run the background jobs (opening boxes, building results) from the queue at
    EVALAPP_JOB_BROKER_URL until stopped (Ctrl-C or SIGTERM finish the jobs under way;
    a worker killed outright has its jobs handed to another after its heartbeat stops)."""
    app = current_app._get_current_object()
    try:
        running = worker(app, threads)
    except LookupError:
        raise click.ClickException(
            "没有配置任务队列 / no job queue is configured: set EVALAPP_JOB_BROKER_URL "
            "(redis://…). Without it, `evalapp serve` runs the jobs itself.") from None
    settle_interrupted()  # closings a dead process left mid-way
    db.session.remove()
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    running.start()
    click.echo(f"evalapp worker: {threads} threads")
    stop.wait()
    running.stop()


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Migrate the database and (re)build the demo: units, accounts, three campaigns. Its
    addresses use the port `evalapp serve` listens on (EVALAPP_PORT, else 5000)."""
    from evalapp.demo.builder import build_demo

    app = current_app._get_current_object()
    port = app.config["PORT"]
    upgrade_schema(app)
    real = db.session.scalar(sa.select(sa.func.count(Campaign.id)).where(~Campaign.is_demo))
    if real:
        raise click.ClickException(
            f"此数据库已有 {real} 个正式测评活动，不能放入演示数据 / this database holds {real} "
            f"real campaign{'s' if real != 1 else ''}: the demo goes only into a database "
            "without any (set EVALAPP_DATABASE_URL to another one)")
    result = build_demo()
    db.session.commit()
    address = base_url(app, port)
    sheet = Path(app.instance_path) / DEMO_SHEET
    campaign = db.session.get(Campaign, result.open_campaign_id)
    write_private(sheet, ticket_sheet_pdf(faces_for(campaign, result.issued, address), address))
    click.echo("演示数据已" + ("重建" if result.replaced else "建立") + " / demo "
               + ("rebuilt" if result.replaced else "built"))
    click.echo(f"地址 / address:      {address}/")
    width = max(len(usernames) for _who, usernames in DEMO_LOGINS) + 2
    for who, usernames in DEMO_LOGINS:
        click.echo(f"{who:<38}{usernames:<{width}}密码 / password: {result.password}")
    click.echo(f"测评票打印页 / ticket sheets: {sheet}")
    click.echo("未使用的测评票 / unspent tickets of the open campaign:")
    for unit_name, token in result.tickets:
        click.echo(f"{address}/t/{token}  ({unit_name})")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--name", "display_name", help="Name shown in the app (default: the username).")
@click.option("--role", type=click.Choice([role.value for role in Role]), default="organiser",
              show_default=True)
@click.option("--unit", "unit_name", required=True,
              help="The unit (by Chinese name or code) the account belongs to; created as a "
                   "top-level unit when it does not exist yet.")
@click.option("--directory", is_flag=True,
              help="Checked by the organisation's directory (LDAP / AD): no local password; "
                   "the password is the directory's (docs/directory.md).")
@click.option("--password", help="The local password  [asked for when not given]")
def create_user_command(
    username: str, display_name: str | None, role: str, unit_name: str, directory: bool,
    password: str | None
) -> None:
    """Create a staff account on the console: the first system administrator
    (`--role sysadmin`) is made this way; it makes every other account in the app."""
    if directory and password is not None:
        raise click.ClickException("目录账户没有本地密码 / a --directory account has no local "
                                   "password: leave out --password")
    if not directory and password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        ensure_schema_current(current_app._get_current_object())
    except SchemaNotCurrent as error:
        raise click.ClickException(str(error)) from None
    if db.session.scalar(sa.select(User).where(User.username == username)):
        raise click.ClickException(f"用户名已存在 / the username {username!r} is taken")
    units = db.session.scalars(sa.select(OrgUnit).where(
        sa.or_(OrgUnit.name_zh == unit_name, OrgUnit.code == unit_name))).all()
    if len(units) > 1:  # 第一党支部 under several parents: its code tells them apart
        raise click.ClickException(f"有 {len(units)} 个单位名为“{unit_name}”，请改用单位代码 / "
                                   f"several units are named {unit_name!r}: give its code")
    unit = units[0] if units else None
    if unit is None:
        unit = OrgUnit(kind=UnitKind.ADMINISTRATION, name_zh=unit_name)
        db.session.add(unit)
    elif unit.retired:
        raise click.ClickException(f"单位已撤销 / the unit {unit_name!r} is retired")
    user = User(username=username, display_name=display_name or username, role=Role(role),
                unit=unit, directory=directory)
    if password is not None:
        try:
            user.set_password(password)
        except WeakPassword as error:
            raise click.ClickException(" ".join(error.reasons)) from None
    db.session.add(user)
    db.session.commit()
    kind = "，统一身份认证 / checked by the directory" if directory else ""
    click.echo(f"已创建 / created: {username} ({role}, {unit_name}{kind})")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Write a consistent copy of the database to TARGET (while the app keeps running)."""
    try:
        backup(target)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"已备份 / backed up to {target}")
    for note in custody_notes():
        click.echo(note)


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(source: Path) -> None:
    """Restore a backup made by `evalapp backup` into an empty database."""
    try:
        restore(source)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"已恢复 / restored from {source}")


def register(app: Flask) -> None:
    for command in (serve_command, worker_command, demo_command, create_user_command,
                    backup_command, restore_command, report_command, recount_command, close_command,
                    verify_draw_command, audit_group, import_units_command,
                    create_token_command):
        app.cli.add_command(command)
