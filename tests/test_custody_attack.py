"""Scrutineer custody against a hostile organiser: the organiser's log-in, the database, its
backups and the instance folder, but not the scrutineers' passphrases (issue 23).

Each attack runs against custody as shipped, where it must fail, and with its defence
switched off (monkeypatched here, never a setting of the app), where it must succeed: the
organiser's pages showing every share (as the printed slips did), shares stored unsealed,
and the shares combined without trying other sets when the first k do not fit.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import secrets
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import flash
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.ballotbox import closing, custody, custody_views, scrutineers
from evalapp.ballotbox.custody import KeyShare, ShareRefused, combine_shares, split_key
from evalapp.ballotbox.models import CustodyKey, CustodyShare, SealedBallot
from evalapp.ballotbox.operations import Scrutineers, open_campaign
from evalapp.ballotbox.sealing import unpack
from evalapp.ballots.models import Ballot
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.campaigns.operations import mark_open
from evalapp.extensions import db
from evalapp.tickets.operations import issue_tickets
from tests.support.custody import (
    make_scrutineers,
    passphrase,
    printed,
    scrutineer_posts,
    wait_for_progress,
)
from tests.support.factories import make_user
from tests.support.rater import campaign_of, make_tickets, vote
from tests.support.web import csrf_token, login

# A share wherever it may show: as printed on the slips of old, or its bytes in hex.
PRINTED_SHARE = re.compile(r"\b[A-Z2-7]{4}(?: [A-Z2-7]{4}){7}\b")
HEX_PAYLOAD = re.compile(r"\b[0-9a-f]{98}\b")
# Files made from the database's figures (reports, charts, exports) take seconds each and
# hold nothing a page does not.
SKIPPED = re.compile(r"export|\.(pdf|xlsx|csv|png|svg)$")


@pytest.fixture
def ready(app):
    """A draft campaign ready to open (one ticket), its organiser, three enrolled scrutineers
    of its unit; (campaign id, ticket, scrutineer ids)."""
    with app.app_context():
        tickets = make_tickets(singles=1)
        draft = db.session.scalar(sa.select(Campaign).where(Campaign.title == "未开始的测评"))
        make_user("organiser", draft.unit)
        ids = make_scrutineers(draft.unit)
        db.session.commit()
        return draft.id, tickets.draft, ids


def open_with_custody(client, campaign_id: int, custodians: list[int], threshold: int = 2):
    """The organiser opens the campaign with scrutineer custody: the confirmation page, then
    its button; every response's body in order."""
    path = f"/campaigns/{campaign_id}"
    choice = {"csrf_token": csrf_token(client, path), "custody": "scrutineers",
              "threshold": threshold, "custodians": custodians}
    asked = client.post(f"{path}/open", data=choice)
    assert asked.status_code == 200 and "监票人" in asked.get_data(as_text=True)
    opened = client.post(f"{path}/open", data=choice | {"confirm": "yes"},
                         follow_redirects=True)
    assert opened.status_code == 200
    return [asked.get_data(as_text=True), opened.get_data(as_text=True)]


def crawl(client, starts: list[str], limit: int = 80) -> list[str]:
    """Every page the session reaches from `starts` by following the links on its pages
    (GET only, this site only), and the bodies of HTML and text responses."""
    seen, queue, bodies = set(starts), deque(starts), []
    while queue and len(seen) <= limit:
        response = client.get(queue.popleft())
        if not response.content_type.startswith(("text/", "application/json")):
            continue
        body = response.get_data(as_text=True)
        bodies.append(body)
        for link in re.findall(r'href="([^"#]+)"', body):
            target = urlsplit(link)
            if (target.netloc or not target.path.startswith("/") or link in seen
                    or target.path.startswith("/static/") or SKIPPED.search(target.path)):
                continue
            seen.add(link)
            queue.append(link)
    return bodies


def shares_in(public_key: bytes, bodies: list[str]) -> set[KeyShare]:
    """The shares of the box whose public key is given that the attacker finds in `bodies`."""
    found = set()
    for body in bodies:
        for text in PRINTED_SHARE.findall(body):
            with contextlib.suppress(ShareRefused):
                found.add(custody.parse_share(public_key, text, 1))
        for text in HEX_PAYLOAD.findall(body):
            found |= shares_in_bytes(public_key, [bytes.fromhex(text)])
    return found


def shares_in_bytes(public_key: bytes, blobs: list[bytes]) -> set[KeyShare]:
    """Shares as stored (the box's public key, number, value) at the start of any blob."""
    return {KeyShare(blob[32], blob[33:49]) for blob in blobs
            if blob[:32] == public_key and len(blob) >= 49}


