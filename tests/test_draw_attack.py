"""Attacks on the draw by a hostile organiser (issue 23, part 4), each beside the same attack
with its defence switched off, where it succeeds: issuing tickets from a draw replaced by a
redraw, redrawing with a reason of ".", witness values typed to hash something else than what
was read out, presenting a committed draw as a legacy one, claiming a commitment was
published beforehand, and reading the secret from the database before the draw."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from openpyxl import load_workbook

from analysis import commitment
from analysis.commitment import DrawCommitment
from evalapp.auth.models import Role
from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.roster.models import SampleDraw
from evalapp.sampling import custody, operations, views
from evalapp.sampling.custody import kept_secret
from evalapp.sampling.models import DrawSecret
from evalapp.tickets import operations as tickets
from evalapp.tickets.models import Ticket, TicketBatch
from tests.support.apps import build_app, dispose
from tests.support.draws import (
    campaign_with_roster,
    draw_with,
    last_draw,
    prepare,
    prepare_and_draw_on_the_web,
    set_aside,
)
from tests.support.factories import groups_of, make_user
from tests.support.storage import every_value, store_unwrapped, windows
from tests.support.web import csrf_token, login

READ_OUT = "35172"


@pytest.fixture
def campaign_id(app, client):
    with app.app_context():
        campaign_id = campaign_with_roster((20, 12, 8, 4))
        unit = db.session.get(Campaign, campaign_id).unit
        make_user("scrutineer", unit, Role.SCRUTINEER)
        db.session.commit()
    login(client, "organiser")
    return campaign_id


def reader(app, username: str):
    client = app.test_client()
    login(client, username)
    return client


def issue(client, location: str):
    return client.post(f"{location}/issue", data={"csrf_token": csrf_token(client, location)})


def tickets_issued(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Ticket.id)))


def two_draws(client, campaign_id) -> tuple[str, str]:
    first = prepare_and_draw_on_the_web(client, campaign_id, total=8)
    second = prepare_and_draw_on_the_web(client, campaign_id, total=8,
                                         reason="第一次抽样时名册未冻结，重新抽样")
    return first, second


def drop_current_draw_trigger() -> None:
    if db.engine.dialect.name == "sqlite":
        for event in ("insert", "update"):
            db.session.execute(sa.text(f"DROP TRIGGER ticket_batches_current_draw_{event}"))
    else:
        db.session.execute(sa.text("DROP TRIGGER ticket_batches_current_draw ON ticket_batches"))
    db.session.commit()


# --- a redraw cannot be issued from ---------------------------------------------------------

def test_tickets_cannot_be_issued_from_a_draw_a_redraw_replaced(app, client, campaign_id):
    first, second = two_draws(client, campaign_id)
    refused = issue(client, first)
    assert refused.status_code == 409
    assert "这不是本次测评的当前抽样" in refused.get_data(as_text=True)
    assert "这不是本次测评的当前抽样" in client.get(first).get_data(as_text=True)
    assert tickets_issued(app) == 0
    assert issue(client, second).status_code == 200 and tickets_issued(app) == 8


def test_a_waiting_redraw_stops_issuing_from_the_draw_before(app, client, campaign_id):
    first = prepare_and_draw_on_the_web(client, campaign_id, total=8)
    prepare(client, campaign_id, total=8, reason="第一次抽样时名册未冻结，重新抽样")
    assert issue(client, first).status_code == 409 and tickets_issued(app) == 0


def test_the_operation_and_the_database_refuse_a_replaced_draw(app, client, campaign_id,
                                                               monkeypatch):
    two_draws(client, campaign_id)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        first = db.session.scalar(sa.select(SampleDraw).where(SampleDraw.sequence == 1))
        group = groups_of(campaign)[0]
        with pytest.raises(tickets.NotCurrentDraw):
            tickets.issue_tickets(campaign, group, campaign.subjects, 3, draw=first)
        monkeypatch.setattr(tickets, "draw_issuable", lambda draw: True)  # the app's check off
        with pytest.raises(sa.exc.IntegrityError):  # the trigger of migration 0011
            tickets.issue_tickets(campaign, group, campaign.subjects, 3, draw=first)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(TicketBatch.id))) == 0


def test_with_both_defences_off_the_replaced_draw_is_issued_from(app, client, campaign_id,
                                                                 monkeypatch):
    first, _second = two_draws(client, campaign_id)
    monkeypatch.setattr(tickets, "draw_issuable", lambda draw: True)
    monkeypatch.setattr(views, "draw_issuable", lambda draw: True)
    with app.app_context():
        drop_current_draw_trigger()
    assert issue(client, first).status_code == 200 and tickets_issued(app) == 8


def issue_by_hand(client, campaign_id: int):
    """The tickets page's own form: a batch for the first group, not from any draw."""
    location = f"/campaigns/{campaign_id}/tickets/"
    page = client.get(location).get_data(as_text=True)
    group = re.search(r'name="rater_group"[^>]*>\s*<option[^>]*value="(\d+)"', page).group(1)
    subject = re.search(r'name="subjects"[^>]*value="(\d+)"', page).group(1)
    return client.post(location, data={
        "csrf_token": csrf_token(client, location), "rater_group": group, "subjects": subject,
        "count": 3, "spares": 0, "output": "pdf", "prints": "slips"})


