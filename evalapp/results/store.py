"""A closed campaign's charts and exports, built once and kept where every node reads them.

A closed campaign's figures never change (its ballots, roster and rules are frozen when the box
is opened; only the organisers' decision among persons tied for 优秀 comes later, and the
edition names it), yet a chart costs about a second of matplotlib and the PDF report of five
subjects several seconds. So they are built once per language and kept in the database
(`ResultOutput`), which every node of the server reads:

- when the campaign closes, a job builds every output a leader meets (`outputs.prepared`), in
  each language, so that the first view of any results page finds them made
  (`prepare_results`, connected to the box's opening; a setting turns it off);
- an output not yet there is built in the request (a chart, an Excel table) or, for the PDF
  report, by a job while the leader's page says so and reloads itself; a row "building" tells
  the other requests it is under way, and one left so for `STALE_SECONDS` is a dead worker's;
- a build that fails leaves its row "failed" for `FAILED_SECONDS`: the page then says so
  instead of reloading (and starting the build again) for ever;
- every row carries the edition that made it, the moment the campaign closed *and* a digest of
  the code and catalogues that make outputs (`OUTPUTS_DIGEST`), so a restored backup that
  reuses an id never serves another campaign's files, and an upgrade that changes a figure, a
  chart or a disclosure rule never serves what the old code made (which a fixed disclosure
  rule must not go on publishing).

Outputs hold published figures only (after the disclosure control), as the pages do.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, get_locale

from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.database import read_first, utcnow, write_now
from evalapp.extensions import db
from evalapp.i18n import DEFAULT_LOCALE, LANGUAGES
from evalapp.jobs import JobsUnavailable, enqueue, job
from evalapp.paths import PACKAGE_DIR, TRANSLATIONS_DIR
from evalapp.results.compute import campaign_results
from evalapp.results.models import ResultOutput
from evalapp.results.outputs import SUMMARY, build, prepared

# The app's modules outside this package that shape an output's bytes.
OUTPUT_MODULES = ("charts.py", "pdf.py", "spreadsheets.py", "i18n.py", "campaigns/labels.py")


def _outputs_digest() -> str:
    """SHA-256 (first 12 hex digits) of what the kept outputs are made by: this package,
    the statistics, `OUTPUT_MODULES`, the templates and the translation catalogues."""
    import analysis

    sources = [*sorted(Path(__file__).parent.glob("*.py")),
               *sorted(Path(analysis.__file__).parent.glob("*.py")),
               *(PACKAGE_DIR / name for name in OUTPUT_MODULES),
               *sorted((PACKAGE_DIR / "templates" / "results").glob("*.html")),
               *sorted(TRANSLATIONS_DIR.glob("*/LC_MESSAGES/*.mo"))]
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


OUTPUTS_DIGEST = _outputs_digest()
STALE_SECONDS = 60  # a report takes seconds; a build this old was a killed process's
FAILED_SECONDS = 60
log = logging.getLogger(__name__)


def _edition(campaign: Campaign) -> str:
    """What made the outputs: the close, the code's digest and, once the organisers have
    decided among persons tied for 优秀, that decision (the one thing that changes after the
    close), as 5 hex digits of its digest (the column holds 40 characters)."""
    closed = _closed_edition(campaign)
    graded = campaign.graded_item()
    decided = ("-" + hashlib.sha256(repr(graded.chosen).encode()).hexdigest()[:5]
               if graded is not None and graded.chosen else "")
    return f"{closed}{decided}"


def _closed_edition(campaign: Campaign) -> str:
    """The edition before any decision among tied persons: the close and the code's digest
    (what a summary, which no decision changes, depends on)."""
    if campaign.closed_at is None:
        raise ValueError(f"campaign {campaign.id} is not closed: its results may change")
    return f"{campaign.closed_at.strftime('%Y%m%dT%H%M%S%f')}-{OUTPUTS_DIGEST}"


def _row(campaign: Campaign, name: str, locale: str) -> ResultOutput | None:
    """The output's row of this edition, as committed now."""
    return db.session.execute(sa.select(ResultOutput).where(
        ResultOutput.campaign_id == campaign.id, ResultOutput.locale == locale,
        ResultOutput.name == name, ResultOutput.edition == _edition(campaign),
    ).execution_options(populate_existing=True)).scalar_one_or_none()


