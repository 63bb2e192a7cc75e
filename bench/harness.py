"""What the burst and kill scripts share: a fresh database with a campaign of N tickets, a real
server process (gunicorn on PostgreSQL, `evalapp serve` on SQLite), and a rater who opens a
ticket, loads the questionnaire and submits a full ballot over loopback."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa

from bench.http import HttpClient

T = TypeVar("T")
PROJECT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get(
    "EVALAPP_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
QUESTION = re.compile(r'name="(s\d+_(?:c\d+|i\d+|satisfaction))" value="([a-z_]+)"')
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
RECEIPT = re.compile(r'class="receipt-code">([0-9A-Z]+)<')


@dataclass
class Database:
    kind: str
    url: str
    cleanup: list = field(default_factory=list)


@contextmanager
def fresh_database(kind: str) -> Iterator[Database]:
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="evalapp-bench-"))
        yield Database(kind, f"sqlite:///{folder / 'evalapp.sqlite3'}")
        return
    name = f"evalapp_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield Database(kind, sa.make_url(PG_ADMIN).set(database=name).render_as_string(
            hide_password=False))
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def prepare(database: Database, tickets: int, instance: Path) -> tuple[list[str], int]:
    """Migrate and create an open campaign with `tickets` tickets; their plain codes."""
    from evalapp import create_app
    from evalapp.ballotbox.operations import open_campaign
    from evalapp.campaigns.models import IndividualItem, Subject
    from evalapp.campaigns.operations import create_campaign
    from evalapp.extensions import db
    from evalapp.schema import upgrade_schema
    from evalapp.tickets.operations import issue_tickets
    from evalapp.units.models import OrgUnit, UnitKind

    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(instance),
                      "SCHEMA_CHECK": False, "SECRET_KEY": "bench"})
    upgrade_schema(app)
    with app.app_context():
        unit = OrgUnit(kind=UnitKind.ADMINISTRATION, name_zh="基准测试单位")
        campaign = create_campaign(unit, "压力测试")
        subject = Subject(campaign=campaign, unit=unit, position=1, person_name="述职人",
                          report_text="述职报告" * 500)
        subject.individual_items = [IndividualItem(position=i, text_zh=f"个性化内容{i}")
                                    for i in range(1, 5)]
        db.session.add(subject)
        db.session.flush()
        groups = campaign.rater_groups
        codes: list[str] = []
        for index, group in enumerate(groups):
            share = tickets // len(groups) + (1 if index < tickets % len(groups) else 0)
            if share:
                codes += issue_tickets(campaign, group, [subject], share)[1]
        open_campaign(campaign)
        db.session.commit()
        campaign_id = campaign.id
    with app.app_context():  # after the session has given back its connection
        db.engine.dispose()
    return codes, campaign_id


def organiser_campaign(app, username: str, password: str, unit_name: str, title: str) -> int:
    """A draft campaign of a new unit `unit_name` with its organiser `username` (who logs in
    with `password`: no second factor, not an administrator); the campaign's id."""
    from werkzeug.security import generate_password_hash

    from evalapp.auth.models import Role, User
    from evalapp.campaigns.operations import create_campaign
    from evalapp.database import utcnow
    from evalapp.extensions import db
    from evalapp.units.models import OrgUnit, UnitKind

    with app.app_context():
        unit = OrgUnit(kind=UnitKind.DIRECT, name_zh=unit_name)
        db.session.add(User(username=username, display_name="组织者", role=Role.ORGANISER,
                            unit=unit, password_hash=generate_password_hash(password),
                            password_changed_at=utcnow()))
        campaign = create_campaign(unit, title)
        db.session.commit()
        return campaign.id


def timed_step(client, figures: dict[str, float], label: str, method: str, path: str,
               expect: int, **data):
    """Request a page in-process with a Flask test client, its seconds kept in `figures`
    under `label`; the response, which must have the status `expect`."""
    started = time.perf_counter()
    response = client.open(path, method=method, **data)
    figures[label] = time.perf_counter() - started
    assert response.status_code == expect, (label, response.status_code,
                                            response.get_data(as_text=True)[:2000])
    return response


