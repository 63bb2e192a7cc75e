"""Kill during submit, and kill during close.

During submit: SIGKILL the server in the middle of a burst, restart it, let every rater
retry, and check that nothing was lost or counted twice. Repeated for several rounds.

    python -m bench.kill --db sqlite --raters 200 --rounds 10
    python -m bench.kill --db postgresql --raters 200 --rounds 10

Invariants after each round: every rater who saw a receipt has that ballot stored; ballots
stored = tickets spent (one subject a ticket), so no ticket is spent without its ballot and
no ballot exists without a spent ticket; and every rater got through in the end.
SQLite runs with the documented durability (WAL, synchronous=FULL).

During close (`--during close`): a box of N sealed ballots; `evalapp close` is started and
SIGKILLed at a random moment, again and again until one run finishes. After every kill the
database holds either the sealed box (campaign open, N sealed, no ballot) or the opened
ballots (campaign closed, none sealed, N ballots), never both, never neither.

    python -m bench.kill --db sqlite --during close --raters 5000 --rounds 10
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

from bench.harness import (
    RECEIPT,
    Server,
    close_command,
    count_outcome,
    fresh_database,
    full_ballot,
    open_box,
    prepare,
)
from bench.http import HttpClient

PATIENCE_SECONDS = 120


def rater(base: str, token: str) -> str | None:
    """Retry until a receipt page is shown (its code is returned) or patience runs out. The
    cookie jar is kept across retries, as a phone keeps its session."""
    client = HttpClient(base)
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline:
        try:
            opened = client.get(f"/t/{token}")
            if opened.status == 303 and opened.headers.get("Location") == "/ballot":
                page = client.get("/ballot")
                if page.status == 200:
                    client.post("/ballot", full_ballot(page.text))
            receipt = client.get("/ballot/receipt")
            found = RECEIPT.search(receipt.text) if receipt.status == 200 else None
            if found:
                return found.group(1)
        except (urllib.error.URLError, http.client.HTTPException, OSError):
            pass  # the server died under us: try again, as a phone would
        time.sleep(0.2)
    return None


def round_(kind: str, raters: int, kill_after: float, workers: int) -> tuple[bool, str]:
    instance = Path(tempfile.mkdtemp(prefix="evalapp-kill-"))
    with fresh_database(kind) as database:
        tokens, campaign_id = prepare(database, raters, instance)
        server = Server(kind, database.url, instance, workers)
        server.start()

        def kill_and_restart() -> None:
            time.sleep(kill_after)
            server.kill()
            time.sleep(0.5)
            server.start()

        killer = threading.Thread(target=kill_and_restart)
        killer.start()
        with ThreadPoolExecutor(max_workers=50) as pool:
            receipts = list(pool.map(lambda token: rater(server.base, token), tokens))
        killer.join()
        server.stop()
        open_box(database.url, instance, campaign_id)
        stored, spent, stored_receipts = count_outcome(database.url, campaign_id)
    shown = [code for code in receipts if code]
    lost = [code for code in shown if code not in stored_receipts]
    ok = not lost and stored == spent == len(shown) == raters
    return ok, (f"{raters} raters, receipts shown {len(shown)}, ballots stored {stored}, "
                f"tickets spent {spent}, receipts missing from the database {len(lost)}")


def seal_directly(database, instance: Path, campaign_id: int, tokens: list[str]) -> None:
    """Spend every ticket and seal its ballot through the rating operations, as submits do."""
    from evalapp import create_app
    from evalapp.ballotbox.sealing import SealedContent
    from evalapp.campaigns.models import Satisfaction
    from evalapp.extensions import db
    from evalapp.rating.operations import check_ticket, submit_ballots
    from evalapp.tickets.tokens import hash_token, new_receipt_code

    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(instance),
                      "SECRET_KEY": "bench"})
    with app.app_context():
        for number, token in enumerate(tokens, 1):
            check = check_ticket(hash_token(token))
            submit_ballots(hash_token(token), secrets.token_hex(16), [SealedContent(
                subject_id=check.subject_ids[0], levels="1" * 28,
                satisfaction=Satisfaction.SATISFIED, comment="意见" * (number % 50),
                receipt_code=new_receipt_code())])
            if number % 500 == 0 or number == len(tokens):
                db.session.commit()
        db.engine.dispose()


def box_state(url: str, campaign_id: int) -> tuple[str, int, int]:
    """(campaign status, sealed boxes, opened ballots)."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        state = connection.execute(sa.text(
            "SELECT status, (SELECT count(*) FROM sealed_ballots WHERE campaign_id = :c), "
            "(SELECT count(*) FROM ballots WHERE campaign_id = :c) FROM campaigns "
            "WHERE id = :c"), {"c": campaign_id}).one()
    engine.dispose()
    return state[0], state[1], state[2]


def close_round(kind: str, ballots: int, rng: random.Random) -> tuple[bool, str]:
    instance = Path(tempfile.mkdtemp(prefix="evalapp-kill-close-"))
    with fresh_database(kind) as database:
        tokens, campaign_id = prepare(database, ballots, instance)
        seal_directly(database, instance, campaign_id, tokens)
        sealed, opened = ("open", ballots, 0), ("closed", 0, ballots)
        kills, states = 0, []
        while (state := box_state(database.url, campaign_id)) != opened:
            states.append(state)
            closing = close_command(database.url, instance, campaign_id)
            try:  # each attempt is given longer, so that one finishes in the end
                closing.communicate(timeout=rng.uniform(0.5, 6.0) * (1 + kills))
            except subprocess.TimeoutExpired:
                os.killpg(closing.pid, signal.SIGKILL)
                kills += 1
                closing.communicate()  # reaps it and closes its pipe
        states.append(state)
    ok = all(state in (sealed, opened) for state in states)
    return ok, (f"{ballots} sealed ballots, killed {kills} times while closing, states seen "
                f"{sorted(set(states))}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--raters", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--kill-after", type=float, default=1.5,
                        help="seconds into the burst when the server is killed")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--during", choices=["submit", "close"], default="submit")
    args = parser.parse_args(argv)
    failures = 0
    rng = random.Random()
    for number in range(1, args.rounds + 1):
        ok, summary = (round_(args.db, args.raters, args.kill_after, args.workers)
                       if args.during == "submit" else close_round(args.db, args.raters, rng))
        failures += not ok
        print(f"round {number} on {args.db}: {'OK' if ok else 'FAILED'}: {summary}", flush=True)
    print(f"{args.rounds - failures} of {args.rounds} rounds kept every invariant")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