def _save(campaign: Campaign, name: str, locale: str, state: str,
          content: bytes | None = None) -> None:
    """Write the output's row at once, after ending the session's transaction: on SQLite that
    transaction may hold the write lock (outside a request), or be a reading one that could
    not write (a request's audit entry) once another connection has committed."""
    key = {"campaign_id": campaign.id, "locale": locale, "name": name}
    edition = _edition(campaign)
    db.session.rollback()
    write_now(db.engine, ResultOutput.__table__, key, {
        "edition": edition, "state": state, "content": content, "updated_at": utcnow()})


def kept(campaign: Campaign, name: str) -> bytes:
    """The output `name` (e.g. ``"subject-3-items.png"``) of the closed `campaign` in the
    current language: as kept, or built now and kept.

    Raises ValueError when the campaign is not closed, `outputs.NoSuchOutput` when it has no
    such output."""
    content = ready(campaign, name)
    if content is None:
        content = build(campaign_results(campaign), name)
        try:
            _save(campaign, name, str(get_locale()), "ready", content)
        except sa.exc.SQLAlchemyError:  # kept next time; the leader has it now
            log.warning("could not keep %s of campaign %s", name, campaign.id, exc_info=True)
    return content


def ready_summaries(campaigns: Sequence[Campaign]) -> dict[int, bytes]:
    """The kept summaries (`outputs.SUMMARY`) of the closed `campaigns`, by campaign id, in
    one query for a round of thousands: those not built in this edition are left out (the
    caller has them built). A summary does not depend on a decision among persons tied for
    优秀, so the edition's close and code digest are enough."""
    editions = {c.id: _closed_edition(c) for c in campaigns if c.closed_at is not None}
    rows = db.session.execute(sa.select(
        ResultOutput.campaign_id, ResultOutput.edition, ResultOutput.content).where(
        ResultOutput.name == SUMMARY, ResultOutput.locale == DEFAULT_LOCALE,
        ResultOutput.state == "ready", ResultOutput.campaign_id.in_(list(editions))))
    return {campaign_id: content for campaign_id, edition, content in rows
            if edition.startswith(editions[campaign_id])}


def ready(campaign: Campaign, name: str) -> bytes | None:
    """The kept output `name` in the current language, or None when it is not built."""
    row = _row(campaign, name, str(get_locale()))
    return row.content if row is not None and row.state == "ready" else None


def failed(campaign: Campaign, name: str) -> bool:
    """Whether the last build of `name` in the current language failed less than
    `FAILED_SECONDS` ago."""
    row = _row(campaign, name, str(get_locale()))
    return (row is not None and row.state == "failed"
            and utcnow() - row.updated_at < timedelta(seconds=FAILED_SECONDS))


def build_in_background(campaign: Campaign, name: str) -> bool:
    """Queue the building of the output `name` of `campaign` in the current language, unless
    a build is under way. Returns whether it was queued. Raises JobsUnavailable when the
    queue cannot take it (the caller builds it in the request)."""
    locale = str(get_locale())
    row = _row(campaign, name, locale)
    if row is not None and row.state == "building" and (
            utcnow() - row.updated_at < timedelta(seconds=STALE_SECONDS)):
        return False
    try:
        _save(campaign, name, locale, "building")
    except sa.exc.SQLAlchemyError:  # the mark only spares a second build; queue it all the same
        log.warning("could not mark %s of campaign %s", name, campaign.id, exc_info=True)
    enqueue("build-outputs", campaign.id, locale, [name])
    return True


