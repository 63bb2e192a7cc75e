"""Paper ballots beside phones: keyed twice and blind, decided by a third person, re-checked
at random, exactly once across modes, counted by mode on tickets only, and no more readable
to a database reader than a phone's ballot."""

from __future__ import annotations

import contextlib
import itertools
import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa
from nacl.exceptions import CryptoError

from bench.http import HttpClient
from evalapp.auth.models import Role
from evalapp.ballotbox import operations as box
from evalapp.ballotbox.models import BoxKey
from evalapp.ballotbox.sealing import pack, unpack
from evalapp.ballots.models import Ballot, Receipt
from evalapp.campaigns.models import Level, Satisfaction
from evalapp.extensions import db
from evalapp.paper import keying
from evalapp.paper import operations as paper
from evalapp.paper.keying import reveal
from evalapp.tickets.models import PaperKeying, Recheck, Ticket
from evalapp.tickets.tokens import grouped, hash_token
from tests.support.apps import build_app, dispose
from tests.support.factories import make_user
from tests.support.paper import clerk, key, post_code, refusal, scan
from tests.support.race import all_at_once, logged_in
from tests.support.rater import CSRF, campaign_of, full_answers, make_tickets, submit_full
from tests.support.storage import every_value, readable_anywhere
from tests.support.web import login

CASES = Path(__file__).parent / "cases"

CLERKS = ("clerk1", "clerk2", "clerk3", "clerk4")


@pytest.fixture
def tickets(app):
    with app.app_context():
        made = make_tickets()
        unit = campaign_of(made.campaign_id).unit
        for name in CLERKS:
            make_user(name, unit, Role.CLERK)
        make_user("organiser", unit)
        campaign_of(made.campaign_id).paper_recheck_percent = 0
        db.session.commit()
        return made


def ticket(app, token: str) -> Ticket:
    with app.app_context():
        found = db.session.scalar(sa.select(Ticket).where(Ticket.token_hash == hash_token(token)))
        db.session.expunge(found)
        return found


def opened_ballots(app, campaign_id: int) -> list[Ballot]:
    with app.app_context():
        box.close_campaign(campaign_of(campaign_id))
        ballots = db.session.scalars(sa.select(Ballot)).all()
        db.session.expunge_all()
        return ballots


def test_two_agreeing_keyings_seal_the_ballot_and_spend_the_ticket(app, tickets):
    token = tickets.single[0]
    first = key(clerk(app, "clerk1"), tickets.campaign_id, token,
                lambda values: values[1], opinion="纸质票意见")
    assert first.status_code == 303
    state = ticket(app, token)
    assert state.paper and not state.spent  # claimed for paper, not yet in the box

    # The second clerk starts from a blank ballot: the first keying is nowhere on the page.
    second_form = scan(clerk(app, "clerk2"), tickets.campaign_id, grouped(token))
    assert second_form.status_code == 200
    assert " checked" not in second_form.get_data(as_text=True)
    assert "纸质票意见" not in second_form.get_data(as_text=True)

    second = key(clerk(app, "clerk2"), tickets.campaign_id, token,
                 lambda values: values[1], opinion="纸质票意见")
    assert second.status_code == 303
    state = ticket(app, token)
    assert state.spent and state.paper
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(PaperKeying.id))) == 0  # gone

    [ballot] = opened_ballots(app, tickets.campaign_id)
    assert ballot.levels == "1" * 28 and ballot.satisfaction is Satisfaction.FAIRLY_SATISFIED
    assert ballot.comment == "纸质票意见"
    with app.app_context():
        assert [len(code) for code in db.session.scalars(sa.select(Receipt.code))] == [10]


def test_one_clerk_cannot_key_a_ballot_twice(app, tickets):
    token = tickets.single[0]
    client = clerk(app, "clerk1")
    assert key(client, tickets.campaign_id, token).status_code == 303
    again = scan(client, tickets.campaign_id, token)
    assert again.status_code == 409
    assert refusal(again) == "您已录入过这张纸质票：下一遍必须由另一个人录入。"
    assert not ticket(app, token).spent