def open_backup(public_key: bytes, threshold: int, shares: set[KeyShare],
                backup: list[bytes]) -> list[str]:
    """The opinions of a backup's sealed ballots, read with the shares found; none when they
    do not rebuild the key."""
    try:
        key = custody.fit_shares(public_key, threshold, [(0, s) for s in shares]).key
    except ShareRefused:
        return []
    return [ballot.comment for box in backup
            for ballot in unpack(SealedBox(key).decrypt(box))[1]]


@pytest.fixture(params=["defended", "undefended"])
def slips_shown(request, monkeypatch) -> bool:
    """Switched off: opening shows the organiser every share, as the printed slips did."""
    if request.param == "undefended":
        def open_printing_slips(campaign, chosen):
            public, shares = split_key(chosen.threshold, len(chosen.custodians))
            mark_open(campaign, public, threshold=chosen.threshold, shares=len(shares))
            for share in shares:
                flash(printed(public, share))
        monkeypatch.setattr("evalapp.ballotbox.views.open_campaign", open_printing_slips)
    return request.param == "undefended"


def test_the_organisers_session_collects_no_share(app, client, ready, slips_shown):
    campaign_id, ticket, custodians = ready
    login(client)
    bodies = open_with_custody(client, campaign_id, custodians)
    bodies += crawl(client, ["/", f"/campaigns/{campaign_id}"])
    vote(app, ticket, "备份中的意见")
    with app.app_context():
        campaign = campaign_of(campaign_id)
        public, threshold = campaign.box_public_key, campaign.box_threshold
        backup = db.session.scalars(sa.select(SealedBallot.box)).all()  # mid-campaign
    bodies += crawl(client, ["/", f"/campaigns/{campaign_id}", f"/campaigns/{campaign_id}/close"])
    collected = shares_in(public, bodies)
    if slips_shown:
        assert len(collected) == 3  # the attack has teeth: every share, and the backup opens
        assert open_backup(public, threshold, collected, backup) == ["备份中的意见"]
    else:
        assert collected == set()
        assert open_backup(public, threshold, collected, backup) == []
        assert len(bodies) > 20  # the crawler did walk the organiser's pages


def test_the_organisers_session_collects_no_share_after_the_box_is_opened(app, client, ready):
    campaign_id, ticket, custodians = ready
    login(client)
    open_with_custody(client, campaign_id, custodians)
    vote(app, ticket, "开箱后的意见")
    bodies = [start_closing(client, campaign_id)]
    for username in ("scrutineer1", "scrutineer3"):
        assert scrutineer_posts(app, username, campaign_id, "release").status_code == 303
    bodies += follow_closing(client, campaign_id)
    bodies += crawl(client, ["/", f"/campaigns/{campaign_id}"])
    with app.app_context():
        public = campaign_of(campaign_id).box_public_key
        assert db.session.scalar(sa.select(Ballot.comment)) == "开箱后的意见"
    assert shares_in(public, bodies) == set()


def start_closing(client, campaign_id: int) -> str:
    path = f"/campaigns/{campaign_id}/close"
    started = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert started.status_code == 303, started.get_data(as_text=True)
    return client.get(f"/campaigns/{campaign_id}/closing").get_data(as_text=True)


def follow_closing(client, campaign_id: int) -> list[str]:
    """The organiser's closing page, reloaded until the box is open; the pages seen."""
    bodies = []
    for _ in range(2400):
        page = client.get(f"/campaigns/{campaign_id}/closing", follow_redirects=True)
        bodies.append(page.get_data(as_text=True))
        if page.request.path == f"/campaigns/{campaign_id}":
            return bodies
        closing.time.sleep(0.05)
    raise AssertionError("the box was not opened")


