"""Phones while an organiser uploads the costliest workbook the table reader accepts.

    python -m bench.upload --db postgresql --raters 300 --over 30    # gunicorn, one worker
    python -m bench.upload --db sqlite --raters 300 --over 30        # evalapp serve

The attack run of issue 24 sent a 6.4 MB workbook that cost 45–49 s of processor time and
1 GB of memory before it was refused, while phones waited up to 3.1 s. The reader now counts a
workbook's cells, rows and shared strings before loading it and refuses it past its bounds
(`evalapp.tabular`), and reads a file of more than 64 kB in a child process. What is left is
the worst that passes the bounds: 50,000 rows of 12 distinct texts (MAX_CELLS cells,
as a whole system's roster with a few more columns). This script measures it where it
hurts most: one gunicorn worker (gevent), so that the upload and every phone share one
process (on SQLite, `evalapp serve`'s threads).

Two rooms of phones (`bench.phones`: each its own connection, arriving at random within
`--over` seconds): one with nothing else running, then one while the organiser uploads the
workbook to a draft campaign's roster again and again. Prints each step's p50/p95/max for
both rooms, and each upload's time and answer.

Measured on a 2-core machine shared with other work (`--db postgresql --raters 150 --over 20`,
one worker): phones alone opened a ticket in 26 ms (p50; p95 158 ms) and submitted in 52 ms
(p95 97 ms); during the uploads in 95 ms (p95 226 ms) and 218 ms (p95 546 ms, the slowest
step 735 ms), none failing. Read in the worker itself, as before, the same upload kept them
waiting 33 s (p50 of opening a ticket; 44 s at worst). Each upload took 41 s there (13 s of
the child's processor time; the rest waiting for the machine's two cores).
"""

from __future__ import annotations

import io
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests
from openpyxl import Workbook

from bench.burst import EXPECTED, Rater, arrival_times
from bench.harness import (
    CSRF,
    Database,
    Server,
    db_parser,
    fresh_database,
    organiser_campaign,
    prepare,
)
from bench.phones import room
from evalapp.tabular import MAX_CELLS

PASSWORD = "bench-organiser-1"
COLUMNS = 12


def costliest_workbook() -> bytes:
    """MAX_CELLS cells in rows of COLUMNS distinct texts (as inline strings, as openpyxl
    writes them): what the reader's bounds let through at the most."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in range(MAX_CELLS // COLUMNS):
        sheet.append([f"人员{row}-{column}" for column in range(COLUMNS)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def add_organiser(database: Database, instance: Path) -> int:
    """An organiser ("bench-organiser") and a draft campaign of its unit; the campaign's id."""
    from evalapp import create_app
    from evalapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "INSTANCE_PATH": str(instance),
                      "SCHEMA_CHECK": False, "SECRET_KEY": "bench"})
    campaign_id = organiser_campaign(app, "bench-organiser", PASSWORD, "导入测试单位", "名单导入")
    with app.app_context():
        db.engine.dispose()
    return campaign_id


def organiser_session(base: str) -> requests.Session:
    session = requests.Session()
    token = CSRF.search(session.get(f"{base}/auth/login").text).group(1)
    session.post(f"{base}/auth/login", data={"username": "bench-organiser", "password": PASSWORD,
                                              "csrf_token": token}, allow_redirects=False)
    return session


def keep_uploading(base: str, campaign_id: int, content: bytes, stop: threading.Event,
                   done: list[tuple[float, int, str]]) -> None:
    """Uploads the workbook to the roster until `stop`: (seconds, status, message) each."""
    session = organiser_session(base)
    path = f"{base}/campaigns/{campaign_id}/roster/"
    while not stop.is_set():
        token = CSRF.search(session.get(path).text).group(1)
        started = time.perf_counter()
        reply = session.post(path, data={"csrf_token": token}, allow_redirects=False,
                             files={"file": ("名单.xlsx", content)})
        message = re.search(r'class="error-text"[^>]*>([^<]*)<', reply.text)
        done.append((time.perf_counter() - started, reply.status_code,
                     message.group(1) if message else ""))


def percentiles(results: list[Rater]) -> dict[str, tuple[float, float, float]]:
    return {step: (float(np.percentile(times, 50)), float(np.percentile(times, 95)),
                   max(times))
            for step in EXPECTED
            if (times := [r.timings[step] * 1000 for r in results if step in r.timings])}


def run(kind: str, raters: int, over: float, think: float, workers: int):
    content = costliest_workbook()
    instance = Path(tempfile.mkdtemp(prefix="evalapp-instance-"))
    with fresh_database(kind) as database:
        tokens, _campaign = prepare(database, 2 * raters, instance)
        draft = add_organiser(database, instance)
        server = Server(kind, database.url, instance, workers)
        server.start()
        try:
            quiet = room(server.base, tokens[:raters],
                         arrival_times(time.perf_counter(), raters, over), think)
            stop, uploads = threading.Event(), []
            uploader = threading.Thread(target=keep_uploading,
                                        args=(server.base, draft, content, stop, uploads))
            uploader.start()
            time.sleep(1.0)  # the first upload under way
            busy = room(server.base, tokens[raters:],
                        arrival_times(time.perf_counter(), raters, over), think)
            stop.set()
            uploader.join()
        finally:
            server.stop()
    return len(content), quiet, busy, uploads


def main(argv: list[str] | None = None) -> int:
    parser = db_parser(__doc__)
    parser.add_argument("--raters", type=int, default=300, help="phones in each room")
    parser.add_argument("--over", type=float, default=30.0,
                        help="seconds over which each room's phones arrive at random")
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (PostgreSQL)")
    args = parser.parse_args(argv)
    size, quiet, busy, uploads = run(args.db, args.raters, args.over, args.think, args.workers)
    print(f"upload on {args.db}: a workbook of {MAX_CELLS:,} cells, {size / 2**20:.1f} MB; "
          f"{args.raters} phones a room over {args.over:.0f} s")
    for name, results in (("phones alone", quiet), ("phones during uploads", busy)):
        errors = sum(r.error is not None for r in results)
        print(f"  {name}: {errors} errors")
        for step, (p50, p95, most) in percentiles(results).items():
            print(f"    {step:8} p50 {p50:7.0f} ms  p95 {p95:7.0f} ms  max {most:7.0f} ms")
    for seconds, status, message in uploads:
        print(f"  upload: {seconds:5.1f} s, HTTP {status} {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