def differing_answers(data: dict[str, str]) -> None:
    """The second clerk misreads item 3 (as 一般) and the satisfaction (as 不满意)."""
    item = sorted((n for n in data if "_c" in n), key=lambda n: int(n.split("_c")[1]))[2]
    data[item] = Level.FAIR.value
    satisfaction = next(n for n in data if n.endswith("_satisfaction"))
    data[satisfaction] = Satisfaction.DISSATISFIED.value


def test_differing_keyings_wait_for_a_third_person_who_sees_only_those_fields(app, tickets):
    token = tickets.single[0]
    key(clerk(app, "clerk1"), tickets.campaign_id, token)
    differ = key(clerk(app, "clerk2"), tickets.campaign_id, token, change=differing_answers)
    assert differ.status_code == 303
    assert not ticket(app, token).spent

    for keyer in ("clerk1", "clerk2"):  # neither keyer may decide
        refused = scan(clerk(app, keyer), tickets.campaign_id, token)
        assert refused.status_code == 409
        assert "必须由没有录入过它的人" in refusal(refused)

    third = clerk(app, "clerk3")
    page = scan(third, tickets.campaign_id, token)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count('class="item dispute"') == 2  # item 3 and satisfaction, nothing else
    assert "录入为：好；一般" in text and "录入为：满意；不满意" in text

    csrf = CSRF.search(text).group(1)
    incomplete = third.post(f"/campaigns/{tickets.campaign_id}/paper/decide",
                            data={"csrf_token": csrf, "code": token, "field-0": "fair"})
    assert incomplete.status_code == 422 and "请为每个不一致的地方选择" in incomplete.get_data(
        as_text=True)
    decided = third.post(f"/campaigns/{tickets.campaign_id}/paper/decide", data={
        "csrf_token": csrf, "code": token, "field-0": "fair", "field-1": "satisfied"})
    assert decided.status_code == 303
    assert ticket(app, token).spent
    [ballot] = opened_ballots(app, tickets.campaign_id)
    assert ballot.levels == "002" + "0" * 25 and ballot.satisfaction is Satisfaction.SATISFIED


def test_a_decision_on_an_opinion_takes_only_an_offered_text(app, tickets):
    """The opinion's choices are numbered 0..n-1; anything else (a digit Python's int() does
    not read, such as "²", or more digits than it converts) is refused plainly, never a 500."""
    token = tickets.single[0]
    key(clerk(app, "clerk1"), tickets.campaign_id, token, opinion="食堂饭菜太贵")
    key(clerk(app, "clerk2"), tickets.campaign_id, token, opinion="食堂饭菜太少")
    third = clerk(app, "clerk3")
    page = scan(third, tickets.campaign_id, token).get_data(as_text=True)
    assert page.count('class="item dispute"') == 1  # the opinion alone
    csrf = CSRF.search(page).group(1)
    for chosen in ("²", "9" * 5000, "2", "-1", " 1", ""):
        refused = third.post(f"/campaigns/{tickets.campaign_id}/paper/decide", data={
            "csrf_token": csrf, "code": token, "field-0": chosen})
        assert refused.status_code == 422, (chosen, refused.status_code)
    assert not ticket(app, token).spent
    decided = third.post(f"/campaigns/{tickets.campaign_id}/paper/decide", data={
        "csrf_token": csrf, "code": token, "field-0": "1"})
    assert decided.status_code == 303
    [ballot] = opened_ballots(app, tickets.campaign_id)
    assert ballot.comment == "食堂饭菜太少"


def test_a_ticket_keyed_on_paper_cannot_be_used_on_a_phone(app, tickets):
    token = tickets.single[0]
    key(clerk(app, "clerk1"), tickets.campaign_id, token)
    phone = app.test_client().get(f"/t/{token}")
    assert phone.status_code == 409
    assert "这张测评票的纸质票已交回" in phone.get_data(as_text=True)


