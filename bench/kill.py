"""Kill during submit: SIGKILL the server in the middle of a burst, restart it, let every
rater retry, and check that nothing was lost or counted twice. Repeated for several rounds.

    python -m bench.kill --db sqlite --raters 200 --rounds 10
    python -m bench.kill --db postgresql --raters 200 --rounds 10

Invariants after each round: every rater who saw a receipt has that ballot stored; ballots
stored = tickets spent (one subject a ticket), so no ticket is spent without its ballot and
no ballot exists without a spent ticket; and every rater got through in the end.
SQLite runs with the documented durability (WAL, synchronous=FULL).
"""

from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import threading
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.harness import (
    RECEIPT,
    Server,
    count_outcome,
    fresh_database,
    full_ballot,
    prepare,
)
from tests.http import HttpClient

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
        stored, spent, stored_receipts = count_outcome(database.url, campaign_id)
    shown = [code for code in receipts if code]
    lost = [code for code in shown if code not in stored_receipts]
    ok = not lost and stored == spent == len(shown) == raters
    return ok, (f"{raters} raters, receipts shown {len(shown)}, ballots stored {stored}, "
                f"tickets spent {spent}, receipts missing from the database {len(lost)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--raters", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--kill-after", type=float, default=1.5,
                        help="seconds into the burst when the server is killed")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    failures = 0
    for number in range(1, args.rounds + 1):
        ok, summary = round_(args.db, args.raters, args.kill_after, args.workers)
        failures += not ok
        print(f"round {number} on {args.db}: {'OK' if ok else 'FAILED'}: {summary}", flush=True)
    print(f"{args.rounds - failures} of {args.rounds} rounds kept every invariant")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
