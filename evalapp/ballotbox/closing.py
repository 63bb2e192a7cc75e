"""Opening the box in the background, with progress the organiser can watch from any node.

Opening 100,000 sealed ballots takes seconds, too long for a request with nothing to show.
The request checks the key, writes the campaign's `BoxOpening` row and queues the job
`open-box` (evalapp.jobs), which any worker runs: it takes the key from the database (wrapped
under the key-encryption key: the server's own, or the one the shares made, handed over by
`keystore.hand_over`), opens the box and reports its progress on that row, which every node's
progress page reads. A job whose worker dies is run again by another; the opening is one
transaction under the campaign's row lock, and a campaign found closed is left as it is, so
the box opens exactly once. A row left still for `STALE_SECONDS` is a dead process's: the
page says so and closing can be started again.

When scrutineers hold the key, a thread of the process that started the closing first waits
for their shares: it makes the ceremony's key pair, whose private half lives in its memory
only and whose public half goes into the row, and every `POLL_SECONDS` opens the shares
released to it (`scrutineers.release`), until k of them fit (then it hands the key over and
queues the opening) or `CEREMONY_SECONDS` pass. A process that dies takes the ceremony's key
with it: the shares released to it are then useless to anyone, and the organiser starts the
closing again.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from nacl.public import PrivateKey

from evalapp.audit.operations import record
from evalapp.auth.models import User
from evalapp.ballotbox.custody import KeyShare, ShareRefused, fit_shares
from evalapp.ballotbox.keystore import hand_over, server_key, withdraw
from evalapp.ballotbox.models import BoxOpening
from evalapp.ballotbox.operations import finish_opening, open_box, sealed_count
from evalapp.ballotbox.scrutineers import released_shares
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.database import read_first, start_writing, utcnow, write_now
from evalapp.extensions import db
from evalapp.jobs import JobsUnavailable, enqueue, job

STALE_SECONDS = 120
POLL_SECONDS = 0.5
REPORT_SECONDS = 10  # while waiting, the row is written when something changes or this often
CEREMONY_SECONDS = 3 * 3600  # a closing meeting, with time to fetch a scrutineer
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    state: str  # "waiting" (for the scrutineers), "opening", "done" or "failed"
    done: int  # sealed boxes opened so far
    total: int
    updated: float  # time.time() of the last report
    ceremony: str = ""  # while waiting: the ceremony's public key (hex)
    released: tuple[int, ...] = ()  # while waiting: the share numbers released so far
    stuck: bool = False  # while waiting: k or more released, and no k of them fit
    misfits: tuple[int, ...] = ()  # shares offered that were not shares of the box's key
    request: str = ""  # the closing's name, which its job carries

    @property
    def running(self) -> bool:
        return self.state in ("waiting", "opening") and time.time() - self.updated < STALE_SECONDS

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


def read_progress(campaign_id: int) -> Progress | None:
    """The latest closing's progress."""
    row = db.session.execute(sa.select(BoxOpening).where(
        BoxOpening.campaign_id == campaign_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None:
        return None
    return Progress(row.state, row.done, row.total, row.updated_at.timestamp(), row.ceremony,
                    tuple(row.released), row.stuck, tuple(row.misfits), row.request)


def _report(campaign_id: int, state: str, done: int, total: int, **extra: object) -> None:
    """Write the progress, committed at once (the opening's own transaction commits only at
    the end). While the row exists it is an UPDATE, which on PostgreSQL does not wait for the
    campaign's row that the opening holds locked (an INSERT would, to check the reference)."""
    write_now(db.engine, BoxOpening.__table__, {"campaign_id": campaign_id}, {
        "state": state, "done": done, "total": total, "updated_at": utcnow(),
        "ceremony": "", "released": [], "stuck": False, **extra})


def start_opening(campaign_id: int, user_id: int | None, total: int,
                  misfits: Sequence[int] = ()) -> None:
    """Queue the opening of the box, whose key the database holds (the server's, or handed
    over from the shares); `misfits`, the shares left out, are shown when it is done. The
    caller's transaction is over (on SQLite its write lock would hold up the report).

    Raises JobsUnavailable when the queue cannot take it; the closing is then reported
    failed and a key the shares made is withdrawn."""
    request = secrets.token_hex(16)
    _report(campaign_id, "opening", 0, total, misfits=list(misfits), request=request)
    try:
        enqueue("open-box", campaign_id, user_id, request)
    except JobsUnavailable:
        _give_up(campaign_id, total, list(misfits))
        raise


def _give_up(campaign_id: int, total: int, misfits: list[int]) -> None:
    """Report the closing failed, and withdraw the key of a box in the scrutineers' custody
    if the campaign is still open (the organiser closes again with the shares)."""
    db.session.rollback()
    campaign = db.session.get_one(Campaign, campaign_id)
    public_key = campaign.box_public_key
    entrusted = campaign.status is CampaignStatus.OPEN and bool(campaign.box_threshold)
    db.session.rollback()
    if entrusted and public_key is not None:
        withdraw(public_key)
    _report(campaign_id, "failed", 0, total, misfits=misfits)


@job("open-box", daemon=False, minutes=180)
def open_box_job(campaign_id: int, user_id: int | None, request: str) -> None:
    """Open the campaign's box with the key the database holds, reporting progress, if
    `request` names the latest closing started (`start_opening`); else nothing. Run again
    after a worker's death, it finds the campaign closed: it finishes what followed the
    commit if that was cut short, and reports it done."""
    campaign = db.session.get_one(Campaign, campaign_id)
    progress = read_progress(campaign_id)
    if progress is None or not secrets.compare_digest(progress.request, request):
        log.warning("a job to open the box of campaign %s that no closing asked for",
                    campaign_id)
        db.session.rollback()
        return
    misfits = list(progress.misfits)
    if campaign.status is CampaignStatus.CLOSED:
        if progress.state != "done":
            db.session.rollback()
            finish_opening(db.session.get_one(Campaign, campaign_id))
        opened = progress.total
        db.session.rollback()
        _report(campaign_id, "done", opened, opened, misfits=misfits)
        return
    total = sealed_count(campaign_id)
    entrusted = bool(campaign.box_threshold)
    try:
        assert campaign.box_public_key is not None
        key = server_key(campaign.box_public_key)
        db.session.rollback()  # the opening takes the campaign's row lock in its own
        # SQLite has one writer at a time, the opening's transaction from its start: there
        # the page shows the opening begun until it is done.
        opened = open_box(campaign_id, key, user_id=user_id, progress=None
                          if db.engine.dialect.name == "sqlite" else lambda done, all_:
                          _report(campaign_id, "opening", done, all_, misfits=misfits))
    except Exception:
        log.exception("opening the ballot box of campaign %s failed", campaign_id)
        _give_up(campaign_id, total, misfits)
        if entrusted:
            return  # the key is withdrawn: trying again could only fail
        raise  # a worker tries again (after a failure past the commit, it finishes)
    db.session.rollback()  # what followed the opening's commit may have begun another
    if opened.tickets == 0 and total:
        return  # another closing opened the box meanwhile: its report stands
    _report(campaign_id, "done", opened.tickets, opened.tickets, misfits=misfits)


def settle_interrupted() -> int:
    """At a server's or a worker's start: the closings a dead process left mid-way, with no
    report for `STALE_SECONDS`. A campaign closed whose closing is not reported done gets
    what followed the commit (`finish_opening`); a campaign still open whose closing was
    under way (a failed one has been settled by `_give_up` already) is reported failed, and
    a key its scrutineers' shares made is withdrawn. Returns how many were settled."""
    stale = utcnow() - timedelta(seconds=STALE_SECONDS)
    rows = db.session.execute(sa.select(BoxOpening.campaign_id, BoxOpening.total,
                                        BoxOpening.misfits, Campaign.status).join(
        Campaign, Campaign.id == BoxOpening.campaign_id).where(
        BoxOpening.updated_at < stale, sa.or_(
            BoxOpening.state.in_(("waiting", "opening")),
            sa.and_(BoxOpening.state == "failed", Campaign.status == CampaignStatus.CLOSED)))
    ).all()
    db.session.rollback()
    for campaign_id, total, misfits, status in rows:
        if status is CampaignStatus.CLOSED:
            finish_opening(db.session.get_one(Campaign, campaign_id))
            db.session.rollback()
            _report(campaign_id, "done", total, total, misfits=misfits)
        else:
            _give_up(campaign_id, total, misfits)
    return len(rows)


def start_ceremony(app: Flask, campaign_id: int, user_id: int, total: int) -> threading.Thread:
    """Wait for the scrutineers' shares in a thread of this process, then queue the opening.
    A daemon: a ceremony cut short loses nothing but the releases, which are asked again.
    The caller has cleared earlier releases (`scrutineers.clear_releases`) and committed."""
    ceremony = PrivateKey.generate()
    public = bytes(ceremony.public_key).hex()
    _report(campaign_id, "waiting", 0, total, ceremony=public, misfits=[])
    thread = threading.Thread(target=_await_shares, name=f"job-ceremony-{campaign_id}",
                              args=(app, campaign_id, ceremony, user_id, total), daemon=True)
    thread.start()
    return thread


def _await_shares(app: Flask, campaign_id: int, ceremony: PrivateKey, user_id: int,
                  total: int) -> None:
    public = bytes(ceremony.public_key).hex()
    deadline = time.monotonic() + CEREMONY_SECONDS
    waiting = Waiting(ceremony, campaign_id, user_id, total)
    with app.app_context():
        read_first()  # its looks every POLL_SECONDS take no write lock from raters
        try:
            while time.monotonic() < deadline:
                current = read_progress(campaign_id)
                if current is None or current.ceremony != public:
                    return  # another ceremony took over, or the opening began
                db.session.rollback()  # the next look sees the releases committed since
                if waiting.try_opening():
                    return
                time.sleep(POLL_SECONDS)
            _report(campaign_id, "failed", 0, total)
        except Exception:
            log.exception("the closing ceremony of campaign %s failed", campaign_id)
            _give_up(campaign_id, total, [])
        finally:
            db.session.remove()


@dataclass
class Waiting:
    """A ceremony's state in its thread: the shares last tried, so that a set that did not
    fit is not tried again (with 15 shares, 7 needed, a full search takes seconds), and what
    was last reported."""

    ceremony: PrivateKey
    campaign_id: int
    user_id: int
    total: int
    tried: list[tuple[int, KeyShare]] = field(default_factory=list)
    stuck: bool = False
    reported: tuple[tuple[int, ...], bool, float] = ((), False, 0.0)

    def try_opening(self) -> bool:
        """Queue the opening when the shares released so far fit (True); else report and
        wait. Its reads end before anything is written (on SQLite the session's transaction
        holds the write lock, which the report's own connection would wait for)."""
        campaign = db.session.get_one(Campaign, self.campaign_id)
        public_key, threshold = campaign.box_public_key, campaign.box_threshold
        released = (released_shares(self.campaign_id, self.ceremony)
                    if campaign.status is CampaignStatus.OPEN else None)
        db.session.rollback()
        if released is None or public_key is None or threshold is None:
            _report(self.campaign_id, "failed", 0, self.total)
            return True
        if released.offered != self.tried:
            self.tried = released.offered
            try:
                fitted = fit_shares(public_key, threshold, released.offered)
            except ShareRefused as refused:
                self.stuck = refused.reason == "mismatch"
            else:
                self._open(fitted.key, sorted([*released.unfit, *fitted.misfits]))
                return True
        numbers = tuple(sorted([number for number, _ in released.offered] + released.unfit))
        if (numbers, self.stuck) != self.reported[:2] or (
                time.monotonic() - self.reported[2] > REPORT_SECONDS):
            _report(self.campaign_id, "waiting", 0, self.total,
                    ceremony=bytes(self.ceremony.public_key).hex(), stuck=self.stuck,
                    released=list(numbers))
            self.reported = (numbers, self.stuck, time.monotonic())
        return False

    def _open(self, key: PrivateKey, misfits: list[int]) -> None:
        start_writing(db.session)
        if misfits:
            record("custody.misfit", user=db.session.get(User, self.user_id),
                   campaign=db.session.get_one(Campaign, self.campaign_id), shares=misfits)
        hand_over(key)
        db.session.commit()
        start_opening(self.campaign_id, self.user_id, self.total, misfits)
