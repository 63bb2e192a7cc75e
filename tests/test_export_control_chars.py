"""Control characters: text pasted from Word (line breaks as U+000B) is stored with plain line
breaks, whatever form or import takes it; and every Excel export is written whatever the stored
text holds, every C0 control character included, never a 500 (ledger_measure_pasted_from_word)."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa
from openpyxl import load_workbook

from evalapp.audit.operations import record
from evalapp.auth.models import User
from evalapp.campaigns.models import Campaign
from evalapp.extensions import db
from evalapp.rectification.models import RectificationMeasure, RectificationProblem
from evalapp.roster.models import DrawnPerson, RosterEntry
from tests.support.ballots import closed_campaign
from tests.support.organiser import download, make_setup, measure_data
from tests.support.web import csrf_token, login

CASES = Path(__file__).parent / "cases"
C0 = "".join(map(chr, range(32)))  # every C0 control character, tab, LF and CR included


def storable_c0(app) -> str:
    """Every C0 control character the database can hold: PostgreSQL's text holds no NUL (such
    a text never reaches an export there; a form's is dropped on input)."""
    with app.app_context():
        return C0 if db.engine.dialect.name == "sqlite" else C0[1:]


def in_excel(chars: str) -> str:
    """`chars` as Excel is to hold them: LF for every line break (LF, Word's vertical tab and
    form feed, CR, and the file, group and record separators str.splitlines() breaks at),
    the tab as it is, an _xHHHH_ escape for what a cell cannot hold."""
    return "".join("\n" if char in "\n\x0b\x0c\r\x1c\x1d\x1e" else char if char == "\t"
                   else f"_x{ord(char):04X}_" for char in chars)


# The measure of the case, as the browser sends it (form-encoded, U+000B as %0B).
WORD_MEASURE = ("每月开展一次主题党日：\x0b1. 邀请青年党员讲党课；\x0b"
                "2. 组织到红色教育基地现场学习。")


def cells(content: bytes) -> list[str]:
    workbook = load_workbook(io.BytesIO(content))
    return [cell.value for sheet in workbook for row in sheet.iter_rows() for cell in row
            if isinstance(cell.value, str)]


def test_case_a_measure_pasted_from_word_is_stored_with_line_breaks(app, client):
    assert WORD_MEASURE.replace("\x0b", "⟨VT⟩") in (
        CASES / "ledger_measure_pasted_from_word.txt").read_text()
    with app.app_context():
        setup = make_setup()
    login(client, "organiser")
    path = f"/campaigns/{setup.campaign}/rectification/measures/{setup.measure}"
    # a NUL as well, which PostgreSQL's text cannot hold (it was a 500 there)
    saved = client.post(path, data={
        **measure_data(text=WORD_MEASURE, responsible_department="机关\x00党委\x1b"),
        "csrf_token": csrf_token(client, "/")})
    assert saved.status_code == 303
    lines = "每月开展一次主题党日：\n1. 邀请青年党员讲党课；\n2. 组织到红色教育基地现场学习。"
    with app.app_context():
        measure = db.session.get(RectificationMeasure, setup.measure)
        assert (measure.text, measure.responsible_department) == (lines, "机关党委")
    exported = client.get(f"/campaigns/{setup.campaign}/rectification/ledger.xlsx")
    assert exported.status_code == 200 and lines in cells(exported.data)


def test_an_imported_ledger_cell_with_control_characters_is_plain_text(app, client):
    with app.app_context():
        setup = make_setup()
        label = db.session.get(Campaign, setup.campaign).subjects[0].label()
    login(client, "organiser")
    rows = ("被评对象,序号,来源,问题,整改措施,责任部门,配合部门,整改时限,状态,完成情况,完成日期\n"
            f"{label},1,领导点评,问题\x01甲,措施\x0b第二行\x0c第三行,机关\x1b党委,,2030-06-30,未开始,,\n")
    response = client.post(f"/campaigns/{setup.campaign}/rectification/import", data={
        "csrf_token": csrf_token(client, "/"),
        "file": (io.BytesIO(rows.encode()), "ledger.csv")})
    assert response.status_code == 303, response.get_data(as_text=True)[-600:]
    with app.app_context():
        assert db.session.execute(sa.select(
            RectificationProblem.text, RectificationMeasure.text,
            RectificationMeasure.responsible_department).join(
            RectificationMeasure.problem)).all() == [("问题甲", "措施\n第二行\n第三行", "机关党委")]


def test_every_control_character_through_the_results_and_ledger_exports(app, client):
    """Stored before input was cleaned (or by any other way in): names, titles, opinions and a
    measure holding every C0 control character. Every export of the results and the ledger
    answers 200, the Excel files with the characters escaped."""
    c0 = storable_c0(app)
    excel_c0 = in_excel(c0)
    campaign_id = closed_campaign(app, [f"意见{c0}"] * 5, person=f"述职人{c0}",
                                  group=f"机关{c0}", item=f"内容{c0}")
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        campaign.title = f"测评{c0}"
        problem = RectificationProblem(subject_id=campaign.subjects[0].id, source="leadership",
                                       text=f"问题{c0}")
        db.session.add(problem)
        db.session.flush()
        db.session.add(RectificationMeasure(
            problem_id=problem.id, text=f"措施{c0}", responsible_department=f"部门{c0}",
            cooperating_departments="", deadline=campaign.created_at.date()))
        db.session.commit()
    login(client, "leader")
    results = f"/campaigns/{campaign_id}/results"
    for path in (f"{results}/export.pdf", f"{results}/export.csv", f"{results}/export.json"):
        assert download(client, path).status_code == 200, path
    summary = download(client, f"{results}/export.xlsx")
    assert summary.status_code == 200
    assert f"机关{excel_c0}" in cells(summary.data)  # the group's column heading
    assert any(f"测评{excel_c0}" in cell for cell in cells(summary.data))
    ledger = download(client, f"/campaigns/{campaign_id}/rectification/ledger.xlsx")
    assert ledger.status_code == 200
    assert {f"问题{excel_c0}", f"措施{excel_c0}", f"部门{excel_c0}"} <= set(cells(ledger.data))


def test_every_control_character_through_the_draw_and_audit_exports(app):
    c0 = storable_c0(app)
    excel_c0 = in_excel(c0)
    with app.app_context():
        setup = make_setup()
        drawn = db.session.scalar(sa.select(RosterEntry).join(
            DrawnPerson, DrawnPerson.roster_entry_id == RosterEntry.id).limit(1))
        drawn.name, drawn.unit_name = f"姓名{c0}", f"单位{c0}"
        organiser = db.session.scalar(sa.select(User).where(User.username == "organiser"))
        record("rectification.problem.add", user=organiser,
               campaign=db.session.get(Campaign, setup.campaign), text=f"问题{c0}")
        db.session.commit()
    organiser, auditor = app.test_client(), app.test_client()
    login(organiser, "organiser")
    login(auditor, "auditor")
    people = organiser.get(f"/campaigns/{setup.campaign}/draws/{setup.draw}/people.xlsx")
    assert people.status_code == 200
    assert {f"姓名{excel_c0}", f"单位{excel_c0}"} <= set(cells(people.data))
    audit = auditor.get("/audit/audit.xlsx")
    assert audit.status_code == 200
    assert any(f"问题{excel_c0}" in cell for cell in cells(audit.data))
    assert auditor.get("/audit/audit.csv").status_code == 200
