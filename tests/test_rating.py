"""The rater's side over HTTP: entering with a ticket, every refusal, the questionnaire,
submitting exactly once, receipts."""

from __future__ import annotations

import re

import jinja2
import pytest
import sqlalchemy as sa

from evalapp.ballotbox.models import SealedBallot
from evalapp.ballotbox.operations import close_campaign
from evalapp.ballots.models import Ballot, Receipt
from evalapp.extensions import db
from evalapp.tickets.models import Ticket
from evalapp.tickets.tokens import grouped, hash_token
from tests.support.rater import (
    campaign_of,
    enter,
    full_answers,
    make_tickets,
    questions,
    submit_full,
)

RECEIPT = re.compile(r'class="receipt-code">([0-9A-Z]{10})<')


@pytest.fixture
def tickets(app):
    with app.app_context():
        return make_tickets()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def opened_ballots(campaign_id: int) -> list[Ballot]:
    """Close the campaign, opening its box, and read the ballots (call in an app context)."""
    close_campaign(campaign_of(campaign_id))
    return db.session.scalars(sa.select(Ballot)).all()


def test_entering_moves_the_code_out_of_the_address(client, tickets):
    response = client.get(f"/t/{tickets.single[0]}")
    assert response.status_code == 303
    assert tickets.single[0] not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    page = client.get("/ballot")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_the_questionnaire_shows_report_problems_and_all_items(client, tickets):
    page = enter(client, tickets.single[0]).get_data(as_text=True)
    assert "述职报告" in page and "述职报告正文" in page
    assert "问题清单" in page
    found = questions(page)
    common = [name for name in found if "_c" in name]
    individual = [name for name in found if "_i" in name]
    assert len(common) == 24 and len(individual) == 4
    for name in common + individual:
        assert found[name] == ["excellent", "good", "fair", "poor"]
    satisfaction = next(name for name in found if name.endswith("_satisfaction"))
    assert found[satisfaction] == ["satisfied", "fairly_satisfied", "dissatisfied"]
    for label in ("好", "较好", "一般", "差", "满意", "基本满意", "不满意"):
        assert f"<span>{label}</span>" in page
    assert 'maxlength="2000"' in page


@pytest.mark.parametrize(
    ("which", "status", "text"),
    [
        ("unknown", 404, "未能识别此测评票"),
        ("garbage", 404, "未能识别此测评票"),
        ("voided", 410, "此测评票已作废"),
        ("draft", 403, "测评尚未开始"),
        ("closed", 410, "测评已结束"),
    ],
)
def test_each_refusal_has_its_own_page(client, tickets, which, status, text):
    token = {
        "unknown": "0" * 26,
        "garbage": "not-a-code",
        "voided": tickets.voided,
        "draft": tickets.draft,
        "closed": tickets.closed,
    }[which]
    response = client.get(f"/t/{token}")
    assert response.status_code == status
    assert text in response.get_data(as_text=True)
    assert client.get("/ballot").status_code == 403  # no rater session was started


def test_a_spent_ticket_is_refused_to_anyone_else(app, client, tickets):
    submit_full(client, tickets.single[0])
    other = app.test_client()
    response = other.get(f"/t/{tickets.single[0]}")
    assert response.status_code == 409
    assert "此测评票已被使用" in response.get_data(as_text=True)


def test_the_ballot_page_needs_a_ticket(client, tickets):
    response = client.get("/ballot")
    assert response.status_code == 403
    assert "请先扫描测评票" in response.get_data(as_text=True)


