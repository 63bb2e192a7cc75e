"""Time a leader opening a closed campaign's results: a subject page with its two charts, and
the PDF report, the first time (computed, drawn, kept) and again (read from the store).

    python -m bench.pages --db sqlite
    python -m bench.pages --db postgresql

Builds the demo in a fresh database and instance folder, logs in as its leader through the
log-in form, and requests the pages in-process (no server, so the figures are the app's own
work). The report's first time runs from the first request until the file is served.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time

from bench.harness import CSRF, ballots_arguments, fresh_database

PASSWORD = re.compile(r"organiser\s+密码 / password: (\S+)")


def _timed(client, paths: list[str]) -> float:
    started = time.perf_counter()
    for path in paths:
        while (response := client.get(path)).status_code == 202:
            time.sleep(0.05)
        assert response.status_code == 200, (path, response.status_code)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    args = ballots_arguments(__doc__, argv)
    import sqlalchemy as sa

    from evalapp import create_app
    from evalapp.campaigns.models import Campaign, CampaignStatus
    from evalapp.extensions import db
    from evalapp.schema import upgrade_schema

    with fresh_database(args.db) as database:
        app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "SCHEMA_CHECK": False,
                          "INSTANCE_PATH": tempfile.mkdtemp(), "SECRET_KEY": "bench"})
        upgrade_schema(app)
        demo = app.test_cli_runner().invoke(args=["demo"]).output
        client = app.test_client()
        token = CSRF.search(client.get("/auth/login").get_data(as_text=True)).group(1)
        client.post("/auth/login", data={"username": "leader", "csrf_token": token,
                                         "password": PASSWORD.search(demo).group(1)})
        with app.app_context():
            campaign = db.session.scalars(sa.select(Campaign).where(
                Campaign.status == CampaignStatus.CLOSED).order_by(Campaign.id)).first()
            base = f"/campaigns/{campaign.id}/results"
            subject = campaign.subjects[0].id
        page = [f"{base}/{subject}", f"{base}/{subject}/items.png",
                f"{base}/{subject}/heatmap.png"]
        report = [f"{base}/export.pdf"]
        figures = {"subject page + 2 charts, first": _timed(client, page),
                   "subject page + 2 charts, again": _timed(client, page),
                   "PDF report (5 subjects), first": _timed(client, report),
                   "PDF report (5 subjects), again": _timed(client, report)}
        with app.app_context():
            db.engine.dispose()
    for label, seconds in figures.items():
        print(f"{args.db}: {label}: {seconds * 1000:.0f} ms")
    values = list(figures.values())
    print(f"{args.db}: again / first: page {values[1] / values[0]:.2f}, "
          f"report {values[3] / values[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
