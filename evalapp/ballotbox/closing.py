"""Opening the box in the background, with progress the organiser can watch.

Opening 100,000 sealed ballots takes seconds, too long for a request with nothing to show.
The request checks the key, starts a thread and answers at once; the thread writes its
progress to a small file in the instance folder, which every worker process of the server
can read, and the organiser's page reloads itself until the campaign is closed. A kill
mid-way leaves the campaign open with its box sealed (one transaction), and a progress file
that stops moving: after `STALE_SECONDS` it no longer counts as running and closing can be
started again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from nacl.public import PrivateKey

from evalapp.ballotbox.custody import key_folder
from evalapp.ballotbox.operations import open_box
from evalapp.extensions import db
from evalapp.paths import private_folder, write_atomically

STALE_SECONDS = 120
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    state: str  # "opening", "done" or "failed"
    done: int  # sealed boxes opened so far
    total: int
    updated: float  # time.time() of the last report

    @property
    def running(self) -> bool:
        return self.state == "opening" and time.time() - self.updated < STALE_SECONDS

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)


def progress_file(instance_path: str, campaign_id: int) -> Path:
    return key_folder(instance_path) / f"closing-{campaign_id}.json"


def read_progress(instance_path: str, campaign_id: int) -> Progress | None:
    try:
        data = json.loads(progress_file(instance_path, campaign_id).read_text())
        return Progress(str(data["state"]), int(data["done"]), int(data["total"]),
                        float(data["updated"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(instance_path: str, campaign_id: int, state: str, done: int, total: int) -> None:
    path = progress_file(instance_path, campaign_id)
    private_folder(path.parent)
    write_atomically(path, json.dumps({"state": state, "done": done, "total": total,
                                       "updated": time.time()}).encode())


def start_opening(app: Flask, campaign_id: int, key: PrivateKey, user_id: int | None,
                  total: int) -> threading.Thread:
    """Open the box in a thread of this process. Not a daemon: a server shutting down
    gracefully waits for it rather than cutting the transaction short."""
    instance = app.instance_path
    _write(instance, campaign_id, "opening", 0, total)

    def run() -> None:
        with app.app_context():
            try:
                opened = open_box(
                    campaign_id, key, user_id=user_id,
                    progress=lambda done, all_: _write(instance, campaign_id, "opening",
                                                       done, all_),
                )
                _write(instance, campaign_id, "done", opened.tickets, opened.tickets)
            except Exception:
                log.exception("opening the ballot box of campaign %s failed", campaign_id)
                db.session.rollback()
                _write(instance, campaign_id, "failed", 0, total)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name=f"open-box-{campaign_id}")
    thread.start()
    return thread
