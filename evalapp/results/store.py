"""A closed campaign's charts and exports, built once and kept.

A closed campaign's figures never change (its ballots, roster and rules are frozen when the box
is opened), yet a chart costs about a second of matplotlib and the PDF report of five subjects
several seconds, and every view of a results page asked for them again. They are kept as files
in the instance folder, where every worker process of the server finds them:

- a file is written under a temporary name and renamed into place, so a reader sees the whole
  file or none, and two workers building the same file at once both leave a correct one;
- the folder is named by the campaign's id, the moment it closed *and* a digest of the code
  and catalogues that make the outputs (`OUTPUTS_DIGEST`), so a rebuilt demo or a restored
  backup that reuses an id never serves another campaign's files, and an upgrade that changes
  a figure, a chart or a disclosure rule never serves the files the old code made (which a
  fixed disclosure rule must not go on publishing); the campaign's other folders are removed
  when a new one is made;
- the language is part of a file's name (labels and wording are translated).

The PDF report is too slow for a request: it is built in a thread of the worker that is first
asked for it, while the leader's page says so and reloads itself; a marker file tells the other
workers it is under way. The building thread touches it every `HEARTBEAT_SECONDS`, so a marker
left still for `STALE_SECONDS` is a killed worker's and no longer counts. A build that fails
leaves a note for `FAILED_SECONDS`: the page then says so instead of reloading (and starting
the build again) for ever.

Keeping is a convenience, never a condition: when the folder cannot be written (full disk,
wrong owner) the output is built in the request and served all the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app
from flask_babel import force_locale, get_locale

from evalapp.campaigns.models import Campaign
from evalapp.paths import (
    PACKAGE_DIR,
    TRANSLATIONS_DIR,
    create_private,
    private_folder,
    write_atomically,
)


def _outputs_digest() -> str:
    """SHA-256 (first 12 hex digits) of what the kept files are made by: this package, the
    statistics, the templates and the translation catalogues."""
    import analysis

    sources = [*sorted(Path(__file__).parent.glob("*.py")),
               *sorted(Path(analysis.__file__).parent.glob("*.py")),
               *sorted((PACKAGE_DIR / "templates" / "results").glob("*.html")),
               *sorted(TRANSLATIONS_DIR.glob("*/LC_MESSAGES/*.mo"))]
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


OUTPUTS_DIGEST = _outputs_digest()
HEARTBEAT_SECONDS = 5
STALE_SECONDS = 30
FAILED_SECONDS = 60
log = logging.getLogger(__name__)


def _folder(instance_path: str, campaign: Campaign) -> Path:
    if campaign.closed_at is None:
        raise ValueError(f"campaign {campaign.id} is not closed: its results may change")
    return (Path(instance_path) / "results" / f"{campaign.id}-"
            f"{campaign.closed_at.strftime('%Y%m%dT%H%M%S%f')}-{OUTPUTS_DIGEST}")


def _path(instance_path: str, campaign: Campaign, name: str, locale: str) -> Path:
    return _folder(instance_path, campaign) / f"{locale}-{name}"


def _write(path: Path, content: bytes) -> None:
    _make_folder(path.parent)
    write_atomically(path, content)


def kept(campaign: Campaign, name: str, build: Callable[[], bytes]) -> bytes:
    """The output `name` (e.g. ``"subject-3-items.png"``) of the closed `campaign` in the
    current language: read from the instance folder, or built by `build` and kept there.

    Raises ValueError when the campaign is not closed."""
    content = ready(campaign, name)
    if content is None:
        content = build()
        path = _path(current_app.instance_path, campaign, name, str(get_locale()))
        try:
            _write(path, content)
        except OSError:
            log.warning("could not keep %s", path, exc_info=True)
    return content


def ready(campaign: Campaign, name: str) -> bytes | None:
    """The kept output `name` in the current language, or None when it has not been built."""
    path = _path(current_app.instance_path, campaign, name, str(get_locale()))
    try:
        return path.read_bytes()
    except OSError:  # not built yet, or a folder that cannot be read
        return None


def failed(campaign: Campaign, name: str) -> bool:
    """Whether the last build of `name` in the current language failed less than
    `FAILED_SECONDS` ago."""
    note = _path(current_app.instance_path, campaign, f"{name}.failed", str(get_locale()))
    try:
        return time.time() - note.stat().st_mtime < FAILED_SECONDS
    except OSError:
        return False


class Unwritable(OSError):
    """The instance folder cannot hold the output: build it in the request instead."""


def build_in_background(campaign: Campaign, name: str,
                        build: Callable[[Campaign], bytes]) -> threading.Thread | None:
    """Start building the output `name` of `campaign` in the current language in a thread of
    this process, unless some worker is building it already. `build` gets the campaign as
    loaded in the thread's own session. Returns the thread, or None when another build is
    under way. Raises `Unwritable` when the folder cannot be written."""
    app: Flask = current_app._get_current_object()
    locale = str(get_locale())
    path = _path(app.instance_path, campaign, name, locale)
    marker = path.with_name(f"{path.name}.building")
    note = path.with_name(f"{path.name}.failed")
    try:
        if not _claim(marker):
            return None
    except OSError as error:
        raise Unwritable(str(error)) from error
    campaign_id = campaign.id
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            with contextlib.suppress(OSError):
                marker.touch()

    def run() -> None:
        from evalapp.extensions import db

        with app.test_request_context(), force_locale(locale):
            try:
                _write(path, build(db.session.get_one(Campaign, campaign_id)))
                note.unlink(missing_ok=True)
            except Exception:
                log.exception("building %s of campaign %s failed", name, campaign_id)
                with contextlib.suppress(OSError):
                    note.touch()
            finally:
                done.set()
                marker.unlink(missing_ok=True)
                db.session.remove()

    threading.Thread(target=heartbeat, daemon=True).start()
    thread = threading.Thread(target=run, name=f"results-{campaign_id}-{name}", daemon=True)
    thread.start()
    return thread


def _make_folder(folder: Path) -> None:
    """Make the campaign's folder, first removing its folders made by other code or for
    another closing (kept files are a cache: nothing else refers to them)."""
    if folder.is_dir():
        return
    campaign_prefix = folder.name.split("-", 1)[0] + "-"
    if folder.parent.is_dir():
        for other in folder.parent.glob(f"{campaign_prefix}*"):
            shutil.rmtree(other, ignore_errors=True)
    private_folder(folder)


def _claim(marker: Path) -> bool:
    """Whether this process may build: it created the marker, or took over a stale one."""
    _make_folder(marker.parent)
    try:
        descriptor = create_private(marker, exclusive=True)
    except FileExistsError:
        try:
            if time.time() - marker.stat().st_mtime < STALE_SECONDS:
                return False
        except FileNotFoundError:
            pass  # the other build just finished; building again is harmless
        marker.touch()
        return True
    os.close(descriptor)
    return True

