"""Issue 23, parts 2 and 3: what the order and the leftovers of storage tell a hostile
organiser who holds the database (a dump taken while the box is open, and its files after
close) and the key that opens the box (the server's, or the scrutineers' shares).

Each attack runs with the defence as shipped, where it must do no better than chance, and
with that defence switched off (monkeypatched here, never a setting of the app), where it
must succeed: an attack that cannot succeed proves nothing.

Chance is bounded exactly: pairing the k-th ballot with the k-th spent ticket is right for
as many ballots as a random permutation has fixed points, and the test allows fewer than
the count that all its attacks together reach with odds of one in a thousand.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from nacl.public import PrivateKey
from scipy.stats import spearmanr
from sqlalchemy.engine import make_url

from evalapp.auth.models import Role
from evalapp.ballotbox import operations
from evalapp.ballotbox.receipts import write_rows
from evalapp.ballotbox.sealing import SealedContent, seal, unseal
from evalapp.ballots.models import Ballot, Receipt
from evalapp.campaigns.models import Campaign, Satisfaction
from evalapp.extensions import db
from evalapp.rating import operations as rating
from evalapp.tickets.models import Ticket
from evalapp.tickets.tokens import hash_token
from tests.support.factories import make_user
from tests.support.rater import campaign_of, make_tickets
from tests.support.storage import spend_writing_the_ticket
from tests.support.web import login

BALLOTS = 200
ODDS = 0.001  # the chance that a defended run fails anyway


@pytest.fixture
def tickets(app):
    with app.app_context():
        return make_tickets(singles=BALLOTS)


@dataclass(frozen=True)
class Cast:
    """One phone's ballot, as the attacker's scoring knows it (the truth)."""

    token_hash: str
    mark: str
    opinion: str
    receipt: str
    void: bool


def cast_in_order(app, tokens: Sequence[str]) -> list[Cast]:
    """One ballot per ticket, each spent in its own transaction as phones do, in this order;
    every tenth ballot left blank (void)."""
    casts = []
    with app.app_context():
        for n, token in enumerate(tokens):
            ballot = Cast(hash_token(token), secrets.token_hex(16), secrets.token_hex(8),
                          secrets.token_hex(5).upper(), n % 10 == 0)
            check = rating.check_ticket(ballot.token_hash)
            outcome = rating.submit_ballots(ballot.token_hash, ballot.mark, [SealedContent(
                subject_id=check.subject_ids[0], levels="-" * 28 if ballot.void else "0" * 28,
                satisfaction=Satisfaction.SATISFIED, comment=ballot.opinion,
                receipt_code=ballot.receipt)])
            assert outcome is rating.SubmitOutcome.STORED
            db.session.commit()
            casts.append(ballot)
    return casts


def fixed_points_at_least(n: int, k: int) -> float:
    """P(a uniformly random permutation of n has at least k fixed points): the number with
    exactly j is C(n, j) times the derangements of n - j (Feller, An Introduction to
    Probability Theory, vol. 1, IV.4)."""
    def inverse_factorial(m: int) -> float:
        return math.exp(-math.lgamma(m + 1))

    return sum(sum((-1) ** i * inverse_factorial(i) for i in range(n - j + 1))
               * inverse_factorial(j) for j in range(k, n + 1))


def chance_bound(n: int, attacks: int) -> int:
    """The fewest right pairings that any of `attacks` pairings at random reaches with odds
    of at most ODDS (a union bound): 7 for a few attacks on 200 ballots."""
    return next(k for k in range(n + 1) if attacks * fixed_points_at_least(n, k) <= ODDS)


def test_the_bound_is_what_a_random_pairing_rarely_reaches():
    assert chance_bound(BALLOTS, 1) == 6 and chance_bound(BALLOTS, 6) == 7
    assert fixed_points_at_least(BALLOTS, 0) == pytest.approx(1)
    assert fixed_points_at_least(BALLOTS, 1) == pytest.approx(1 - 1 / math.e)


# Part 2: a dump taken while the box is open ----------------------------------------------


@pytest.fixture(params=["defended", "undefended"])
def spend_defence(request, monkeypatch) -> bool:
    """Switched off: the spend writes the ticket's row, as it did before issue 23; and the
    sealed boxes' ids grow, so that SQLite stores them in the order written (its page order
    alone nearly does: a few boxes go to pages freed by the spends, which shifts every k-th
    pairing between). Switching off the boxes' ids alone pairs nothing: the defence is on
    the tickets' side."""
    if request.param == "undefended":
        monkeypatch.setattr(rating, "spend", spend_writing_the_ticket)
        growing_ids(monkeypatch)
    return request.param == "defended"