def test_no_hand_picked_batch_stands_beside_the_sample(app, client, campaign_id):
    """After a draw, tickets for a group it samples come from the draw alone: a batch issued
    by hand would let the organiser add chosen raters beside the people drawn, unseen on the
    draw's verification page."""
    prepare_and_draw_on_the_web(client, campaign_id, total=8)
    refused = issue_by_hand(client, campaign_id)
    assert refused.status_code == 409
    assert "已纳入本次测评的抽样" in refused.get_data(as_text=True)
    assert tickets_issued(app) == 0


def test_without_the_check_a_hand_picked_batch_joins_the_sample(app, client, campaign_id,
                                                                monkeypatch):
    prepare_and_draw_on_the_web(client, campaign_id, total=8)
    monkeypatch.setattr(tickets, "sampled", lambda campaign, group: False)
    assert issue_by_hand(client, campaign_id).status_code == 200
    assert tickets_issued(app) == 3


# --- a redraw needs a real reason -------------------------------------------------------------

@pytest.mark.parametrize("reason", [".", "。。。。。。。", "      ", "aaaaaaaa", "啊啊啊啊啊啊",
                                    "1212121212", "重抽"])
def test_a_redraw_with_no_real_reason_is_refused(app, client, campaign_id, reason):
    prepare_and_draw_on_the_web(client, campaign_id, total=8)
    refused = prepare(client, campaign_id, total=8, reason=reason)
    assert refused.status_code == 422
    assert "至少 6 个汉字、字母或数字" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SampleDraw.id))) == 1
        with pytest.raises(operations.ThinReason):  # the operation says so too
            operations.prepare_draw(db.session.get(Campaign, campaign_id),
                                    operations.DrawRequest(total=8, reason=reason))


def test_with_the_reason_rule_off_a_dot_redraws(app, client, campaign_id, monkeypatch):
    prepare_and_draw_on_the_web(client, campaign_id, total=8)
    lenient = lambda text: bool((text or "").strip())  # noqa: E731 (the rule before issue 23)
    monkeypatch.setattr(operations, "is_real_reason", lenient)
    monkeypatch.setattr(views, "is_real_reason", lenient)
    assert prepare(client, campaign_id, total=8, reason=".").status_code == 303


