"""The ballot box against an attacker who reads the database: its tables, its files, its
write-ahead log, a dump taken during the campaign, and PostgreSQL's hidden columns.

Each attack is written once and run twice: with the defence as shipped, where it must find
nothing, and with that defence switched off (monkeypatched in the test, never a setting of
the app), where it must succeed. An attack that cannot succeed proves nothing.
"""

from __future__ import annotations

import itertools
import json
import secrets
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade
from nacl.public import PrivateKey, SealedBox
from scipy.stats import spearmanr
from sqlalchemy.engine import make_url

from evalapp.auth.models import Role, User
from evalapp.ballotbox import custody, keystore, operations
from evalapp.ballotbox.custody import ShareRefused, combine_shares, split_key
from evalapp.ballotbox.models import BoxKey, SealedBallot
from evalapp.ballotbox.sealing import SealedContent, pack, padded_length, unpack
from evalapp.ballots.models import Ballot, Receipt
from evalapp.campaigns.models import Campaign, Satisfaction
from evalapp.extensions import db
from evalapp.paper import operations as paper
from evalapp.rating import operations as rating
from evalapp.schema import upgrade_schema
from evalapp.tickets.tokens import hash_token
from tests.support.apps import build_app, dispose
from tests.support.custody import printed, printed_share_campaign
from tests.support.factories import make_user
from tests.support.organiser import close_on_the_web
from tests.support.rater import campaign_of, full_answers, make_tickets, vote
from tests.support.storage import (
    every_value,
    insert_readable,
    readable_anywhere,
    spend_writing_the_ticket,
    store_unwrapped,
    windows,
)
from tests.support.web import csrf_token, login


@pytest.fixture
def tickets(app):
    with app.app_context():
        return make_tickets(singles=200)


@pytest.fixture(params=["defended", "undefended"])
def defence(request, monkeypatch) -> bool:
    """Run the attack against the box as shipped, and against a box whose sealing is
    switched off (the packed plaintext stored as it is, as before the box existed)."""
    if request.param == "undefended":
        monkeypatch.setattr("evalapp.ballotbox.operations.seal",
                            lambda public_key, group, ballots: pack(group, ballots))
    return request.param == "defended"


def test_while_open_no_answer_opinion_or_receipt_is_readable(app, tickets, defence):
    opinion = f"独一无二的意见{secrets.token_hex(6)}"
    receipts = [vote(app, token, opinion if n == 0 else "") for n, token in
                enumerate(tickets.single[:5])]
    found = readable_anywhere(app, [opinion, *receipts])
    if defence:
        assert found == set()
    else:
        assert opinion in found and set(receipts) <= found  # the attack has teeth


def test_after_close_the_opinion_is_there_once_and_the_wal_is_empty(app, tickets):
    opinion = f"开箱后可见的意见{secrets.token_hex(6)}"
    vote(app, tickets.single[0], opinion)
    with app.app_context():
        operations.close_campaign(campaign_of(tickets.campaign_id))
        assert db.session.scalar(sa.select(Ballot.comment)) == opinion
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SealedBallot)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 1
        if db.engine.dialect.name == "sqlite":
            wal = Path(f"{make_url(str(db.engine.url)).database}-wal")
            assert not wal.exists() or wal.stat().st_size == 0


def test_closing_one_campaign_leaves_another_campaigns_box_sealed(app, tickets):
    """Two boxes in the one table: closing the first takes only its own rows (on PostgreSQL
    it may not truncate the table then), and the second still opens, whole."""
    with app.app_context():
        other = db.session.scalar(sa.select(Campaign).where(Campaign.title == "未开始的测评"))
        operations.open_campaign(other)
        db.session.commit()
        other_id = other.id
    vote(app, tickets.draft, "另一个投票箱里的意见")
    vote(app, tickets.single[0], "先开箱的意见")
    with app.app_context():
        operations.close_campaign(campaign_of(tickets.campaign_id))
        assert db.session.scalars(sa.select(SealedBallot.campaign_id)).all() == [other_id]
        assert db.session.scalars(sa.select(Ballot.comment)).all() == ["先开箱的意见"]
        operations.close_campaign(campaign_of(other_id))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SealedBallot)) == 0
        assert db.session.scalar(sa.select(Ballot.comment).where(
            Ballot.campaign_id == other_id)) == "另一个投票箱里的意见"


