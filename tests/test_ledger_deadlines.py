"""Ledgers as offices write them: deadlines by month, quarter, half-year and year's end, open-ended
measures (长期坚持), and the status words in use. A period is due on its last day, never silently
on its first; an open-ended measure is never overdue."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from evalapp.extensions import db
from evalapp.rectification.deadlines import Deadline, DeadlineError, parse_deadline
from evalapp.rectification.figures import MeasureFacts, ledger_figures, progress
from evalapp.rectification.ledger_xlsx import STATUS_WORDS
from evalapp.rectification.models import MeasureStatus, RectificationMeasure
from tests.support.cases import case
from tests.support.ledger import import_ledger, shijiazhuang_campaign
from tests.support.organiser import measure_data
from tests.support.spreadsheets import workbook_bytes
from tests.support.web import csrf_token, login

CASES = Path(__file__).parent / "cases"
START = date(2025, 12, 20)  # the campaign's start: the year of a period written without one


@pytest.mark.parametrize(("written", "day", "wording"), [
    ("2026年6月底", date(2026, 6, 30), "2026年6月底"),
    ("2026年6月末", date(2026, 6, 30), "2026年6月末"),
    ("2026年2月", date(2026, 2, 28), "2026年2月"),
    ("2026.6", date(2026, 6, 30), "2026年6月"),
    ("2026/6", date(2026, 6, 30), "2026年6月"),
    ("2026-06", date(2026, 6, 30), "2026年6月"),
    ("２０２６年６月底前", date(2026, 6, 30), "2026年6月底前"),
    ("2026年6月底前完成", date(2026, 6, 30), "2026年6月底前完成"),
    ("2026年十二月", date(2026, 12, 31), "2026年十二月"),
    ("2026年6月上旬", date(2026, 6, 10), "2026年6月上旬"),
    ("2026年6月中旬", date(2026, 6, 20), "2026年6月中旬"),
    ("2026年6月下旬", date(2026, 6, 30), "2026年6月下旬"),
    ("6月中旬", date(2026, 6, 20), "6月中旬"),
    ("2026年底", date(2026, 12, 31), "2026年底"),
    ("2026年年末", date(2026, 12, 31), "2026年年末"),
    ("2026年", date(2026, 12, 31), "2026年"),
    ("年底", date(2025, 12, 31), "年底"),  # the campaign's own year still has its end ahead
    ("2026年上半年", date(2026, 6, 30), "2026年上半年"),
    ("2026年下半年", date(2026, 12, 31), "2026年下半年"),
    ("上半年", date(2026, 6, 30), "上半年"),
    ("2026年第三季度", date(2026, 9, 30), "2026年第三季度"),
    ("三季度末", date(2026, 9, 30), "三季度末"),
    ("第1季度", date(2026, 3, 31), "第1季度"),
    ("2026Q2", date(2026, 6, 30), "2026Q2"),
    ("长期坚持", None, "长期坚持"),
    ("持续整改", None, "持续整改"),
    ("长期", None, "长期"),
    ("常态化推进", None, "常态化推进"),
    ("2026年6月30日前", date(2026, 6, 30), ""),
    ("2026年6月30日", date(2026, 6, 30), ""),
    ("2026/6/30", date(2026, 6, 30), ""),
    ("2026.06.30", date(2026, 6, 30), ""),
    ("2026-06-30T00:00:00", date(2026, 6, 30), ""),
    ("2026/6/30 0:00:00", date(2026, 6, 30), ""),  # a date exported as text, with its time
    ("2026/1/1 0:00", date(2026, 1, 1), ""),
    ("2026年6月30号", date(2026, 6, 30), ""),
    ("12月31日前", date(2025, 12, 31), "12月31日前"),  # a day without its year
    ("6月30日前完成", date(2026, 6, 30), "6月30日前完成"),
    ("今年底", date(2025, 12, 31), "今年底"),
    ("本年度内", date(2025, 12, 31), "本年度内"),
])
def test_deadlines_as_offices_write_them(written, day, wording):
    assert parse_deadline(written, START) == Deadline(day, wording)


@pytest.mark.parametrize("written", ["明年", "下个月", "2026年13月", "2026-02-30", "第五季度",
                                     "6", "", "2月30日", "13月1日"])
def test_what_is_no_deadline_is_refused(written):
    with pytest.raises(DeadlineError):
        parse_deadline(written, START)


def test_open_ended_measures_are_never_overdue_and_done_ones_are_on_time():
    day = date(2030, 1, 1)
    measures = [MeasureFacts(1, None, None), MeasureFacts(1, None, date(2026, 3, 1)),
                MeasureFacts(2, date(2026, 12, 31), None)]
    figures = ledger_figures(2, measures, day)
    assert (figures.done, figures.done_on_time, figures.overdue) == (1, 1, 1)
    assert [(p.day, p.due, p.done) for p in progress(measures)] == [
        (date(2026, 3, 1), 0, 1), (date(2026, 12, 31), 1, 1)]


@pytest.mark.parametrize(("word", "status"), [
    ("已完成", MeasureStatus.DONE), ("已整改", MeasureStatus.DONE), ("完成", MeasureStatus.DONE),
    ("整改完成", MeasureStatus.DONE), ("正在整改", MeasureStatus.IN_PROGRESS),
    ("整改中", MeasureStatus.IN_PROGRESS), ("推进中", MeasureStatus.IN_PROGRESS),
    ("持续推进", MeasureStatus.IN_PROGRESS), ("未完成", MeasureStatus.PLANNED),
    ("未整改", MeasureStatus.PLANNED), ("尚未开始", MeasureStatus.PLANNED),
    ("按序时推进", MeasureStatus.IN_PROGRESS), ("按时序推进", MeasureStatus.IN_PROGRESS),
    ("阶段性完成", MeasureStatus.IN_PROGRESS), ("未销号", MeasureStatus.IN_PROGRESS),
    ("已销号", MeasureStatus.DONE), ("整改到位", MeasureStatus.DONE),
    ("已整改到位", MeasureStatus.DONE),
])
def test_the_status_words_in_use(word, status):
    assert STATUS_WORDS[word] is status


def _campaign(app) -> int:
    return shijiazhuang_campaign(app, datetime(2025, 12, 20, 4, 0, tzinfo=UTC))


def _import(client, campaign_id: int, content: bytes, name: str = "台账.xlsx"):
    return import_ledger(client, campaign_id, name, content)


def _measures(app) -> list[tuple[str, date | None, str, str]]:
    with app.app_context():
        return [(text, deadline, wording, status.value) for text, deadline, wording, status in
                db.session.execute(sa.select(
                    RectificationMeasure.text, RectificationMeasure.deadline,
                    RectificationMeasure.deadline_wording, RectificationMeasure.status)
                    .order_by(RectificationMeasure.id))]


def test_case_ledger_deadline_month_end(app, client):
    """"2026年6月底" and a date cell shown as 2026年12月: both month deadlines, due on the
    month's last day; exported as written and read back the same."""
    campaign_id = _campaign(app)
    login(client, "organiser")
    response = _import(client, campaign_id, case("ledger_deadline_month_end.xlsx"))
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    expected = [
        ("每月开展一次主题党日，邀请青年党员讲党课", date(2026, 6, 30), "2026年6月底",
         "in_progress"),
        ("建设网上党员学习平台", date(2026, 12, 31), "2026年12月", "planned"),
        ("制定青年党员教育培训计划", date(2026, 3, 31), "", "in_progress"),
    ]
    assert _measures(app) == expected
    page = client.get(f"/campaigns/{campaign_id}/rectification/1").get_data(as_text=True)
    assert "2026年12月" in page and "即 2026年12月31日 前" in page
    exported = client.get(f"/campaigns/{campaign_id}/rectification/ledger.xlsx")
    sheet = load_workbook(io.BytesIO(exported.data)).active
    assert [sheet.cell(row, 8).value for row in (4, 5)] == ["2026年6月底", "2026年12月"]
    assert _import(client, campaign_id, exported.data).status_code == 303
    assert _measures(app) == expected