def test_a_paper_ballot_of_a_ticket_used_on_a_phone_is_void_and_counted(app, client, tickets):
    token = tickets.single[0]
    submit_full(client, token)
    clerk1 = clerk(app, "clerk1")
    refused = scan(clerk1, tickets.campaign_id, token)
    assert refused.status_code == 409
    assert "已在手机上使用：这张纸质票作废" in refusal(refused)
    recorded = post_code(clerk1, tickets.campaign_id, "void", refused.get_data(as_text=True),
                         token)
    assert recorded.status_code == 303
    voided = scan(clerk1, tickets.campaign_id, tickets.voided)  # a withdrawn ticket: void too
    assert voided.status_code == 409 and "已被收回" in refusal(voided)
    unknown = scan(clerk1, tickets.campaign_id, "0" * 26)
    assert unknown.status_code == 404
    for elsewhere in (tickets.draft, tickets.closed):  # another campaign's ticket is unknown here
        assert scan(clerk1, tickets.campaign_id, elsewhere).status_code == 404

    with app.app_context():
        counts = paper.tally(campaign_of(tickets.campaign_id))
        first = counts.groups[0]
        assert (first.issued, first.phone, first.paper, first.paper_void, first.keying) == (
            60, 1, 0, 1, 0)
    assert [b.levels for b in opened_ballots(app, tickets.campaign_id)] == ["0" * 28]
    index = clerk1.get(f"/campaigns/{tickets.campaign_id}/paper/").get_data(as_text=True)
    late = post_code(clerk1, tickets.campaign_id, "void", index, tickets.voided)
    assert late.status_code == 303  # refused: the tally was final when the box was opened
    with app.app_context():
        assert paper.tally(campaign_of(tickets.campaign_id)).total.paper_void == 1


def test_the_tally_counts_each_mode_per_group_and_prints_signature_lines(app, client, tickets):
    submit_full(client, tickets.single[0])
    for token in tickets.single[1:3]:
        for name in ("clerk1", "clerk2"):
            key(clerk(app, name), tickets.campaign_id, token)
    key(clerk(app, "clerk1"), tickets.campaign_id, tickets.single[3])  # still being keyed
    organiser = app.test_client()
    login(organiser, "organiser")
    warning = organiser.get(f"/campaigns/{tickets.campaign_id}/close").get_data(as_text=True)
    assert "还有 1 张纸质票正在录入：现在结束测评，这些纸质票将不计入" in warning
    page = clerk(app, "clerk3").get(f"/campaigns/{tickets.campaign_id}/paper/tally")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "计票单" in text and text.count('class="line"') == 3
    assert "<th>合计</th>" in text  # tickets, not people: not 总人数
    with app.app_context():
        counts = paper.tally(campaign_of(tickets.campaign_id))
    first = counts.groups[0]
    assert (first.issued, first.phone, first.paper, first.keying, first.not_returned) == (
        60, 1, 2, 1, 56)
    opened_ballots(app, tickets.campaign_id)
    with app.app_context():
        after = paper.tally(campaign_of(tickets.campaign_id)).groups[0]
    # A ballot whose keyings never agreed is not counted, and stays on the sheet as a paper
    # ballot handed in and not counted (not as "not returned": the paper is in hand).
    assert (after.phone, after.paper, after.keying, after.not_returned) == (1, 2, 1, 56)
    sheet = clerk(app, "clerk3").get(
        f"/campaigns/{tickets.campaign_id}/paper/tally").get_data(as_text=True)
    assert "纸质票未计入（结束时未录完）" in sheet
    assert "交回的纸质票：D + E + G + H = 2 + 1 + 0 + 0 = 3 张" in sheet
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(PaperKeying.id))) == 0


