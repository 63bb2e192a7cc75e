"""Opening the box in the background, with progress the organiser can watch.

Opening 100,000 sealed ballots takes seconds, too long for a request with nothing to show.
The request checks the key, starts a thread and answers at once; the thread writes its
progress to a small file in the instance folder, which every worker process of the server
can read, and the organiser's page reloads itself until the campaign is closed. A kill
mid-way leaves the campaign open with its box sealed (one transaction), and a progress file
that stops moving: after `STALE_SECONDS` it no longer counts as running and closing can be
started again.

When scrutineers hold the key, the thread first waits for their shares: it makes the
ceremony's key pair, whose private half lives in its memory only and whose public half goes
into the progress file, and every `POLL_SECONDS` opens the shares released to it
(`scrutineers.release`), until k of them fit (then it opens the box) or `CEREMONY_SECONDS`
pass. A process that dies takes the ceremony's key with it: the shares released to it are
then useless to anyone, and the organiser starts the closing again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from nacl.public import PrivateKey

from evalapp.audit.operations import record
from evalapp.auth.models import User
from evalapp.ballotbox.custody import KeyShare, ShareRefused, fit_shares
from evalapp.ballotbox.operations import open_box
from evalapp.ballotbox.scrutineers import released_shares
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.extensions import db
from evalapp.paths import private_folder, write_atomically

STALE_SECONDS = 120
POLL_SECONDS = 0.5
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

    @property
    def running(self) -> bool:
        return self.state in ("waiting", "opening") and time.time() - self.updated < STALE_SECONDS

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


def progress_file(instance_path: str, campaign_id: int) -> Path:
    return Path(instance_path) / "ballot-box" / f"closing-{campaign_id}.json"


def read_progress(instance_path: str, campaign_id: int) -> Progress | None:
    try:
        data = json.loads(progress_file(instance_path, campaign_id).read_text())
        return Progress(str(data["state"]), int(data["done"]), int(data["total"]),
                        float(data["updated"]), str(data.get("ceremony", "")),
                        tuple(map(int, data.get("released", ()))), bool(data.get("stuck")),
                        tuple(map(int, data.get("misfits", ()))))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(instance_path: str, campaign_id: int, state: str, done: int, total: int,
           **extra: object) -> None:
    path = progress_file(instance_path, campaign_id)
    private_folder(path.parent)
    write_atomically(path, json.dumps({"state": state, "done": done, "total": total,
                                       "updated": time.time(), **extra}).encode())


def start_opening(app: Flask, campaign_id: int, key: PrivateKey, user_id: int | None,
                  total: int, misfits: Sequence[int] = ()) -> threading.Thread:
    """Open the box in a thread of this process. Not a daemon: a server shutting down
    gracefully waits for it rather than cutting the transaction short. `misfits`, the shares
    left out, are shown when it is done."""
    instance = app.instance_path
    _write(instance, campaign_id, "opening", 0, total, misfits=list(misfits))

    def run() -> None:
        with app.app_context():
            try:
                opened = open_box(
                    campaign_id, key, user_id=user_id,
                    progress=lambda done, all_: _write(instance, campaign_id, "opening",
                                                       done, all_, misfits=list(misfits)),
                )
                _write(instance, campaign_id, "done", opened.tickets, opened.tickets,
                       misfits=list(misfits))
            except Exception:
                log.exception("opening the ballot box of campaign %s failed", campaign_id)
                db.session.rollback()
                _write(instance, campaign_id, "failed", 0, total)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name=f"open-box-{campaign_id}")
    thread.start()
    return thread


def start_ceremony(app: Flask, campaign_id: int, user_id: int, total: int) -> threading.Thread:
    """Wait for the scrutineers' shares in a thread of this process, then open the box.
    A daemon: a ceremony cut short loses nothing but the releases, which are asked again.
    The caller has cleared earlier releases (`scrutineers.clear_releases`) and committed."""
    ceremony = PrivateKey.generate()
    public = bytes(ceremony.public_key).hex()
    _write(app.instance_path, campaign_id, "waiting", 0, total, ceremony=public)
    thread = threading.Thread(target=_await_shares, name=f"ceremony-{campaign_id}",
                              args=(app, campaign_id, ceremony, user_id, total), daemon=True)
    thread.start()
    return thread


def _await_shares(app: Flask, campaign_id: int, ceremony: PrivateKey, user_id: int,
                  total: int) -> None:
    instance, public = app.instance_path, bytes(ceremony.public_key).hex()
    deadline = time.monotonic() + CEREMONY_SECONDS
    waiting = Waiting(ceremony, campaign_id, user_id, total)
    with app.app_context():
        try:
            while time.monotonic() < deadline:
                current = read_progress(instance, campaign_id)
                if current is None or current.ceremony != public:
                    return  # another ceremony took over, or the opening began
                if waiting.try_opening(app):
                    return
                db.session.rollback()  # the next look sees the releases committed since
                time.sleep(POLL_SECONDS)
            _write(instance, campaign_id, "failed", 0, total)
        except Exception:
            log.exception("the closing ceremony of campaign %s failed", campaign_id)
            _write(instance, campaign_id, "failed", 0, total)
        finally:
            db.session.remove()


@dataclass
class Waiting:
    """A ceremony's state in its thread: the shares last tried, so that a set that did not
    fit is not tried again (with 15 shares, 7 needed, a full search takes seconds)."""

    ceremony: PrivateKey
    campaign_id: int
    user_id: int
    total: int
    tried: list[tuple[int, KeyShare]] = field(default_factory=list)
    stuck: bool = False

    def try_opening(self, app: Flask) -> bool:
        """Open the box when the shares released so far fit (True); else report and wait."""
        campaign = db.session.get_one(Campaign, self.campaign_id)
        if campaign.status is not CampaignStatus.OPEN or campaign.box_threshold is None:
            _write(app.instance_path, self.campaign_id, "failed", 0, self.total)
            return True
        assert campaign.box_public_key is not None
        released = released_shares(self.campaign_id, self.ceremony)
        if released.offered != self.tried:
            self.tried = released.offered
            try:
                fitted = fit_shares(campaign.box_public_key, campaign.box_threshold,
                                    released.offered)
            except ShareRefused as refused:
                self.stuck = refused.reason == "mismatch"
            else:
                self._open(app, campaign, fitted.key, sorted([*released.unfit,
                                                              *fitted.misfits]))
                return True
        _write(app.instance_path, self.campaign_id, "waiting", 0, self.total,
               ceremony=bytes(self.ceremony.public_key).hex(), stuck=self.stuck,
               released=sorted([number for number, _ in released.offered] + released.unfit))
        return False

    def _open(self, app: Flask, campaign: Campaign, key: PrivateKey,
              misfits: list[int]) -> None:
        if misfits:
            record("custody.misfit", user=db.session.get(User, self.user_id),
                   campaign=campaign, shares=misfits)
            db.session.commit()
        db.session.rollback()
        start_opening(app, self.campaign_id, key, self.user_id, self.total, misfits)