def growing_ids(monkeypatch) -> None:
    """Ballot and box ids that grow with each row written, instead of random ones."""
    counter = iter(range(10**30, 10**31))
    monkeypatch.setattr(operations, "random_ballot_id", lambda: str(next(counter)))


Orders = dict[str, list]  # an attack's name: spent ticket hashes, or boxes, in its order


def dump_while_open(campaign_id: int) -> tuple[Orders, Orders, dict[str, bytes]]:
    """What a dump gives of the campaign's spent tickets (those without an unspent row) and
    sealed boxes: each in every storage order the database has, and the boxes by the
    transaction that wrote them when a ticket shares it."""
    spent = ("FROM tickets t JOIN ticket_batches b ON b.id = t.batch_id WHERE b.campaign_id = "
             ":c AND NOT t.voided AND t.token_hash NOT IN (SELECT token_hash FROM "
             "unspent_tickets)")
    boxes = "FROM sealed_ballots WHERE campaign_id = :c"
    db.session.remove()  # its transaction would hold SQLite's write lock
    with db.engine.connect() as connection:
        def read(query: str) -> list:
            return connection.execute(sa.text(query), {"c": campaign_id}).all()

        if connection.dialect.name == "postgresql":
            tickets = {
                "ctid": [h for h, in read(f"SELECT t.token_hash {spent} ORDER BY t.ctid")],
                "xmin": [h for h, in read(
                    f"SELECT t.token_hash {spent} ORDER BY t.xmin::text::bigint, t.ctid")]}
            sealed = {
                "ctid": [box for box, in read(f"SELECT box {boxes} ORDER BY ctid")],
                "xmin": [box for box, in read(
                    f"SELECT box {boxes} ORDER BY xmin::text::bigint, ctid")]}
            by_xmin = dict(read(f"SELECT xmin::text, box {boxes}"))
            same_transaction = {h: by_xmin[x] for h, x in read(
                f"SELECT t.token_hash, t.xmin::text {spent}") if x in by_xmin}
            return tickets, sealed, same_transaction
        connection.connection.driver_connection.execute("PRAGMA wal_checkpoint(FULL)")
        raw = Path(make_url(str(db.engine.url)).database).read_bytes()
        hashes = [h for h, in read(f"SELECT t.token_hash {spent} ORDER BY t.id")]
        stored = [box for box, in read(f"SELECT box {boxes} ORDER BY id")]
        tickets = {"rowid": hashes,
                   "page": sorted(hashes, key=lambda h: raw.find(h.encode()))}
        # A box is longer than a page: its tail lies in overflow pages, taken as written.
        sealed = {"key": stored, "page": sorted(stored, key=lambda b: raw.find(b[-48:]))}
        return tickets, sealed, {}


def right_pairings(pairs: Sequence[tuple[str, bytes]], truth: dict[str, Cast],
                   key: PrivateKey) -> int:
    """How many (ticket hash, box) pairs are right: the box opens to that ticket's ballot."""
    return sum(unseal(key, box)[1][0].comment == truth[h].opinion for h, box in pairs)