def spend_in_order(app, tokens: list[str], mode: str) -> list[str]:
    """Each ticket spent in its own transaction(s), as phones do, or as two clerks keying its
    paper ballot do; the ballots' opinions (unique) in spending order."""
    opinions = []
    with app.app_context():
        clerks = db.session.scalars(sa.select(User.id).where(User.role == Role.CLERK)).all()
        for token in tokens:
            opinion = secrets.token_hex(8)
            check = rating.check_ticket(hash_token(token))
            ballot = [SealedContent(
                subject_id=check.subject_ids[0], levels="0" * 28,
                satisfaction=Satisfaction.SATISFIED, comment=opinion,
                receipt_code=secrets.token_hex(5).upper())]
            if mode == "phone":
                rating.submit_ballots(hash_token(token), secrets.token_hex(16), ballot)
            else:
                for clerk in clerks:
                    paper.key_ballot(token, clerk, ballot)
                    db.session.commit()
            db.session.commit()
            opinions.append(opinion)
    return opinions


@pytest.fixture(params=["phone", "paper"])
def mode(request, app, tickets) -> str:
    """How the ballots arrive: from phones, or on paper keyed by two clerks (no re-check)."""
    if request.param == "paper":
        with app.app_context():
            campaign = campaign_of(tickets.campaign_id)
            campaign.paper_recheck_percent = 0
            make_user("clerk1", campaign.unit, Role.CLERK)
            make_user("clerk2", campaign.unit, Role.CLERK)
            db.session.commit()
    return request.param


@pytest.fixture(params=["defended", "undefended"])
def ordering_defence(request, monkeypatch) -> bool:
    """Switched off: ids that grow with each row written, at sealing and at opening (the
    opened ballots are written in the order of their ids)."""
    if request.param == "undefended":
        counter = itertools.count(10**30)
        monkeypatch.setattr(operations, "random_ballot_id", lambda: str(next(counter)))
        for module in (rating, paper):
            monkeypatch.setattr(module, "seal_ballots", _sealing_with_growing_ids(counter))
    return request.param == "defended"


def _sealing_with_growing_ids(counter):
    def seal_ballots(campaign_id, public_key, group_id, ballots, *, spend_check=None):
        db.session.execute(sa.insert(SealedBallot).values(
            id=str(next(counter)), campaign_id=campaign_id, spend_check=spend_check,
            box=operations.seal(public_key, group_id, ballots)))
    return seal_ballots


def test_physical_order_of_opened_ballots_does_not_follow_submission(
        app, tickets, mode, ordering_defence):
    submitted = spend_in_order(app, tickets.single[:200], mode)
    with app.app_context():
        operations.close_campaign(campaign_of(tickets.campaign_id))
        with db.engine.connect() as connection:
            # Storage order: PostgreSQL's row addresses; SQLite keeps the table (without
            # rowid) in the b-tree of its primary key.
            order = "ctid" if connection.dialect.name == "postgresql" else "id"
            stored = connection.exec_driver_sql(
                f"SELECT comment FROM ballots ORDER BY {order}").scalars().all()
    assert sorted(stored) == sorted(submitted)
    position = {receipt: index for index, receipt in enumerate(submitted)}
    rho = spearmanr(range(len(stored)), [position[r] for r in stored]).statistic
    if ordering_defence:
        assert abs(rho) < 0.3  # a random order: |rho| > 0.3 has odds of about 1 in 10^5
    else:
        assert rho > 0.9


@pytest.fixture(params=["defended", "undefended"])
def timing_defence(request, monkeypatch) -> bool:
    """Switched off: ballots written readable in the transaction that spends the ticket (the
    design before the box), by a spend that writes the ticket's row (before issue 23)."""
    if request.param == "undefended":
        for module in (rating, paper):
            monkeypatch.setattr(module, "seal_ballots", insert_readable)
            monkeypatch.setattr(module, "spend", spend_writing_the_ticket)
    return request.param == "defended"


def test_no_ballot_shares_a_transaction_with_a_ticket(app, backend, tickets, mode,
                                                      timing_defence):
    if backend[0] != "postgresql":
        pytest.skip("transaction ids (xmin) are PostgreSQL's")
    spend_in_order(app, tickets.single[:20], mode)
    with app.app_context():
        operations.close_campaign(campaign_of(tickets.campaign_id))
        with db.engine.connect() as connection:
            linked = connection.exec_driver_sql(
                "SELECT t.id, b.comment FROM ballots b JOIN tickets t ON t.xmin = b.xmin"
            ).all()
            transactions = connection.exec_driver_sql(
                "SELECT count(DISTINCT xmin::text) FROM ballots").scalar()
    if timing_defence:
        assert linked == [] and transactions == 1
    else:
        assert len(linked) == 20 and transactions == 20


