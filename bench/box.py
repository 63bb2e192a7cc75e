"""Opening a ballot box of N sealed ballots at close, against the floor of reading them.

    python -m bench.box --db sqlite --ballots 100000
    python -m bench.box --db postgresql --ballots 100000

Builds a fresh database with an open campaign whose box holds N sealed ballots (one subject
each, 28 answered items, an opinion on one in five), then times, three times each on copies
of the same box where the database allows: reading the sealed rows alone (the floor no
opening can beat), and the whole close (decrypt, shuffle, write the ballots, delete the
sealed rows, commit, destroy the key, compact storage). Prints both and their ratio.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from bench.harness import ballots_arguments, fresh_database, prepare

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
        db.engine.dispose()


def read_floor(app, campaign_id: int) -> float:
    from evalapp.extensions import db

    with app.app_context():
        started = time.perf_counter()
        with db.engine.connect() as connection:
            for _box in connection.execute(sa.text(
                    "SELECT box FROM sealed_ballots WHERE campaign_id = :c"),
                    {"c": campaign_id}).scalars():
                pass
        seconds = time.perf_counter() - started
        db.engine.dispose()
    return seconds


def open_it(app, campaign_id: int) -> float:
    from evalapp.ballotbox.operations import close_campaign
    from evalapp.campaigns.models import Campaign
    from evalapp.extensions import db

    reports = []
    with app.app_context():
        started = time.perf_counter()
        opened = close_campaign(db.session.get(Campaign, campaign_id),
                                progress=lambda done, total: reports.append(done))
        seconds = time.perf_counter() - started
        db.engine.dispose()
    print(f"  opened {opened.ballots} ballots in {seconds:.2f} s "
          f"({len(reports)} progress reports)", flush=True)
    return seconds


def main(argv: list[str] | None = None) -> int:
    from evalapp import create_app

    args = ballots_arguments(__doc__, argv)
    instance = Path(tempfile.mkdtemp(prefix="evalapp-box-"))
    with fresh_database(args.db) as database:
        _, campaign_id = prepare(database, 4, instance)
        app = create_app({"SQLALCHEMY_DATABASE_URI": database.url,
                          "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench"})
        started = time.perf_counter()
        fill_box(app, campaign_id, args.ballots)
        print(f"box of {args.ballots} sealed ballots on {args.db} filled in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        floor = min(read_floor(app, campaign_id) for _ in range(3))
        print(f"floor: reading the sealed rows: {floor:.2f} s (best of 3)", flush=True)
        seconds = open_it(app, campaign_id)
    shutil.rmtree(instance, ignore_errors=True)
    print(f"opening: {seconds:.2f} s = {seconds / floor:.1f} x the floor; target under 15 s: "
          f"{'met' if seconds < 15 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
