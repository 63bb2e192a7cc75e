"""The app against its floor: the same phones on the app and on `bench.floor` (the bare
Flask app doing the same database work), in interleaved rounds, and the ratio of raters/s.

    python -m bench.ratio --db postgresql --rounds 4 --raters 200   # gunicorn
    python -m bench.ratio --db sqlite --rounds 4 --raters 200       # evalapp serve

Each side has its own fresh database with a campaign of rounds × raters tickets and its own
server, both running throughout. Each round sends `--raters` phones (bench.phones: own
connection and cookies, no think time) all at once to one side and then to the other, the
order swapped every round so that neither side always runs on a warmer or busier machine.
Prints each round's raters/s on both sides, the ratio per round and its median, and checks
that each side stored one ballot per successful phone.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import sqlalchemy as sa

from bench.burst import arrival_times, outcome_of, report
from bench.harness import (
    SPENT,
    Database,
    Server,
    count_outcome,
    db_parser,
    fresh_database,
    open_box,
    prepare,
)
from bench.phones import room

SIDES = ("app", "floor")


def floor_ballots(url: str) -> tuple[int, int, set[str]]:
    """(ballots stored, tickets spent, receipt codes stored) on the floor's database."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        receipts = connection.execute(sa.text(
            "SELECT receipt_code FROM floor_ballots")).scalars().all()
        spent = connection.execute(sa.text(
            f"SELECT count(*) FROM tickets WHERE {SPENT}")).scalar_one()
    engine.dispose()
    return len(receipts), spent, set(receipts)


def main(argv: list[str] | None = None) -> int:
    parser = db_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--raters", type=int, default=200, help="phones per round and side")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (PostgreSQL)")
    args = parser.parse_args(argv)
    total = args.rounds * args.raters
    rates: dict[str, list[float]] = {side: [] for side in SIDES}
    results: dict[str, list] = {side: [] for side in SIDES}
    busy = dict.fromkeys(SIDES, 0.0)  # seconds each side spent on its rounds
    with ExitStack() as stack:
        databases: dict[str, Database] = {}
        servers: dict[str, Server] = {}
        codes: dict[str, list[str]] = {}
        campaigns: dict[str, int] = {}
        for side in SIDES:
            instance = Path(tempfile.mkdtemp(prefix=f"evalapp-{side}-"))
            databases[side] = stack.enter_context(fresh_database(args.db))
            codes[side], campaigns[side] = prepare(databases[side], total, instance)
            servers[side] = Server(args.db, databases[side].url, instance, args.workers,
                                   floor=side == "floor")
            servers[side].start()
            stack.callback(servers[side].stop)
        for round_ in range(args.rounds):
            order = SIDES if round_ % 2 == 0 else SIDES[::-1]
            for side in order:
                tokens = codes[side][round_ * args.raters:(round_ + 1) * args.raters]
                started = time.perf_counter()
                visits = room(servers[side].base, tokens,
                              arrival_times(started, len(tokens), 0), think=0)
                seconds = time.perf_counter() - started
                busy[side] += seconds
                rates[side].append(sum(v.error is None for v in visits) / seconds)
                results[side] += visits
            print(f"round {round_ + 1}: app {rates['app'][-1]:.1f} raters/s, floor "
                  f"{rates['floor'][-1]:.1f} raters/s, app/floor "
                  f"{rates['app'][-1] / rates['floor'][-1]:.0%}", flush=True)
        for side in SIDES:
            servers[side].stop()
        open_box(databases["app"].url, servers["app"].instance, campaigns["app"])
        counted = {"app": count_outcome(databases["app"].url, campaigns["app"]),
                   "floor": floor_ballots(databases["floor"].url)}
    ratios = [a / f for a, f in zip(rates["app"], rates["floor"], strict=True)]
    consistent = True
    for side in SIDES:
        outcome = outcome_of(results[side], 0, busy[side], *counted[side])
        consistent &= outcome.consistent and not outcome.errors
        print(f"--- {side}: " + "\n".join(report(args.db, outcome).splitlines()[1:]))
    print(f"app/floor on {args.db}: median {statistics.median(ratios):.0%} over {args.rounds} "
          f"rounds of {args.raters} phones (rounds: "
          + ", ".join(f"{r:.0%}" for r in ratios) + ")")
    return 0 if consistent else 1


if __name__ == "__main__":
    sys.exit(main())
