"""A system-wide roster through the organiser's pages: upload, column mapping, check, confirm,
then the roster and draw pages over it, each step timed, against a floor measured in the same
run (the same rows written by a bare `executemany`, no app, no ORM).

    python -m bench.roster_import --db sqlite --people 50000
    python -m bench.roster_import --db postgresql --people 50000 --format xlsx

Builds a fresh database and instance folder, a campaign with the four default rater groups
and an organiser who logs in through the log-in form, then requests the pages in-process (no
server, so the figures are the app's own work). The roster is made up (names, staff numbers,
units, rater group), as a personnel office's export: CSV in GBK, or one Excel sheet. Prints
milliseconds per step, the people stored, and the confirm step (the INSERTs and everything
around them) as a multiple of the floor.
"""

from __future__ import annotations

import io
import re
import sys
import tempfile
import time

from bench.harness import CSRF, db_parser, fresh_database, organiser_campaign, timed_step

GROUPS = ("机关党员", "机关群众", "基层党员", "基层群众")
UNITS = ("石家庄海关", "秦皇岛海关", "唐山海关", "保定海关", "邯郸海关", "沧州海关")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
PASSWORD = "Bench-roster-2026"
UPLOAD = re.compile(r"upload=([0-9a-f]{32})")


def people(count: int) -> list[tuple[str, str, str, str]]:
    """(name, staff number, unit, rater group) of `count` made-up people."""
    return [(SURNAMES[i % len(SURNAMES)] + GIVEN[i // len(SURNAMES) % len(GIVEN)]
             + GIVEN[i % len(GIVEN)], f"{100_001 + i}", UNITS[i % len(UNITS)],
             GROUPS[i * 7 % len(GROUPS)]) for i in range(count)]


def roster_file(rows: list[tuple[str, str, str, str]], kind: str) -> tuple[str, bytes]:
    """(file name, bytes) of the roster with its header, as CSV (GBK) or an Excel sheet."""
    header = ("姓名", "工号", "单位", "类别")
    if kind == "csv":
        text = "\r\n".join(",".join(row) for row in [header, *rows]) + "\r\n"
        return "roster.csv", text.encode("gbk")
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in [header, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return "roster.xlsx", buffer.getvalue()


def _setup(app) -> int:
    """A campaign of a unit with its organiser."""
    return organiser_campaign(app, "organiser", PASSWORD, "石家庄海关", "全关测评")


def _floor(app, campaign_id: int, rows: list[tuple[str, str, str, str]]) -> float:
    """Seconds to replace the campaign's roster with `rows` by a bare executemany in one
    transaction: what the confirm step cannot beat."""
    import sqlalchemy as sa

    from evalapp.campaigns.models import RaterGroup
    from evalapp.extensions import db
    from evalapp.roster.models import RosterEntry

    with app.app_context():
        group_ids = dict(db.session.execute(sa.select(RaterGroup.name_zh, RaterGroup.id).where(
            RaterGroup.campaign_id == campaign_id)).all())
        db.session.remove()  # its transaction would hold SQLite's write lock
        values = [{"campaign_id": campaign_id, "rater_group_id": group_ids[group], "name": name,
                   "staff_number": staff, "unit_name": unit}
                  for name, staff, unit, group in rows]
        table = RosterEntry.__table__
        started = time.perf_counter()
        with db.engine.begin() as connection:
            connection.execute(table.delete().where(table.c.campaign_id == campaign_id))
            connection.execute(table.insert(), values)
        return time.perf_counter() - started


def run(kind: str, count: int, file_kind: str) -> tuple[dict[str, float], float, int]:
    """({step: seconds}, floor seconds, people stored) for one roster through the pages."""
    import sqlalchemy as sa

    from evalapp import create_app
    from evalapp.extensions import db
    from evalapp.roster.models import RosterEntry
    from evalapp.schema import upgrade_schema

    rows = people(count)
    filename, content = roster_file(rows, file_kind)
    figures: dict[str, float] = {}
    with fresh_database(kind) as database:
        app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "SCHEMA_CHECK": False,
                          "INSTANCE_PATH": tempfile.mkdtemp(), "SECRET_KEY": "bench"})
        upgrade_schema(app)
        campaign_id = _setup(app)
        floor = _floor(app, campaign_id, rows)
        client = app.test_client()
        token = CSRF.search(client.get("/auth/login").get_data(as_text=True)).group(1)
        client.post("/auth/login", data={"username": "organiser", "password": PASSWORD,
                                         "csrf_token": token})
        base = f"/campaigns/{campaign_id}"
        page = timed_step(client, figures, "roster page (before)", "GET", f"{base}/roster/", 200)
        token = CSRF.search(page.get_data(as_text=True)).group(1)
        uploaded = timed_step(client, figures, "upload", "POST", f"{base}/roster/", 303,
                         data={"csrf_token": token, "file": (io.BytesIO(content), filename)},
                         content_type="multipart/form-data")
        location = uploaded.headers["Location"]
        mapping = timed_step(client, figures, "column mapping page", "GET", location, 200)
        form = {"csrf_token": CSRF.search(mapping.get_data(as_text=True)).group(1),
                "upload": UPLOAD.search(location).group(1), "name": "0", "staff_number": "1",
                "unit": "2", "group": "3", "office": "-1", "membership": "-1"}
        timed_step(client, figures, "check", "POST", f"{base}/roster/mapping", 200,
              data={**form, "check": "1"})
        timed_step(client, figures, "confirm (import)", "POST", f"{base}/roster/mapping", 303,
              data={**form, "confirm": "1"})
        timed_step(client, figures, "roster page (after)", "GET", f"{base}/roster/", 200)
        timed_step(client, figures, "roster page 500", "GET", f"{base}/roster/?page=500", 200)
        draws = timed_step(client, figures, "draws page", "GET", f"{base}/draws/", 200)
        prepared = timed_step(client, figures, "prepare a 10% draw", "POST", f"{base}/draws/", 303,
                         data={"csrf_token": CSRF.search(draws.get_data(as_text=True)).group(1),
                               "percent": "10", "minimum": "0"})
        draw = prepared.headers["Location"].rstrip("/")
        detail = timed_step(client, figures, "draw page (prepared)", "GET", draw, 200)
        timed_step(client, figures, "meeting notice", "GET", f"{draw}/notice", 200)
        timed_step(client, figures, "draw", "POST", f"{draw}/draw", 303,
              data={"csrf_token": CSRF.search(detail.get_data(as_text=True)).group(1),
                    "witness": "3 5 1 6", "again": "3 5 1 6"})
        timed_step(client, figures, "draw page (drawn)", "GET", draw, 200)
        timed_step(client, figures, "verify the draw", "GET", f"{draw}/verify", 200)
        with app.app_context():
            stored = db.session.scalar(sa.select(sa.func.count(RosterEntry.id)))
        with app.app_context():  # after the session has given back its connection
            db.engine.dispose()
    return figures, floor, stored


def main(argv: list[str] | None = None) -> int:
    parser = db_parser(__doc__)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    args = parser.parse_args(argv)
    figures, floor, stored = run(args.db, args.people, args.format)
    label = f"{args.db}, {args.people} people, {args.format}"
    for step, seconds in figures.items():
        print(f"{label}: {step}: {seconds * 1000:.0f} ms")
    print(f"{label}: floor (bare executemany of the same rows): {floor * 1000:.0f} ms")
    print(f"{label}: stored {stored}; confirm / floor {figures['confirm (import)'] / floor:.1f}; "
          f"upload to imported {sum(list(figures.values())[1:5]):.1f} s")
    return 0 if stored == args.people else 1


if __name__ == "__main__":
    sys.exit(main())