def test_a_drawn_recheck_is_keyed_a_third_time_and_its_agreement_shown(app, tickets):
    with app.app_context():
        campaign_of(tickets.campaign_id).paper_recheck_percent = 100
        db.session.commit()
    agreeing, differing = tickets.single[:2]
    for token in (agreeing, differing):
        key(clerk(app, "clerk1"), tickets.campaign_id, token)
        drawn = key(clerk(app, "clerk2"), tickets.campaign_id, token)
        assert drawn.status_code == 303
        assert ticket(app, token).recheck is Recheck.DRAWN and not ticket(app, token).spent
    key(clerk(app, "clerk3"), tickets.campaign_id, agreeing)
    assert ticket(app, agreeing).spent and ticket(app, agreeing).recheck is Recheck.AGREED
    key(clerk(app, "clerk3"), tickets.campaign_id, differing, change=differing_answers)
    assert ticket(app, differing).recheck is Recheck.DIFFERED
    assert not ticket(app, differing).spent  # waits for a decision
    page = scan(clerk(app, "clerk4"), tickets.campaign_id, differing)
    assert page.get_data(as_text=True).count('class="item dispute"') == 2

    text = clerk(app, "clerk1").get(
        f"/campaigns/{tickets.campaign_id}/paper/tally").get_data(as_text=True)
    assert "复核：系统抽取的 2 张纸质票已录入第三遍，其中 1 张与前两遍一致（50.0%）" in text


def test_phone_and_paper_racing_for_one_ticket_store_exactly_one_ballot(
        app, live_server, tickets):
    """A phone submits while two clerks key the same ticket's paper ballot, again and again:
    whichever mode claims the ticket first wins, the other is refused, and opening the box
    gives exactly one ballot per ticket."""
    rounds = tickets.single[:8]
    phones, clerk_forms = [], []
    for token in rounds:
        phone = HttpClient(live_server)
        assert phone.get(f"/t/{token}").status == 303
        phones.append((phone, full_answers(phone.get("/ballot").text)))
    clerks = [logged_in(live_server, name) for name in ("clerk1", "clerk2")]
    for token in rounds:
        clerk_forms.append([_keying_form(c, tickets.campaign_id, token) for c in clerks])

    outcomes = []
    for (phone, ballot), forms in zip(phones, clerk_forms, strict=True):
        outcomes.append(all_at_once([
            lambda p=phone, b=ballot: p.post("/ballot", b).status,
            *[lambda c=c, f=f: c.post(f"/campaigns/{tickets.campaign_id}/paper/ballot",
                                     f).status for c, f in zip(clerks, forms, strict=True)]]))
    assert all(status in (303, 409) for statuses in outcomes for status in statuses)
    with app.app_context():
        spent = db.session.scalar(sa.select(sa.func.count(Ticket.id)).where(Ticket.spent))
        on_paper = db.session.scalar(sa.select(sa.func.count(Ticket.id)).where(
            Ticket.spent, Ticket.paper))
    ballots = opened_ballots(app, tickets.campaign_id)
    assert spent == len(ballots) == len(rounds)  # one ballot per ticket, whoever won
    phone_won = sum(statuses[0] == 303 for statuses in outcomes)
    assert phone_won + on_paper == len(rounds)


def _keying_form(client: HttpClient, campaign_id: int, token: str) -> dict[str, str]:
    page = client.get(f"/campaigns/{campaign_id}/paper/").text
    form = client.post(f"/campaigns/{campaign_id}/paper/",
                       {"code": token, "csrf_token": CSRF.search(page).group(1)})
    assert form.status == 200, form.text[:500]
    return {**full_answers(form.text), "code": token}


@pytest.fixture(params=["defended", "undefended"])
def keying_defence(request, monkeypatch) -> bool:
    """Keyings hidden as shipped, or stored as their plain packed bytes (switched off)."""
    if request.param == "undefended":
        monkeypatch.setattr(paper, "hide", lambda key, group, contents: pack(group, contents))
        monkeypatch.setattr(paper, "reveal", lambda key, box: unpack(box)[1])
    return request.param == "defended"


