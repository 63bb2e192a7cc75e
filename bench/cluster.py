"""Two app servers behind a reverse proxy on one PostgreSQL, rate limits counted in Redis: the
production layout past one machine, started on loopback.

    python -m bench.cluster --phones 200    # 200 phones submit one ticket through the proxy

Starts a Redis of its own, two gunicorn nodes (evalapp.gunicorn_conf, two workers each) that
count limits in that Redis, and HAProxy (Debian's `haproxy`) spreading connections over both
nodes round robin and naming the node that answered in an X-Evalapp-Node header. The race:
`--phones` phones each enter with the same ticket and load the questionnaire, then all
submit at once; exactly one ballot is stored, the others are told the ticket is used.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.harness import (
    Server,
    count_outcome,
    free_port,
    fresh_database,
    full_ballot,
    open_box,
    prepare,
    run_async,
)
from bench.phones import TIMEOUT

HAPROXY = """global
  maxconn 4000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option forwardfor
frontend phones
  bind 127.0.0.1:{port}
  default_backend nodes
backend nodes
  balance roundrobin
  http-response set-header X-Evalapp-Node %s
{servers}
"""


@dataclass
class Cluster:
    base: str  # the proxy's address, where phones go
    url: str  # the database
    instance: Path
    campaign_id: int
    tokens: list[str]


def _started(command: list[str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=out, start_new_session=True)


def _stopped(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
        limits = {"EVALAPP_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_port}/0",
                  "EVALAPP_PROXIES": "1", "EVALAPP_BASE_URL": f"http://127.0.0.1:{proxy_port}"}
        servers = []
        for _ in range(nodes):
            server = Server("postgresql", database.url, instance, workers, env=limits)
            server.start()
            stack.callback(server.stop)
            servers.append(server)
        config = instance / "haproxy.cfg"
        config.write_text(HAPROXY.format(port=proxy_port, servers="\n".join(
            f"  server node{i + 1} 127.0.0.1:{s.port}" for i, s in enumerate(servers))))
        proxy = _started([shutil.which("haproxy") or "/usr/sbin/haproxy", "-db", "-f",
                          str(config)], instance / "haproxy.log")
        stack.callback(_stopped, proxy)
        _wait_for(proxy_port)
        yield Cluster(f"http://127.0.0.1:{proxy_port}", database.url, instance, campaign_id,
                      tokens)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=200)
    args = parser.parse_args(argv)
    with cluster(tickets=1) as layout:
        outcome = race(layout.base, layout.tokens[0], args.phones)
        stored = ballots(layout)
    print(f"{args.phones} phones, one ticket, two nodes behind HAProxy: submits "
          f"{dict(outcome.statuses)}, answered by {dict(outcome.nodes)}, errors before "
          f"submitting {dict(outcome.errors) or 'none'}; ballots stored: {stored}")
    return 0 if stored == 1 and outcome.statuses[303] == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