def prepare_results(_app: object, campaign: Campaign) -> None:
    """Queue, in every language, the building of the outputs a leader meets (connected to
    `evalapp.ballotbox.operations.box_compacted`; off when PREPARE_RESULTS_AT_CLOSE is)."""
    if current_app.config["PREPARE_RESULTS_AT_CLOSE"]:
        try:
            enqueue("prepare-results", [campaign.id])
        except JobsUnavailable:  # each output is then built when first asked for
            log.warning("could not queue the results of campaign %s", campaign.id)


def prepare_unprepared(days: int = 90) -> int:
    """Queue the preparation of every campaign closed in the last `days` days whose
    report is not kept in this edition: those whose jobs ran in a process that ended first
    (`evalapp demo`, a server restarted mid-way) or that an upgrade made out of date. Run by
    `evalapp serve` at start. Returns how many campaigns were queued."""
    if not current_app.config["PREPARE_RESULTS_AT_CLOSE"]:
        return 0
    since = utcnow() - timedelta(days=days)
    rows = db.session.execute(
        sa.select(Campaign, ResultOutput.edition).outerjoin(ResultOutput, sa.and_(
            ResultOutput.campaign_id == Campaign.id, ResultOutput.name == "export.pdf",
            ResultOutput.locale == DEFAULT_LOCALE)).where(
            Campaign.status == CampaignStatus.CLOSED, Campaign.closed_at >= since)).all()
    unprepared = [campaign.id for campaign, edition in rows if edition != _edition(campaign)]
    db.session.rollback()  # on SQLite a command's transaction holds the one write lock
    if unprepared:  # one job for them all, one campaign after another
        enqueue("prepare-results", unprepared)
    return len(unprepared)


@job("prepare-results")
def prepare_job(campaign_ids: list[int]) -> None:
    """Build every output a leader meets of each campaign in turn, one language after the
    other, Chinese first: its report is then ready seconds after closing, where the
    languages side by side (drawing charts in turn, matplotlib being one per process) made
    both wait for each other."""
    for campaign_id in campaign_ids:
        for locale in LANGUAGES:
            build_outputs(campaign_id, locale, None)


@job("build-outputs")
def build_outputs(campaign_id: int, locale: str, names: list[str] | None) -> None:
    """Build the outputs `names` (None: `outputs.prepared`) of the closed campaign in
    `locale`, each not already kept, each kept as soon as it is made. A build that raises
    is marked failed and the others go on; a job run again (a worker died) builds only what
    is missing."""
    read_first()  # its writes are write_now's, in a connection of their own
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status is not CampaignStatus.CLOSED:
        return  # deleted since (a demo rebuilt), or a stale message
    with current_app.test_request_context(), force_locale(locale):
        results = campaign_results(campaign)
        made: dict[str, bytes] = {}

        def made_or_kept(name: str) -> bytes:
            """The output as kept, else made now and kept; the report asks for its charts
            through this too, so each is drawn once."""
            if name not in made:
                row = _row(campaign, name, locale)
                if row is not None and row.content is not None:
                    made[name] = row.content
                else:
                    made[name] = build(results, name, made_or_kept)
                    _save(campaign, name, locale, "ready", made[name])
            return made[name]

        for name in prepared(results) if names is None else names:
            try:
                made_or_kept(name)
            except Exception:
                log.exception("building %s of campaign %s failed", name, campaign_id)
                db.session.rollback()
                _save(campaign, name, locale, "failed")


@job("build-summaries")
def summaries_job(campaign_ids: list[int]) -> None:
    """Build the summary (`outputs.SUMMARY`) of each closed campaign not kept in this
    edition: what a round's roll-up asks for when many are missing (after an upgrade)."""
    for campaign_id in campaign_ids:
        build_outputs(campaign_id, DEFAULT_LOCALE, [SUMMARY])
