"""A round over every party branch of the administration through the organiser's pages: its
campaigns made from its template, one change of the design carried to all of them, and the
round's page listing them, each timed, against a floor measured in the same run (the same
rows written by a bare `executemany` into tables of the same columns, no app, no ORM).

    python -m bench.rounds --db sqlite --branches 3800
    python -m bench.rounds --db postgresql --branches 3800

Builds a fresh database with the tree 总署 → 46 直属海关 → 4 隶属海关 each → `--branches`
党支部 spread over them, and a round made at the top with the default design; its organiser
logs in through the log-in form and the pages are requested in-process (no server, so the
figures are the app's own work). "make the campaigns" is the instantiation's confirmed POST
(one campaign for each branch, as every branch of the level is chosen); "carry a change" is
the scoring page's POST on the template, which carries the new settings, questionnaire and
groups to every campaign not opened. Prints seconds per step and each step as a multiple of
the floor.
"""

from __future__ import annotations

import sys
import tempfile
import time

from bench.harness import CSRF, db_parser, fresh_database, organiser_campaign, timed_step

PASSWORD = "Bench-rounds-2026"
DIRECT, SUBORDINATE_EACH = 46, 4


def build_tree(app, branches: int) -> int:
    """The tree below a new top unit with its organiser; the round's id."""
    import sqlalchemy as sa

    from evalapp.campaigns.models import Campaign
    from evalapp.extensions import db
    from evalapp.rounds.operations import RoundData, create_round
    from evalapp.units.models import OrgUnit, UnitKind

    campaign_id = organiser_campaign(app, "organiser", PASSWORD, "海关总署", "单独的测评")
    with app.app_context():
        top = db.session.get_one(Campaign, campaign_id).unit
        units = OrgUnit.__table__
        direct = db.session.execute(units.insert().returning(
            units.c.id, sort_by_parameter_order=True), [
            {"parent_id": top.id, "kind": UnitKind.DIRECT, "name_zh": f"直属海关{n}",
             "name_en": "", "is_demo": False} for n in range(DIRECT)]).scalars().all()
        offices = db.session.execute(units.insert().returning(
            units.c.id, sort_by_parameter_order=True), [
            {"parent_id": parent, "kind": UnitKind.SUBORDINATE, "name_zh": f"隶属海关{n}",
             "name_en": "", "is_demo": False}
            for parent in direct for n in range(SUBORDINATE_EACH)]).scalars().all()
        db.session.execute(units.insert(), [
            {"parent_id": offices[n % len(offices)], "kind": UnitKind.BRANCH,
             "name_zh": f"第{n}党支部", "name_en": "", "is_demo": False}
            for n in range(branches)])
        round_ = create_round(top, RoundData("党支部书记抓基层党建述职评议"))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(OrgUnit.id)).where(
            OrgUnit.kind == UnitKind.BRANCH)) == branches
        return round_.id


def _floor(app, round_id: int) -> float:
    """Seconds to write the rows the round's campaigns hold (campaigns, sections, common
    items, rater groups) by a bare executemany each, in one transaction, into tables of the
    same columns without keys or constraints: what making the campaigns cannot beat."""
    import sqlalchemy as sa

    from evalapp.campaigns.models import Campaign, CommonItem, RaterGroup, Section
    from evalapp.extensions import db

    with app.app_context():
        members = sa.select(Campaign.id).where(Campaign.round_id == round_id,
                                               ~Campaign.is_template)
        sections = sa.select(Section.id).where(Section.campaign_id.in_(members))
        wheres = ((Campaign, Campaign.id.in_(members)), (Section, Section.id.in_(sections)),
                  (CommonItem, CommonItem.section_id.in_(sections)),
                  (RaterGroup, RaterGroup.campaign_id.in_(members)))
        rows = [[dict(row._mapping) for row in db.session.execute(
            sa.select(model.__table__).where(where))] for model, where in wheres]
        db.session.remove()  # its transaction would hold SQLite's write lock
        scratch = sa.MetaData()
        copies = [sa.Table(f"floor_{model.__table__.name}", scratch,
                           *(sa.Column(column.name, column.type)
                             for column in model.__table__.columns)) for model, _ in wheres]
        scratch.create_all(db.engine)
        started = time.perf_counter()
        with db.engine.begin() as connection:
            for copy, written in zip(copies, rows, strict=True):
                connection.execute(copy.insert(), written)
        elapsed = time.perf_counter() - started
        scratch.drop_all(db.engine)
        return elapsed