def test_three_scrutineers_enrol_two_open_the_box_and_results_appear(app, client):
    with app.app_context():
        make_tickets(singles=1)
        draft = db.session.scalar(sa.select(Campaign).where(Campaign.title == "未开始的测评"))
        _, tokens = issue_tickets(draft, draft.rater_groups[0], draft.subjects, 5)
        make_user("organiser", draft.unit)
        for n in (1, 2, 3):
            make_user(f"scrutineer{n}", draft.unit, Role.SCRUTINEER)
        campaign_id = draft.id
        db.session.commit()
    for n in (1, 2, 3):  # each in a session of their own
        own = app.test_client()
        login(own, f"scrutineer{n}")
        assert "/custody/" in own.get("/").get_data(as_text=True)  # in the menu
        weak = own.post("/custody/key", data={"csrf_token": csrf_token(own, "/custody/"),
                                              "passphrase": "short", "repeated": "short"})
        assert weak.status_code == 422 and "至少需要 12 个字符" in weak.get_data(as_text=True)
        secret = passphrase(f"scrutineer{n}")
        assert own.post("/custody/key", data={
            "csrf_token": csrf_token(own, "/custody/"), "passphrase": secret,
            "repeated": secret}).status_code == 303
    login(client)
    detail = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    custodians = [int(i) for i in re.findall(r'name="custodians" value="(\d+)"', detail)]
    assert len(custodians) == 3
    open_with_custody(client, campaign_id, custodians)
    wrong = scrutineer_posts(app, "scrutineer2", campaign_id, "check", "不是这个口令abcdef")
    assert wrong.status_code == 422 and "此口令打不开您的密钥份额" in wrong.get_data(as_text=True)
    for username in ("scrutineer1", "scrutineer2"):
        assert scrutineer_posts(app, username, campaign_id, "check").status_code == 303
    early = scrutineer_posts(app, "scrutineer1", campaign_id, "release")
    assert early.status_code == 409 and "没有正在等待" in early.get_data(as_text=True)
    for token in tokens:
        vote(app, token, "两位监票人开箱")
    waiting = start_closing(client, campaign_id)
    assert "所需 2 个密钥份额已收到 0 个" in waiting
    for username in ("scrutineer2", "scrutineer3"):
        assert scrutineer_posts(app, username, campaign_id, "release").status_code == 303
    follow_closing(client, campaign_id)
    wait_for_progress(app, campaign_id, lambda p: p.state == "done")  # the sealed shares
    with app.app_context():  # go after the opening's commit, with the key
        assert campaign_of(campaign_id).status is CampaignStatus.CLOSED
        assert db.session.scalars(sa.select(Ballot.comment)).all() == ["两位监票人开箱"] * 5
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CustodyShare)) == 0
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert actions.count("custody.release") == 2 and actions.count("custody.confirm") == 2
    results = client.get(f"/campaigns/{campaign_id}/results/")
    assert results.status_code == 200 and "100.00" in results.get_data(as_text=True)


def forge(campaign_id: int, number: int) -> None:
    """What a database writer can do: replace a scrutineer's sealed share by another one,
    sealed to that scrutineer's public key, that passes every check anyone can compute."""
    campaign = campaign_of(campaign_id)
    held = db.session.scalar(sa.select(CustodyShare).where(
        CustodyShare.campaign_id == campaign_id, CustodyShare.number == number))
    key = db.session.get(CustodyKey, held.user_id)
    forged = KeyShare(number, secrets.token_bytes(16))
    held.sealed = SealedBox(PublicKey(key.public_key)).encrypt(
        scrutineers.share_payload(campaign.box_public_key, forged))
    db.session.commit()


@pytest.fixture(params=["defended", "undefended"])
def subsets_tried(request, monkeypatch) -> bool:
    """Switched off: the first k shares are combined, and a wrong key stops the opening."""
    if request.param == "undefended":
        def first_k(public_key, threshold, offered):
            chosen = [share for _, share in sorted(offered)][:threshold]
            if len(chosen) < threshold or not custody._opens(public_key, chosen):
                raise ShareRefused("mismatch" if len(chosen) == threshold else "too_few")
            return custody.Fitted(custody._derive(custody._combine(chosen)), ())
        monkeypatch.setattr(closing, "fit_shares", first_k)
        monkeypatch.setattr(custody, "fit_shares", first_k)
    return request.param == "defended"


def test_a_forged_share_cannot_block_k_good_ones_and_is_named(app, client, ready,
                                                              subsets_tried):
    campaign_id, ticket, custodians = ready
    login(client)
    open_with_custody(client, campaign_id, custodians)
    vote(app, ticket, "伪造份额挡不住的意见")
    with app.app_context():
        forge(campaign_id, 1)
    start_closing(client, campaign_id)
    for username in ("scrutineer1", "scrutineer2", "scrutineer3"):
        assert scrutineer_posts(app, username, campaign_id, "release").status_code == 303
    if subsets_tried:
        pages = follow_closing(client, campaign_id)
        assert "第 1 个密钥份额不符合此投票箱的密钥" in pages[-1]
        with app.app_context():
            assert db.session.scalar(sa.select(Ballot.comment)) == "伪造份额挡不住的意见"
            assert db.session.scalar(sa.select(AuditEntry.detail).where(
                AuditEntry.action == "custody.misfit")) == {"shares": [1]}
    else:  # the attack has teeth: three shares released, two of them good, and no opening
        wait_for_progress(app, campaign_id, lambda p: p.released == (1, 2, 3) and p.stuck)
        page = client.get(f"/campaigns/{campaign_id}/closing").get_data(as_text=True)
        assert "至少有一个不正确" in page
        with app.app_context():
            assert campaign_of(campaign_id).status is CampaignStatus.OPEN
    with app.app_context():
        closing._report(campaign_id, "failed", 0, 0)  # ends a ceremony left