@pytest.fixture(params=["defended", "undefended"])
def wrapping(request, monkeypatch) -> bool:
    """The box's key wrapped under the key-encryption key as shipped, or (switched off) its
    own bytes where the wrapped key goes, between a zero nonce and a zero tag."""
    if request.param == "undefended":
        store_unwrapped(monkeypatch, keystore)
    return request.param == "defended"


def test_a_dump_taken_while_open_cannot_be_read_after_close(app, wrapping, tickets):
    """A copy of the whole database taken while the box is open: every 32 bytes of every
    value of every row, tried as the box's key, open nothing, so once the box is opened (and
    its key deleted) the copy's sealed ballots stay sealed for whoever has only copies of the
    database. With the key stored unwrapped, the copy opens its ballots."""
    vote(app, tickets.single[0], "只在箱中的意见")
    with app.app_context():
        campaign = campaign_of(tickets.campaign_id)
        public = campaign.box_public_key
        dump = [value if isinstance(value, bytes) else str(value).encode()
                for value in every_value()]
        boxes = db.session.scalars(sa.select(SealedBallot.box)).all()
        operations.close_campaign(campaign)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BoxKey)) == 0
    read = [unpack(SealedBox(key).decrypt(box))[1][0].comment
            for key, box in itertools.product(keys_among(dump, public), boxes)]
    assert read == ([] if wrapping else ["只在箱中的意见"])
    assert boxes and all(len(box) == padded_length(1) + 48 for box in boxes)


def keys_among(values: list[bytes], public_key: bytes) -> list[PrivateKey]:
    """The private keys of `public_key` found as any 32 consecutive bytes of a value of up to
    128 bytes (a key, wrapped or not, and the hashes beside it)."""
    return [key for key in map(PrivateKey, windows(values))
            if bytes(key.public_key) == public_key]


def test_a_double_tap_after_the_box_still_stores_one_ballot(app, tickets):
    client = app.test_client()
    client.get(f"/t/{tickets.single[0]}")
    data = full_answers(client.get("/ballot").get_data(as_text=True))
    stale = client.get_cookie("session")
    first = client.post("/ballot", data=data)
    client.set_cookie("session", stale.value)  # the second tap left with the old cookie
    second = client.post("/ballot", data=data)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == "/ballot/receipt"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SealedBallot)) == 1
    # once stored, the phone's cookie names neither the ticket nor its mark
    session = client.get_cookie("session").value
    assert hash_token(tickets.single[0]) not in _decoded(app, session)


def _decoded(app, cookie: str) -> str:
    serializer = app.session_interface.get_signing_serializer(app)
    return str(serializer.loads(cookie))


# Scrutineers -------------------------------------------------------------------------------


def slips(threshold: int, count: int) -> tuple[bytes, list[str]]:
    public, shares = split_key(threshold, count)
    return public, [printed(public, share) for share in shares]


def test_any_k_of_n_shares_rebuild_the_key_and_fewer_do_not():
    public, shares = slips(3, 5)
    for chosen in itertools.combinations(shares, 3):
        key = combine_shares(public, 3, list(chosen)).key
        assert bytes(key.public_key) == public
    with pytest.raises(ShareRefused) as too_few:
        combine_shares(public, 3, [shares[0], shares[4], ""])
    assert too_few.value.reason == "too_few"


def test_a_share_is_forgiving_of_layout_but_not_of_a_typo():
    public, shares = slips(2, 3)
    relaxed = shares[1].lower().replace(" ", "-").replace("O", "0").replace("I", "1")
    assert bytes(combine_shares(public, 2, [shares[0], relaxed]).key.public_key) == public
    typo = shares[1][:-1] + ("A" if shares[1][-1] != "A" else "B")
    with pytest.raises(ShareRefused) as wrong:
        combine_shares(public, 2, [shares[0], typo])
    assert (wrong.value.reason, wrong.value.position) == ("wrong", 2)
    _, other = slips(2, 3)
    with pytest.raises(ShareRefused) as foreign:
        combine_shares(public, 2, [other[0], shares[0]])
    assert (foreign.value.reason, foreign.value.position) == ("wrong", 1)
    with pytest.raises(ShareRefused) as repeated:
        combine_shares(public, 2, [shares[0], shares[0]])
    assert repeated.value.reason == "duplicate"
    # with enough good shares a typo no longer blocks: it is left out, and named
    fitted = combine_shares(public, 2, [shares[0], typo, shares[2]])
    assert bytes(fitted.key.public_key) == public and fitted.misfits == (2,)


