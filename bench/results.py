"""Time a leader opening the overview: full results of 100,000 ballots from the database,
against the floor of only reading those ballots into arrays (`load_ballots`).

    python -m bench.results --db sqlite --ballots 100000
    python -m bench.results --db postgresql --ballots 100000

Fills a fresh database with a closed campaign (5 subjects, 4 rater groups, 28 items, random
answers), then reads its ballots and computes its results from the database three times each,
interleaved, and prints the times and the ratio of the medians.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from bench.harness import ballots_arguments, fresh_database

LEVELS = np.array(list("0123-"))


def fill(url: str, instance: Path, ballots: int) -> tuple[object, int]:
    from evalapp import create_app
    from evalapp.ballotbox.operations import close_campaign, open_campaign
    from evalapp.ballots.models import Ballot, random_ballot_id
    from evalapp.campaigns.models import IndividualItem, RaterGroup, Subject
    from evalapp.campaigns.operations import create_campaign
    from evalapp.extensions import db
    from evalapp.roster.models import RosterEntry
    from evalapp.schema import upgrade_schema
    from evalapp.units.models import OrgUnit, UnitKind

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance),
                      "SCHEMA_CHECK": False, "SECRET_KEY": "bench"})
    upgrade_schema(app)
    rng = np.random.default_rng(7)
    with app.app_context():
        unit = OrgUnit(kind=UnitKind.ADMINISTRATION, name_zh="基准测试")
        campaign = create_campaign(unit, "十万票")
        for position in range(1, 6):
            subject = Subject(campaign=campaign, unit=unit, position=position,
                              person_name=f"述职人{position}", report_text="报告")
            subject.individual_items = [IndividualItem(position=i, text_zh=f"个性{i}")
                                        for i in range(1, 5)]
            db.session.add(subject)
        db.session.flush()
        groups = db.session.scalars(sa.select(RaterGroup).where(
            RaterGroup.campaign_id == campaign.id)).all()
        for group, size in zip(groups, (5000, 2000, 20000, 8000), strict=True):
            db.session.execute(sa.insert(RosterEntry), [
                {"campaign_id": campaign.id, "rater_group_id": group.id, "name": "某",
                 "staff_number": f"{group.id}-{n}", "unit_name": ""} for n in range(size)])
        open_campaign(campaign)
        subjects = [s.id for s in campaign.subjects]
        codes = rng.choice(LEVELS, size=(ballots, 28), p=[0.55, 0.3, 0.1, 0.03, 0.02])
        strings = ["".join(row) for row in codes]
        subject_of = rng.choice(subjects, size=ballots)
        group_of = rng.choice([g.id for g in groups], size=ballots, p=[0.15, 0.05, 0.6, 0.2])
        satisfaction = rng.choice(["satisfied", "fairly_satisfied", "dissatisfied"],
                                  size=ballots, p=[0.7, 0.25, 0.05])
        for start in range(0, ballots, 10_000):
            db.session.execute(sa.insert(Ballot), [
                {"id": random_ballot_id(), "campaign_id": campaign.id,
                 "subject_id": int(subject_of[i]), "rater_group_id": int(group_of[i]),
                 "levels": strings[i], "satisfaction": satisfaction[i], "comment": None}
                for i in range(start, min(start + 10_000, ballots))])
        close_campaign(campaign)
        db.session.commit()
        return app, campaign.id


def main(argv: list[str] | None = None) -> int:
    args = ballots_arguments(__doc__, argv)
    from evalapp.campaigns.models import Campaign
    from evalapp.extensions import db
    from evalapp.results.compute import campaign_results
    from evalapp.results.data import load_ballots

    with fresh_database(args.db) as database:
        app, campaign_id = fill(database.url, Path(tempfile.mkdtemp()), args.ballots)
        times, reads = [], []
        for _ in range(3):
            with app.app_context():
                started = time.perf_counter()
                load_ballots(campaign_id, 28)
                reads.append(time.perf_counter() - started)
            with app.app_context():
                started = time.perf_counter()
                results = campaign_results(db.session.get(Campaign, campaign_id))
                times.append(time.perf_counter() - started)
                valid = sum(r.counted for r in results.subjects)
        with app.app_context():
            db.engine.dispose()
    print(f"results of {args.ballots} ballots on {args.db} ({valid} valid): "
          + ", ".join(f"{t * 1000:.0f} ms" for t in times))
    print("reading the ballots alone: " + ", ".join(f"{t * 1000:.0f} ms" for t in reads))
    print(f"results / reading (medians): {np.median(times) / np.median(reads):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
