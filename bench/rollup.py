"""The headquarters' roll-up of a national round: 3,800 branch campaigns closed with 46,000
ballots (12 on average, a few of 500), read together on the roll-up page by a leader at the
top, timed, against a floor measured in the same run (reading the campaigns' kept summaries
with a bare SELECT and parsing them, no app).

    python -m bench.rollup --db sqlite --branches 3800
    python -m bench.rollup --db postgresql --branches 3800

Builds the tree of `bench.rounds` and its round, makes the campaigns from the template, gives
each a subject and its ballots (written as an opened box leaves them, to save 46,000
sealings) and closes them all. Each closed campaign's summary is then made as the closing's
job makes it (its results computed once): timed in total and per campaign, as that work is
spread over the closings. Then the page: the first request, and the Excel export.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time

from bench.harness import CSRF, db_parser, fresh_database, timed_step
from bench.rounds import PASSWORD, build_tree

BALLOTS_PER_BRANCH = 46_000 / 3_800
LARGE = 500  # the largest campaigns' ballots


def ballot_counts(branches: int, rng: random.Random) -> list[int]:
    """Ballots per campaign: one in 400 (at least one) has LARGE, the others from 4 to 16,
    so that the whole averages about BALLOTS_PER_BRANCH."""
    large = max(1, branches // 400)
    rest = round(BALLOTS_PER_BRANCH * branches) - large * LARGE
    mean = max(rest / max(branches - large, 1), 4)
    counts = [LARGE] * large + [rng.randint(4, max(4, round(2 * mean) - 4))
                                for _ in range(branches - large)]
    rng.shuffle(counts)
    return counts


def _close_all(app, round_id: int, counts: list[int], rng: random.Random) -> int:
    """A subject and its ballots for each campaign of the round, then all closed; the number
    of ballots written."""
    import sqlalchemy as sa

    from evalapp.ballots.models import Ballot, encode_levels, random_ballot_id
    from evalapp.campaigns.models import (
        Campaign,
        CampaignStatus,
        Level,
        RaterGroup,
        Satisfaction,
        Subject,
    )
    from evalapp.database import utcnow
    from evalapp.extensions import db

    with app.app_context():
        campaigns = db.session.execute(sa.select(Campaign.id, Campaign.unit_id).where(
            Campaign.round_id == round_id, ~Campaign.is_template)
            .order_by(Campaign.id)).all()
        items = len(db.session.get_one(Campaign, campaigns[0].id).common_items())
        subjects = db.session.execute(Subject.__table__.insert().returning(
            Subject.__table__.c.id, sort_by_parameter_order=True), [
            {"campaign_id": c.id, "unit_id": c.unit_id, "position": 1,
             "person_name": f"书记{c.unit_id}", "post": "", "report_text": "述职报告"}
            for c in campaigns]).scalars().all()
        groups: dict[int, list[int]] = {}
        for campaign_id, group_id in db.session.execute(
                sa.select(RaterGroup.campaign_id, RaterGroup.id).order_by(RaterGroup.position)):
            groups.setdefault(campaign_id, []).append(group_id)
        levels, satisfaction = list(Level), list(Satisfaction)
        rows = [{"id": random_ballot_id(), "campaign_id": c.id, "subject_id": subject,
                 "rater_group_id": rng.choice(groups[c.id]),
                 "levels": encode_levels(rng.choices(levels, weights=(4, 3, 2, 1), k=items)),
                 "satisfaction": rng.choices(satisfaction, weights=(6, 3, 1))[0],
                 "comment": None, "overvoted": False}
                for c, subject, count in zip(campaigns, subjects, counts, strict=True)
                for _ in range(count)]
        db.session.execute(Ballot.__table__.insert(), rows)
        now = utcnow()
        db.session.execute(sa.update(Campaign).where(Campaign.id.in_([c.id for c in campaigns]))
                           .values(status=CampaignStatus.CLOSED, opened_at=now, closed_at=now))
        db.session.commit()
        return len(rows)


def _summaries(app, round_id: int) -> float:
    """Seconds to make every closed campaign's summary, as the closings' jobs do."""
    import sqlalchemy as sa
    from flask_babel import force_locale

    from evalapp.campaigns.models import Campaign
    from evalapp.extensions import db
    from evalapp.i18n import DEFAULT_LOCALE
    from evalapp.results import store
    from evalapp.results.outputs import SUMMARY

    with app.test_request_context(), force_locale(DEFAULT_LOCALE):
        campaigns = db.session.scalars(sa.select(Campaign).where(
            Campaign.round_id == round_id, ~Campaign.is_template)).all()
        started = time.perf_counter()
        for campaign in campaigns:
            store.kept(campaign, SUMMARY)
        return time.perf_counter() - started


def _floor(app) -> float:
    """Seconds to read every kept summary with a bare SELECT and parse it."""
    import sqlalchemy as sa

    from evalapp.extensions import db
    from evalapp.results.models import ResultOutput

    with app.app_context():
        started = time.perf_counter()
        with db.engine.connect() as connection:
            contents = connection.execute(sa.select(ResultOutput.content).where(
                ResultOutput.name == "summary.json")).scalars().all()
        parsed = [json.loads(content) for content in contents]
        elapsed = time.perf_counter() - started
        assert parsed
        return elapsed


def _leader(app, top_name: str) -> None:
    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    from evalapp.auth.models import Role, User
    from evalapp.database import utcnow
    from evalapp.extensions import db
    from evalapp.units.models import OrgUnit

    with app.app_context():
        unit = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.name_zh == top_name))
        db.session.add(User(username="leader", display_name="领导", role=Role.LEADER,
                            unit=unit, password_hash=generate_password_hash(PASSWORD),
                            password_changed_at=utcnow()))
        db.session.commit()


def run(kind: str, branches: int, seed: int = 27) -> tuple[dict[str, float], float, int, str]:
    """({step: seconds}, floor seconds, ballots, the page's text)."""
    import sqlalchemy as sa

    from evalapp import create_app
    from evalapp.extensions import db
    from evalapp.rounds.models import Round
    from evalapp.rounds.operations import instantiate
    from evalapp.schema import upgrade_schema
    from evalapp.units.models import OrgUnit, UnitKind

    rng = random.Random(seed)
    figures: dict[str, float] = {}
    with fresh_database(kind) as database:
        app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "SCHEMA_CHECK": False,
                          "INSTANCE_PATH": tempfile.mkdtemp(), "SECRET_KEY": "bench",
                          "PREPARE_RESULTS_AT_CLOSE": False})
        upgrade_schema(app)
        round_id = build_tree(app, branches)
        with app.app_context():  # one campaign a branch, as the round's page makes them
            instantiate(db.session.get_one(Round, round_id), db.session.scalars(
                sa.select(OrgUnit.id).where(OrgUnit.kind == UnitKind.BRANCH)).all())
            db.session.commit()
        ballots = _close_all(app, round_id, ballot_counts(branches, rng), rng)
        figures["summaries (made at closing)"] = _summaries(app, round_id)
        _leader(app, "海关总署")
        client = app.test_client()
        token = CSRF.search(client.get("/auth/login").get_data(as_text=True)).group(1)
        client.post("/auth/login", data={"username": "leader", "password": PASSWORD,
                                         "csrf_token": token})
        page = timed_step(client, figures, "roll-up page", "GET", f"/rollups/{round_id}", 200)
        timed_step(client, figures, "roll-up page (again)", "GET", f"/rollups/{round_id}", 200)
        timed_step(client, figures, "Excel summary", "GET", f"/rollups/{round_id}/rollup.xlsx",
                   200)
        floor = _floor(app)
        with app.app_context():
            db.engine.dispose()
    return figures, floor, ballots, page.get_data(as_text=True)


def main(argv: list[str] | None = None) -> int:
    parser = db_parser(__doc__)
    parser.add_argument("--branches", type=int, default=3800)
    args = parser.parse_args(argv)
    figures, floor, ballots, _page = run(args.db, args.branches)
    label = f"{args.db}, {args.branches} campaigns, {ballots} ballots"
    for step, seconds in figures.items():
        print(f"{label}: {step}: {seconds:.2f} s ({seconds / floor:.1f} × floor)")
    made = figures["summaries (made at closing)"]
    print(f"{label}: summaries: {1000 * made / args.branches:.1f} ms a campaign")
    print(f"{label}: floor (bare SELECT and parse of the summaries): {floor:.3f} s")
    return 0 if figures["roll-up page"] < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