def test_a_dump_while_open_pairs_no_more_ballots_with_tickets_than_chance(
        app, tickets, spend_defence):
    casts = cast_in_order(app, tickets.single)
    truth = {cast.token_hash: cast for cast in casts}
    with app.app_context():
        key = operations.box_key(campaign_of(tickets.campaign_id))
        orders, boxes, same_transaction = dump_while_open(tickets.campaign_id)
    assert all(sorted(order) == sorted(truth) for order in orders.values())
    scores = {f"{t}-{b}": right_pairings(list(zip(orders[t], boxes[b], strict=True)), truth, key)
              for t in orders for b in boxes}
    scores["same-transaction"] = right_pairings(list(same_transaction.items()), truth, key)
    if spend_defence:
        bound = chance_bound(BALLOTS, len(scores))
        assert max(scores.values()) < bound, (scores, bound)
    else:
        assert max(scores.values()) >= 0.9 * BALLOTS, scores  # the attack has teeth


# Part 2: the database's files after close -------------------------------------------------


@pytest.fixture(params=["defended", "undefended"])
def leftover_defence(request, app, monkeypatch) -> bool:
    """Switched off: the spend writes the ticket's row, the closing's PostgreSQL compaction
    is the plain VACUUM of before (it marks dead rows' space free, their bytes stay), and
    SQLite's secure_delete is off (deleted rows' bytes stay in their pages)."""
    if request.param == "undefended":
        monkeypatch.setattr(rating, "spend", spend_writing_the_ticket)
        monkeypatch.setattr(operations, "rewrite_spend_tables", _plain_vacuum)
        with app.app_context():
            if db.engine.dialect.name == "sqlite":
                sa.event.listen(db.engine, "connect", _insecure_delete)
                db.engine.dispose()
    return request.param == "defended"


def _plain_vacuum(_connection) -> None:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"VACUUM {', '.join(operations.SPEND_TABLES)}")


