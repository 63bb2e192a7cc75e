"""Opening a ballot box of N sealed ballots at close, against the floor of reading them.

    python -m bench.box --db sqlite --ballots 100000 --repeat 3
    python -m bench.box --db postgresql --ballots 100000 --repeat 3

Builds a fresh database with an open campaign whose box holds N sealed ballots (one subject
each, 28 answered items, an opinion on one in five) and N tickets spent with their marks (which
the close clears and, on PostgreSQL, vacuums). Then times reading the sealed rows alone (the
floor no opening can beat, best of 3), and the whole close (decrypt, write the ballots, delete
the sealed rows, commit, destroy the key, compact storage) on --repeat fresh copies of the same
box, so that the noise of a shared machine shows: a copied file on SQLite, a database made from
it as template on PostgreSQL, both flushed to disk before the clock starts. Each opening prints
when the last box was decrypted and when the opening committed (the ballots readable, the
campaign closed); the summary prints the minimum and the median.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from bench.harness import PG_ADMIN, Database, ballots_arguments, fresh_database, prepare

LEVELS = "0123"


def fill_box(app, campaign_id: int, ballots: int) -> None:
    from evalapp.ballotbox.models import SealedBallot
    from evalapp.ballotbox.sealing import SealedContent, seal
    from evalapp.ballots.models import random_ballot_id
    from evalapp.campaigns.models import Campaign, Satisfaction
    from evalapp.extensions import db
    from evalapp.tickets.tokens import new_receipt_code

    rng = np.random.default_rng(1)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        subject = campaign.subjects[0].id
        groups = [g for (g,) in db.session.execute(sa.text(
            "SELECT id FROM rater_groups WHERE campaign_id = :c"), {"c": campaign_id})]
        public = campaign.box_public_key
        satisfactions = list(Satisfaction)
        rows = []
        for number in range(ballots):
            content = SealedContent(
                subject_id=subject,
                levels="".join(LEVELS[i] for i in rng.integers(0, 4, 28)),
                satisfaction=satisfactions[int(rng.integers(0, 3))],
                comment="建议进一步加强调查研究" if number % 5 == 0 else None,
                receipt_code=new_receipt_code())
            rows.append({"id": random_ballot_id(), "campaign_id": campaign_id,
                         "box": seal(public, groups[number % len(groups)], [content])})
            if len(rows) == 5000:
                db.session.execute(sa.insert(SealedBallot), rows)
                db.session.commit()
                rows = []
        if rows:
            db.session.execute(sa.insert(SealedBallot), rows)
            db.session.commit()
        db.session.execute(sa.text("DELETE FROM unspent_tickets"))  # every ticket spent
        db.session.commit()
        db.engine.dispose()


def read_floor(app, campaign_id: int) -> float:
    from evalapp.ballotbox.operations import sealed_boxes
    from evalapp.extensions import db

    with app.app_context():
        started = time.perf_counter()
        with db.engine.connect() as connection:
            for _box in sealed_boxes(connection, campaign_id):
                pass
        seconds = time.perf_counter() - started
        db.engine.dispose()
    return seconds


def open_it(app, campaign_id: int) -> float:
    from sqlalchemy.orm import Session

    from evalapp.ballotbox.operations import close_campaign
    from evalapp.campaigns.models import Campaign
    from evalapp.extensions import db

    reports: list[float] = []
    commits: list[float] = []

    def committed(_session: Session) -> None:
        commits.append(time.perf_counter())

    sa.event.listen(Session, "after_commit", committed)
    try:
        with app.app_context():
            started = time.perf_counter()
            opened = close_campaign(db.session.get(Campaign, campaign_id),
                                    progress=lambda done, total: reports.append(
                                        time.perf_counter()))
            seconds = time.perf_counter() - started
            db.engine.dispose()
    finally:
        sa.event.remove(Session, "after_commit", committed)
    print(f"  opened {opened.ballots} ballots in {seconds:.2f} s: last box decrypted at "
          f"{reports[-1] - started:.2f} s, committed at {commits[0] - started:.2f} s "
          f"({len(reports)} progress reports)", flush=True)
    return seconds


@contextmanager
def copy_of(database: Database, instance: Path) -> Iterator[tuple[str, Path]]:
    """A copy of the filled database and of its instance folder (which holds the key)."""
    folder = Path(tempfile.mkdtemp(prefix="evalapp-box-copy-"))
    shutil.copytree(instance, folder / "instance")
    if database.kind == "sqlite":
        source = Path(sa.make_url(database.url).database)
        for path in source.parent.glob(f"{source.name}*"):  # with its -wal, if any
            shutil.copy(path, folder / path.name)
        os.sync()  # the copy's 500 MB on disk now, not written back during the opening
        yield f"sqlite:///{folder / source.name}", folder / "instance"
        shutil.rmtree(folder, ignore_errors=True)
        return
    url = sa.make_url(database.url)
    name = f"{url.database}_copy"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {url.database}")
        connection.exec_driver_sql("CHECKPOINT")  # the copy's WAL flushed before the opening
    try:
        yield url.set(database=name).render_as_string(hide_password=False), folder / "instance"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    from evalapp import create_app

    args = ballots_arguments(__doc__, argv, repeat=3)
    instance = Path(tempfile.mkdtemp(prefix="evalapp-box-"))
    with fresh_database(args.db) as database:
        _, campaign_id = prepare(database, args.ballots, instance)
        config = {"INSTANCE_PATH": str(instance), "SECRET_KEY": "bench"}
        app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, **config})
        started = time.perf_counter()
        fill_box(app, campaign_id, args.ballots)
        print(f"box of {args.ballots} sealed ballots on {args.db} filled in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        floor = min(read_floor(app, campaign_id) for _ in range(3))
        print(f"floor: reading the sealed rows: {floor:.2f} s (best of 3)", flush=True)
        openings = []
        for _ in range(args.repeat):
            with copy_of(database, instance) as (url, folder):
                openings.append(open_it(create_app(
                    {**config, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(folder)}),
                    campaign_id))
    shutil.rmtree(instance, ignore_errors=True)
    best, median = min(openings), statistics.median(openings)
    print(f"opening, {len(openings)} copies: min {best:.2f} s, median {median:.2f} s "
          f"= {best / floor:.1f} x the floor; target under 15 s: "
          f"{'met' if median < 15 else 'NOT met'} (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
