"""Phones in a meeting room: raters arriving at their own moments, each phone keeping its
connection, against a real server in its own process.

    python -m bench.phones --db postgresql --raters 1000 --over 60    # gunicorn
    python -m bench.phones --db sqlite --raters 1000 --over 60        # evalapp serve

Unlike `bench.burst` (a thread pool opening a connection per request), each phone here is an
aiohttp session with its own cookies and one persistent connection, as a browser keeps: it
opens its ticket, loads the questionnaire, thinks (`--think` seconds on average, at random),
submits a full ballot, reads its receipt, and keeps the connection until the run ends. Phones
arrive at random within `--over` seconds whether or not the others are done (an open loop:
a slow server makes a queue, not fewer arrivals); `--over 0` sends them all at once.

Prints raters/s, p50/p95/p99 per step, errors by kind, and checks ballots stored = tickets
spent = successful submissions, every receipt shown being stored.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time

import aiohttp

from bench.burst import EXPECTED, Outcome, Rater, measure, report
from bench.harness import RECEIPT, db_parser, full_ballot, run_async
from evalapp.serving import raise_open_files_limit

TIMEOUT = aiohttp.ClientTimeout(total=120)


async def _step(rater: Rater, step: str, request) -> str | None:
    """One request, timed; its body when it answered as a browser expects, else None with
    the rater's error recorded by kind."""
    started = time.perf_counter()
    try:
        async with request as reply:
            text = await reply.text()
    except (aiohttp.ClientError, TimeoutError) as error:
        rater.error = f"{step}: {type(error).__name__}"
        return None
    rater.timings[step] = time.perf_counter() - started
    if reply.status != EXPECTED[step]:
        rater.error = f"{step}: HTTP {reply.status}" + (
            " database is locked" if "locked" in text else "")
        return None
    return text


async def phone(session: aiohttp.ClientSession, token: str, think: float,
                arrival: float | None) -> Rater:
    """One rater's visit on its own session (cookies and connection)."""
    rater = Rater()
    if arrival is not None:
        await asyncio.sleep(max(0.0, arrival - time.perf_counter()))
        rater.late = time.perf_counter() - arrival
    if await _step(rater, "open", session.get(f"/t/{token}", allow_redirects=False)) is None:
        return rater
    page = await _step(rater, "load", session.get("/ballot"))
    if page is None:
        return rater
    await asyncio.sleep(random.uniform(0.5, 1.5) * think)
    if await _step(rater, "submit", session.post("/ballot", data=full_ballot(page),
                                                 allow_redirects=False)) is None:
        return rater
    receipt = await _step(rater, "receipt", session.get("/ballot/receipt"))
    if receipt is not None:
        found = RECEIPT.search(receipt)
        rater.receipt = found.group(1) if found else None
    return rater


async def _room(base: str, tokens: list[str], arrivals: list[float | None],
                think: float) -> list[Rater]:
    # One connection per phone, kept open (until the server closes it when idle); cookies
    # for an address like 127.0.0.1 need the "unsafe" jar.
    sessions = [aiohttp.ClientSession(
        base, connector=aiohttp.TCPConnector(limit=1, keepalive_timeout=300),
        cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=TIMEOUT) for _ in tokens]
    try:
        return await asyncio.gather(*[
            phone(session, token, think, arrival)
            for session, token, arrival in zip(sessions, tokens, arrivals, strict=True)])
    finally:
        await asyncio.gather(*[session.close() for session in sessions])


def room(base: str, tokens: list[str], arrivals: list[float | None],
         think: float = 1.0) -> list[Rater]:
    """Every ticket's phone, arriving at its time (a perf_counter time; None: at once)."""
    raise_open_files_limit(len(tokens) + 100)
    return run_async(_room(base, tokens, arrivals, think))


def run(kind: str, raters: int, over: float, think: float, workers: int = 4) -> Outcome:
    return measure(kind, raters, workers, over,
                   lambda base, tokens, arrivals: room(base, tokens, arrivals, think))


def main(argv: list[str] | None = None) -> int:
    parser = db_parser(__doc__)
    parser.add_argument("--raters", type=int, default=1000)
    parser.add_argument("--over", type=float, default=60.0,
                        help="seconds over which the phones arrive at random (0: at once)")
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean seconds between loading the questionnaire and submitting")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (PostgreSQL)")
    args = parser.parse_args(argv)
    outcome = run(args.db, args.raters, args.over, args.think, args.workers)
    print(report(args.db, outcome).replace("burst on", "phones on", 1))
    return 0 if outcome.consistent and not outcome.errors else 1


if __name__ == "__main__":
    sys.exit(main())