def _campaigns(app, round_id: int) -> tuple[int, int]:
    """(the round's campaigns, those of them whose minimum reporting size is 7)."""
    import sqlalchemy as sa

    from evalapp.campaigns.models import Campaign
    from evalapp.extensions import db

    with app.app_context():
        members = sa.select(sa.func.count(Campaign.id)).where(
            Campaign.round_id == round_id, ~Campaign.is_template)
        return (db.session.scalar(members),
                db.session.scalar(members.where(Campaign.min_report_size == 7)))


def run(kind: str, branches: int) -> tuple[dict[str, float], float, tuple[int, int]]:
    """({step: seconds}, floor seconds, (campaigns made, campaigns the change reached))."""
    from evalapp import create_app
    from evalapp.extensions import db
    from evalapp.rounds.models import Round
    from evalapp.schema import upgrade_schema

    figures: dict[str, float] = {}
    with fresh_database(kind) as database:
        app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "SCHEMA_CHECK": False,
                          "INSTANCE_PATH": tempfile.mkdtemp(), "SECRET_KEY": "bench"})
        upgrade_schema(app)
        round_id = build_tree(app, branches)
        with app.app_context():
            template = db.session.get_one(Round, round_id).template.id
        client = app.test_client()
        token = CSRF.search(client.get("/auth/login").get_data(as_text=True)).group(1)
        client.post("/auth/login", data={"username": "organiser", "password": PASSWORD,
                                         "csrf_token": token})
        base = f"/rounds/{round_id}"
        page = timed_step(client, figures, "round page (before)", "GET", base, 200)
        token = CSRF.search(page.get_data(as_text=True)).group(1)
        chosen = {"csrf_token": token, "scope": "level", "level": "branch"}
        timed_step(client, figures, "confirmation page", "POST", f"{base}/instantiate", 200,
              data=chosen)
        timed_step(client, figures, "make the campaigns", "POST", f"{base}/instantiate", 303,
              data={**chosen, "confirm": "yes"})
        made = _campaigns(app, round_id)[0]
        timed_step(client, figures, "round page (after)", "GET", base, 200)
        scoring = f"/campaigns/{template}/scoring"
        page = timed_step(client, figures, "scoring page", "GET", scoring, 200).get_data(
            as_text=True)
        form = {"csrf_token": CSRF.search(page).group(1), "points_excellent": "100",
                "points_good": "80", "points_fair": "60", "points_poor": "40",
                "grade_excellent_min": "90", "grade_good_min": "80", "grade_fair_min": "60",
                "min_report_size": "7", "void_blank_fraction": "25", "trim_above": "",
                "paper_recheck_percent": "10"}
        timed_step(client, figures, "carry a change", "POST", scoring, 303, data=form)
        reached = _campaigns(app, round_id)[1]
        floor = _floor(app, round_id)
        with app.app_context():  # after the session has given back its connection
            db.engine.dispose()
    return figures, floor, (made, reached)


def main(argv: list[str] | None = None) -> int:
    parser = db_parser(__doc__)
    parser.add_argument("--branches", type=int, default=3800)
    args = parser.parse_args(argv)
    figures, floor, (made, reached) = run(args.db, args.branches)
    label = f"{args.db}, {args.branches} branches"
    for step, seconds in figures.items():
        print(f"{label}: {step}: {seconds:.2f} s ({seconds / floor:.1f} × floor)")
    print(f"{label}: floor (bare executemany of the same rows): {floor:.2f} s")
    print(f"{label}: campaigns made {made}, reached by the change {reached}")
    return 0 if made == reached == args.branches else 1


if __name__ == "__main__":
    sys.exit(main())