def test_a_keying_waiting_for_its_second_is_not_readable_in_the_database(
        app, tickets, keying_defence):
    opinion = f"纸质票上的独特意见{secrets.token_hex(6)}"
    key(clerk(app, "clerk1"), tickets.campaign_id, tickets.single[0], opinion=opinion)
    found = readable_anywhere(app, [opinion])
    if keying_defence:
        assert found == set()
    else:
        assert found == {opinion}  # the attack has teeth


def test_keyings_another_nodes_key_cannot_read_are_refused_plainly(app, database_url, tmp_path,
                                                                  tickets):
    """A node configured with a key-encryption key of its own (a mistake of deployment): the
    next clerk there is told so (409), not a 500, and the ticket waits on paper."""
    token = tickets.single[0]
    assert key(clerk(app, "clerk1"), tickets.campaign_id, token).status_code == 303
    apart = build_app(database_url, tmp_path / "apart")  # its own key-encryption key
    try:
        second = clerk(apart, "clerk2")
        refused = scan(second, tickets.campaign_id, token)
        assert refused.status_code == 409
        assert "本服务器的密钥加密密钥打不开隐藏录入内容的密钥" in refusal(refused)
        posted = post_code(second, tickets.campaign_id, "ballot",
                           refused.get_data(as_text=True), token)
        assert posted.status_code == 409
    finally:
        dispose(apart)
    state = ticket(app, token)
    assert state.paper and not state.spent


def test_a_ballot_keyed_on_two_nodes_behind_a_proxy_is_sealed(
        app, database_url, tmp_path, tickets):
    """Any number of nodes share one database and one key-encryption key: two clerks whose
    requests reach different nodes key one paper ballot, and a third node, which made
    nothing, opens the box with it inside."""
    shared = {"KEY_ENCRYPTION_KEY": app.config["KEY_ENCRYPTION_KEY"]}
    node2 = build_app(database_url, tmp_path / "node2", **shared)
    node3 = build_app(database_url, tmp_path / "node3", **shared)
    try:
        token = tickets.single[0]
        assert key(clerk(app, "clerk1"), tickets.campaign_id, token,
                   opinion="两台服务器录入的意见").status_code == 303
        assert key(clerk(node2, "clerk2"), tickets.campaign_id, token,
                   opinion="两台服务器录入的意见").status_code == 303
        assert ticket(app, token).spent
        [ballot] = opened_ballots(node3, tickets.campaign_id)
        assert ballot.comment == "两台服务器录入的意见"
    finally:
        dispose(node2)
        dispose(node3)


def _hashes_as_codes(code: str, key_encryption_key: bytes) -> bytes:
    """The keying key derived from what the database holds (the code's hash), not the code."""
    return keying.keying_key(hash_token(code), key_encryption_key)


@pytest.fixture(params=["defended", "undefended"])
def keying_key_defence(request, monkeypatch) -> bool:
    """The keying key derived from the paper's code as shipped, or (switched off) from the
    code's hash, which the database holds."""
    if request.param == "undefended":
        monkeypatch.setattr(paper, "keying_key", _hashes_as_codes)
    return request.param == "defended"


