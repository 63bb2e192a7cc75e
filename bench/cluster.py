"""App nodes behind a reverse proxy on one PostgreSQL, limits counted and jobs queued in Redis:
the production layout past one machine, started on loopback.

    python -m bench.cluster --race 200                       # one ticket, 200 phones
    python -m bench.cluster --phones 5000 --over 50 --nodes 3   # a node killed mid-burst,
                                                             # another mid-opening

Starts a Redis of its own, the nodes (each a gunicorn of evalapp.gunicorn_conf, two workers,
and an `evalapp worker`, with an instance folder of its own and the same keys), and HAProxy
(Debian's `haproxy`) spreading connections over the nodes round robin, checking each every
second (three failures take it out) and naming the node that answered in an X-Evalapp-Node header.

The race: `--race` phones each enter with the same ticket and load the questionnaire, then
all submit at once; exactly one ballot is stored, the others are told the ticket is used.

The storm: `--phones` phones, one ticket each, arrive at random within `--over` seconds and
rate as a person would, trying again (keeping their cookies) when a request fails, until a
receipt is shown or two minutes pass. A third of the way in, the first node is killed
(SIGKILL to its server and worker). Then the campaign is closed through the queue and the
node whose worker took the opening is killed in the middle of it (its worker waiting for the
campaign's row, which the bench holds as a submit does, then released): a surviving node's
worker must open the box, once. Prints p50/p95/p99 of the submits and checks every receipt
shown is stored, ballots = tickets spent, and one closing in the audit log.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import numpy as np
import sqlalchemy as sa

from bench.burst import arrival_times
from bench.harness import (
    RECEIPT,
    Server,
    count_outcome,
    free_port,
    fresh_database,
    full_ballot,
    open_box,
    prepare,
    run_async,
    server_env,
)
from bench.phones import TIMEOUT
from evalapp.serving import raise_open_files_limit

HAPROXY = """global
  maxconn 9000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option forwardfor
  option redispatch
  retries 3
frontend phones
  bind 127.0.0.1:{port}
  maxconn 9000
  default_backend nodes
backend nodes
  balance roundrobin
  option httpchk GET /
  timeout check 5s
  http-response set-header X-Evalapp-Node %s
{servers}
"""
# What each node reads beyond its environment: a worker silent 3 s is taken for dead.
NODE_CONFIG = "JOB_HEARTBEAT_SECONDS = 3\nJOB_MAINTENANCE_CHANCE = 1_000_000\n"
# The keys every node must share (docs/operations.md), as `prepare` made them.
SHARED_KEYS = {"EVALAPP_CREDENTIAL_KEY": "credential_key", "EVALAPP_AUDIT_KEY": "audit_key",
               "EVALAPP_KEY_ENCRYPTION_KEY": "key_encryption_key"}
PATIENCE_SECONDS = 120


@dataclass
class Node:
    name: str
    server: Server
    worker: subprocess.Popen

    def kill(self) -> None:
        """SIGKILL to its server and its worker: no goodbye, as when a machine is lost."""
        self.server.kill()
        if self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait()


@dataclass
class Cluster:
    base: str  # the proxy's address, where phones go
    url: str  # the database
    instance: Path
    campaign_id: int
    tokens: list[str]
    nodes: list[Node] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)  # every node's environment


def _started(command: list[str], log: Path, env: dict[str, str] | None = None
             ) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=out, env=env,
                                start_new_session=True)


def _stopped(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _named(url: str, name: str) -> str:
    """The database URL with PostgreSQL's application_name set, to tell the nodes apart."""
    return sa.make_url(url).update_query_dict({"application_name": name}).render_as_string(
        hide_password=False)