def test_the_check_is_what_refuses_a_typo():
    """Without the check a mistyped share yields some key: the wrong one (the teeth of the
    test above)."""
    public, shares = split_key(2, 3)
    flipped = custody.KeyShare(2, bytes([shares[1].value[0] ^ 1]) + shares[1].value[1:])
    assert not custody._opens(public, [shares[0], flipped])


def test_a_campaign_opened_with_printed_shares_still_closes_with_them(app, client, tickets):
    """Campaigns opened before scrutineers had custody keys printed their shares on slips:
    they close with the shares typed, as before (the migration leaves them as they are)."""
    draft_id, _public, typed = printed_share_campaign(app)
    login(client)
    path = f"/campaigns/{draft_id}"
    vote(app, tickets.draft, "监票人开箱后的意见")

    def close_with(*shares):
        form = {"csrf_token": csrf_token(client, f"{path}/close")}
        form |= {f"shares-{i}": share for i, share in enumerate(shares)}
        return client.post(f"{path}/close", data=form)

    assert client.get(f"{path}/close").get_data(as_text=True).count('class="share-input"') == 5
    too_few = close_with(typed[0], typed[4])
    assert too_few.status_code == 422
    assert "至少需要 3 个不同的密钥份额" in too_few.get_data(as_text=True)
    typo = close_with(typed[0], typed[1][:-1] + ("Q" if typed[1][-1] != "Q" else "R"),
                      typed[2])
    assert typo.status_code == 422 and "第 2 个密钥份额有误" in typo.get_data(as_text=True)
    with app.app_context():
        assert campaign_of(draft_id).status.value == "open"
        refusals = db.session.execute(sa.text(  # every refused share is audited (issue 22)
            "SELECT detail FROM audit_entries WHERE action = 'campaign.share_refused' "
            "ORDER BY sequence")).scalars().all()
        assert [json.loads(d) if isinstance(d, str) else d for d in refusals] == [
            {"reason": "too_few", "share": None}, {"reason": "wrong", "share": 2}]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SealedBallot)) == 1
    close_on_the_web(client, draft_id, ["", typed[1], "", typed[3], typed[4]])
    with app.app_context():
        assert campaign_of(draft_id).status.value == "closed"
        assert db.session.scalar(sa.select(Ballot.comment)) == "监票人开箱后的意见"


def test_closing_on_a_node_with_another_key_encryption_key_refuses_and_changes_nothing(
        app, tickets, database_url, tmp_path):
    """A node configured apart from the one that opened the box (its own key-encryption
    key): the page (409) and the console say what to set, and nothing changes."""
    vote(app, tickets.single[0])
    with app.app_context():
        make_user("organiser", campaign_of(tickets.campaign_id).unit)
        db.session.commit()
    apart = build_app(database_url, tmp_path / "apart")
    try:
        client = apart.test_client()
        login(client)
        path = f"/campaigns/{tickets.campaign_id}/close"
        refused = client.post(path, data={"csrf_token": csrf_token(client, path)})
        assert refused.status_code == 409
        assert "本服务器的密钥加密密钥打不开此投票箱的密钥" in refused.get_data(as_text=True)
        said = apart.test_cli_runner().invoke(args=["close", "--yes", str(tickets.campaign_id)])
        assert said.exit_code == 1 and "EVALAPP_KEY_ENCRYPTION_KEY" in said.output
    finally:
        dispose(apart)
    with app.app_context():
        assert campaign_of(tickets.campaign_id).status.value == "open"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SealedBallot)) == 1


def test_key_files_of_older_versions_are_destroyed_once_the_database_holds_them(app, tickets):
    """Key files an older version left in ballot-box/: the open box's own (wrapped into the
    database by migration 0019), a closed box's (a kill after an opening's commit) and a
    paper keying key (keyings' keys are derived now) are destroyed once migrated, as
    `evalapp serve` does after migrating (and every opening), and the box still opens."""
    folder = Path(app.instance_path) / "ballot-box"
    folder.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        public = campaign_of(tickets.campaign_id).box_public_key
    left = [folder / f"{public.hex()}.key", folder / f"{public.hex()}.keying",
            folder / f"{secrets.token_hex(32)}.key"]
    for path in left:
        path.write_bytes(secrets.token_bytes(32))
    unrelated = folder / "closing-1.json"
    unrelated.write_text("{}")
    upgrade_schema(app)
    with app.app_context():
        keystore.destroy_legacy_key_files()
    assert [path for path in left if path.exists()] == [] and unrelated.exists()
    vote(app, tickets.single[0], "旧文件清理后的意见")
    with app.app_context():
        operations.close_campaign(campaign_of(tickets.campaign_id))
        assert db.session.scalar(sa.select(Ballot.comment)) == "旧文件清理后的意见"


