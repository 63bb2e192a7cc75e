"""Sample draws through the organiser's and auditors' pages and the console: prepared with a
commitment, drawn with a witness value, set aside with a reason, verified; and the draw's
statistical behaviour."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from openpyxl import load_workbook

from analysis import draw_stratified_sample
from evalapp.audit.models import AuditEntry
from evalapp.campaigns.models import Campaign, RaterGroup
from evalapp.extensions import db
from evalapp.roster.models import DrawnPerson, RosterEntry, SampleDraw
from evalapp.sampling.operations import DrawRequest, make_draw, prepare_draw, verify_draw
from evalapp.tickets.models import Ticket, TicketBatch
from evalapp.tickets.operations import issue_tickets
from evalapp.tickets.tokens import normalize
from tests.support.draws import (
    campaign_with_roster,
    draw_with,
    kept_secret_of,
    last_draw,
    make_legacy_draw,
    prepare,
    prepare_and_draw_on_the_web,
    set_aside,
)
from tests.support.factories import groups_of, make_user
from tests.support.race import all_at_once, form_token, logged_in
from tests.support.sheets import CODE, pdf_text
from tests.support.web import csrf_token, login

SIZES = (47, 33, 19, 1)  # per rater group


@pytest.fixture
def campaign_id(app, client):
    with app.app_context():
        campaign_id = campaign_with_roster(SIZES)
    login(client, "organiser")
    return campaign_id


@pytest.fixture
def auditor(app, campaign_id):
    client = app.test_client()
    login(client, "auditor")
    return client


def allocation_by_name(app, record) -> dict[str, int]:
    with app.app_context():
        names = {str(g.id): g.name_zh for g in db.session.scalars(sa.select(RaterGroup))}
    return {names[key]: value for key, value in record.allocation.items()}


def text_of(client, path: str) -> str:
    return client.get(path).get_data(as_text=True)


def test_a_draw_is_prepared_with_a_commitment_then_drawn_with_the_witness_value(
        app, client, campaign_id):
    # 10 of 100: quotas 4.7 / 3.3 / 1.9 / 0.1 -> floors 4, 3, 1, 0; the two seats left go to
    # the largest remainders, 1.9 (基层党员) and 4.7 (机关党员).
    prepared = prepare(client, campaign_id, total=10)
    assert prepared.status_code == 303
    location = prepared.headers["Location"]
    record, people = last_draw(app)
    assert allocation_by_name(app, record) == {"机关党员": 5, "机关群众": 3, "基层党员": 2,
                                               "基层群众": 0}
    assert people == [] and record.pending and record.seed is None
    assert len(record.commitment) == 64 and len(record.roster_fingerprint) == 64
    page = text_of(client, location)
    assert "已准备，等待见证值" in page and record.commitment in page
    notice = text_of(client, f"{location}/notice")
    assert "抽样承诺" in notice and " ".join(re.findall(".{8}", record.commitment)) in notice
    assert record.roster_fingerprint in notice and "campaign=1;draw=1;total=10;minimum=0" in notice

    assert draw_with(client, location, "３ 5 1 6").status_code == 303  # full-width, as typed
    record, people = last_draw(app)
    assert len(people) == 10 and not record.pending
    assert (record.witness_typed, record.witness) == ("３ 5 1 6", "3516")
    page = text_of(client, location)
    assert record.secret in page and record.seed in page  # revealed once drawn
    assert page.count("<td>机关党员</td></tr>") == 5
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["sample.prepare", "sample.draw"]


def test_the_same_roster_secret_and_witness_value_give_this_sample(app, campaign_id):
    """Through the app's own path (the roster read from the database, the allocation, the
    seed): pinned staff numbers, the same on every platform and database."""
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        draw = prepare_draw(campaign, DrawRequest(total=10), secret=bytes(range(32)))
        assert draw.commitment == PINNED_COMMITMENT
        make_draw(draw, "3 5 1 6", user=None)
        assert sorted(p.roster_entry.staff_number for p in draw.people) == PINNED_SAMPLE
        db.session.rollback()
        other = prepare_draw(campaign, DrawRequest(total=10), secret=bytes(range(32)))
        make_draw(other, "3 5 1 5", user=None)
        assert sorted(p.roster_entry.staff_number for p in other.people) != PINNED_SAMPLE


PINNED_COMMITMENT = "8fe4eee69791eac87cbbd278799a6c6115c7e9735b8bf026b82679b10aed0216"
PINNED_SAMPLE = ["1-017", "1-021", "1-033", "1-036", "1-043", "2-007", "2-022", "2-030",
                 "3-016", "3-017"]


def test_the_secret_is_shown_nowhere_before_the_draw(app, client, auditor, campaign_id):
    """Whoever knew the secret before the witness value could not steer the draw alone, but
    with the value (typed by the organiser) they could predict it: no page, export or log
    entry an organiser or auditor reads shows it while the draw is prepared."""
    location = prepare(client, campaign_id, percent=20).headers["Location"]
    record, _people = last_draw(app)
    assert record.secret is None  # not in the database either (tests/test_draw_attack.py)
    secret = kept_secret_of(app, record)
    pages = [location, f"{location}/notice", f"/campaigns/{campaign_id}/draws/"]
    assert secret not in text_of(client, f"/campaigns/{campaign_id}/roster/")
    for reader in (client, auditor):
        for path in pages:
            response = reader.get(path)
            assert response.status_code == 200, path
            assert secret not in response.get_data(as_text=True), path
    for path in ("/audit/", "/audit/audit.csv"):
        assert secret not in text_of(auditor, path)
    assert client.get(f"{location}/people.xlsx").status_code == 409  # nobody drawn yet
    assert client.get(f"{location}/verify").status_code == 409


def test_a_prepared_draw_blocks_another_and_is_set_aside_only_with_a_reason(
        app, client, campaign_id):
    location = prepare(client, campaign_id, percent=20).headers["Location"]
    again = prepare(client, campaign_id, percent=20, reason="换一个承诺值")
    assert "第 1 次抽样已准备，正在等待见证值" in text_of(client, again.headers["Location"])
    refused = set_aside(client, location, "  ")
    assert refused.status_code == 422 and "请说明作废此次已准备抽样的理由" in refused.get_data(
        as_text=True)
    assert set_aside(client, location, "名册有误，需重新导入").status_code == 303
    first, _people = last_draw(app)
    assert first.abandoned_at and first.abandon_reason == "名册有误，需重新导入"
    page = text_of(client, location)
    assert "已作废（未抽样）" in page and first.secret in page  # shown: nothing depends on it now
    assert draw_with(client, location, "1 2 3").status_code == 409  # set aside for good
    # the next draw is a new record with its own commitment, and needs its reason
    assert prepare(client, campaign_id, percent=20).status_code == 422
    second = prepare_and_draw_on_the_web(client, campaign_id, percent=20,
                                         reason="第1次因名册有误作废")
    record, people = last_draw(app)
    assert record.sequence == 2 and record.commitment != first.commitment and len(people) == 20
    assert second != location
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SampleDraw.id))) == 2


def test_a_redraw_keeps_the_first_and_needs_a_reason(app, client, campaign_id):
    prepare_and_draw_on_the_web(client, campaign_id, percent=20)
    _first, first_people = last_draw(app)
    refused = prepare(client, campaign_id, percent=20)
    assert refused.status_code == 422
    assert "再次抽样须填写理由" in refused.get_data(as_text=True)
    prepare_and_draw_on_the_web(client, campaign_id, percent=20, reason="核对第一次抽样")
    second, second_people = last_draw(app)
    assert second.sequence == 2 and second.reason == "核对第一次抽样"
    assert second_people != first_people  # a new secret: the same witness value, another sample
    page = text_of(client, f"/campaigns/{campaign_id}/draws/")
    assert page.count("已抽样（有见证值）") == 2 and "核对第一次抽样" in page


def test_a_mistyped_or_empty_witness_value_is_refused(app, client, campaign_id):
    location = prepare(client, campaign_id, total=5).headers["Location"]
    differs = draw_with(client, location, "3 5 1 6", again="3 5 1 9")
    assert differs.status_code == 422 and "两次输入不一致" in differs.get_data(as_text=True)
    blank = draw_with(client, location, "- -")  # nothing to hash
    assert blank.status_code == 422 and "请用数字 0-9 输入见证值" in blank.get_data(as_text=True)
    letters = draw_with(client, location, "3 5 A 6")  # a letter: another transcription
    assert letters.status_code == 422 and "请用数字 0-9 输入见证值" in letters.get_data(
        as_text=True)
    too_long = draw_with(client, location, "9" * 201)
    assert too_long.status_code == 422
    record, people = last_draw(app)
    assert record.pending and people == []


@pytest.mark.parametrize(("data", "message"), [
    ({"percent": 20, "total": 5}, "二者选一"),
    ({}, "二者选一"),
    ({"percent": 150}, ""),
    ({"total": 5, "minimum": 3}, ""),
])
def test_impossible_draws_are_refused_with_a_reason(app, client, campaign_id, data, message):
    response = prepare(client, campaign_id, **data)
    if response.status_code == 303:  # refused after validation: said on the page
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "无法按此要求抽样" in page
    else:
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SampleDraw.id))) == 0


def test_a_minimum_lifts_a_small_group_to_all_of_it(app, client, campaign_id):
    prepare(client, campaign_id, percent=10, minimum=3)
    record, _people = last_draw(app)
    # 10 of 100; 基层党员 and 基层群众 need 3 and 1 (all of it): 6 seats left for 47 + 33.
    assert allocation_by_name(app, record) == {"机关党员": 3, "机关群众": 3, "基层党员": 3,
                                               "基层群众": 1}


def test_the_draws_parameters_read_as_a_sentence_with_chinese_punctuation(
        app, client, auditor, campaign_id):
    prepare(client, campaign_id, percent=40, minimum=3)
    record, _people = last_draw(app)
    location = f"/campaigns/{campaign_id}/draws/{record.id}"
    assert draw_with(client, location, "3516").status_code == 303
    for page in (text_of(client, location), text_of(client, f"{location}/notice"),
                 text_of(auditor, f"{location}/verify")):
        assert "抽样比例 40%，每类别至少 3 人" in page  # asked for
        assert "测评活动编号 1，第 1 次抽样：抽样比例 40%，每类别至少 3 人" in page
        assert ("承诺所用原文（供核验）：<code>campaign=1;draw=1;fraction=0.4;minimum=3</code>"
                in page)
        assert "40%, " not in page
    assert "见证人：____" in text_of(client, f"{location}/notice")


def test_auditors_verify_a_draw_in_plain_chinese(app, client, auditor, campaign_id):
    location = prepare_and_draw_on_the_web(client, campaign_id, total=10)
    page = text_of(auditor, f"{location}/verify")
    assert page.count("相符</strong>") == 8 and "不符" not in page
    assert "记录相符：抽中名单由名册、事先公布的承诺值、见证值和公布的秘密值得出" in page
    assert prepare(auditor, campaign_id, total=3).status_code == 403  # auditors do not draw
    assert draw_with(auditor, location, "1").status_code == 403


def _tamper_secret(draw, _campaign):
    draw.secret = "0" * 64


def _tamper_witness(draw, _campaign):
    draw.witness_typed = draw.witness = "3517"


def _tamper_commitment(draw, _campaign):
    draw.commitment = "f" * 64


def _tamper_roster_row(draw, campaign):
    entry = db.session.scalar(sa.select(RosterEntry).where(
        RosterEntry.campaign_id == campaign.id).order_by(RosterEntry.id.desc()).limit(1))
    entry.staff_number = "9-999"


def _tamper_drawn_person(draw, campaign):
    drawn = {person.roster_entry_id for person in draw.people}
    swapped = db.session.scalar(sa.select(RosterEntry).where(
        RosterEntry.campaign_id == campaign.id, RosterEntry.id.not_in(drawn),
        RosterEntry.rater_group_id == draw.people[0].roster_entry.rater_group_id).limit(1))
    db.session.delete(draw.people[0])
    db.session.add(DrawnPerson(draw_id=draw.id, roster_entry_id=swapped.id))


@pytest.mark.parametrize(("tamper", "line"), [
    (_tamper_secret, "承诺值："),
    (_tamper_witness, "种子："),
    (_tamper_commitment, "承诺值："),
    (_tamper_roster_row, "名册指纹："),
    (_tamper_drawn_person, "抽中名单："),
])
def test_a_tampered_record_fails_verification_on_the_page_and_the_console(
        app, client, auditor, runner, campaign_id, tamper, line):
    location = prepare_and_draw_on_the_web(client, campaign_id, total=10)
    assert runner.invoke(args=["verify-draw", str(campaign_id)]).exit_code == 0
    with app.app_context():
        draw = db.session.scalar(sa.select(SampleDraw))
        tamper(draw, db.session.get(Campaign, campaign_id))
        db.session.commit()
    page = text_of(auditor, f"{location}/verify")
    assert "记录不符" in page
    failed = re.findall(r'<li class="mismatch">.*?</li>', page, re.S)
    assert any(line in item for item in failed), failed
    result = runner.invoke(args=["verify-draw", str(campaign_id), "--draw", "1"])
    assert result.exit_code == 1
    assert f"✗ {line[:-1]}" in result.output and "记录不符" in result.output


def test_verify_draw_at_the_console(app, client, runner, campaign_id):
    refused = runner.invoke(args=["verify-draw", str(campaign_id)])
    assert refused.exit_code == 1 and "没有这次抽样" in refused.output
    prepare_and_draw_on_the_web(client, campaign_id, total=10)
    prepare(client, campaign_id, total=10, reason="再抽一次以作核对")
    pending = runner.invoke(args=["verify-draw", str(campaign_id), "--draw", "2"])
    assert pending.exit_code == 1 and "尚未抽取或已作废" in pending.output
    result = runner.invoke(args=["verify-draw", str(campaign_id)])  # the last draw made: 1
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"测评 {campaign_id} · 第 1 次抽样"
    assert lines[1].startswith("不能证明承诺值已事先公布")  # nobody acknowledged it
    assert [line[0] for line in lines[2:10]] == ["✓"] * 8
    assert lines[10].startswith("记录相符")


def test_a_record_file_is_checked_without_the_database(app, auditor, client, runner,
                                                        campaign_id, tmp_path):
    location = prepare_and_draw_on_the_web(client, campaign_id, total=10)
    response = auditor.get(f"{location}/record.json")
    assert response.status_code == 200
    record = json.loads(response.data)
    exported = tmp_path / "record.json"
    exported.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["verify-draw", "--record", str(exported)])
    assert result.exit_code == 0 and "记录相符" in result.output, result.output
    record["witness_typed"] = record["witness"] = "3 5 1 7"  # a witness value rewritten
    exported.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["verify-draw", "--record", str(exported)])
    assert result.exit_code == 1 and "✗ 种子" in result.output
    exported.write_text("{}", encoding="utf-8")
    result = runner.invoke(args=["verify-draw", "--record", str(exported)])
    assert result.exit_code == 1 and "无法读取抽样记录文件" in result.output
    exported.write_text("[" * 100_000, encoding="utf-8")  # past Python's recursion limit
    result = runner.invoke(args=["verify-draw", "--record", str(exported)])
    assert result.exit_code == 1 and not isinstance(result.exception, RecursionError)
    assert "无法读取抽样记录文件" in result.output
    assert runner.invoke(args=["verify-draw"]).exit_code == 2  # neither: a usage error


def test_a_legacy_draw_reads_and_verifies_as_one(app, client, auditor, runner, campaign_id):
    with app.app_context():
        draw_id = make_legacy_draw(db.session.get(Campaign, campaign_id), "2026-A", 0.2).id
        db.session.commit()
    location = f"/campaigns/{campaign_id}/draws/{draw_id}"
    for reader in (client, auditor):
        assert "旧式抽样：种子由系统或组织者选定" in text_of(reader, location)
        assert "已抽样（旧式：无承诺值）" in text_of(reader, f"/campaigns/{campaign_id}/draws/")
    page = text_of(auditor, f"{location}/verify")
    assert page.count("相符</strong>") == 5 and "旧式抽样" in page
    assert client.get(f"{location}/notice").status_code == 404  # nothing was committed
    result = runner.invoke(args=["verify-draw", str(campaign_id)])
    assert result.exit_code == 0 and "旧式抽样" in result.output


def test_the_migration_keeps_legacy_draws_their_people_and_batches(app, campaign_id):
    """0005 rebuilds sample_draws on SQLite, whose foreign-key actions would delete the people
    drawn and unlink the ticket batches if they were not kept (down and up again here)."""
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        draw = make_legacy_draw(campaign, "2026-A", 0.2)
        issue_tickets(campaign, groups_of(campaign)[0], campaign.subjects, 2, draw=draw)
        people, draw_id = len(draw.people), draw.id
        db.session.commit()
        db.session.remove()  # the migration takes the write lock on SQLite
        downgrade(revision="5e1c0a9d4b15")
        upgrade()
        db.session.expire_all()
        assert db.session.scalar(sa.select(sa.func.count(DrawnPerson.draw_id))) == people == 20
        assert db.session.scalar(sa.select(TicketBatch.draw_id)) == draw_id
        assert db.session.get(SampleDraw, draw_id).seed == "2026-A"


RACERS = 6


def test_organisers_preparing_or_drawing_at_once_make_one_draw(app, live_server, campaign_id):
    """Six sessions prepare at once: one draw is prepared and the others are told it waits;
    then six draw it at once, each with its own witness value: one draws, the others find it
    drawn (409), and the record is whole: it verifies, with one witness value and its people."""
    with app.app_context():
        for n in range(RACERS):
            make_user(f"organiser{n}", db.session.get(Campaign, campaign_id).unit)
        db.session.commit()
    sessions = [logged_in(live_server, f"organiser{n}") for n in range(RACERS)]
    index = f"/campaigns/{campaign_id}/draws/"
    tokens = [form_token(session, index) for session in sessions]
    prepared = all_at_once([
        lambda s=s, t=t: s.post(index, {"csrf_token": t, "total": "10", "reason": "同时"})
        for s, t in zip(sessions, tokens, strict=True)])
    assert {reply.status for reply in prepared} <= {303, 422}, [r.status for r in prepared]
    with app.app_context():
        (draw_id,) = db.session.scalars(sa.select(SampleDraw.id)).all()
    location = f"{index}{draw_id}"
    tokens = [form_token(session, location) for session in sessions]
    drawn = all_at_once([
        lambda s=s, t=t, n=n: s.post(f"{location}/draw", {
            "csrf_token": t, "witness": f"{n} {n}", "again": f"{n} {n}"})
        for n, (s, t) in enumerate(zip(sessions, tokens, strict=True))])
    assert sorted(reply.status for reply in drawn) == [303] + [409] * (RACERS - 1)
    record, people = last_draw(app)
    assert len(people) == 10
    with app.app_context():
        assert all(line.ok for line in verify_draw(db.session.get(SampleDraw, record.id)))


def test_the_drawn_list_exports_to_excel(app, client, campaign_id):
    location = prepare_and_draw_on_the_web(client, campaign_id, total=10)
    workbook = load_workbook(io.BytesIO(client.get(f"{location}/people.xlsx").data))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0] == ("姓名", "工号", "单位", "测评人类别")
    record, people = last_draw(app)
    assert sorted(row[1] for row in rows[1:11]) == people
    kept = dict(workbook["抽样记录"].iter_rows(values_only=True))
    assert kept["承诺值"] == record.commitment and kept["秘密值"] == record.secret
    assert kept["见证值（输入）"] == "3 5 1 6" and kept["种子"] == record.seed


def test_issuing_from_a_draw_gives_one_ticket_per_person_plus_spares(app, client, campaign_id):
    location = prepare(client, campaign_id, total=10).headers["Location"]
    data = {"csrf_token": csrf_token(client, location), "spares": 1}
    assert client.post(f"{location}/issue", data=data).status_code == 409  # not drawn yet
    draw_with(client, location, "6 6 6")
    response = client.post(f"{location}/issue", data=data)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    codes = [code for page in pdf_text(response.data) for code in CODE.findall(page)]
    assert len(codes) == 10 + 4  # 5+3+2+0 drawn, one spare per group
    with app.app_context():
        per_group = dict(db.session.execute(
            sa.select(RaterGroup.name_zh, sa.func.count(Ticket.id))
            .join(TicketBatch, TicketBatch.rater_group_id == RaterGroup.id)
            .join(Ticket, Ticket.batch_id == TicketBatch.id).group_by(RaterGroup.name_zh)).all())
        assert per_group == {"机关党员": 6, "机关群众": 4, "基层党员": 3, "基层群众": 1}
        assert db.session.scalar(sa.select(sa.func.count(Ticket.id)).where(Ticket.is_spare)) == 4


def test_issuing_from_a_draw_prints_slips_then_paper_ballots(app, client, campaign_id):
    location = prepare_and_draw_on_the_web(client, campaign_id, total=10)
    response = client.post(f"{location}/issue", data={
        "csrf_token": csrf_token(client, location), "prints": "both", "paper": "A4"})
    assert response.status_code == 200
    assert 'filename="tickets-and-ballots-' in response.headers["Content-Disposition"]
    pages = pdf_text(response.data)
    slips = [normalize(code) for page in pages[:2] for code in CODE.findall(page)]
    ballots = [CODE.findall(page) for page in pages[2:]]
    assert len(slips) == 10 and all(len(codes) == 1 for codes in ballots)
    assert {normalize(code) for codes in ballots for code in codes} == set(slips)
    assert sum("第 1 / " in page for page in pages[2:]) == 10  # one ballot per ticket
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "tickets.issue_from_draw"))
        assert entry.detail["slips"] is True and entry.detail["paper_ballots"] == "A4"


def test_each_persons_chance_of_selection_matches_the_groups_fraction():
    """Over many seeds every member is drawn about n/N of the time: no position in the roster
    and no id is favoured (a binomial check at five standard errors per person)."""
    members = {"A": [f"a{i}" for i in range(40)], "B": [f"b{i}" for i in range(15)]}
    allocation = {"A": 8, "B": 6}
    draws = 3000
    counts = {member: 0 for ids in members.values() for member in ids}
    for seed in range(draws):
        for drawn in draw_stratified_sample(members, allocation, seed).values():
            for member in drawn:
                counts[member] += 1
    for stratum, ids in members.items():
        p = allocation[stratum] / len(ids)
        tolerance = 5 * np.sqrt(p * (1 - p) / draws)
        shares = np.array([counts[member] / draws for member in ids])
        assert np.all(np.abs(shares - p) < tolerance), (stratum, shares.min(), shares.max())
        assert abs(shares.mean() - p) < 1e-12  # exactly n of N every time
