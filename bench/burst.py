"""Burst benchmark: N raters at once against a real server and database.

    python -m bench.burst --db postgresql --raters 1000
    python -m bench.burst --db sqlite --raters 1000

Starts the app under its production server (gunicorn with several workers on PostgreSQL;
`evalapp serve`, Waitress, on the embedded SQLite set-up), creates a campaign with N tickets,
replays N raters concurrently over loopback (open the ticket URL, load the questionnaire,
submit a full ballot), then prints throughput, latency percentiles per step and errors by
kind, and checks that ballots stored = tickets spent = successful submissions.

Two loads: all at once (`--concurrency` raters in flight until all are done: the worst
case, which measures queueing more than the app), or arriving at random over a window
(`--over 60`: the room's 1,000 phones scanning within a minute, each rater starting at its
own moment whether or not others are done, an open-loop load).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.harness import (
    RECEIPT,
    Server,
    count_outcome,
    fresh_database,
    open_box,
    prepare,
    rater_steps,
)

EXPECTED = {"open": 303, "load": 200, "submit": 303, "receipt": 200}


@dataclass
class Rater:
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    receipt: str | None = None
    late: float = 0.0  # seconds after its arrival time that the rater could start


def rate(base: str, token: str, arrival: float | None = None) -> Rater:
    """One rater's visit; with `arrival` (a perf_counter time) it starts then."""
    rater = Rater()
    if arrival is not None:
        time.sleep(max(0.0, arrival - time.perf_counter()))
        rater.late = time.perf_counter() - arrival
    steps = rater_steps(base, token)
    while True:
        started = time.perf_counter()
        try:
            step, reply = next(steps)
        except StopIteration:
            return rater
        except Exception as error:  # every failure is counted, by kind
            rater.error = f"{type(error).__name__}"
            return rater
        rater.timings[step] = time.perf_counter() - started
        if reply.status != EXPECTED[step]:
            locked = "locked" in reply.text
            rater.error = f"{step}: HTTP {reply.status}" + (" database is locked" if locked else "")
            return rater
        if step == "receipt":
            found = RECEIPT.search(reply.text)
            rater.receipt = found.group(1) if found else None


@dataclass(frozen=True)
class Outcome:
    raters: int
    over: float
    late: int  # raters that started more than LATE seconds after their arrival
    seconds: float
    errors: Counter
    percentiles: dict[str, tuple[float, float, float]]
    succeeded: int
    stored: int
    spent: int
    receipts_found: bool

    @property
    def consistent(self) -> bool:
        return self.stored == self.spent == self.succeeded and self.receipts_found


LATE = 0.1


# Replays raters over loopback: (server base URL, ticket codes, arrival times) -> each
# rater's visit. The threaded client here; bench.phones has one that behaves like phones.
Replay = Callable[[str, list[str], list[float | None]], list[Rater]]


def run(kind: str, raters: int, concurrency: int, workers: int, over: float = 0.0) -> Outcome:
    def threads(base: str, tokens: list[str], arrivals: list[float | None]) -> list[Rater]:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            return list(pool.map(lambda job: rate(base, *job),
                                 zip(tokens, arrivals, strict=True)))

    return measure(kind, raters, workers, over, threads)


def arrival_times(started: float, raters: int, over: float) -> list[float | None]:
    """perf_counter times at random within `over` seconds from `started` (None: at once)."""
    if not over:
        return [None] * raters
    return list(started + np.sort(np.random.default_rng(0).uniform(0, over, raters)))


def measure(kind: str, raters: int, workers: int, over: float, replay: Replay) -> Outcome:
    """A fresh database and server, `raters` raters replayed, the box opened and counted."""
    instance = Path(tempfile.mkdtemp(prefix="evalapp-instance-"))
    with fresh_database(kind) as database:
        tokens, campaign_id = prepare(database, raters, instance)
        server = Server(kind, database.url, instance, workers)
        server.start()
        try:
            started = time.perf_counter()
            results = replay(server.base, tokens, arrival_times(started, raters, over))
            seconds = time.perf_counter() - started
        finally:
            server.stop()
        open_box(database.url, instance, campaign_id)
        stored, spent, receipts = count_outcome(database.url, campaign_id)
    return outcome_of(results, over, seconds, stored, spent, receipts)


def outcome_of(results: list[Rater], over: float, seconds: float, stored: int, spent: int,
               receipts: set[str]) -> Outcome:
    succeeded = [r for r in results if r.error is None]
    percentiles = {
        step: tuple(np.percentile([r.timings[step] * 1000 for r in results if step in r.timings],
                                  [50, 95, 99]))
        for step in EXPECTED
        if any(step in r.timings for r in results)
    }
    return Outcome(len(results), over, sum(r.late > LATE for r in results), seconds,
                   Counter(r.error for r in results if r.error), percentiles,
                   len(succeeded), stored, spent,
                   all(r.receipt in receipts for r in succeeded))


def report(kind: str, outcome: Outcome) -> str:
    arriving = (f"arriving at random over {outcome.over:.0f} s ({outcome.late} started more "
                f"than {LATE * 1000:.0f} ms late: the client was busy)"
                if outcome.over else "all at once")
    lines = [
        f"burst on {kind}: {outcome.raters} raters {arriving}, done in {outcome.seconds:.1f} s "
        f"({outcome.raters / outcome.seconds:.1f} raters/s)",
        "step      p50 ms   p95 ms   p99 ms",
    ]
    for step, (p50, p95, p99) in outcome.percentiles.items():
        lines.append(f"{step:<8}{p50:8.1f} {p95:8.1f} {p99:8.1f}")
    lines.append("errors: " + (", ".join(f"{kind} × {n}" for kind, n in
                                         outcome.errors.most_common()) or "none"))
    lines.append(f"succeeded {outcome.succeeded}, ballots stored {outcome.stored}, tickets "
                 f"spent {outcome.spent}, receipts all stored: {outcome.receipts_found} -> "
                 + ("CONSISTENT" if outcome.consistent else "INCONSISTENT"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--raters", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100,
                        help="raters in flight at once (client threads)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (PostgreSQL)")
    parser.add_argument("--over", type=float, default=0.0,
                        help="seconds over which the raters arrive at random (0: all at once)")
    args = parser.parse_args(argv)
    outcome = run(args.db, args.raters, args.concurrency, args.workers, args.over)
    print(report(args.db, outcome))
    return 0 if outcome.consistent and not outcome.errors else 1


if __name__ == "__main__":
    sys.exit(main())