def test_a_downgrade_on_a_node_with_another_key_changes_nothing(app, tickets, database_url,
                                                               tmp_path):
    """Back to the version of key files, on a node whose key-encryption key does not unwrap
    the open box's key: refused in words, no file written, the wrapped key kept."""
    apart = build_app(database_url, tmp_path / "apart")
    try:
        with apart.app_context(), pytest.raises(SystemExit):
            downgrade(revision="c3d2a4b5e619")
    finally:
        dispose(apart)
    assert not (tmp_path / "apart" / "ballot-box").exists()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BoxKey)) == 1


def test_a_box_opened_on_one_node_closes_on_another_after_the_first_nodes_disk_is_lost(
        database_url, tmp_path):
    """Nodes configured with one key-encryption key: the campaign opened and rated on node
    A, whose instance folder is then deleted, is closed on node B with every ballot."""
    shared = {"KEY_ENCRYPTION_KEY": secrets.token_hex(32)}
    node_a = build_app(database_url, tmp_path / "a", **shared)
    with node_a.app_context():
        tickets = make_tickets()
    for number, token in enumerate(tickets.single[:3]):
        vote(node_a, token, f"在 A 上提交的意见 {number}")
    dispose(node_a)
    shutil.rmtree(tmp_path / "a")
    node_b = build_app(database_url, tmp_path / "b", **shared)
    try:
        closed = node_b.test_cli_runner().invoke(args=["close", "--yes",
                                                       str(tickets.campaign_id)])
        assert closed.exit_code == 0, closed.output
        with node_b.app_context():
            assert sorted(db.session.scalars(sa.select(Ballot.comment))) == [
                f"在 A 上提交的意见 {number}" for number in range(3)]
    finally:
        dispose(node_b)


def test_every_box_of_one_subject_has_the_same_length_whatever_it_says():
    public = bytes(PrivateKey.generate().public_key)
    empty = SealedContent(1, "-", None, None, "A")
    longest = SealedContent(2**31, "3" * 200, Satisfaction.DISSATISFIED, "😀" * 1000, "Z" * 32)
    lengths = {len(operations.seal(public, 7, [ballot])) for ballot in (empty, longest)}
    assert lengths == {padded_length(1) + 48}
    assert unpack(pack(7, [longest])) == (7, [longest])
    with pytest.raises(ValueError):
        pack(7, [SealedContent(1, "0", None, "😀" * 1001, "A")])  # 2,002 UTF-16 units


def test_the_opinion_limit_counts_as_the_browser_does(app, tickets):
    client = app.test_client()
    client.get(f"/t/{tickets.single[0]}")
    data = full_answers(client.get("/ballot").get_data(as_text=True))
    comment = next(name for name in data if name.endswith("satisfaction")).replace(
        "satisfaction", "comment")
    data[comment] = "😀" * 1001  # 1,001 characters to Python, 2,002 to the browser
    refused = client.post("/ballot", data=data)
    assert refused.status_code == 422 and "最多 2000 字" in refused.get_data(as_text=True)
    data[comment] = "😀" * 1000
    assert client.post("/ballot", data=data).status_code == 303
    with app.app_context():
        operations.close_campaign(campaign_of(tickets.campaign_id))
        assert db.session.scalar(sa.select(Ballot.comment)) == "😀" * 1000


def test_the_closing_page_says_when_every_box_is_open_and_the_ballots_are_being_written(
        app, client, tickets):
    """Progress counts opened boxes; writing them takes seconds more, which a bar standing
    at 100% did not say."""
    from evalapp.ballotbox import closing

    with app.app_context():
        make_user("organiser", campaign_of(tickets.campaign_id).unit)
        db.session.commit()
    login(client, "organiser")
    path = f"/campaigns/{tickets.campaign_id}/closing"
    with app.app_context():
        closing._report(tickets.campaign_id, "opening", 40, 100)
    page = client.get(path).get_data(as_text=True)
    assert "40 / 100" in page and 'value="40"' in page and "正在写入" not in page
    with app.app_context():
        closing._report(tickets.campaign_id, "opening", 100, 100)
    page = client.get(path).get_data(as_text=True)
    assert "100 / 100" in page and "正在写入选票" in page