def test_setting_aside_needs_a_real_reason_and_every_draw_stays_on_the_record(
        app, client, campaign_id):
    first, second = two_draws(client, campaign_id)
    location = prepare(client, campaign_id, total=8,
                       reason="第二次抽样的见证人缺席，再抽一次").headers["Location"]
    set_aside = {"csrf_token": csrf_token(client, location), "reason": "。"}
    assert client.post(f"{location}/abandon", data=set_aside).status_code == 422
    set_aside["reason"] = "见证人仍未到场，此次作废"
    assert client.post(f"{location}/abandon", data=set_aside).status_code == 303
    fourth = prepare_and_draw_on_the_web(client, campaign_id, total=8,
                                         reason="第三次作废后按原参数重新抽样")
    page = client.get(f"{fourth}/verify").get_data(as_text=True)
    table = page[page.index('id="earlier"'):]
    assert [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', table)] == [1, 2, 3]
    assert "第一次抽样时名册未冻结" in table and "见证人仍未到场，此次作废" in table
    record = json.loads(client.get(f"{fourth}/record.json").data)
    assert [(d["sequence"], d["state"]) for d in record["earlier"]] == [
        (1, "drawn"), (2, "drawn"), (3, "set aside")]
    assert record["earlier"][1]["reason"] == "第一次抽样时名册未冻结，重新抽样"
    assert all(d["secret"] for d in record["earlier"])  # revealed: nothing depends on them
    sheet = load_workbook(io.BytesIO(client.get(f"{fourth}/people.xlsx").data))["抽样记录"]
    kept = dict(sheet.iter_rows(values_only=True))
    assert [key for key in kept if key.startswith("此前")] == [
        "此前第 1 次抽样", "此前第 2 次抽样", "此前第 3 次抽样"]
    assert "作废理由：见证人仍未到场，此次作废" in kept["此前第 3 次抽样"]
    assert first != second


# --- witness values: the value read out, or a refusal -----------------------------------------

TRICKS = [
    ("3\u202e5172\u202c", None),  # right-to-left override: shows 35271… reversed, hashes 35172
    ("351\u200b72", None),  # a zero-width space
    ("35\u2066172\u2069", None),  # a bidi isolate
    ("３５１７２", READ_OUT),  # full-width digits are the digits read out
    ("35172.0", None),  # a decimal point would add a digit nobody read out
    ("35,172", None),  # a thousands comma
    ("35172・0", None),  # a katakana middle dot: reads as 35172·0, would hash 351720
    ("35172⸳0", None),  # a raised dot, the same
    ("35172‧0", None),  # a hyphenation point, the same
    ("035172", "035172"),  # a leading zero read out is kept: another value, as read
]


@pytest.mark.parametrize(("typed", "taken"), TRICKS)
def test_each_witness_trick_gives_the_value_read_out_or_a_refusal(app, client, campaign_id,
                                                                  typed, taken):
    location = prepare(client, campaign_id, total=8).headers["Location"]
    response = draw_with(client, location, typed)
    record, _people = last_draw(app)
    if taken is None:
        assert response.status_code == 422 and record.pending and record.seed is None
        assert re.search("控制字符|小数点", response.get_data(as_text=True))
    else:
        assert response.status_code == 303 and record.witness == taken


def test_with_the_witness_rule_off_a_trick_hashes_another_value(app, client, campaign_id,
                                                                monkeypatch):
    """The rule before issue 23: controls and every punctuation dropped silently."""
    monkeypatch.setattr(commitment, "_is_control", lambda char: False)
    monkeypatch.setattr(commitment, "NUMBER_MARKS", frozenset())
    monkeypatch.setattr(commitment, "_looks_like_a_point", lambda char: False)
    monkeypatch.setattr(commitment, "SEPARATOR_CATEGORIES", "PC")
    location = prepare(client, campaign_id, total=8).headers["Location"]
    assert draw_with(client, location, "35172.0").status_code == 303
    record, _people = last_draw(app)
    assert record.witness == "351720" != READ_OUT


def test_two_transcriptions_of_one_value_are_compared_after_normalising(app, client,
                                                                         campaign_id):
    location = prepare(client, campaign_id, total=8).headers["Location"]
    assert draw_with(client, location, "3 5 1 7 2", again="3-5-1-7-2").status_code == 303
    record, _people = last_draw(app)
    assert (record.witness_typed, record.witness) == ("3 5 1 7 2", READ_OUT)


def test_a_leading_zero_is_a_different_value_as_read_out(app, client, campaign_id):
    location = prepare(client, campaign_id, total=8).headers["Location"]
    differs = draw_with(client, location, "035172", again="35172")
    assert differs.status_code == 422 and "两次输入不一致" in differs.get_data(as_text=True)


# --- a committed draw cannot pass as legacy ---------------------------------------------------

def erase_commitment(app, *, scheme: str | None) -> None:
    """What a database writer does to make a committed draw read as legacy (its seed, that is
    chosen freely then, left as it is)."""
    with app.app_context():
        values = {"commitment": None, "secret": None, "parameters": None, "witness": None,
                  "witness_typed": None}
        if scheme is not None:
            values["scheme"] = scheme
        db.session.execute(sa.update(SampleDraw).values(**values))
        db.session.commit()


def test_erasing_the_commitment_alone_is_refused_by_the_database(app, client, campaign_id):
    prepare_and_draw_on_the_web(client, campaign_id, total=8)
    with pytest.raises(sa.exc.IntegrityError):
        erase_commitment(app, scheme=None)


def test_a_draw_downgraded_to_legacy_fails_verification(app, client, runner, campaign_id):
    location = prepare_and_draw_on_the_web(client, campaign_id, total=8)
    erase_commitment(app, scheme="legacy")
    result = runner.invoke(args=["verify-draw", str(campaign_id)])
    assert result.exit_code == 1 and "✗ 抽样类型" in result.output, result.output
    page = reader(app, "auditor").get(f"{location}/verify").get_data(as_text=True)
    assert "记录不符" in page


def test_with_the_audit_cross_check_off_the_downgrade_passes(app, client, runner, campaign_id,
                                                             monkeypatch):
    prepare_and_draw_on_the_web(client, campaign_id, total=8)
    erase_commitment(app, scheme="legacy")
    monkeypatch.setattr(operations, "audited_commitment", lambda draw: None)
    result = runner.invoke(args=["verify-draw", str(campaign_id)])
    assert result.exit_code == 0 and "旧式抽样" in result.output, result.output


def test_a_record_file_downgraded_to_legacy_fails(app, client, runner, campaign_id, tmp_path,
                                                  monkeypatch):
    _first, second = two_draws(client, campaign_id)
    record = json.loads(client.get(f"{second}/record.json").data)
    exported = tmp_path / "record.json"

    def verify(**changes):
        exported.write_text(json.dumps({**record, **changes}, ensure_ascii=False), "utf-8")
        return runner.invoke(args=["verify-draw", "--record", str(exported)])

    assert verify().exit_code == 0
    erased = {"commitment": None, "secret": None, "parameters": None, "witness": None,
              "witness_typed": None}
    kept_scheme = verify(**erased)  # checked as committed: nothing to check it from
    assert kept_scheme.exit_code == 1 and "✗ 承诺值" in kept_scheme.output
    relabelled = verify(**erased, scheme="legacy")  # yet the draw before it was committed
    assert relabelled.exit_code == 1 and "✗ 抽样类型" in relabelled.output
    older = {key: value for key, value in record.items() if key != "scheme"}
    exported.write_text(json.dumps(older, ensure_ascii=False), "utf-8")
    assert runner.invoke(args=["verify-draw", "--record", str(exported)]).exit_code == 1
    monkeypatch.setattr(commitment, "_scheme_check",
                        lambda rec: commitment.DrawCheck("scheme", True, "", ""))
    assert verify(**erased, scheme="legacy").exit_code == 0  # the defence off


# --- "published beforehand" only when a second account acknowledged it in time ---------------

def publication_of(client, location: str) -> str:
    page = client.get(f"{location}/verify").get_data(as_text=True)
    return re.search(r'id="publication">(.*?)</p>', page, re.S).group(1)


def acknowledge(client, location: str):
    return client.post(f"{location}/acknowledge",
                       data={"csrf_token": csrf_token(client, location)})


def test_a_same_second_prepare_and_draw_is_not_published_beforehand(app, client, campaign_id):
    location = prepare_and_draw_on_the_web(client, campaign_id, total=8)
    statement = publication_of(client, location)
    assert statement.startswith("不能证明承诺值已事先公布") and "没有另一个账号" in statement


def test_an_acknowledgement_just_before_the_draw_is_not_enough(app, client, campaign_id):
    location = prepare(client, campaign_id, total=8).headers["Location"]
    assert acknowledge(client, location).status_code == 403  # the organiser cannot
    assert acknowledge(reader(app, "scrutineer"), location).status_code == 303
    draw_with(client, location, READ_OUT)
    statement = publication_of(client, location)
    assert statement.startswith("不能证明承诺值已事先公布") and "仅在抽样前 0 分钟" in statement


def test_an_acknowledgement_well_before_the_draw_is_published_beforehand(app, client,
                                                                         campaign_id):
    location = prepare(client, campaign_id, total=8).headers["Location"]
    assert acknowledge(reader(app, "auditor"), location).status_code == 303
    draw_with(client, location, READ_OUT)
    with app.app_context():  # as if the notice went out two hours before the meeting
        draw = db.session.scalar(sa.select(SampleDraw))
        draw.acknowledged_at -= timedelta(hours=2)
        draw.prepared_at -= timedelta(hours=2)
        db.session.commit()
    statement = publication_of(client, location)
    assert statement.startswith("承诺值已事先公布：Auditor于") and "120 分钟" in statement
    record = json.loads(client.get(f"{location}/record.json").data)
    assert record["published_beforehand"] is True and record["acknowledged_by"] == "Auditor"


def test_with_no_margin_a_same_second_draw_is_claimed_published_beforehand(
        make_app, campaign_id):
    app = make_app(DRAW_NOTICE_MARGIN_MINUTES=0)  # the defence off
    client = reader(app, "organiser")
    location = prepare(client, campaign_id, total=8).headers["Location"]
    acknowledge(reader(app, "scrutineer"), location)
    draw_with(client, location, READ_OUT)
    assert publication_of(client, location).startswith("承诺值已事先公布")


# --- the secret is not in the database before the draw ----------------------------------------

def secrets_in_database(draw: SampleDraw) -> list[str]:
    """What a database reader finds: every 64-hex-digit string in every table's text, and
    every 32 bytes of every binary value of up to 128 bytes, that, taken as the secret, gives
    the draw's commitment (and so its sample for any witness value they care to try)."""
    values = every_value()
    candidates = [*(bytes.fromhex(text) for value in values
                    for text in re.findall(r"[0-9a-f]{64}", str(value))), *windows(values)]
    return sorted({secret.hex() for secret in candidates if DrawCommitment(
        secret, draw.roster_fingerprint, draw.parameters).digest() == draw.commitment})


@pytest.fixture(params=["defended", "undefended"])
def secret_wrapping(request, monkeypatch) -> bool:
    """The waiting secret wrapped under the key-encryption key as shipped, or (switched off)
    its own bytes where the wrapped secret goes."""
    if request.param == "undefended":
        store_unwrapped(monkeypatch, custody)
    return request.param == "defended"


def test_a_database_reader_finds_no_secret_before_the_draw(app, client, campaign_id,
                                                          secret_wrapping):
    location = prepare(client, campaign_id, total=8).headers["Location"]
    with app.app_context():
        draw = db.session.scalar(sa.select(SampleDraw))
        found = secrets_in_database(draw)
        if not secret_wrapping:  # the attack has teeth: the secret, before the draw
            assert found == [kept_secret(draw.commitment).hex()]
            return
        assert found == []
        with pytest.raises(sa.exc.IntegrityError):  # nor can it be put there while waiting
            db.session.execute(sa.update(SampleDraw).values(secret="0" * 64))
        db.session.rollback()
    draw_with(client, location, READ_OUT)
    with app.app_context():  # the same search after the draw: the secret, now public
        draw = db.session.scalar(sa.select(SampleDraw))
        assert set(secrets_in_database(draw)) == {draw.secret}


def test_a_draw_prepared_on_one_node_is_drawn_on_another(app, client, campaign_id,
                                                       database_url, tmp_path):
    """Nodes share the database and the key-encryption key, not an instance folder: a node
    configured apart (its own key) refuses the draw and setting it aside plainly (409) and
    changes nothing, and a node with the same key draws it."""
    location = prepare(client, campaign_id, total=8).headers["Location"]
    apart = build_app(database_url, tmp_path / "apart")
    same = build_app(database_url, tmp_path / "same",
                     KEY_ENCRYPTION_KEY=app.config["KEY_ENCRYPTION_KEY"])
    try:
        elsewhere = apart.test_client()
        login(elsewhere, "organiser")
        refused = draw_with(elsewhere, location, READ_OUT)
        assert refused.status_code == 409
        assert "EVALAPP_KEY_ENCRYPTION_KEY" in refused.get_data(as_text=True)
        # nor set aside there: the record would lose the secret it is to publish
        kept = set_aside(elsewhere, location, "见证人未到场，改日重新抽样")
        assert kept.status_code == 409
        assert "EVALAPP_KEY_ENCRYPTION_KEY" in kept.get_data(as_text=True)
        other = same.test_client()
        login(other, "organiser")
        assert draw_with(other, location, READ_OUT).status_code == 303
    finally:
        dispose(apart)
        dispose(same)
    with app.app_context():
        draw = db.session.scalar(sa.select(SampleDraw))
        assert draw.witness == READ_OUT and draw.people
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DrawSecret)) == 0


def test_the_migration_sets_aside_a_draw_whose_secret_sat_in_the_database(app, client,
                                                                          campaign_id):
    """Before migration 0011 a prepared draw's secret was a column: such a draw is set aside
    on upgrade, with that reason and its (never secret) secret shown; the draws already made
    keep their scheme; down and up again."""
    prepare_and_draw_on_the_web(client, campaign_id, total=8)
    prepare(client, campaign_id, total=8, reason="第一次抽样时名册未冻结，重新抽样")
    with app.app_context():
        db.session.remove()  # the migration takes the write lock on SQLite
        downgrade(revision="f1d4051a2b11")  # just before 0011
        db.session.execute(sa.text("UPDATE sample_draws SET secret = :secret WHERE sequence = 2"),
                           {"secret": "ab" * 32})
        db.session.commit()
        db.session.remove()
        upgrade()
        first, second = db.session.scalars(
            sa.select(SampleDraw).order_by(SampleDraw.sequence)).all()
        assert (first.scheme, first.drawn_at is not None) == ("commit-v1", True)
        assert second.abandoned_at is not None and "明文存于数据库" in second.abandon_reason
        assert second.secret == "ab" * 32