@contextmanager
def cluster(tickets: int, nodes: int = 2, workers: int = 2) -> Iterator[Cluster]:
    """The layout on loopback with a fresh database and campaign of `tickets` tickets."""
    instance = Path(tempfile.mkdtemp(prefix="evalapp-cluster-"))
    redis_port, proxy_port = free_port(), free_port()
    with ExitStack() as stack:
        database = stack.enter_context(fresh_database("postgresql"))
        tokens, campaign_id = prepare(database, tickets, instance)
        redis = _started([shutil.which("redis-server") or "redis-server", "--port",
                          str(redis_port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no"], instance / "redis.log")
        stack.callback(_stopped, redis)
        settings = {"EVALAPP_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_port}/0",
                    "EVALAPP_JOB_BROKER_URL": f"redis://127.0.0.1:{redis_port}/1",
                    "EVALAPP_PROXIES": "1", "EVALAPP_BASE_URL": f"http://127.0.0.1:{proxy_port}",
                    **{variable: (instance / name).read_text().strip()
                       for variable, name in SHARED_KEYS.items()}}
        layout = Cluster(f"http://127.0.0.1:{proxy_port}", database.url, instance,
                         campaign_id, tokens, settings=settings)
        for number in range(1, nodes + 1):
            name = f"node{number}"
            folder = instance / name  # a node's own: nothing in it may matter to the others
            folder.mkdir()
            (folder / "config.py").write_text(NODE_CONFIG)
            server = Server("postgresql", _named(database.url, name), folder, workers,
                            env=settings)
            server.start()
            stack.callback(server.stop)
            worker = _started(
                [str(Path(sys.executable).parent / "evalapp"), "worker", "--threads", "1"],
                folder / "worker.log",
                {**server_env(_named(database.url, f"{name}-worker"), folder), **settings})
            stack.callback(_stopped, worker)
            layout.nodes.append(Node(name, server, worker))
        config = instance / "haproxy.cfg"
        config.write_text(HAPROXY.format(port=proxy_port, servers="\n".join(
            f"  server {node.name} 127.0.0.1:{node.server.port} check inter 1s fall 3 rise 1"
            for node in layout.nodes)))
        proxy = _started([shutil.which("haproxy") or "/usr/sbin/haproxy", "-db", "-f",
                          str(config)], instance / "haproxy.log")
        stack.callback(_stopped, proxy)
        _wait_for(proxy_port)
        yield layout


def _wait_for(port: int) -> None:
    async def probe() -> bool:
        try:
            async with aiohttp.ClientSession() as session, session.get(
                    f"http://127.0.0.1:{port}/") as reply:
                return reply.status == 200
        except aiohttp.ClientError:
            return False

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if run_async(probe()):
            return
        time.sleep(0.2)
    raise RuntimeError("the proxy did not answer")


@dataclass(frozen=True)
class Race:
    statuses: Counter  # of the submits
    nodes: Counter  # which node answered the submits
    errors: Counter  # before submitting (entering, loading), by kind


async def _race(base: str, token: str, phones: int) -> Race:
    sessions = [aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=1),
                                      cookie_jar=aiohttp.CookieJar(unsafe=True),
                                      timeout=TIMEOUT) for _ in range(phones)]
    errors: Counter = Counter()

    async def ready(session: aiohttp.ClientSession) -> dict[str, str] | None:
        async with session.get(f"/t/{token}", allow_redirects=False) as entered:
            if entered.status != 303:
                errors[f"open: HTTP {entered.status}"] += 1
                return None
        async with session.get("/ballot") as page:
            if page.status != 200:
                errors[f"load: HTTP {page.status}"] += 1
                return None
            return full_ballot(await page.text())

    async def submit(session: aiohttp.ClientSession, form: dict[str, str]) -> tuple[int, str]:
        async with session.post("/ballot", data=form, allow_redirects=False) as reply:
            await reply.read()
            return reply.status, reply.headers.get("X-Evalapp-Node", "")

    try:
        forms = await asyncio.gather(*[ready(session) for session in sessions])
        replies = await asyncio.gather(*[submit(session, form) for session, form
                                         in zip(sessions, forms, strict=True) if form])
    finally:
        await asyncio.gather(*[session.close() for session in sessions])
    return Race(Counter(status for status, _ in replies), Counter(n for _, n in replies),
                errors)


def race(base: str, token: str, phones: int) -> Race:
    """`phones` phones enter with one ticket, then all submit at once."""
    return run_async(_race(base, token, phones))


def ballots(layout: Cluster) -> int:
    """Close the campaign, open its box and count the ballots."""
    open_box(layout.url, layout.instance, layout.campaign_id)
    return count_outcome(layout.url, layout.campaign_id)[0]


@dataclass
class Phone:
    receipt: str | None = None
    submit: float | None = None  # seconds the successful submit took
    attempts: int = 0
    nodes: set[str] = field(default_factory=set)


async def _phone(session: aiohttp.ClientSession, token: str, arrival: float | None) -> Phone:
    """A rater who tries again, keeping the phone's cookies, until a receipt is shown."""
    phone = Phone()
    if arrival is not None:
        await asyncio.sleep(max(0.0, arrival - time.perf_counter()))
    deadline = time.monotonic() + PATIENCE_SECONDS
    while phone.receipt is None and time.monotonic() < deadline:
        phone.attempts += 1
        try:
            async with session.get(f"/t/{token}", allow_redirects=False) as entered:
                await entered.read()
            if entered.status == 303 and entered.headers.get("Location") == "/ballot":
                async with session.get("/ballot") as page:
                    form = full_ballot(await page.text()) if page.status == 200 else None
                if form is not None:
                    await asyncio.sleep(random.uniform(0.5, 1.5))  # reading, tapping
                    started = time.perf_counter()
                    async with session.post("/ballot", data=form,
                                            allow_redirects=False) as submitted:
                        await submitted.read()
                        phone.nodes.add(submitted.headers.get("X-Evalapp-Node", ""))
                    if submitted.status == 303:
                        phone.submit = time.perf_counter() - started
            async with session.get("/ballot/receipt") as shown:
                found = RECEIPT.search(await shown.text()) if shown.status == 200 else None
            phone.receipt = found.group(1) if found else None
        except (aiohttp.ClientError, TimeoutError):
            pass  # the node died under us, or the proxy had nowhere to send it
        if phone.receipt is None:
            await asyncio.sleep(0.5)
    return phone


async def _storm(base: str, tokens: list[str], arrivals: list[float | None]) -> list[Phone]:
    sessions = [aiohttp.ClientSession(base, connector=aiohttp.TCPConnector(limit=1),
                                      cookie_jar=aiohttp.CookieJar(unsafe=True),
                                      timeout=TIMEOUT) for _ in tokens]
    try:
        return await asyncio.gather(*[_phone(session, token, arrival) for session, token, arrival
                                      in zip(sessions, tokens, arrivals, strict=True)])
    finally:
        await asyncio.gather(*[session.close() for session in sessions])


@dataclass(frozen=True)
class Storm:
    phones: int
    seconds: float  # until the last phone was done
    receipts: int  # phones shown a receipt
    retried: int  # phones that needed more than one try
    submit_ms: tuple[float, float, float]  # p50, p95, p99 of the successful submits
    killed_in_burst: str
    killed_in_opening: str
    stored: int
    spent: int
    receipts_stored: bool  # every receipt shown is stored
    closings: int  # "campaign.close" entries in the audit log

    @property
    def consistent(self) -> bool:
        return (self.receipts == self.phones and self.receipts_stored
                and self.stored == self.spent == self.phones and self.closings == 1)


def storm(layout: Cluster, over: float) -> Storm:
    """Every ticket's phone within `over` seconds, the first node killed a third of the way
    in; then the closing, with the node that takes the opening killed mid-way."""
    raise_open_files_limit(len(layout.tokens) * 2 + 200)
    victim = layout.nodes[0]
    threading.Timer(over / 3, victim.kill).start()
    started = time.perf_counter()
    phones = run_async(_storm(layout.base, layout.tokens,
                              arrival_times(started, len(layout.tokens), over)))
    seconds = time.perf_counter() - started
    opener = _close_killing_the_opener(layout)
    stored, spent, receipts = count_outcome(layout.url, layout.campaign_id)
    engine = sa.create_engine(layout.url)
    with engine.connect() as connection:
        closings = connection.execute(sa.text(
            "SELECT count(*) FROM audit_entries WHERE action = 'campaign.close' "
            "AND campaign_id = :c"), {"c": layout.campaign_id}).scalar_one()
    engine.dispose()
    submits = [phone.submit * 1000 for phone in phones if phone.submit is not None]
    shown = [phone.receipt for phone in phones if phone.receipt]
    return Storm(len(phones), seconds, len(shown), sum(phone.attempts > 1 for phone in phones),
                 tuple(np.percentile(submits, [50, 95, 99])) if submits else (0.0,) * 3,
                 victim.name, opener, stored, spent, set(shown) <= receipts, closings)


def _close_killing_the_opener(layout: Cluster) -> str:
    """Queue the opening; the bench holds the campaign's row as a submit under way does, so
    the worker that takes the job waits for it inside the opening's transaction; that
    worker's node is killed, the row released, and the opening awaited. Returns the name of
    the node killed."""
    from evalapp import create_app
    from evalapp.ballotbox.closing import start_opening
    from evalapp.ballotbox.operations import sealed_count
    from evalapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": layout.url, "SCHEMA_CHECK": False,
                      "INSTANCE_PATH": str(layout.instance / "organiser"),
                      "SECRET_KEY": "bench", "PREPARE_RESULTS_AT_CLOSE": False,
                      "JOB_BROKER_URL": layout.settings["EVALAPP_JOB_BROKER_URL"],
                      "KEY_ENCRYPTION_KEY": layout.settings["EVALAPP_KEY_ENCRYPTION_KEY"]})
    engine = sa.create_engine(layout.url)
    try:
        with engine.connect() as holder:
            holder.execute(sa.text("SELECT id FROM campaigns WHERE id = :c FOR SHARE"),
                           {"c": layout.campaign_id})
            with app.app_context():
                start_opening(layout.campaign_id, None, sealed_count(layout.campaign_id))
            with app.app_context():  # once the session has given its connection back
                db.engine.dispose()
            name = _waiting_opener(engine)
            next(node for node in layout.nodes if node.name == name).kill()
            holder.rollback()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                if connection.execute(sa.text("SELECT status FROM campaigns WHERE id = :c"),
                                      {"c": layout.campaign_id}).scalar_one() == "closed":
                    return name
            time.sleep(0.2)
        raise RuntimeError("no surviving worker opened the box within 5 minutes")
    finally:
        engine.dispose()