def test_a_forged_typed_share_cannot_block_k_good_ones(subsets_tried):
    """The same for a campaign opened with printed shares: a share made up by whoever knows
    the public key passes the typing check."""
    public, shares = split_key(2, 3)
    forged = printed(public, KeyShare(1, secrets.token_bytes(16)))
    typed = [forged, printed(public, shares[1]), printed(public, shares[2])]
    if subsets_tried:
        fitted = combine_shares(public, 2, typed)
        assert bytes(fitted.key.public_key) == public and fitted.misfits == (1,)
    else:
        with pytest.raises(ShareRefused):
            combine_shares(public, 2, typed)


@pytest.fixture(params=["defended", "undefended"])
def sealing(request, monkeypatch) -> bool:
    """Switched off: shares stored as they are (padded to the sealed length)."""
    if request.param == "undefended":
        class Unsealed:
            def __init__(self, key):
                pass

            def encrypt(self, plain):
                return plain + bytes(48)

            def decrypt(self, stored):
                return stored[:49]
        monkeypatch.setattr(scrutineers, "SealedBox", Unsealed)
    return request.param == "defended"


def test_a_database_and_instance_folder_reader_during_the_ceremony_gets_no_share(
        app, client, ready, sealing):
    campaign_id, ticket, custodians = ready
    login(client)
    open_with_custody(client, campaign_id, custodians)
    vote(app, ticket, "读库者读不到的意见")
    start_closing(client, campaign_id)
    assert scrutineer_posts(app, "scrutineer2", campaign_id, "release").status_code == 303
    with app.app_context():  # mid-ceremony: one share released of the two needed
        campaign = campaign_of(campaign_id)
        public, threshold = campaign.box_public_key, campaign.box_threshold
        blobs = stored_bytes(app)
        backup = db.session.scalars(sa.select(SealedBallot.box)).all()
    found = shares_in_bytes(public, blobs)
    for key, blob in itertools.product(private_key_candidates(blobs), blobs):
        with contextlib.suppress(CryptoError):
            found |= shares_in_bytes(public, [SealedBox(key).decrypt(blob)])
    opinions = open_backup(public, threshold, found, backup)
    if sealing:
        assert found == set() and opinions == []
    else:
        assert len(found) == 3 and opinions == ["读库者读不到的意见"]
    assert scrutineer_posts(app, "scrutineer3", campaign_id, "release").status_code == 303
    follow_closing(client, campaign_id)  # the ceremony, undisturbed, opens the box


def stored_bytes(app) -> list[bytes]:
    """Every value of every table (bytes as they are, text encoded) and every file of the
    instance folder, whole."""
    blobs = []
    connection = db.session.connection()
    for table in sa.inspect(connection).get_table_names():
        for row in connection.execute(sa.text(f"SELECT * FROM {table}")):
            blobs += [value if isinstance(value, bytes) else str(value).encode()
                      for value in row if value is not None]
    blobs += [path.read_bytes() for path in Path(app.instance_path).rglob("*")
              if path.is_file()]
    return blobs


def private_key_candidates(blobs: list[bytes]) -> list[PrivateKey]:
    """Anything 32 bytes long, or written as 64 hex digits, tried as an X25519 private key."""
    keys = {blob for blob in blobs if len(blob) == 32}
    for blob in blobs:
        keys |= {bytes.fromhex(text.decode()) for text in re.findall(rb"[0-9a-f]{64}", blob)}
    return [PrivateKey(key) for key in keys]


def test_only_a_share_holder_reaches_their_share_and_only_in_chinese(app, client, ready):
    """The custody pages are the scrutineers' own: the organiser is refused, a scrutineer
    holding no share of a campaign finds nothing, and every refusal is in Chinese."""
    campaign_id, _, custodians = ready
    login(client)
    open_with_custody(client, campaign_id, custodians[:2])
    assert client.get("/custody/").status_code == 403
    assert client.post(f"/custody/{campaign_id}/check", data={
        "csrf_token": csrf_token(client, "/"), "passphrase": "x"}).status_code == 403
    outsider = scrutineer_posts(app, "scrutineer3", campaign_id, "check")
    assert outsider.status_code == 404 and "此页面不存在" in outsider.get_data(as_text=True)
    own = app.test_client()
    login(own, "scrutineer1")
    page = own.get("/custody/").get_data(as_text=True)
    assert "第 1 份，共 2 份" in page and own.get("/custody/").headers[
        "Cache-Control"] == "no-store"
    changed = own.post("/custody/key", data={
        "csrf_token": csrf_token(own, "/custody/"), "passphrase": "另一个足够长的保管口令",
        "repeated": "另一个足够长的保管口令"})
    assert changed.status_code == 422 and "该测评结束后才能更改口令" in changed.get_data(
        as_text=True)


