"""The rectification ledger over HTTP: editing, the status rules, the figures on hand-worked
data, the Excel round trip and its all-or-nothing import, and the audit log."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from evalapp.audit.models import AuditEntry
from evalapp.campaigns.models import Campaign, ProblemEntry
from evalapp.extensions import db
from evalapp.rectification.figures import MeasureFacts, ledger_figures, progress
from evalapp.rectification.models import RectificationMeasure, RectificationProblem
from tests.support.factories import make_campaign
from tests.support.organiser import make_setup, measure_data
from tests.support.web import csrf_token, login

TODAY = date.today()


@pytest.fixture
def setup(app):
    with app.app_context():
        return make_setup()


@pytest.fixture
def organiser(client, setup):
    login(client, "organiser")
    return client


def ledger_url(setup, tail: str = "") -> str:
    return f"/campaigns/{setup.campaign}/rectification{tail}"


def post(client, path: str, data: dict | None = None):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/")})


def test_figures_worked_by_hand():
    day = date(2026, 6, 30)
    measures = [
        MeasureFacts(1, date(2026, 3, 31), date(2026, 3, 20)),  # done on time
        MeasureFacts(1, date(2026, 3, 31), date(2026, 4, 10)),  # done late
        MeasureFacts(2, date(2026, 5, 31), None),  # overdue
        MeasureFacts(2, date(2026, 12, 31), None),  # open, not yet due
    ]
    figures = ledger_figures(3, measures, day)
    assert (figures.problems, figures.measures, figures.done, figures.done_on_time,
            figures.overdue) == (3, 4, 2, 1, 1)
    assert figures.rectification_rate == 0.5 and figures.on_time_rate == 0.25
    assert ledger_figures(0, [], day).rectification_rate is None
    assert [(p.day, p.due, p.done) for p in progress(measures)] == [
        (date(2026, 3, 20), 0, 1), (date(2026, 3, 31), 2, 1), (date(2026, 4, 10), 2, 2),
        (date(2026, 5, 31), 3, 2), (date(2026, 12, 31), 4, 2)]


def test_an_organiser_keeps_the_ledger(app, organiser, setup):
    page = organiser.get(ledger_url(setup, f"/{setup.subject}"))
    assert page.status_code == 200 and "领导点评的问题" in page.get_data(as_text=True)
    added = post(organiser, ledger_url(setup, f"/{setup.subject}/problems"),
                 {"source": "leadership", "text": "调研基层不够深入"})
    assert added.status_code == 303
    with app.app_context():
        problem = db.session.scalar(sa.select(RectificationProblem).where(
            RectificationProblem.text == "调研基层不够深入"))
        problem_id = problem.id
    new = post(organiser, ledger_url(setup, f"/problems/{problem_id}/measures/new"),
               measure_data())
    assert new.status_code == 303
    with app.app_context():
        measure = db.session.scalar(sa.select(RectificationMeasure).where(
            RectificationMeasure.problem_id == problem_id))
        assert (measure.responsible_department, measure.cooperating_departments,
                measure.status.value) == ("机关党委", "人事处、办公室", "planned")
        measure_id = measure.id
    done = post(organiser, ledger_url(setup, f"/measures/{measure_id}"),
                measure_data(status="done", completed_on=TODAY.isoformat(),
                             completion_note="已建立联系点 12 个"))
    assert done.status_code == 303
    page = organiser.get(ledger_url(setup, f"/{setup.subject}")).get_data(as_text=True)
    assert "已建立联系点 12 个" in page and "已完成" in page
    with app.app_context():
        actions = list(db.session.scalars(sa.select(AuditEntry.action).where(
            AuditEntry.action.startswith("rectification."))))
    assert actions == ["rectification.problem.add", "rectification.measure.add",
                       "rectification.measure.update"]


@pytest.mark.parametrize("changes, message", [
    ({"status": "done"}, "措施标为已完成时必须填写完成日期"),
    ({"completed_on": TODAY.isoformat()}, "只有已完成的措施才填写完成日期"),
    ({"deadline": "2001-01-01"}, "不能早于测评开始"),
    ({"status": "done", "completed_on": (TODAY + timedelta(days=3)).isoformat()},
     "完成日期不能晚于今天"),
    ({"responsible_department": ""}, "此项必填"),
    ({"deadline": "明年"}, "不是可识别的整改时限"),
])
def test_the_status_rules_refuse_with_a_reason(app, organiser, setup, changes, message):
    response = post(organiser, ledger_url(setup, f"/measures/{setup.measure}"),
                    measure_data(**changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        measure = db.session.get(RectificationMeasure, setup.measure)
        assert measure.status.value == "planned" and measure.completed_on is None


def test_overdue_and_the_figures_on_the_pages(app, organiser, setup):
    with app.app_context():
        measure = db.session.get(RectificationMeasure, setup.measure)
        campaign = db.session.get(Campaign, setup.campaign)
        campaign.created_at = campaign.created_at - timedelta(days=100)
        measure.deadline = TODAY - timedelta(days=1)  # due yesterday, not done: overdue
        problem = measure.problem
        for days_late, done_on in ((0, TODAY - timedelta(days=5)), (2, TODAY)):
            db.session.add(RectificationMeasure(
                problem=problem, text=f"措施{days_late}", responsible_department="办公室",
                deadline=TODAY - timedelta(days=days_late + 2) if days_late else TODAY,
                status="done", completed_on=done_on))
        db.session.commit()
    # 3 measures: overdue; done on time (deadline today, done 5 days ago); done 2 days late
    page = organiser.get(ledger_url(setup, "/")).get_data(as_text=True)
    row = page.split("<tfoot>")[1]
    cells = [c.split("<")[0] for c in row.split('">')[1:8]]
    assert cells == ["1", "3", "2", "1", "1", "66.7%", "33.3%"]
    subject = organiser.get(ledger_url(setup, f"/{setup.subject}")).get_data(as_text=True)
    assert subject.count("badge warn") == 2  # one overdue, one done late
    assert "逾期" in subject and "逾期完成" in subject
    chart = organiser.get(ledger_url(setup, "/progress.png"))
    assert chart.status_code == 200 and chart.data.startswith(b"\x89PNG")


def test_problems_come_from_the_published_list_once(app, organiser, setup):
    with app.app_context():
        db.session.add_all([ProblemEntry(subject_id=setup.subject, position=n, text=text)
                            for n, text in enumerate(["落实“三会一课”不经常", "经费保障不足"],
                                                     start=1)])
        db.session.commit()
    path = ledger_url(setup, f"/{setup.subject}/from-problem-list")
    said = []
    for _ in range(2):  # the second time adds nothing, and says so
        assert post(organiser, path).status_code == 303
        said.append(organiser.get(ledger_url(setup, "/")).get_data(as_text=True))
    assert "已从公布的问题清单添加 2 个问题" in said[0]
    assert "未添加任何问题：公布的问题清单已全部在整改清单中。" in said[1]
    assert "添加 0 个" not in said[1] and "0 个问题" not in said[1]
    with app.app_context():
        texts = list(db.session.scalars(sa.select(RectificationProblem.text)
                                         .order_by(RectificationProblem.id)))
    assert texts == ["领导点评的问题", "落实“三会一课”不经常", "经费保障不足"]


def ledger_cells(data: bytes) -> tuple[list[list[object]], set[str]]:
    sheet = load_workbook(io.BytesIO(data)).active
    return ([[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)],
            {str(r) for r in sheet.merged_cells.ranges})


def test_the_excel_ledger_round_trips_into_an_empty_campaign(app, organiser, setup):
    post(organiser, ledger_url(setup, f"/{setup.subject}/problems"),
         {"source": "problem_list", "text": "理论学习不够系统"})
    with app.app_context():
        second = db.session.scalar(sa.select(RectificationProblem.id).order_by(
            RectificationProblem.id.desc()))
    for n, changes in enumerate(({}, {"status": "in_progress"},
                                 {"status": "done", "completed_on": TODAY.isoformat(),
                                  "completion_note": "=已完成"})):
        post(organiser, ledger_url(setup, f"/problems/{second}/measures/new"),
             measure_data(text=f"措施{n}", **changes))
    exported = organiser.get(ledger_url(setup, "/ledger.xlsx"))
    assert exported.status_code == 200
    rows, merged = ledger_cells(exported.data)
    assert rows[0][:5] == ["被评对象", "序号", "来源", "问题", "整改措施"]
    assert [row[1] for row in rows[1:]] == [1, 2, None, None]
    assert "A5:A7" in merged and "D5:D7" in merged  # the problem over its three measures
    assert rows[4][8:] == ["已完成", "=已完成", rows[4][10]] and rows[4][10] is not None

    with app.app_context():
        empty = make_campaign(db.session.get(Campaign, setup.campaign).unit,
                              db.session.get(Campaign, setup.campaign).title)
        db.session.commit()
        empty_id = empty.id
    imported = organiser.post(f"/campaigns/{empty_id}/rectification/import", data={
        "csrf_token": csrf_token(organiser, "/"),
        "file": (io.BytesIO(exported.data), "ledger.xlsx")})
    assert imported.status_code == 303, imported.get_data(as_text=True)
    again = organiser.get(f"/campaigns/{empty_id}/rectification/ledger.xlsx")
    assert ledger_cells(again.data) == (rows, merged)
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(
            AuditEntry.action == "rectification.import"))
        assert entry.campaign_id == empty_id and entry.detail == {"measures": 4}


def test_a_ledger_with_bad_rows_imports_nothing_and_says_where(app, organiser, setup):
    soon = TODAY + timedelta(days=9)
    csv = ("被评对象,序号,来源,问题,整改措施,责任部门,配合部门,整改时限,状态,完成情况,完成日期\n"
           f"宁波海关 · 述职人1,1,领导点评,问题甲,措施一,机关党委,,{soon},未开始,,\n"
           ",,,,措施二,,,下个月,进行中,,\n"
           "不存在的单位 · 某人,2,随便,问题乙,措施三,办公室,,2001-01-01,已完成,,\n")
    response = organiser.post(ledger_url(setup, "/import"), data={
        "csrf_token": csrf_token(organiser, "/"),
        "file": (io.BytesIO(csv.encode()), "ledger.csv")})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "未导入任何数据：2 行存在问题" in page
    rows = page.split("<tbody>")[-1].split("</tbody>")[0].split("<tr>")[1:]
    assert [row.split('num">')[1].split("<")[0] for row in rows] == ["3", "4"]
    assert "整改措施须有责任部门" in rows[0] and "“下个月”不是可识别的整改时限" in rows[0]
    assert "未知的被评对象" in rows[1] and "未知的来源“随便”" in rows[1]
    with app.app_context():  # the ledger as it was
        assert db.session.scalar(sa.select(sa.func.count(RectificationMeasure.id))) == 1


def test_weakest_items_need_the_results(organiser, setup):
    response = post(organiser, ledger_url(setup, f"/{setup.subject}/from-results"))
    assert response.status_code == 409


def test_a_measure_of_another_campaign_is_not_found(app, organiser, setup):
    with app.app_context():
        other = make_campaign(db.session.get(Campaign, setup.campaign).unit, "另一次测评")
        db.session.commit()
        other_id = other.id
    path = f"/campaigns/{other_id}/rectification/measures/{setup.measure}"
    assert organiser.get(path).status_code == 404
    assert post(organiser, path + "/delete").status_code == 404