def test_typing_the_code_by_hand_works_the_same(client, tickets):
    home = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', home).group(1)
    typed = grouped(tickets.single[1]).lower().replace("0", "o")
    response = client.post("/t", data={"code": f" {typed} ", "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/ballot"
    unknown = client.post("/t", data={"code": "ABCD", "csrf_token": token})
    assert unknown.status_code == 404


def test_a_full_ballot_is_stored_once_with_a_receipt(app, client, tickets):
    receipt = submit_full(client, tickets.single[0])
    assert receipt.status_code == 200
    codes = RECEIPT.findall(receipt.get_data(as_text=True))
    assert len(codes) == 1
    with app.app_context():
        assert count(SealedBallot) == 1 and count(Ballot) == 0  # sealed until close
        (ballot,) = opened_ballots(tickets.campaign_id)
        assert db.session.scalars(sa.select(Receipt.code)).all() == codes
        assert ballot.satisfaction == "satisfied"
        assert ballot.subject_id == tickets.subject_ids[0]
        assert ballot.levels == "0" * 28  # 24 common and 4 individual items, all 好
        ticket = db.session.scalar(sa.select(Ticket).where(
            Ticket.token_hash == hash_token(tickets.single[0])))
        assert ticket.spent


def test_a_double_tap_stores_one_ballot_and_shows_the_same_receipt(app, client, tickets):
    page = enter(client, tickets.single[0]).get_data(as_text=True)
    data = full_answers(page)
    first = client.post("/ballot", data=data)
    second = client.post("/ballot", data=data)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == "/ballot/receipt"
    rescan = client.get(f"/t/{tickets.single[0]}")
    assert rescan.status_code == 303 and rescan.headers["Location"] == "/ballot/receipt"
    assert RECEIPT.findall(client.get("/ballot/receipt").get_data(as_text=True))
    with app.app_context():
        assert count(SealedBallot) == 1
        assert len(opened_ballots(tickets.campaign_id)) == 1


def test_an_unknown_level_is_refused_and_the_other_answers_are_kept(app, client, tickets):
    page = enter(client, tickets.single[0]).get_data(as_text=True)
    data = full_answers(page, choose=lambda values: values[1])
    wrong = next(name for name in data if "_c" in name)
    data[wrong] = "superb"
    response = client.post("/ballot", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "请从给出的选项中选择" in body
    assert body.count("checked") == len(questions(page)) - 1
    with app.app_context():
        assert count(SealedBallot) == 0
        assert db.session.scalar(sa.select(sa.func.count()).where(Ticket.spent)) == 0


def test_blanks_are_pointed_out_then_may_be_submitted(app, client, tickets):
    page = enter(client, tickets.single[0]).get_data(as_text=True)
    data = full_answers(page)
    blank = [name for name in data if "_c" in name][:3]
    for name in blank:
        del data[name]
    first = client.post("/ballot", data=data)
    assert first.status_code == 200
    body = first.get_data(as_text=True)
    assert "未作答：3 题" in body and "本票仍然有效" in body
    assert 'name="confirm_blanks" type="hidden" value="1"' in body
    assert body.count('class="item blank"') == 3
    with app.app_context():
        assert count(SealedBallot) == 0
    data["confirm_blanks"] = "1"
    second = client.post("/ballot", data=data)
    assert second.status_code == 303
    with app.app_context():
        (ballot,) = opened_ballots(tickets.campaign_id)
        assert ballot.levels == "---" + "0" * 25  # blanks are missing, not zero


def test_an_overlong_opinion_is_refused_with_the_limit_said(app, client, tickets):
    page = enter(client, tickets.single[0]).get_data(as_text=True)
    data = full_answers(page)
    comment = f"s{tickets.subject_ids[0]}_comment"
    data[comment] = "意" * 2001
    response = client.post("/ballot", data=data)
    assert response.status_code == 422
    assert "最多 2000 字" in response.get_data(as_text=True)
    data[comment] = "  建议多开展调研  "
    assert client.post("/ballot", data=data).status_code == 303
    with app.app_context():
        assert [b.comment for b in opened_ballots(tickets.campaign_id)] == ["建议多开展调研"]


def test_a_ticket_for_two_subjects_gives_two_ballots_and_two_receipts(app, client, tickets):
    receipt = submit_full(client, tickets.pair[0])
    codes = RECEIPT.findall(receipt.get_data(as_text=True))
    assert len(set(codes)) == 2
    with app.app_context():
        ballots = opened_ballots(tickets.campaign_id)
        assert sorted(b.subject_id for b in ballots) == sorted(tickets.subject_ids)
        assert sorted(db.session.scalars(sa.select(Receipt.code))) == sorted(codes)


def test_closing_while_rating_stops_the_submit(app, client, tickets):
    page = enter(client, tickets.single[0]).get_data(as_text=True)
    with app.app_context():
        close_campaign(campaign_of(tickets.campaign_id))
        db.session.commit()
    response = client.post("/ballot", data=full_answers(page))
    assert response.status_code == 410
    assert "测评已结束" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Ballot) == count(SealedBallot) == 0


LISTED = re.compile(r"<li><code>([0-9A-Z]+)</code></li>")


def test_the_public_list_of_receipts_appears_when_the_box_is_opened(app, client, tickets):
    codes = []
    for token in tickets.single[:3]:
        rater = app.test_client()
        codes += RECEIPT.findall(submit_full(rater, token).get_data(as_text=True))
    with app.app_context():
        key = campaign_of(tickets.campaign_id).receipts_key
    while_open = client.get(f"/r/{key}").get_data(as_text=True)
    assert "投票箱仍处于密封状态" in while_open and not LISTED.findall(while_open)
    with app.app_context():
        close_campaign(campaign_of(tickets.campaign_id))
    page = client.get(f"/r/{key}")
    assert page.status_code == 200
    assert LISTED.findall(page.get_data(as_text=True)) == sorted(codes)
    found = client.get(f"/r/{key}?code={codes[1].lower()}")
    assert "已计入" in found.get_data(as_text=True)
    missing = client.get(f"/r/{key}?code=ZZZZZZZZZZ")
    assert "不在名单中" in missing.get_data(as_text=True)
    # Only the campaign's own unguessable address lists it; ids do not.
    assert client.get(f"/c/{tickets.campaign_id}/receipts").status_code == 404
    assert client.get("/r/not-a-campaign").status_code == 404


def test_nothing_stored_for_a_ballot_joins_it_to_a_ticket(app, client, tickets):
    for token in tickets.single[:4]:
        submit_full(app.test_client(), token)
    with app.app_context():
        close_campaign(campaign_of(tickets.campaign_id))
    with app.app_context(), db.engine.connect() as connection:
        ticket_values = set()
        for row in connection.execute(sa.select(Ticket.__table__)):
            ticket_values |= {str(value) for value in row if value not in (True, False, None)}
        for row in connection.execute(sa.text("SELECT * FROM ballots")):
            ballot_values = {str(value) for value in row._mapping.values()}
            assert not (ballot_values & ticket_values) - _shared_small_numbers(row)
        if connection.dialect.name == "sqlite":
            with pytest.raises(sa.exc.OperationalError):  # no rowid to betray the order
                connection.exec_driver_sql("SELECT rowid FROM ballots")


def _shared_small_numbers(row) -> set[str]:
    """Foreign keys (campaign, subject, group, item ids) are small integers that may equal a
    ticket's id by coincidence; they are references to other tables, not to the ticket."""
    return {str(value) for value in row._mapping.values() if isinstance(value, int)}


def test_the_questionnaire_page_weighs_under_100_kb(client, tickets, app):
    page = enter(client, tickets.single[0]).get_data(as_text=True)
    with app.app_context():
        report = campaign_of(tickets.campaign_id).subjects[0].report_text
    own_html = len(page.replace(report, "").encode())
    assets = 0
    for path in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        with client.get(path) as asset:
            assets += len(asset.data)
    assert own_html + assets < 100_000


@pytest.mark.parametrize("receipts", [{"99999": "R-STALE"}, {}])
def test_a_session_from_another_database_is_asked_for_its_ticket(app, client, tickets,
                                                                 receipts):
    """A phone's signed cookie naming subjects this database does not have (the demo rebuilt
    under the same key): the receipt page gave a 500."""
    with client.session_transaction() as session:
        session["rater"] = {"campaign": tickets.campaign_id, "receipts": receipts}
    page = client.get("/ballot/receipt")
    assert page.status_code < 500
    assert "R-STALE" not in page.get_data(as_text=True)


@pytest.mark.parametrize("change", ["closed", "voided"])
def test_a_ticket_closed_or_voided_after_its_page_loaded_is_refused_at_submit(
        app, client, tickets, change):
    """The submit no longer checks the ticket before validating the answers (the session
    knows the campaign and subjects); the spend's check, under the campaign's lock, refuses
    it in words, and nothing is stored."""
    page = enter(client, tickets.single[0]).get_data(as_text=True)
    with app.app_context():
        campaign = campaign_of(tickets.campaign_id)
        if change == "closed":
            close_campaign(campaign)
        else:
            db.session.execute(sa.update(Ticket).where(
                Ticket.token_hash == hash_token(tickets.single[0])).values(voided=True))
            db.session.commit()
    refused = client.post("/ballot", data=full_answers(page))
    assert refused.status_code == 410
    said = "测评已结束" if change == "closed" else "测评票已作废"
    assert said in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SealedBallot)) == 0