def test_the_console_does_not_open_a_box_in_custody(app, runner, ready):
    campaign_id, _, custodians = ready
    with app.app_context():
        campaign = campaign_of(campaign_id)
        open_campaign(campaign, Scrutineers(2, tuple(custodians)))
        db.session.commit()
    result = runner.invoke(args=["close", str(campaign_id)])
    assert result.exit_code == 1 and "由监票人在各自账户中释放密钥份额" in result.output


def test_a_custody_key_swapped_in_the_database_shows_at_the_scrutineers_check(
        app, client, ready):
    """A database writer who swaps a scrutineer's custody key before the opening gets that
    one share (the attack works) and no more; the scrutineer's check then fails, before any
    ballot is cast."""
    campaign_id, _, custodians = ready
    attacker = PrivateKey.generate()
    with app.app_context():
        db.session.get(CustodyKey, custodians[0]).public_key = bytes(attacker.public_key)
        db.session.commit()
    login(client)
    open_with_custody(client, campaign_id, custodians)
    with app.app_context():
        public = campaign_of(campaign_id).box_public_key
        sealed = db.session.scalars(sa.select(CustodyShare.sealed)).all()
    stolen = set()
    for blob in sealed:
        with contextlib.suppress(CryptoError):
            stolen |= shares_in_bytes(public, [SealedBox(attacker).decrypt(blob)])
    assert len(stolen) == 1
    check = scrutineer_posts(app, "scrutineer1", campaign_id, "check")
    assert check.status_code == 422 and "此口令打不开您的密钥份额" in check.get_data(as_text=True)
    assert scrutineer_posts(app, "scrutineer2", campaign_id, "check").status_code == 303


@pytest.mark.usefixtures("administrators_enrolled")
def test_the_system_administrator_cannot_delete_a_share_holder(app, ready):
    """The attack: delete a scrutineer's account while they hold a share of an open box (with
    too few left, the box never opens). Refused in words, never a 500; the share stays."""
    campaign_id, _, custodians = ready
    with app.app_context():
        campaign = campaign_of(campaign_id)
        make_user("sysadmin", campaign.unit, Role.SYSTEM_ADMIN)
        open_campaign(campaign, Scrutineers(2, tuple(custodians)))
        db.session.commit()
    client = app.test_client()
    login(client, "sysadmin")
    response = client.post(f"/accounts/{custodians[0]}/delete", data={
        "csrf_token": csrf_token(client, "/accounts/"), "confirm": "yes"})
    assert response.status_code == 303
    assert "尚未开启的票箱" in client.get("/accounts/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CustodyShare.id)).where(
            CustodyShare.user_id == custodians[0])) == 1


def refusals_logged(app, campaign_id: int) -> list[dict]:
    with app.app_context():
        return [entry.detail for entry in db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "custody.refused", AuditEntry.campaign_id == campaign_id))]


@pytest.fixture(params=["defended", "undefended"])
def refusals_recorded(request, monkeypatch) -> bool:
    """Undefended: a wrong passphrase leaves no trace (as before this fix)."""
    if request.param == "undefended":
        monkeypatch.setattr(custody_views, "record_now", lambda action, **detail: None)
    return request.param == "defended"


def test_a_passphrase_guessed_at_a_share_is_in_the_audit_log(app, client, ready,
                                                              refusals_recorded):
    """The attack: someone in a scrutineer's session tries passphrases on the share; each
    refused try is an entry of the audit log (issue 22: refused shares are audited)."""
    campaign_id, _, custodians = ready
    login(client)
    open_with_custody(client, campaign_id, custodians[:2])
    for guess in ("口令猜测一号试试看", "口令猜测二号试试看"):
        refused = scrutineer_posts(app, "scrutineer1", campaign_id, "check", guess)
        assert refused.status_code == 422
    logged = refusals_logged(app, campaign_id)
    assert logged == ([{"share": 1, "step": "check"}] * 2 if refusals_recorded else [])
