"""Opening a campaign with a fresh ballot box, sealing ballots into it, and opening it at close.

Opening the box is the one moment ballots become readable, and it is built so that this
moment links no ballot to its ticket: every ballot is written in one transaction, in random
order, with fresh random ids; the sealed rows go in the same transaction, so a kill leaves
either the sealed box or the opened ballots, never both or neither. Only after that commit
is the private key destroyed and the storage compacted: no byte of a sealed row, of a spent
ticket's unspent row or of a keying is left in the database's files (PostgreSQL rewrites
those tables, VACUUM FULL; SQLite's `secure_delete` zeroed them when deleted, and its WAL is
checkpointed and truncated).
"""

from __future__ import annotations

import itertools
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from nacl.public import PrivateKey

from analysis.nomination import NOMINATED, NominatedItem, overvoted
from evalapp.audit.operations import record
from evalapp.auth.models import User
from evalapp.ballotbox.custody import combine_shares, split_key
from evalapp.ballotbox.keystore import (
    destroy_key,
    destroy_legacy_key_files,
    new_server_key,
    server_key,
)
from evalapp.ballotbox.models import BoxKey, SealedBallot
from evalapp.ballotbox.receipts import void_flags, write_receipts, write_rows
from evalapp.ballotbox.scrutineers import entrust
from evalapp.ballotbox.sealing import SealedContent, seal, unseal
from evalapp.ballots.models import Ballot, random_ballot_id
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.campaigns.operations import mark_closed, mark_open
from evalapp.extensions import db
from evalapp.tickets.models import PaperKeying, Ticket, TicketBatch, UnspentTicket

# Sent once a box is opened and its key gone, with the campaign: the results publish the
# digest of the anonymised ballot export then (evalapp.results.published), which this
# package, below the results, cannot call.
box_opened = Namespace().signal("box-opened")
# Sent after that, once the storage is compacted: the results' builds begin then
# (evalapp.results.store.prepare_results), not during the compaction, whose checkpoint on
# SQLite waits for every reader while holding writers back.
box_compacted = Namespace().signal("box-compacted")


@dataclass(frozen=True)
class Scrutineers:
    """k of the n chosen scrutineers (监票人) must release their shares to open the box."""

    threshold: int
    custodians: tuple[int, ...]  # their accounts' ids, each with a custody key


def open_campaign(campaign: Campaign, scrutineers: Scrutineers | None = None) -> None:
    """Open the campaign with a fresh ballot box, its key held by the server (wrapped in the
    database, evalapp.ballotbox.keystore) or in the scrutineers' custody (each share sealed to
    its scrutineer's key; none is shown). The caller commits."""
    if scrutineers is None:
        mark_open(campaign, new_server_key())
        return
    public, shares = split_key(scrutineers.threshold, len(scrutineers.custodians))
    mark_open(campaign, public, threshold=scrutineers.threshold, shares=len(shares))
    entrust(campaign, scrutineers.custodians, shares)


def seal_ballots(
    campaign_id: int, public_key: bytes, rater_group_id: int, ballots: Sequence[SealedContent],
    *, spend_check: str | None = None,
) -> None:
    """Store one ticket's ballots in the box (in the transaction that spends the ticket)."""
    db.session.connection().execute(sa.insert(SealedBallot.__table__).values(  # Core
        id=random_ballot_id(), campaign_id=campaign_id,
        box=seal(public_key, rater_group_id, ballots), spend_check=spend_check,
    ))


def sealed_with(spend_check: str) -> bool:
    """Whether a box carrying this spend check is in (see `SealedBallot.spend_check`)."""
    return bool(db.session.scalar(
        sa.select(sa.exists().where(SealedBallot.spend_check == spend_check))))


def box_key(campaign: Campaign, shares: Sequence[str] = ()) -> PrivateKey:
    """The key that opens the campaign's box: from the scrutineers' shares when they hold it
    (ShareRefused names what is wrong), else the server's (KeyMissing when this node cannot
    unwrap it)."""
    assert campaign.box_public_key is not None
    if campaign.box_threshold:
        return combine_shares(campaign.box_public_key, campaign.box_threshold, shares).key
    return server_key(campaign.box_public_key)