def test_a_session_kept_from_before_the_upgrade_still_submits(app, client, tickets):
    """A phone that entered before the session kept the opening time and the subjects (a
    server upgraded mid-meeting) submits as before, its ticket checked first."""
    page = enter(client, tickets.single[0]).get_data(as_text=True)
    with client.session_transaction() as session:
        session["rater"] = {key: value for key, value in session["rater"].items()
                            if key not in ("opened", "subjects")}
    assert client.post("/ballot", data=full_answers(page)).status_code == 303
    receipt = client.get("/ballot/receipt")
    assert receipt.status_code == 200 and RECEIPT.search(receipt.get_data(as_text=True))


def test_a_second_server_process_compiles_no_template(app, make_app, tickets, monkeypatch):
    """Each process compiled every template it served (55 ms for the ballot page, paid by
    each gunicorn worker's first rater): the compiled code is kept in the instance folder,
    and another process on it renders the ballot page without compiling anything."""
    enter(app.test_client(), tickets.single[0])  # this process compiles, and keeps

    def compile_(*_args, **_kwargs):
        raise AssertionError("a template compiled again")

    monkeypatch.setattr(jinja2.Environment, "compile", compile_)
    page = enter(make_app().test_client(), tickets.single[1])
    assert page.status_code == 200 and "csrf_token" in page.get_data(as_text=True)


def test_a_raters_cookie_is_sent_again_only_when_its_session_changes(client, tickets):
    """A rater never logs in: loading the questionnaire again and reading the receipt leave
    the session as it is, so no cookie is signed and sent (Flask-Login's session protection,
    asked for a user on every request and page, rewrote it every time)."""
    page = enter(client, tickets.single[0]).get_data(as_text=True)
    assert "Set-Cookie" not in client.get("/ballot").headers
    submitted = client.post("/ballot", data=full_answers(page))
    assert submitted.status_code == 303 and "Set-Cookie" in submitted.headers
    receipt = client.get("/ballot/receipt")
    assert receipt.status_code == 200 and "Set-Cookie" not in receipt.headers
    assert "Set-Cookie" not in client.get("/ballot/receipt").headers