def test_a_dump_of_keyings_taken_while_open_cannot_be_read_after_close(
        app, tickets, keying_key_defence):
    """The ballot box's dump attack on paper: keyings copied from the database while open
    (each beside its ticket) are read, after close, by an attacker who also holds the
    instance folder and the configuration (the key-encryption key), deriving keys from every
    value of the dump. The key comes from the code on the paper, which no table holds; derived
    from the code's hash instead (switched off), the dump reads the opinion beside its
    ticket."""
    opinion = f"只在录入中的意见{secrets.token_hex(6)}"
    key(clerk(app, "clerk1"), tickets.campaign_id, tickets.single[0], opinion=opinion)
    with app.app_context():
        dump = db.session.execute(sa.select(PaperKeying.ticket_id, PaperKeying.box)).all()
        values = {str(value) for value in every_value()}
    opened_ballots(app, tickets.campaign_id)
    key_encryption_key = bytes.fromhex(app.config["KEY_ENCRYPTION_KEY"])
    keys = [keying.keying_key(value, key_encryption_key)
            for value in values if value.isascii()]
    read = []
    for (_ticket, hidden), found in itertools.product(dump, keys):
        with contextlib.suppress(CryptoError):
            read += [content.comment for content in reveal(found, hidden)]
    assert len(dump) == 1
    assert read == ([] if keying_key_defence else [opinion])


def test_a_box_opened_keeps_no_key_in_the_database(app, tickets):
    """Nothing is left to destroy after the opening: the box's wrapped key goes in the
    transaction that writes the ballots, and the keyings' key was never stored."""
    key(clerk(app, "clerk1"), tickets.campaign_id, tickets.single[0])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BoxKey)) == 1
    opened_ballots(app, tickets.campaign_id)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BoxKey)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperKeying)) == 0


def test_clerks_key_but_do_not_run_campaigns(app, tickets):
    client = clerk(app, "clerk1")
    assert client.get(f"/campaigns/{tickets.campaign_id}/paper/").status_code == 200
    assert client.get(f"/campaigns/{tickets.campaign_id}/tickets/").status_code == 403
    detail = client.get(f"/campaigns/{tickets.campaign_id}").get_data(as_text=True)
    assert "录入纸质票" in detail and "结束测评" not in detail


def test_the_person_deciding_may_type_the_opinion_when_both_keyings_are_wrong(app, tickets):
    token = tickets.single[0]
    key(clerk(app, "clerk1"), tickets.campaign_id, token, opinion="食堂饭菜太贵")
    key(clerk(app, "clerk2"), tickets.campaign_id, token, opinion="食堂饭菜太少")
    third = clerk(app, "clerk3")
    page = scan(third, tickets.campaign_id, token).get_data(as_text=True)
    assert "以上都不对：按下面输入的内容" in page
    path = f"/campaigns/{tickets.campaign_id}/paper/decide"
    base = {"csrf_token": CSRF.search(page).group(1), "code": token, "field-0": "typed"}
    too_long = third.post(path, data={**base, "field-0-text": "长" * 2001})
    assert too_long.status_code == 422 and "最多 2000 个字" in too_long.get_data(as_text=True)
    decided = third.post(path, data={**base, "field-0-text": "食堂饭菜太咸\r\n希望改进"})
    assert decided.status_code == 303
    [ballot] = opened_ballots(app, tickets.campaign_id)
    assert ballot.comment == "食堂饭菜太咸\n希望改进"


@pytest.mark.parametrize("typed", [
    "HTTP://127.0.0.1:5301/T/{lower}",  # the case: a scanner typing with Caps Lock on
    "http://127.0.0.1:5301/t/{lower}", "{lower}", "Http://host/T/{code}?x=1#y",
])
def test_case_paper_scan_capslock_opens_the_keying_form(app, tickets, typed):
    token = tickets.single[0]
    assert "HTTP://127.0.0.1:5301/T/66smtrk34vwzeyvnw6tb5hkfam" in (
        CASES / "paper_scan_capslock.txt").read_text()
    response = scan(clerk(app, "clerk1"), tickets.campaign_id,
                    typed.format(lower=token.lower(), code=token))
    assert response.status_code == 200
    assert "第一遍录入" in response.get_data(as_text=True)


def test_a_ticket_address_typed_in_capitals_opens_the_ballot(app, tickets):
    token = tickets.single[0]
    assert app.test_client().get(f"/T/{token.lower()}").status_code == 303