def sealed_count(campaign_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(SealedBallot)
        .where(SealedBallot.campaign_id == campaign_id)
    ) or 0


@dataclass(frozen=True)
class Opened:
    tickets: int  # sealed boxes opened, one per spent ticket
    ballots: int  # ballots written, one per subject of each ticket


Progress = Callable[[int, int], None]  # (boxes opened so far, boxes in all)
# An opened ballot as written, after its id and campaign: subject, rater group, levels,
# satisfaction (the column's value), comment, overvoted; and its receipt, which is written
# apart (evalapp.ballotbox.receipts). Plain tuples: 100,000 of them are made.
Row = tuple[int, int, str, str | None, str | None, bool, str]


def close_campaign(
    campaign: Campaign, shares: Sequence[str] = (), *, user: User | None = None,
    progress: Progress | None = None, console: str | None = None,
) -> Opened:
    """Close the campaign and open its box with the key at hand. Commits. `console`: the
    system user, when closed from the server's console (`evalapp close`), for the log."""
    return open_box(campaign.id, box_key(campaign, shares),
                    user_id=user.id if user else None, progress=progress, console=console)


def open_box(
    campaign_id: int, key: PrivateKey, *, user_id: int | None = None,
    progress: Progress | None = None, console: str | None = None,
) -> Opened:
    """Close the campaign, write its ballots and delete its keys, all in one transaction;
    commits, then compacts storage. A campaign already closed is left as it is.

    Raises nacl.exceptions.CryptoError if a box was not sealed to `key` (nothing changes).
    """
    campaign = db.session.execute(
        # Submits hold a share lock on the campaign row until they commit: once this lock is
        # granted, every spent ticket's box is visible and no further one can arrive.
        sa.select(Campaign).where(Campaign.id == campaign_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    if campaign.status is not CampaignStatus.OPEN:
        db.session.rollback()
        return Opened(0, 0)
    total = sealed_count(campaign_id)
    connection = db.session.connection()
    rows: list[Row] = []
    opened = 0
    last_report = 0.0
    nominated = campaign.nominated_item()
    for boxes, chunk in _unsealed(key, sealed_boxes(connection, campaign_id), nominated):
        rows += chunk
        opened += boxes
        if progress and (opened == total or time.monotonic() - last_report > 0.5):
            progress(opened, total)
            last_report = time.monotonic()
    _write_ballots(connection, campaign_id, rows)
    void = void_flags([row[2] for row in rows], campaign.void_blank_fraction,
                      campaign.void_uniform)
    write_receipts(connection, campaign_id, [row[-1] for row in rows],
                   [flag or row[5] for flag, row in zip(void, rows, strict=True)])
    _empty_box(connection, campaign_id)
    _discard_keyings(connection, campaign_id)
    assert campaign.box_public_key is not None
    destroy_key(connection, campaign.box_public_key)
    mark_closed(campaign)
    # Tickets used (a sealed box each) and the ballots in them (one per subject a ticket
    # covers): two counts, each named for what it counts.
    record("campaign.close", user=db.session.get(User, user_id) if user_id else None,
           campaign=campaign, tickets_used=opened, ballots=len(rows),
           **({"console": console} if console else {}))
    db.session.commit()
    finish_opening(campaign)
    return Opened(total, len(rows))


def sealed_boxes(connection: sa.Connection, campaign_id: int) -> Iterator[bytes]:
    """The campaign's sealed boxes, a few hundred at a time, through the driver's own cursor:
    430 MB for 100,000 ballots, which SQLAlchemy's result rows and PostgreSQL's hex text form
    of bytea would each slow by seconds (a server-side cursor in binary format there)."""
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver.cursor(name="sealed_boxes", binary=True) as cursor:
            cursor.itersize = _CHUNK
            cursor.execute(_SELECT_BOXES.replace("?", "%s"), (campaign_id,))
            for (box,) in cursor:
                yield box
        return
    cursor = driver.execute(_SELECT_BOXES, (campaign_id,))
    while batch := cursor.fetchmany(_CHUNK):
        for (box,) in batch:
            yield box


_SELECT_BOXES = f"SELECT box FROM {SealedBallot.__tablename__} WHERE campaign_id = ?"
_COLUMNS = ("id", "campaign_id", "subject_id", "rater_group_id", "levels", "satisfaction",
            "comment", "overvoted")


def _write_ballots(connection: sa.Connection, campaign_id: int, rows: list[Row]) -> None:
    """Write the opened ballots, each with a fresh random id, in the order of those ids, and
    without their receipts (`write_receipts` writes those apart).

    That order is a uniformly random permutation (the ids come from the operating system's
    randomness), so neither the rows' places in storage nor the order in which they reach
    the log follows the order of the sealed boxes; and each b-tree grows at one end, a
    quarter of the time of inserts at random places on SQLite."""
    write_rows(connection, Ballot.__tablename__, _COLUMNS,
               sorted((random_ballot_id(), campaign_id, *row[:-1]) for row in rows))


def _empty_box(connection: sa.Connection, campaign_id: int) -> None:
    """Delete the campaign's sealed boxes. On PostgreSQL, when no other campaign has any,
    the table is truncated instead: its files are replaced at once, and the compaction after
    the commit (`rewrite_spend_tables`) has no box to copy. The lock that
    TRUNCATE needs waits for submits to other campaigns in flight, so the emptiness is
    checked again under it; the first check keeps two closings from waiting on each other."""
    others = sa.select(sa.exists().where(SealedBallot.campaign_id != campaign_id))
    if connection.dialect.name == "postgresql" and not connection.scalar(others):
        connection.exec_driver_sql(
            f"LOCK TABLE {SealedBallot.__tablename__} IN ACCESS EXCLUSIVE MODE")
        if not connection.scalar(others):
            connection.exec_driver_sql(f"TRUNCATE {SealedBallot.__tablename__}")
            return
    connection.execute(sa.delete(SealedBallot).where(SealedBallot.campaign_id == campaign_id))


def _discard_keyings(connection: sa.Connection, campaign_id: int) -> None:
    """Paper ballots whose keyings never agreed are not counted: their tickets stay unspent,
    and the keyings go with the box."""
    tickets = (sa.select(Ticket.id).join(TicketBatch)
               .where(TicketBatch.campaign_id == campaign_id))
    connection.execute(sa.delete(PaperKeying).where(PaperKeying.ticket_id.in_(tickets)))


_CHUNK = 500


def _unsealed(key: PrivateKey, boxes: Iterable[bytes], nominated: NominatedItem | None,
              ) -> Iterator[tuple[int, list[Row]]]:
    """(boxes, their ballots) a chunk at a time, in order: decrypted by as many threads as
    there are cores (libsodium runs without Python's lock) while the next boxes are read; at
    most a few chunks in memory. With a nomination, each ticket's marks are counted."""
    workers = os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[tuple[int, list[Row]]]] = deque()
        remaining = iter(boxes)
        while chunk := list(itertools.islice(remaining, _CHUNK)):
            pending.append(pool.submit(_opened_rows, key, chunk, nominated))
            while len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _opened_rows(key: PrivateKey, boxes: Sequence[bytes],
                 nominated: NominatedItem | None) -> tuple[int, list[Row]]:
    rows = []
    for box in boxes:
        group_id, contents = unseal(key, box)
        # the one moment a ticket's ballots are seen together: too many marks void them all
        void = nominated is not None and overvoted(
            sum(content.levels[nominated.item] == str(NOMINATED) for content in contents),
            nominated.rule)
        rows += [(content.subject_id, group_id, content.levels,
                  content.satisfaction.value if content.satisfaction else None,
                  content.comment, void, content.receipt_code) for content in contents]
    return len(boxes), rows


def finish_opening(campaign: Campaign) -> None:
    """What follows the opening's commit: the traces of the spending and of the keys go, the
    digest is published and the results are prepared. Each step may run again (a process
    that died after the commit leaves them to the next: `closing.settle_interrupted`)."""
    destroy_legacy_key_files()
    # before the compaction, so that the digest's write leaves nothing in SQLite's log either
    box_opened.send(current_app._get_current_object(), campaign=campaign)
    compact_storage()
    box_compacted.send(current_app._get_current_object(), campaign=campaign)


# The tables whose deleted rows are traces of spends (see `UnspentTicket`), in the order a
# spend writes them (a phone's: unspent, sealed; a clerk's: unspent, keyings, sealed).
SPEND_TABLES = (UnspentTicket.__tablename__, PaperKeying.__tablename__,
                SealedBallot.__tablename__)


def compact_storage() -> None:
    """Leave no old row versions of sealed boxes and spends in the database's files."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            rewrite_spend_tables(connection)
        with engine.begin() as connection:  # apart: no spend reads it
            _rewrite(connection, (BoxKey.__tablename__,))
    elif engine.dialect.name == "sqlite":
        # Outside any transaction (a checkpoint inside one finds the database locked): the
        # driver's own connection, which runs in autocommit mode (evalapp.database).
        with engine.connect() as connection:
            connection.connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def rewrite_spend_tables(connection: sa.Connection) -> None:
    """PostgreSQL: write each spend table anew, in the order of its key, and drop its files.

    VACUUM leaves deleted rows' bytes in the pages (a spent ticket's hash among them); even
    VACUUM FULL copies the rows that any open transaction in the database might still see,
    and a transaction of another database's session holds that horizon back for a snapshot
    here. TRUNCATE drops the files whatever any snapshot sees, so the rows still live are
    kept aside in a temporary table and written back. The locks are taken in the order spends
    take them, so a submit of another open campaign waits and no deadlock can arise; the
    tables are small once this box is empty."""
    _rewrite(connection, SPEND_TABLES)


def _rewrite(connection: sa.Connection, tables: Sequence[str]) -> None:
    """Write `tables` anew (see `rewrite_spend_tables`), locked in the order given."""
    connection.exec_driver_sql(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
    for table in tables:
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE kept AS SELECT * FROM {table}")
        connection.exec_driver_sql(f"TRUNCATE {table}")
        connection.exec_driver_sql(f"INSERT INTO {table} SELECT * FROM kept ORDER BY 1")
        connection.exec_driver_sql("DROP TABLE kept")


def custody_notes() -> list[str]:
    """What a backup of the database does not hold: for each open campaign, what opens its
    box besides it (the key-encryption key, kept apart from it, or the scrutineers' shares)."""
    notes = []
    for campaign in db.session.scalars(
        sa.select(Campaign).where(Campaign.status == CampaignStatus.OPEN).order_by(Campaign.id)
    ):
        assert campaign.box_public_key is not None
        if campaign.box_threshold:
            notes.append(
                f"测评 {campaign.id}「{campaign.title}」进行中：开箱需要 {campaign.box_threshold}"
                f"/{campaign.box_shares} 位监票人的密钥份额 / campaign {campaign.id} is open: "
                f"its box opens with {campaign.box_threshold} of the scrutineers' "
                f"{campaign.box_shares} shares")
        else:
            notes.append(
                f"测评 {campaign.id}「{campaign.title}」进行中：备份中的开箱密钥已用密钥加密密钥"
                "加密，请将密钥加密密钥（EVALAPP_KEY_ENCRYPTION_KEY 或实例目录中的 "
                f"key_encryption_key）与备份分开保管 / campaign {campaign.id} is open: the "
                "backup holds its box key wrapped under the key-encryption key; keep that key "
                "(EVALAPP_KEY_ENCRYPTION_KEY, or the instance folder's key_encryption_key) "
                "apart from the backup: without it the backup's sealed ballots cannot be opened")
    return notes