def _insecure_delete(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA secure_delete=OFF")


def database_files() -> dict[str, bytes]:
    """The raw bytes of the app's database as they lie on disk, by table or index: on
    PostgreSQL the schema's relations and their TOAST tables (after a CHECKPOINT); on SQLite
    the file's pages by the b-tree they belong to (its `dbstat` table), the free pages, and
    the write-ahead log."""
    db.session.remove()
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("CHECKPOINT")
            return {name: connection.exec_driver_sql(
                "SELECT pg_read_binary_file(%s)", (path,)).scalar()
                for name, path in connection.exec_driver_sql(
                    "SELECT relname, pg_relation_filepath(oid) FROM pg_class WHERE relkind IN "
                    "('r', 'i', 't') AND (relnamespace = current_schema()::regnamespace OR oid "
                    "IN (SELECT reltoastrelid FROM pg_class WHERE relnamespace = "
                    "current_schema()::regnamespace))")}
        pages = dict(connection.exec_driver_sql("SELECT pageno, name FROM dbstat").all())
        size = connection.exec_driver_sql("PRAGMA page_size").scalar()
    path = Path(make_url(str(db.engine.url)).database)
    raw, wal = path.read_bytes(), Path(f"{path}-wal")
    files: dict[str, bytes] = {"(wal)": wal.read_bytes() if wal.exists() else b""}
    for number in range(1, len(raw) // size + 1):
        name = pages.get(number, "(free)")
        files[name] = files.get(name, b"") + raw[(number - 1) * size:number * size]
    return files


# Where a ticket's hash belongs, spent or not: its row, and the unique index on it.
TICKET_HOMES = {"tickets", "uq_tickets_token_hash", "sqlite_autoindex_tickets_1"}


def test_after_close_no_spend_order_and_no_spend_bytes_are_left(app, tickets, leftover_defence):
    casts = cast_in_order(app, tickets.single)
    spend_order = {cast.token_hash: n for n, cast in enumerate(casts)}
    with app.app_context():
        operations.close_campaign(campaign_of(tickets.campaign_id))
        db.session.remove()
        with db.engine.connect() as connection:
            # the order of the transactions that last wrote them, then of their places
            order = ("xmin::text::bigint, ctid" if connection.dialect.name == "postgresql"
                     else "id")
            stored = [h for h in connection.exec_driver_sql(
                f"SELECT token_hash FROM tickets ORDER BY {order}").scalars() if h in spend_order]
        files = database_files()
    rho = spearmanr(range(len(stored)), [spend_order[h] for h in stored]).statistic
    # Outside its ticket's homes, a spent ticket's hash is a leftover of its spend (its
    # unspent row), and so is a phone's spend check anywhere.
    elsewhere = b"".join(data for name, data in files.items() if name not in TICKET_HOMES)
    left = {name: sum(cast.token_hash.encode() in data for cast in casts)
            for name, data in files.items() if name not in TICKET_HOMES}
    left["spend checks"] = sum(rating.spend_check(c.token_hash, c.mark).encode()
                               in b"".join(files.values()) for c in casts)
    assert elsewhere
    if leftover_defence:
        assert abs(rho) < 0.3  # |rho| > 0.3 has odds of about 1 in 10^5 for a random order
        assert not any(left.values()), left
    else:
        assert rho > 0.9
        # How many bytes a plain VACUUM leaves depends on what else the server runs (its pruning
        # compacts some pages): 154 of 200 were found on a busy machine, 9 of 14 in the issue.
        # A quarter is far from the none found with the defence on, and does not flake.
        assert max(left.values()) >= BALLOTS // 4, left


# Part 3: a receipt proves inclusion and reveals nothing -----------------------------------


@pytest.fixture(params=["defended", "undefended"])
def receipt_defence(request, monkeypatch) -> bool:
    """Switched off: the receipts written beside their ballots, in the ballots' order (the
    ballots' ids growing with each written), as a receipt column on the ballot's row was."""
    if request.param == "undefended":
        growing_ids(monkeypatch)
        monkeypatch.setattr(operations, "write_receipts", _receipts_beside_ballots)
    return request.param == "defended"


def _receipts_beside_ballots(connection, campaign_id, codes, void) -> None:
    write_rows(connection, "receipts", ("campaign_id", "code", "void"),
               [(campaign_id, code, flag) for code, flag in zip(codes, void, strict=True)])


def receipts_to_opinions(campaign_id: int) -> dict[str, str | None]:
    """The attack after close: the k-th receipt in storage order taken for the k-th ballot."""
    db.session.remove()
    with db.engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        codes = connection.execute(sa.text(
            "SELECT code FROM receipts WHERE campaign_id = :c ORDER BY "
            + ("ctid" if postgres else "rowid")), {"c": campaign_id}).scalars().all()
        opinions = connection.execute(sa.text(
            "SELECT comment FROM ballots WHERE campaign_id = :c ORDER BY "
            + ("ctid" if postgres else "id")), {"c": campaign_id}).scalars().all()
    return dict(zip(codes, opinions, strict=True))


def test_a_receipt_gives_nothing_of_its_ballot_after_close(app, tickets, receipt_defence):
    casts = cast_in_order(app, tickets.single)
    with app.app_context():
        operations.close_campaign(campaign_of(tickets.campaign_id))
        guessed = receipts_to_opinions(tickets.campaign_id)
    right = sum(guessed[cast.receipt] == cast.opinion for cast in casts)
    if receipt_defence:
        assert right < chance_bound(BALLOTS, 1), right
    else:
        assert right == BALLOTS  # the attack has teeth


def test_receipts_are_listed_counted_or_void_and_no_page_or_export_says_more(app, tickets):
    casts = cast_in_order(app, tickets.single[:20])
    with app.app_context():
        campaign = campaign_of(tickets.campaign_id)
        make_user("organiser", campaign.unit, Role.ORGANISER)
        db.session.commit()
        operations.close_campaign(campaign)
        key = campaign.receipts_key
    client = app.test_client()
    listing = client.get(f"/r/{key}").get_data(as_text=True)
    void = [cast for cast in casts if cast.void]
    assert len(void) == 2 and "其中 2 张为废票" in listing
    for cast in casts:
        page = client.get(f"/r/{key}?code={cast.receipt}").get_data(as_text=True)
        assert cast.opinion not in page
        said = re.search(r'role="status">([^<]*)<', page).group(1)
        assert said == (f"回执码 {cast.receipt} 已收到，为废票：计入废票数，不计入测评结果。"
                        if cast.void else f"回执码 {cast.receipt} 已计入。")
    login(client)
    base = f"/campaigns/{tickets.campaign_id}/results"
    exported = [client.get(f"{base}/{path}").get_data(as_text=True)
                for path in ("", f"{tickets.subject_ids[0]}", "export.csv", "export.json")]
    assert any(cast.opinion in text for text in exported for cast in casts)  # it is there
    assert not [cast.receipt for cast in casts for text in exported if cast.receipt in text]


# Migration 0015 -----------------------------------------------------------------------------


def test_a_campaign_open_in_the_old_layout_opens_at_close_after_the_migration(app, tickets):
    """An open campaign with spends of before 0015 (the ticket's row marked, the receipt in
    the box) and a closed one with receipts on its ballots' rows: after the migration the
    first takes more ballots and opens whole, and the second's receipts say counted or void."""
    old = [hash_token(token) for token in tickets.single[:3]]
    with app.app_context():
        campaign = campaign_of(tickets.campaign_id)
        public, group = campaign.box_public_key, campaign.rater_groups[0].id
        closed = db.session.scalar(sa.select(Campaign).where(Campaign.title == "已结束的测评"))
        closed_cells = {"c": closed.id, "s": closed.subjects[0].id,
                        "g": closed.rater_groups[0].id}
        db.session.remove()  # the migration takes the write lock on SQLite
        downgrade(revision="b3f6273c4d13")  # just before 0015
        with db.engine.begin() as connection:
            for n, token_hash in enumerate(old):
                connection.execute(sa.text(
                    "UPDATE tickets SET spent = true, spend_mark = :mark "
                    "WHERE token_hash = :hash"), {"mark": f"{n:032d}", "hash": token_hash})
                connection.execute(sa.text(
                    "INSERT INTO sealed_ballots (id, campaign_id, box) VALUES (:id, :c, :box)"),
                    {"id": f"{n:032d}", "c": tickets.campaign_id, "box": seal(public, group, [
                        SealedContent(tickets.subject_ids[0], "0" * 28, None, f"旧意见{n}",
                                      f"OLD{n}")])})
            for levels, code in (("-" * 28, "VOIDRECEIPT"), ("1" * 28, "GOODRECEIPT")):
                connection.execute(sa.text(
                    "INSERT INTO ballots (id, campaign_id, subject_id, rater_group_id, levels, "
                    "receipt_code) VALUES (:id, :c, :s, :g, :levels, :code)"),
                    {"id": code.lower(), "levels": levels, "code": code, **closed_cells})
        upgrade()
        assert db.session.scalar(sa.select(sa.func.count(Ticket.id)).where(Ticket.spent)) == 3
        db.session.remove()
        new = cast_in_order(app, tickets.single[3:5])
        operations.close_campaign(campaign_of(tickets.campaign_id))
        opinions = db.session.scalars(sa.select(Ballot.comment).where(
            Ballot.campaign_id == tickets.campaign_id)).all()
        receipts = dict(db.session.execute(sa.select(Receipt.code, Receipt.void)).all())
    assert sorted(opinions) == sorted([f"旧意见{n}" for n in range(3)]
                                      + [cast.opinion for cast in new])
    assert receipts == {"OLD0": False, "OLD1": False, "OLD2": False, "VOIDRECEIPT": True,
                        "GOODRECEIPT": False, **{cast.receipt: cast.void for cast in new}}