def _waiting_opener(engine: sa.Engine) -> str:
    """The node whose worker waits for the campaign's row (its application_name)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with engine.connect() as watcher:  # a new transaction each time: a fresh snapshot
            name = watcher.execute(sa.text(
                "SELECT application_name FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND application_name LIKE '%-worker' AND query LIKE 'SELECT campaigns.%'"
            )).scalar()
        if name:
            return name.removesuffix("-worker")
        time.sleep(0.05)
    raise RuntimeError("no worker took the opening within a minute")


def storm_report(outcome: Storm) -> str:
    p50, p95, p99 = outcome.submit_ms
    return "\n".join([
        f"{outcome.phones} phones within {outcome.seconds:.1f} s through HAProxy, "
        f"{outcome.killed_in_burst} killed a third of the way in: receipts shown "
        f"{outcome.receipts}, phones that tried again {outcome.retried}",
        f"submit p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms",
        f"closing: {outcome.killed_in_opening} killed while opening; the box opened by a "
        f"surviving node's worker, closings in the audit log: {outcome.closings}",
        f"ballots stored {outcome.stored}, tickets spent {outcome.spent}, every receipt shown "
        f"stored: {outcome.receipts_stored} -> "
        + ("CONSISTENT" if outcome.consistent else "INCONSISTENT"),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--race", type=int, default=0, help="phones racing one ticket")
    parser.add_argument("--phones", type=int, default=5000, help="the storm's phones")
    parser.add_argument("--over", type=float, default=50.0,
                        help="seconds within which the storm's phones arrive")
    parser.add_argument("--nodes", type=int, default=3)
    args = parser.parse_args(argv)
    if args.race:
        with cluster(tickets=1, nodes=args.nodes) as layout:
            outcome = race(layout.base, layout.tokens[0], args.race)
            stored = ballots(layout)
        print(f"{args.race} phones, one ticket, {args.nodes} nodes behind HAProxy: submits "
              f"{dict(outcome.statuses)}, answered by {dict(outcome.nodes)}, errors before "
              f"submitting {dict(outcome.errors) or 'none'}; ballots stored: {stored}")
        return 0 if stored == 1 and outcome.statuses[303] == 1 else 1
    with cluster(tickets=args.phones, nodes=args.nodes) as layout:
        outcome = storm(layout, args.over)
    print(storm_report(outcome))
    return 0 if outcome.consistent else 1


if __name__ == "__main__":
    sys.exit(main())