def db_parser(doc: str | None) -> argparse.ArgumentParser:
    """A script's arguments, starting with --db: the database (and so the server) to run."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    return parser


def ballots_arguments(
    doc: str | None, argv: list[str] | None, *, repeat: int | None = None
) -> argparse.Namespace:
    """--db and --ballots, the arguments of the scripts that build a box or a campaign; and
    --repeat, how many times to time it, for those that pass its default."""
    parser = db_parser(doc)
    parser.add_argument("--ballots", type=int, default=100_000)
    if repeat is not None:
        parser.add_argument("--repeat", type=int, default=repeat)
    return parser.parse_args(argv)


def run_async(coroutine: Coroutine[object, object, T]) -> T:
    """asyncio.run in a thread of its own: the caller may have an event loop running already
    (the tests share one with Playwright's synchronous API)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    kind: str
    url: str
    instance: Path
    workers: int
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    floor: bool = False  # serve bench.floor, the bare app, on the same server and settings
    env: dict[str, str] = field(default_factory=dict)  # settings beyond the database's

    @property
    def log(self) -> Path:
        return self.instance / "server.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        if self.kind == "postgresql":
            return [sys.executable, "-m", "gunicorn", "--config", "python:evalapp.gunicorn_conf",
                    "--workers", str(self.workers), "--bind",
                    f"127.0.0.1:{self.port}", "--log-level", "warning",
                    "bench.floor:create_floor_app()" if self.floor else "evalapp:create_app()"]
        if self.floor:
            return [sys.executable, "-m", "bench.floor", "--port", str(self.port),
                    "--threads", "16"]
        return [str(Path(sys.executable).parent / "evalapp"), "serve", "--host", "127.0.0.1",
                "--port", str(self.port), "--threads", "16"]

    def start(self) -> None:
        env = {**server_env(self.url, self.instance), "EVALAPP_BASE_URL": self.base,
               **self.env}
        # The server's log goes to a file: a pipe nobody reads fills up and stalls the server.
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command(), cwd=PROJECT, env=env,
                                            stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if HttpClient(self.base).get("/").status == 200:
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise RuntimeError("server did not start: " + self.stop())

    def kill(self) -> None:
        """SIGKILL to the whole process group: no clean shutdown, as in a power cut."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> str:
        if self.process is None:
            return ""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.log.read_text(errors="replace")[-2000:]


def full_ballot(page: str) -> dict[str, str]:
    """Every question answered 较好 (good), satisfaction 满意, with the page's CSRF token."""
    answers = {name: "good" if "satisfaction" not in name else "satisfied"
               for name, _value in QUESTION.findall(page)}
    match = CSRF.search(page)
    answers["csrf_token"] = match.group(1) if match else ""
    return answers


def rater_steps(base: str, token: str) -> Iterator[tuple[str, object]]:
    """Open the ticket, load the questionnaire, submit a full ballot: yields (step, reply) so
    the caller can time each."""
    client = HttpClient(base)
    opened = client.get(f"/t/{token}")
    yield "open", opened
    page = client.get("/ballot")
    yield "load", page
    yield "submit", client.post("/ballot", full_ballot(page.text))
    yield "receipt", client.get("/ballot/receipt")


def server_env(url: str, instance: Path) -> dict[str, str]:
    return {**os.environ, "EVALAPP_DATABASE_URL": url, "EVALAPP_INSTANCE_PATH": str(instance),
            "EVALAPP_SECRET_KEY": "bench"}


def close_command(url: str, instance: Path, campaign_id: int) -> subprocess.Popen:
    """`evalapp close CAMPAIGN` as its own process (its output piped, to be read)."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "evalapp"), "close", "--yes", str(campaign_id)],
        cwd=PROJECT,
        env=server_env(url, instance), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True)


def open_box(url: str, instance: Path, campaign_id: int) -> None:
    """Close the campaign, opening its ballot box, so that its ballots can be counted."""
    closing = close_command(url, instance, campaign_id)
    output, _ = closing.communicate(timeout=300)
    if closing.returncode:
        raise RuntimeError(f"evalapp close failed: {output}")


def count_outcome(url: str, campaign_id: int) -> tuple[int, int, set[str]]:
    """(ballots stored, tickets spent, receipt codes stored) of a closed campaign."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        ballots = connection.execute(sa.text(
            "SELECT count(*) FROM ballots WHERE campaign_id = :c"), {"c": campaign_id}
        ).scalar_one()
        receipts = connection.execute(sa.text(
            "SELECT code FROM receipts WHERE campaign_id = :c"), {"c": campaign_id}
        ).scalars().all()
        spent = connection.execute(sa.text(
            f"SELECT count(*) FROM tickets JOIN ticket_batches ON tickets.batch_id = "
            f"ticket_batches.id WHERE ticket_batches.campaign_id = :c AND {SPENT}"),
            {"c": campaign_id}).scalar()
    engine.dispose()
    return ballots, spent, set(receipts)


# A spent ticket: not voided, and no longer among the unspent (evalapp.tickets.models).
SPENT = ("NOT tickets.voided AND tickets.token_hash NOT IN "
         "(SELECT token_hash FROM unspent_tickets)")
