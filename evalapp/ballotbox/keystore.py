"""The private keys of open ballot boxes the server holds, kept in the database where every
node finds them, and useless to whoever reads it: each is wrapped under the key-encryption key
of the configuration (evalapp.keywrap), bound to the box's public key.

Why not the instance folder, where they were: a campaign could be closed only on the node that
opened it, and the loss of that node's disk lost every ballot of the campaign. A reader of the
database alone still opens nothing. The price: whoever holds both a copy of the database taken
while a box was open and, at any time, the key-encryption key can open that copy's box, where
the key file's deletion at close used to end that. The key-encryption key is therefore kept
apart from backups (docs/operations.md); scrutineer custody keeps the box's key off the
servers altogether.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from nacl.public import PrivateKey

from evalapp.ballotbox.models import BoxKey
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.extensions import db
from evalapp.keywrap import ForeignKey, unwrap, wrap


class KeyMissing(LookupError):
    """No usable key for the box: none is stored (`reason` "absent"), or this node's
    key-encryption key does not unwrap it ("foreign")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


PURPOSE = "box key"


def new_server_key() -> bytes:
    """A fresh key pair for a box the server holds the key of: the private key is added to
    the session, wrapped (the caller commits it with the campaign's opening); the public key
    is returned for the campaign."""
    private = PrivateKey.generate()
    hand_over(private)
    return bytes(private.public_key)


def hand_over(private: PrivateKey) -> None:
    """Keep the box's private key wrapped in the database (added to the session; the caller
    commits): a server-held box's from its opening, or the key that the scrutineers' shares
    made, from the closing until the opening job deletes it with the sealed boxes. Any node's
    worker can then open the box, and no secret travels through the job queue. A key already
    kept (a closing started again) is written over with the same."""
    public = bytes(private.public_key)
    db.session.merge(BoxKey(public_key=public, wrapped=wrap(bytes(private), PURPOSE, public)))


def server_key(public_key: bytes) -> PrivateKey:
    """The private key of a box the server holds; KeyMissing when this node cannot use it."""
    wrapped = db.session.scalar(sa.select(BoxKey.wrapped).where(BoxKey.public_key == public_key))
    if wrapped is None:
        raise KeyMissing("absent")
    try:
        private = PrivateKey(unwrap(wrapped, PURPOSE, public_key))
    except ForeignKey:
        raise KeyMissing("foreign") from None
    if bytes(private.public_key) != public_key:  # cannot happen unless the row was forged
        raise KeyMissing("foreign")
    return private


def withdraw(public_key: bytes) -> None:
    """Delete, and commit, a key the scrutineers' shares made and `hand_over` kept for an
    opening that did not happen (failed, its process gone, the queue unreachable): the
    scrutineers' custody must not end with the server holding their box's key. The
    organiser closes again with the shares."""
    db.session.execute(sa.delete(BoxKey).where(BoxKey.public_key == public_key))
    db.session.commit()


def destroy_key(connection: sa.Connection, public_key: bytes) -> None:
    """Delete the box's key, in the transaction that writes its opened ballots."""
    connection.execute(sa.delete(BoxKey).where(BoxKey.public_key == public_key))


def destroy_legacy_key_files() -> None:
    """Destroy (overwrite, then delete) the key files that versions before migration 0019
    kept in the instance folder's ballot-box/: a box's key file once the database holds the
    box's key (the migration wrapped it) or the box is no longer open (a kill between an
    opening's commit and the file's deletion left it), and every paper keying key file (the
    keyings' keys are derived now). Not in the migration itself: a file destroyed there
    would be lost with the wrapped key if the upgrade's transaction rolled back. Run after
    each opening, and by `evalapp serve` after it migrates."""
    folder = Path(current_app.instance_path) / "ballot-box"
    files = [*folder.glob("*.key"), *folder.glob("*.keying")] if folder.is_dir() else []
    if not files:
        return
    wrapped = set(db.session.scalars(sa.select(BoxKey.public_key)))
    still_open = set(db.session.scalars(sa.select(Campaign.box_public_key).where(
        Campaign.status == CampaignStatus.OPEN)))
    for path in files:
        try:
            public = bytes.fromhex(path.stem)
        except ValueError:
            continue
        if path.suffix == ".keying" or public in wrapped or public not in still_open:
            with path.open("r+b") as handle:
                handle.write(secrets.token_bytes(path.stat().st_size))
            path.unlink()