def test_open_ended_measures_and_office_status_words_import(app, client):
    campaign_id = _campaign(app)
    login(client, "organiser")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["被评对象", "序号", "来源", "问题", "整改措施", "责任部门", "配合部门",
                  "整改时限", "状态", "完成情况", "完成日期"])
    subject = "石家庄海关 · 郑怀远"
    sheet.append([subject, 1, "问题清单", "问题甲", "措施一", "办公室", "", "长期坚持", "持续推进"])
    sheet.append([subject, 1, "问题清单", "问题甲", "措施二", "办公室", "", "2026年第三季度",
                  "正在整改"])
    sheet.append([subject, 1, "问题清单", "问题甲", "措施三", "办公室", "", "2026年上半年",
                  "已整改", "已落实", "2026年1月15日"])
    sheet.append([subject, 1, "问题清单", "问题甲", "措施四", "办公室", "", "2026/6",
                  "尚未开始"])
    sheet.append([subject, 1, "问题清单", "问题甲", "措施五", "办公室", "", "2026年底前",
                  "未完成"])
    response = _import(client, campaign_id, workbook_bytes(workbook))
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    assert _measures(app) == [
        ("措施一", None, "长期坚持", "in_progress"),
        ("措施二", date(2026, 9, 30), "2026年第三季度", "in_progress"),
        ("措施三", date(2026, 6, 30), "2026年上半年", "done"),
        ("措施四", date(2026, 6, 30), "2026年6月", "planned"),
        ("措施五", date(2026, 12, 31), "2026年底前", "planned"),
    ]
    page = client.get(f"/campaigns/{campaign_id}/rectification/1").get_data(as_text=True)
    open_row = next(row for row in page.split("<tr") if "措施一" in row)
    assert "长期坚持" in open_row and "逾期" not in open_row


def test_the_measure_form_takes_a_month_or_an_open_end(app, client):
    campaign_id = _campaign(app)
    login(client, "organiser")
    client.post(f"/campaigns/{campaign_id}/rectification/1/problems",
                data={"csrf_token": csrf_token(client, "/"), "source": "leadership",
                      "text": "调研不够深入"})
    new = f"/campaigns/{campaign_id}/rectification/problems/1/measures/new"
    for deadline in ("2026年6月底", "长期坚持"):
        response = client.post(new, data={**measure_data(deadline=deadline),
                                          "csrf_token": csrf_token(client, "/")})
        assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    assert [(d, w) for _t, d, w, _s in _measures(app)] == [
        (date(2026, 6, 30), "2026年6月底"), (None, "长期坚持")]
    form = client.get(f"/campaigns/{campaign_id}/rectification/measures/2").get_data(
        as_text=True)
    assert 'value="长期坚持"' in form
    refused = client.post(new, data={**measure_data(deadline="下个月"),
                                     "csrf_token": csrf_token(client, "/")})
    assert refused.status_code == 422
    assert "“下个月”不是可识别的整改时限" in refused.get_data(as_text=True)
