"""A small campaign rated through the app, with every figure worked by hand and checked on the
overview, the subject page, the charts, the Excel summary, the CSV and the PDF report.

Two subjects; the tickets cover both. Rosters: 机关党员 (A) 10, 机关群众 (B) 20, 基层党员 (C) 30,
基层群众 (D) 5. Tickets: A 6, B 6, C 4, D none. On subject 1, a ballot answers items 1-14 with
one level and 15-28 with another, so its score is the mean of the two:

    A: 100 100 90 80 70           (satisfaction 满意 满意 满意 基本满意 不满意)
    B: 80 80 70 50 60 90          (基本满意 满意 基本满意 不满意 blank 基本满意)
    C: 100 100, and one ballot with only item 1 answered: void (27 of 28 blank > 25%)

Valid 13 of 14 returned, 16 issued. Score 1070/13 = 82.31 (较好). C has 2 valid ballots of 3
returned (< 5): it is merged into 其他类别, and since that cell alone would still be short (2
entering, 3 returned) the smallest shown group A (5) joins it: 其他类别 = A + C, 7 valid of 8
returned, 10 issued, mean 640/7 = 91.43, satisfaction 6 of 7 = 85.7%; B is shown on its own.
Design-weighted (roster 20 for B, 10 + 30 = 40 for the merged cell, which is one stratum):
(20·71.667 + 40·91.429)/60 = 84.84; variance (1/3)²·0.7·216.667/6 + (2/3)²·(33/40)·147.619/7
= 2.80864 + 7.73243, SE 3.2467, t(11) = 2.20099, interval 77.70–91.99. D (roster 5) returned
nothing and is left out of the weighting. Satisfaction 10 of 12 answering = 83.3% (Wilson
55.2%–95.3%), strict 6/12 = 50.0%. Item 1: 好 5 较好 5 一般 2 差 1, mean 1060/13 = 81.5;
item 15: 好 5 较好 5 一般 3, mean 1080/13 = 83.1; the four weakest are items 1-4 (ties keep
questionnaire order).

Subject 2: every ballot, the void one of subject 1 included, all 一般 and 不满意: 14 valid,
score 60.00 (一般), rank 2, satisfaction 0.0%.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from evalapp.auth.models import Role
from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.campaigns.models import Campaign
from evalapp.charts import render
from evalapp.database import utcnow
from evalapp.extensions import db
from evalapp.results import charts, store
from evalapp.results.compute import campaign_results
from evalapp.results.exports import EXPORTS
from evalapp.results.models import ResultOutput
from evalapp.results.report_pdf import report_pdf
from evalapp.roster.models import RosterEntry
from evalapp.tickets.operations import issue_tickets
from tests.support.ballots import closed_campaign
from tests.support.factories import groups_of, make_campaign, make_user, make_world
from tests.support.organiser import download
from tests.support.pdf import pdf_pages
from tests.support.rater import CSRF, questions
from tests.support.web import login

GOOD, FAIR_GOOD, FAIR, POOR = "excellent", "good", "fair", "poor"
SATISFIED, FAIRLY, DISSATISFIED = "satisfied", "fairly_satisfied", "dissatisfied"
# (first-half level, second-half level, satisfaction, opinion) per ballot on subject 1
SUBJECT_1 = {
    0: [(GOOD, GOOD, SATISFIED, "A组意见"), (GOOD, GOOD, SATISFIED, ""),
        (GOOD, FAIR_GOOD, SATISFIED, ""), (FAIR_GOOD, FAIR_GOOD, FAIRLY, ""),
        (FAIR_GOOD, FAIR, DISSATISFIED, "")],
    1: [(FAIR_GOOD, FAIR_GOOD, FAIRLY, ""), (FAIR_GOOD, FAIR_GOOD, SATISFIED, "B组意见一"),
        (FAIR, FAIR_GOOD, FAIRLY, ""), (POOR, FAIR, DISSATISFIED, "=B组公式"),
        (FAIR, FAIR, None, ""), (FAIR_GOOD, GOOD, FAIRLY, "")],
    2: [(GOOD, GOOD, SATISFIED, "C组意见"), (GOOD, GOOD, SATISFIED, ""),
        ("void", None, SATISFIED, "")],
}
ROSTER = (10, 20, 30, 5)
TICKETS = (6, 6, 4, 0)


@pytest.fixture
def worked(app, client):
    with app.app_context():
        world = make_world()
        make_user("leader", world.customs, Role.LEADER)
        make_user("organiser", world.customs)
        make_user("auditor", world.customs, Role.AUDITOR)
        make_user("stranger", world.other_customs)
        campaign = make_campaign(world.customs, "手算测评", subjects=2)
        groups = groups_of(campaign)
        tokens = {}
        for index, (group, size, count) in enumerate(zip(groups, ROSTER, TICKETS, strict=True)):
            db.session.add_all(RosterEntry(campaign_id=campaign.id, rater_group_id=group.id,
                                           name=f"{index}-{n}", staff_number=f"{index}-{n}")
                               for n in range(size))
            if count:
                tokens[index] = issue_tickets(campaign, group, campaign.subjects, count)[1]
        open_campaign(campaign)
        db.session.commit()
        campaign_id, subjects = campaign.id, [s.id for s in campaign.subjects]
    for group, ballots in SUBJECT_1.items():
        for token, ballot in zip(tokens[group], ballots, strict=False):
            _rate(client, token, subjects, ballot)
    with app.app_context():
        close_campaign(db.session.get(Campaign, campaign_id))
        db.session.commit()
    login(client, "leader")
    return campaign_id, subjects


def _rate(client, token, subjects, ballot):
    """Submit one ballot through the rater's pages, as a phone would."""
    assert client.get(f"/t/{token}").status_code == 303
    page = client.get("/ballot").get_data(as_text=True)
    first, second, satisfaction, opinion = ballot
    data = {"csrf_token": CSRF.search(page).group(1)}
    if first == "void" or satisfaction is None:
        data["confirm_blanks"] = "1"  # the rater was shown the blanks and submits anyway
    for subject, prefix in zip(subjects, (f"s{s}_" for s in subjects), strict=True):
        items = [name for name in questions(page) if name.startswith(prefix)
                 and not name.endswith("satisfaction")]
        assert len(items) == 28
        if subject == subjects[0]:
            if first == "void":
                data[items[0]] = GOOD
            else:
                data.update({name: first if n < 14 else second for n, name in enumerate(items)})
            if satisfaction:
                data[f"{prefix}satisfaction"] = satisfaction
            data[f"{prefix}comment"] = opinion
        else:
            data.update(dict.fromkeys(items, FAIR))
            data[f"{prefix}satisfaction"] = DISSATISFIED
    response = client.post("/ballot", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    client.get("/ballot/receipt")


def test_the_overview_shows_the_worked_figures(client, worked):
    campaign_id, _subjects = worked
    page = client.get(f"/campaigns/{campaign_id}/results/").get_data(as_text=True)
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    first, second = rows
    for expected in ("82.31", "较好", "84.84 (77.70–91.99)", "83.3% (55.2%–95.3%)",
                     "13 / 14 / 16", "87.5%"):
        assert expected in first
    for expected in ("60.00", "一般", "60.00 (60.00–60.00)", "0.0%", "14 / 14 / 16"):
        assert expected in second
    assert '<td class="num" data-label="排名">1</td>' in first
    assert '<td class="num" data-label="排名">2</td>' in second
    assert "满意率 =（满意 + 基本满意）÷ 作答该题的有效票数" in page
    assert "人数不足 5 人的类别合并为“其他类别”后统计" in page


def test_the_subject_page_shows_the_worked_figures(client, worked):
    campaign_id, subjects = worked
    page = client.get(f"/campaigns/{campaign_id}/results/{subjects[0]}").get_data(as_text=True)
    assert "发放测评票 16 张，收回 14 张，有效 13 张，废票（空题过多）1 张" in page
    assert "按名册加权得分 84.84，标准误 3.25，95% 区间 77.70–91.99" in page
    assert "满意率 83.3%，严格满意率（仅“满意”）50.0%，作答人数 12" in page
    groups = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    cells = [[cell.split("<")[0] for cell in row.split('">')[1:]] for row in groups]
    assert cells[0][:5] == ["6", "5", "83.3%", "–", "并入“其他类别”"]
    assert cells[1][:6] == ["6", "6", "100.0%", "6", "71.67", "80.0%"]
    assert cells[2][:5] == ["4", "3", "75.0%", "–", "并入“其他类别”"]
    assert cells[3][:5] == ["0", "0", "–", "0", "–"]
    assert "其他类别（机关党员、基层党员）" in groups[4]
    assert cells[4][1:7] == ["10", "8", "80.0%", "7", "91.43", "85.7%"]
    items = page.split("<tbody>")[2].split("</tbody>")[0].split("<tr")[1:]
    assert "81.5" in items[0] and "38.5%" in items[0] and "7.7%" in items[0]  # 5,5,2,1 of 13
    assert "83.1" in items[14] and "23.1%" in items[14]  # 一般 3 of 13
    flagged = [n for n, row in enumerate(items, start=1) if 'class="low"' in row]
    assert flagged == [1, 2, 3, 4]
    opinions = page.split("意见建议</h2>")[1].split("</ul>")[0]
    assert all(text in opinions for text in ("A组意见", "B组意见一", "=B组公式", "C组意见"))


def test_the_excel_summary_holds_the_worked_figures(client, worked):
    campaign_id, _subjects = worked
    response = client.get(f"/campaigns/{campaign_id}/results/export.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["A1"].value == "手算测评测评结果汇总表"
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:V1", "A3:A4", "D3:G3", "R3:V3"} <= merged  # 22 columns: 4 groups, 其他类别
    assert [sheet.cell(3, c).value for c in (1, 4, 9, 18)] == [
        "序号", "测评票", "得分", "各类别测评人评分"]
    assert [sheet.cell(4, c).value for c in range(4, 8)] == [
        "已发放测评票", "已收回", "有效", "废票"]
    assert [sheet.cell(4, c).value for c in range(18, 23)] == [
        "机关党员", "机关群众", "基层党员", "基层群众", "其他类别"]
    first = [sheet.cell(5, c).value for c in range(1, 23)]
    assert first[:8] == [1, "宁波海关", "述职人1", 16, 14, 13, 1, 0.875]
    assert first[8] == pytest.approx(1070 / 13)
    assert first[9] == pytest.approx((20 * 430 / 6 + 40 * 640 / 7) / 60)
    assert first[10] == "77.70–91.99" and first[11] is None and first[12] == "较好"
    assert first[13] == 1 and first[14] == pytest.approx(10 / 12)
    assert first[15] == "55.2%–95.3%" and first[16] == 0.5
    assert first[17:22] == ["并入“其他类别”", pytest.approx(430 / 6), "并入“其他类别”", "–",
                            pytest.approx(640 / 7)]
    second = [sheet.cell(6, c).value for c in range(4, 17)]
    assert second[:5] == [16, 14, 14, 0, 0.875] and second[5] == 60
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    notes = [sheet.cell(r, 1).value for r in range(8, sheet.max_row + 1)]
    assert any("满意率 =（满意 + 基本满意）÷ 作答该题的有效票数" in (n or "") for n in notes)
    assert any("人数不足 5 人的类别合并为“其他类别”后统计" in (n or "") for n in notes)


def test_the_csv_holds_every_ballot_anonymised(client, worked):
    campaign_id, _subjects = worked
    response = client.get(f"/campaigns/{campaign_id}/results/export.csv")
    assert response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    header, *rows = list(csv.reader(io.StringIO(text[1:])))
    assert header[:4] == ["被评对象", "测评人类别", "状态", header[3]]
    assert header[-2:] == ["总体评价", "意见建议"] and len(header) == 3 + 28 + 2
    first = [row for row in rows if row[0].endswith("述职人1")]
    second = [row for row in rows if row[0].endswith("述职人2")]
    assert len(first) == 14 and len(second) == 14
    assert sorted(row[1] for row in first) == ["其他类别"] * 8 + ["机关群众"] * 6
    assert sorted(row[2] for row in first).count("废票：空题过多") == 1
    assert sorted(row[-1] for row in first if row[-1]) == ["'=B组公式", "A组意见", "B组意见一",
                                                           "C组意见"]
    assert sorted(row[1] for row in first if row[-1]) == ["其他类别", "其他类别", "机关群众",
                                                          "机关群众"]
    valid = [row for row in first if row[2] == "有效"]
    assert sum(row[3] == "好" for row in valid) == 5 and sum(row[3] == "差" for row in valid) == 1
    assert sorted(row[-2] for row in valid) == sorted(
        ["满意"] * 6 + ["基本满意"] * 4 + ["不满意"] * 2 + [""])
    assert {row[3] for row in second} == {"一般"} and {row[-2] for row in second} == {"不满意"}


@pytest.mark.one_database
def test_charts_and_report_are_served(client, worked):
    campaign_id, subjects = worked
    base = f"/campaigns/{campaign_id}/results"
    for path, mimetype in ((f"{base}/subjects.svg", "image/svg+xml"),
                           (f"{base}/subjects.png", "image/png"),
                           (f"{base}/{subjects[0]}/heatmap.pdf", "application/pdf"),
                           (f"{base}/{subjects[0]}/items.png", "image/png"),
                           (f"{base}/export.pdf", "application/pdf")):
        response = download(client, path)
        assert response.status_code == 200, path
        assert response.mimetype == mimetype
    assert client.get(f"{base}/{subjects[0]}/pie.png").status_code == 404
    assert client.get(f"{base}/999999/items.png").status_code == 404


@pytest.mark.one_database
def test_the_pdf_report_has_a_cover_a_section_per_subject_and_the_method(client, worked):
    campaign_id, _subjects = worked
    pages = pdf_pages(download(client, f"/campaigns/{campaign_id}/results/export.pdf").data)
    assert "测评结果报告" in pages[0] and "手算测评" in pages[0]
    assert "82.31" in pages[0] and "83.3% (55.2%–95.3%)" in pages[0]
    text = "\n".join(pages[1:])
    first = text.index("宁波海关 · 述职人1")
    second = text.index("宁波海关 · 述职人2", first)
    assert "按名册加权得分 84.84，标准误 3.25，95% 区间 77.70–91.99" in text[first:second]
    assert "得分最弱的题目" in text[first:second] and "B组意见一" in text[first:second]
    assert "机关党员 6 5 – 并入“其他类别” 机关群众 6 6 6 71.67 80.0%" in text[first:second]
    # the cell wraps by the Chinese rules: "）" never starts a line (it goes down with the
    # character before it)
    cell = re.search(r"其他类别（[^）]*）", text)[0]
    assert cell.replace(" ", "") == "其他类别（机关党员、基层党员）" and " ）" not in cell
    assert "10 8 7 91.43 85.7%" in text[first:second]
    assert "计算方法" in pages[-1] and "满意率 =（满意 + 基本满意）" in pages[-1]
    assert "人数不足 5 人的类别合并为“其他类别”后统计" in pages[-1]


def test_the_report_command_writes_each_format(app, runner, worked, tmp_path):
    campaign_id, _subjects = worked
    for fmt, magic in (("pdf", b"%PDF"), ("xlsx", b"PK"), ("csv", "\ufeff".encode())):
        output = tmp_path / f"report.{fmt}"
        result = runner.invoke(args=["report", str(campaign_id), "--format", fmt,
                                     "--output", str(output)])
        assert result.exit_code == 0, result.output
        assert output.read_bytes().startswith(magic)
    missing = runner.invoke(args=["report", "999", "--format", "csv", "--output",
                                  str(tmp_path / "x.csv")])
    assert missing.exit_code == 1 and "没有编号为 999 的测评" in missing.output
    with app.app_context():
        world_unit = db.session.get(Campaign, campaign_id).unit
        still_open = make_campaign(world_unit, "进行中的测评")
        open_campaign(still_open)
        db.session.commit()
        open_id = still_open.id
    sealed = runner.invoke(args=["report", str(open_id), "--format", "pdf", "--output",
                                 str(tmp_path / "y.pdf")])
    assert sealed.exit_code == 1 and "测评结束后才有结果" in sealed.output
    assert not (tmp_path / "y.pdf").exists()


def test_every_reader_role_and_nobody_else_gets_the_results(app, worked):
    campaign_id, subjects = worked
    base = f"/campaigns/{campaign_id}/results"
    paths = [f"{base}/", f"{base}/{subjects[0]}", f"{base}/subjects.svg",
             f"{base}/{subjects[1]}/heatmap.png", f"{base}/export.csv"]
    expected = {None: 302, "leader": 200, "organiser": 200, "auditor": 200, "stranger": 404}
    for role, status in expected.items():
        client = app.test_client()
        if role:
            login(client, role)
        assert [client.get(path).status_code for path in paths] == [status] * len(paths), role


def fresh(app, campaign_id: int, build):
    """What `build(results)` gives computed afresh, in Chinese, outside the store."""
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        return build(campaign_results(db.session.get(Campaign, campaign_id)))


def test_charts_and_exports_are_kept_once_built_and_equal_fresh_ones(app, client, worked,
                                                                     monkeypatch):
    campaign_id, subjects = worked
    base = f"/campaigns/{campaign_id}/results"
    served = {path: download(client, f"{base}/{path}").data
              for path in ("subjects.svg", f"{subjects[0]}/items.svg", "export.xlsx",
                           "export.csv")}
    assert served["subjects.svg"] == fresh(
        app, campaign_id, lambda results: render(charts.subjects_chart(results), "svg"))
    assert served[f"{subjects[0]}/items.svg"] == fresh(
        app, campaign_id, lambda results: render(charts.items_chart(results.subjects[0]), "svg"))
    def words(pdf: bytes) -> list[list[str]]:  # opinions are shuffled on every computation
        return [sorted(page.split()) for page in pdf_pages(pdf)]

    assert words(download(client, f"{base}/export.pdf").data) == words(
        fresh(app, campaign_id, report_pdf))

    def no_computing(campaign):
        raise AssertionError("computed again")

    monkeypatch.setattr(store, "campaign_results", no_computing)
    for path, content in served.items():  # the same bytes, from the store
        assert client.get(f"{base}/{path}").data == content, path
    assert client.get(f"{base}/export.pdf").mimetype == "application/pdf"


def test_a_campaign_closed_at_another_moment_never_gets_anothers_kept_files(app, client,
                                                                            worked, monkeypatch):
    """A rebuilt demo or a restored backup may reuse a campaign's id."""
    campaign_id, _subjects = worked
    path = f"/campaigns/{campaign_id}/results/subjects.png"
    assert client.get(path).data.startswith(b"\x89PNG")
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        campaign.closed_at = campaign.closed_at - timedelta(days=1)
        db.session.commit()
    monkeypatch.setattr(charts, "render", lambda figure, fmt: b"drawn again")
    assert client.get(path).data == b"drawn again"


def test_the_report_is_built_once_however_many_ask(app, client, worked, monkeypatch):
    """The first request starts the build and says so; requests meanwhile start nothing;
    a build left half-done by a killed worker is taken over once it is stale."""
    campaign_id, _subjects = worked
    path = f"/campaigns/{campaign_id}/results/export.pdf"
    builds = []
    started = threading.Event()
    release = threading.Event()

    def slow_report(results, **_):
        builds.append(results.campaign.id)
        started.set()
        release.wait(30)
        return b"%PDF-report"

    monkeypatch.setitem(EXPORTS, "pdf", replace(EXPORTS["pdf"], build=slow_report))
    first = client.get(path)
    assert first.status_code == 202 and "正在生成" in first.get_data(as_text=True)
    assert started.wait(30)
    assert client.get(path).status_code == 202 and builds == [campaign_id]
    release.set()
    assert download(client, path).data == b"%PDF-report"
    assert builds == [campaign_id]

    with app.app_context():  # the report lost, and a build left half-done by a dead worker
        db.session.execute(sa.update(ResultOutput).where(ResultOutput.name == "export.pdf").values(
            state="building", content=None,
            updated_at=utcnow() - timedelta(seconds=store.STALE_SECONDS + 1)))
        db.session.commit()
    assert download(client, path).data == b"%PDF-report"
    assert builds == [campaign_id] * 2


def test_a_report_that_cannot_be_built_says_so_instead_of_reloading_for_ever(client, worked,
                                                                              monkeypatch):
    campaign_id, _subjects = worked
    path = f"/campaigns/{campaign_id}/results/export.pdf"
    builds = []

    def broken_report(results, **_):
        builds.append(results.campaign.id)
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(EXPORTS, "pdf", replace(EXPORTS["pdf"], build=broken_report))
    answer = download(client, path)
    assert answer.status_code == 503
    page = answer.get_data(as_text=True)
    assert "无法生成" in page and 'http-equiv="refresh"' not in page
    assert client.get(path).status_code == 503 and builds == [campaign_id]


def test_files_kept_by_other_code_are_neither_served_nor_kept(app, client, worked,
                                                               monkeypatch):
    """An upgrade that changes a figure or a disclosure rule must not go on serving what the
    old code made."""
    campaign_id, _subjects = worked
    path = f"/campaigns/{campaign_id}/results/subjects.png"
    assert client.get(path).data.startswith(b"\x89PNG")
    monkeypatch.setattr(store, "OUTPUTS_DIGEST", "new-code")
    monkeypatch.setattr(charts, "render", lambda figure, fmt: b"drawn by the new code")
    assert client.get(path).data == b"drawn by the new code"
    with app.app_context():
        assert [edition.endswith("-new-code") for edition in db.session.scalars(
            sa.select(ResultOutput.edition).where(ResultOutput.name == "subjects.png"))] == [True]


def test_the_excel_summary_has_no_other_groups_column_when_no_group_is_merged(app, client):
    campaign_id = closed_campaign(app, ["好"] * 5)
    login(client, "leader")
    sheet = load_workbook(io.BytesIO(client.get(
        f"/campaigns/{campaign_id}/results/export.xlsx").data)).active
    groups = [sheet.cell(4, column).value for column in range(18, sheet.max_column + 1)]
    assert groups == ["机关党员", "机关群众", "基层党员", "基层群众"]  # no 其他类别
    assert sheet.max_column == 21 and sheet.cell(5, 18).value is not None
