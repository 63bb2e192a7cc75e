"""What a first real round tripped over (issue 16): the organiser's and the leader's day."""

from __future__ import annotations

import io
import re
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from evalapp.audit.labels import ACTIONS
from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.ballotbox.operations import close_campaign, open_campaign
from evalapp.ballots.models import Ballot
from evalapp.campaigns.models import Campaign, Level, Satisfaction, Subject
from evalapp.extensions import db
from evalapp.lookback.compare import Change, change_text, verdict
from evalapp.rectification.models import RectificationMeasure, RectificationProblem
from evalapp.results.compute import campaign_results
from evalapp.roster.models import RosterEntry, SampleDraw
from evalapp.tickets.models import Ticket
from evalapp.tickets.operations import issue_tickets
from evalapp.tickets.tokens import new_receipt_code
from evalapp.units.models import OrgUnit
from tests.support.ballots import BallotContent, insert_ballots, rated_campaign
from tests.support.factories import groups_of, make_campaign, make_user, make_world
from tests.support.organiser import download, make_setup
from tests.support.rater import full_answers, make_tickets
from tests.support.web import csrf_token, form_values, login


def post_subject_form(client, path: str, **changes):
    """Submit the subject form as the page shows it, with `changes` typed over it."""
    page = client.get(path).get_data(as_text=True)
    data = form_values(page)
    data.update(csrf_token=csrf_token(client, path), **changes)
    return client.post(path, data=data, content_type="multipart/form-data")


@pytest.fixture
def setup(app, client):
    """A draft campaign with a subject, a draw, a batch and a ledger; `client` is its
    organiser."""
    with app.app_context():
        made = make_setup()
    login(client, "organiser")
    return made


def test_saving_a_subject_again_keeps_its_uploaded_report(app, client, setup):
    path = f"/campaigns/{setup.campaign}/subjects/{setup.subject}"
    pdf = b"%PDF-1.4\n%%EOF"
    uploaded = post_subject_form(client, path, report_file=(io.BytesIO(pdf), "述职报告.pdf"))
    assert uploaded.status_code == 303
    saved = post_subject_form(client, path, post="党委书记（修改后）")
    assert saved.status_code == 303, saved.get_data(as_text=True)[-300:]
    with app.app_context():
        subject = db.session.get(Subject, setup.subject)
        assert subject.post == "党委书记（修改后）"
        assert (subject.report_file.filename, subject.report_file.content) == (
            "述职报告.pdf", pdf)


@pytest.fixture
def ranked_campaign(app):
    """Three subjects; groups A and B weighted 40% / 60% by policy. 述职人1 has only a void
    (blank) ballot, so no score and no rank; 述职人2: A all 好 (100), B all 较好 (80): score 90,
    policy-weighted 0.4·100 + 0.6·80 = 88; 述职人3: everyone 一般: 60 either way."""
    with app.app_context():
        world = make_world()
        make_user("leader", world.customs, Role.LEADER)
        campaign = make_campaign(world.customs, subjects=3)
        a, b = groups_of(campaign)[:2]
        a.weight, b.weight = 0.4, 0.6
        for group in (a, b):
            db.session.add_all(RosterEntry(campaign_id=campaign.id, rater_group_id=group.id,
                                           name=f"{group.id}-{n}", staff_number=f"{group.id}-{n}")
                               for n in range(10))
            issue_tickets(campaign, group, campaign.subjects, 6)
        open_campaign(campaign)
        first, second, third = (subject.id for subject in campaign.subjects)

        def ballots(subject, level, count=5):
            return [BallotContent(subject, [level] * 28, Satisfaction.SATISFIED, "",
                                  new_receipt_code()) for _ in range(count)]

        insert_ballots(campaign.id, a.id, ballots(first, None, 1) + ballots(second, Level.EXCELLENT)
                       + ballots(third, Level.FAIR))
        insert_ballots(campaign.id, b.id, ballots(second, Level.GOOD) + ballots(third, Level.FAIR))
        close_campaign(campaign)
        db.session.commit()
        return campaign.id


def test_overview_ranks_subjects_without_valid_ballots_last_and_shows_the_policy_score(
        app, client, ranked_campaign):
    login(client, "leader")
    page = client.get(f"/campaigns/{ranked_campaign}/results/")
    assert page.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", page.get_data(as_text=True), re.S)
    cells = [[re.sub(r"<[^>]+>", "", cell).strip()
              for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)][:4] for row in rows[1:]]
    assert [row[:4] for row in cells] == [
        ["1", "宁波海关 · 述职人2", "90.00", "88.00"],
        ["2", "宁波海关 · 述职人3", "60.00", "60.00"],
        ["–", "宁波海关 · 述职人1", "–", "–"],
    ]
    with app.app_context():
        assert [r.subject.person_name for r in campaign_results(
            db.session.get(Campaign, ranked_campaign)).ranked] == ["述职人2", "述职人3", "述职人1"]
    for export in ("export.pdf", "export.xlsx", "export.csv", "subjects.png"):
        assert download(client, f"/campaigns/{ranked_campaign}/results/{export}").status_code == 200
    csv = client.get(f"/campaigns/{ranked_campaign}/results/export.csv")
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"  # the charset said once


def test_a_ballot_beyond_the_void_rule_is_told_so_beside_the_button_and_on_the_receipt(
        app, client):
    """28 items, void with more than a quarter (7) blank: 8 blank is void, 7 still counts."""
    with app.app_context():
        tickets = make_tickets()
    receipts = []
    for ticket, blank_items in ((tickets.single[0], 8), (tickets.single[1], 7)):
        client.get(f"/t/{ticket}")
        data = full_answers(client.get("/ballot").get_data(as_text=True))
        for name in [name for name in data if "_c" in name][:blank_items]:
            del data[name]
        first = client.post("/ballot", data=data)
        page = first.get_data(as_text=True)
        assert first.status_code == 200 and 'action="/ballot#confirm"' in page
        confirm = re.search(r'<div class="notice confirm" role="alert" id="confirm">(.*?)</div>'
                            r'\s*<div class="submit-bar">', page, re.S)
        assert confirm, "the question is asked right above the submit button"
        said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", confirm.group(1)))
        assert f"未作答：{blank_items} 题" in said
        assert ("本票将作为废票，不计入结果：28 道题目中有 8 道未答，最多只能有 7 道未答"
                if blank_items == 8 else "本票仍然有效") in said
        assert "仍然提交" in page
        data["confirm_blanks"] = "1"
        assert client.post("/ballot", data=data).status_code == 303
        receipts.append(client.get("/ballot/receipt").get_data(as_text=True))
    assert "废票：未答题目过多" in receipts[0] and "有效票" not in receipts[0]
    assert "有效票：本票计入测评结果" in receipts[1] and "废票" not in receipts[1]
    with app.app_context():
        campaign = db.session.get(Campaign, tickets.campaign_id)
        close_campaign(campaign)
        (result, _other) = campaign_results(campaign).subjects
        assert (result.returned, result.void_blank, result.counted) == (2, 1, 1)


def test_a_uniform_ballot_is_told_it_will_be_void_where_the_campaign_says_so(app, client):
    with app.app_context():
        tickets = make_tickets()
        db.session.get(Campaign, tickets.campaign_id).void_uniform = True
        db.session.commit()
    client.get(f"/t/{tickets.single[0]}")
    data = full_answers(client.get("/ballot").get_data(as_text=True))
    page = client.post("/ballot", data=data).get_data(as_text=True)
    assert "所有题目选择了同一档次" in page
    data["confirm_blanks"] = "1"
    client.post("/ballot", data=data)
    assert "废票：所有题目选择了同一档次" in client.get("/ballot/receipt").get_data(as_text=True)


def test_issuing_again_from_a_draw_needs_a_reason_and_every_batch_is_listed(app, client,
                                                                        setup):
    # one batch was issued by hand already: 3 tickets
    draw = f"/campaigns/{setup.campaign}/draws/{setup.draw}"

    def issue(**data):
        return client.post(f"{draw}/issue", data={"csrf_token": csrf_token(client, draw),
                                                  "spares": 1, **data})

    def tickets():
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count(Ticket.id)))

    first = issue()
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert tickets() == 3 + 12 + 4  # 30% of 4 groups of 10, one spare each
    again = issue()
    assert again.status_code == 422
    assert "本次抽样已发放过测评票，再次发放将再增加同样数量的票" in again.get_data(as_text=True)
    assert tickets() == 19
    second = issue(reason="第一批票据在会前遗失")
    assert second.status_code == 200 and tickets() == 19 + 16
    names = [r.headers["Content-Disposition"] for r in (first, second)]
    assert names == [f'attachment; filename="tickets-{setup.campaign}-batch-2-5.pdf"',
                     f'attachment; filename="tickets-{setup.campaign}-batch-6-9.pdf"']
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "tickets.issue_from_draw").order_by(AuditEntry.id)).all()[-1]
        assert entry.detail["reason"] == "第一批票据在会前遗失"
    page = client.get(f"/campaigns/{setup.campaign}/tickets/").get_data(as_text=True)
    rows = [[re.sub(r"<[^>]+>", " ", cell).split() for cell in re.findall(
        r"<td[^>]*>(.*?)</td>", row, re.S)] for row in re.findall(
        r'<tr id="batch-\d+">(.*?)</tr>', page, re.S)]
    assert [row[0] for row in rows] == [[str(n)] for n in range(1, 10)]  # numbered
    assert " ".join(rows[1][1]).endswith("来自第 1 次抽样") and "抽样" not in rows[0][1]
    assert [(row[4], row[5]) for row in rows[:3]] == [(["3"], ["0"]), (["4"], ["1"]),
                                                      (["4"], ["1"])]
    assert re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2}", rows[0][1][0])  # the date issued


def test_deleting_a_problem_with_its_measures_asks_first_without_javascript(app, client,
                                                                           setup):
    ledger = f"/campaigns/{setup.campaign}/rectification/{setup.subject}"
    delete = f"/campaigns/{setup.campaign}/rectification/problems/{setup.problem}/delete"
    assert f'<a href="{delete}">' in client.get(ledger).get_data(as_text=True)  # a link, no form
    asked = client.get(delete)
    page = re.sub(r"\s+", " ", asked.get_data(as_text=True))
    assert asked.status_code == 200
    assert "领导点评的问题" in page and "其 1 条整改措施（已完成 0 条）将一并删除" in page
    assert "此操作无法撤销" in page and f'href="{ledger}"' in page  # and a way back
    token = csrf_token(client, ledger)

    def problems():
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count(RectificationProblem.id)))

    assert client.post(delete, data={"csrf_token": token}).status_code == 200  # asked again
    assert problems() == 1
    done = client.post(delete, data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 303 and done.headers["Location"] == ledger
    assert problems() == 0
    with app.app_context():
        assert not db.session.scalar(sa.select(sa.func.count(RectificationMeasure.id)))


def test_the_audit_log_reads_in_words_with_names_and_local_times(app, client, setup):
    delete = f"/campaigns/{setup.campaign}/tickets/{setup.batch}/void"
    client.post(delete, data={"csrf_token": csrf_token(client, "/"), "confirm": "yes"})
    post_subject_form(client, f"/campaigns/{setup.campaign}/subjects/{setup.subject}",
                      person_name="欧阳明")
    auditor = app.test_client()
    login(auditor, "auditor")
    with app.app_context():
        voided = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "tickets.void"))
        local = (voided.at.replace(tzinfo=voided.at.tzinfo or UTC)
                 .astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M"))
    page = auditor.get("/audit/").get_data(as_text=True)
    rows = {re.sub(r"<[^>]+>", "", cells[4]): [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c))
                                               .strip() for c in cells[1:]]
            for cells in (re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
                          for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)) if cells}
    assert rows["作废未使用的测评票"] == [local, "Organiser", "宁波海关2026年度测评",
                                  "作废未使用的测评票", "批次 1 已作废 3"]
    assert rows["保存被评对象"][4].startswith("被评对象 宁波海关 · 欧阳明 述职人 欧阳明")
    assert "\\u" not in page and "{" not in page.split("<main")[1]
    assert '<option value="tickets.">全部：测评票</option>' in page

    def table(query: str) -> str:
        return auditor.get(f"/audit/?action={query}").get_data(as_text=True).split("<table")[1]

    assert "作废未使用的测评票" in table("tickets.") and "保存被评对象" not in table("tickets.")
    assert "保存被评对象" in table("setup.") and "作废" not in table("setup.")

    export = auditor.get("/audit/audit.csv?action=tickets.void").get_data(as_text=True)
    assert export.splitlines() == [
        "\ufeff序号,时间（Asia/Shanghai）,操作人,用户名,测评活动,操作,详情,校验码（HMAC-SHA256）",
        f"{voided.sequence},{local}:{voided.at.second:02d},Organiser,organiser,"
        f"宁波海关2026年度测评,作废未使用的测评票,批次: 1; 已作废: 3,{voided.mac}"]


def test_every_recorded_action_has_a_label():
    source = "\n".join(path.read_text(encoding="utf-8")
                       for path in (Path(__file__).parents[1] / "evalapp").rglob("*.py"))
    recorded = set(re.findall(r'record\(\s*"([a-z_.]*[a-z_])"', source))
    recorded |= {"rectification.measure.add", "rectification.measure.update"}  # built
    assert "tickets.void" in recorded
    assert sorted(recorded - set(ACTIONS)) == [], "give them a label in evalapp/audit/labels.py"


@pytest.fixture
def three_rounds(app):
    """Two closed rounds over 宁波海关 (the lookback tests' rounds, closed in this order) and a
    third over 上海海关 alone (put under 宁波海关 so the same leader reads it), closed last."""
    with app.app_context():
        world = make_world()
        make_user("leader", world.customs, Role.LEADER)
        shanghai = OrgUnit(kind=world.other_customs.kind, name_zh="上海海关",
                           parent_id=world.customs.id)
        db.session.add(shanghai)
        db.session.flush()
        ballots = [(Level.GOOD, Satisfaction.SATISFIED)] * 5
        rounds = [rated_campaign(title, [unit], lambda unit: ballots).id for title, unit in (
            ("2024年度测评", world.customs), ("2025年度测评", world.customs),
            ("2025年度上海测评", shanghai))]
        db.session.commit()
        return rounds


def test_lookback_proposes_two_rounds_refuses_a_reversed_order_and_says_no_unit_once(
        client, three_rounds):
    first, second, shanghai = three_rounds
    login(client, "leader")
    page = client.get("/lookback/").get_data(as_text=True)
    selected = dict(re.findall(r'<select[^>]*name="(\w+)".*?<option selected value="(\d+)"',
                               page, re.S))
    assert selected == {"earlier": str(second), "later": str(shanghai)}  # latest two closed
    reversed_ = client.get(f"/lookback/?earlier={second}&later={first}")
    assert reversed_.status_code == 400
    assert "“2024年度测评”结束于“2025年度测评”之前：请把较早的一轮选为前一轮" in (
        reversed_.get_data(as_text=True))
    assert client.get(f"/lookback/chart.svg?earlier={second}&later={first}").status_code == 400
    disjoint = client.get(f"/lookback/?earlier={second}&later={shanghai}")
    text = disjoint.get_data(as_text=True)
    assert disjoint.status_code == 200 and text.count("这两轮测评没有共同的单位，无法比较") == 1
    assert "无法比较：" not in text and "<table" not in text  # no rows of "not comparable"
    assert "仅见于 2025年度测评： 宁波海关" in text and "仅见于 2025年度上海测评： 上海海关" in text
    assert "+0" not in client.get(f"/lookback/?earlier={first}&later={second}").get_data(
        as_text=True).replace("±0", "")  # no change, said as none


class _Significant:
    p_value = 0.001
    significant = True


def test_a_change_and_its_verdict_are_worded_from_the_same_figure(app):
    with app.test_request_context():
        tiny = Change(0.9, 0.9003)  # 0.03 percentage points, with a test saying it is real
        assert change_text(tiny, percent=True) == "+0.03 个百分点"
        assert verdict(tiny, _Significant()).startswith("明显好转")
        same = Change(0.9, 18 / 20)  # the same rate, the answers spread otherwise
        assert change_text(same, percent=True) == "±0 个百分点"
        assert verdict(same, _Significant()).startswith("平均水平相同，但答案的分布不同")
        assert change_text(Change(80.0, 79.996)) == "-0.004"
        assert verdict(Change(80.0, 79.996), _Significant()).startswith("明显变差")


def test_rough_edges_an_empty_roster_and_a_mistyped_code(app, client):
    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        campaign = make_campaign(world.customs).id
        db.session.commit()
    login(client, "organiser")
    draws = f"/campaigns/{campaign}/draws/"
    refused = client.post(draws, data={"csrf_token": csrf_token(client, draws), "percent": 30})
    assert "名册为空：请先导入名册再抽样" in client.get(refused.headers["Location"]).get_data(
        as_text=True)
    with app.app_context():
        assert not db.session.scalar(sa.select(sa.func.count(SampleDraw.id)))
    mistyped = app.test_client().get("/t/ABCD-EFGH")
    assert mistyped.status_code == 404
    assert 'name="code" value="ABCD-EFGH"' in mistyped.get_data(as_text=True)  # try again


def test_rough_edges_of_the_set_up_forms(app, client):
    from evalapp.units.models import UnitKind

    with app.app_context():
        world = make_world()
        db.session.add(OrgUnit(parent=world.customs, kind=UnitKind.SUBORDINATE,
                               name_zh="北仑海关"))
        make_user("organiser", world.root)
        campaign = make_campaign(world.customs)
        db.session.commit()
        campaign_id, subject_id = campaign.id, campaign.subjects[0].id
    login(client, "organiser")
    page = client.get(f"/campaigns/{campaign_id}/subjects/new").get_data(as_text=True)
    unit = re.search(r'<select[^>]*name="unit".*?</select>', page, re.S).group(0)
    options = re.findall(r"<option([^>]*)>([^<]+)</option>", unit)
    assert [text for _attrs, text in options] == [  # the campaign's unit and those below it
        "宁波海关", "└ 北仑海关"]
    assert [text for attrs, text in options if "selected" in attrs] == ["宁波海关"]

    with app.app_context():
        open_campaign(db.session.get(Campaign, campaign_id))
        db.session.commit()
    for path in ("scoring", "groups", "questionnaire", f"subjects/{subject_id}"):
        main = client.get(f"/campaigns/{campaign_id}/{path}").get_data(as_text=True).split(
            "<main>")[1]
        why, form = main.find("此页已锁定"), main.find("<form")
        assert why > 0 and (form == -1 or why < form), path  # said before the locked form
    monitor = client.get(f"/campaigns/{campaign_id}/monitor").get_data(as_text=True)
    assert f'href="/campaigns/{campaign_id}">← 返回测评活动' in monitor


def test_a_pdf_report_opens_in_the_phones_browser_and_a_word_one_shows_as_a_page(
    app, browser, live_server, tmp_path
):
    from fpdf import FPDF

    from evalapp.campaigns.operations import attach_report
    from tests.support.browser import PHONE
    from tests.support.spreadsheets import docx_bytes

    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=24)
    document.cell(text="Debriefing report")
    with app.app_context():
        tickets = make_tickets()
        first, second = (db.session.get(Subject, i) for i in tickets.subject_ids)
        attach_report(first, "述职报告.pdf", bytes(document.output()))
        attach_report(second, "述职报告.docx", docx_bytes(
            "<w:p><w:r><w:t>一、履行党建第一责任人职责情况</w:t></w:r></w:p>"
            "<w:p><w:r><w:t>二、存在的问题</w:t></w:r></w:p>"))
        db.session.commit()
    context = browser.new_context(**PHONE, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server}/t/{tickets.pair[0]}")
    page.locator("details.report summary").first.click()
    with context.expect_page() as opened:
        page.get_by_role("link", name="打开述职报告文件（述职报告.pdf）").click()
    report = opened.value
    report.wait_for_load_state()
    assert report.url.endswith(f"/subjects/{tickets.subject_ids[0]}/report")  # shown
    headers = page.request.get(report.url).headers
    assert headers["content-disposition"].startswith("inline;")
    assert "sandbox" in headers["content-security-policy"]

    word = page.locator("details.report").nth(1)
    word.locator("summary").click()
    shown = word.locator(".report-document p")
    assert shown.all_inner_texts() == ["一、履行党建第一责任人职责情况", "二、存在的问题"]
    assert shown.first.is_visible()
    assert word.get_by_role("link").count() == 0  # read here, not downloaded
    page.screenshot(path=str(tmp_path / "ballot-word-report.png"))
    context.close()


def test_no_pdf_line_starts_with_closing_punctuation_or_splits_a_subject_at_its_dot(app):
    from evalapp.pdf import NO_LINE_END, NO_LINE_START, new_pdf

    text = ("树牢管党治党主业主责意识，把抓党建作为最大政绩。亲自研究部署党建工作（不以听汇报"
            "代替亲自抓）；理顺党建“条、块”双重管理责任！被评对象：石家庄海关 · 郑怀远、"
            "呼和浩特海关 · 白永胜，Mann-Whitney U 检验：p = 0.043。") * 2
    with app.test_request_context(), new_pdf("t") as pdf:
        pdf.add_page()
        for size in (7.5, 8.5, 10):
            pdf.set_font("sans", size=size)
            for width in range(20, 90, 3):
                lines = pdf.multi_cell(width, 4, text, dry_run=True, output="LINES",
                                       wrapmode="CHAR")
                assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # all kept
                for line in lines:
                    assert line[0] not in NO_LINE_START and line[-1] not in NO_LINE_END, line
                    assert line[0] != "·" and line[-1] != "·", line
                    assert pdf.get_string_width(line) <= width - 2 * pdf.c_margin + 1e-6
        pdf.output()  # closes the font files


def test_the_drawn_list_workbook_sizes_its_columns(app, client, setup):
    from openpyxl import load_workbook

    from evalapp.spreadsheets import display_width

    response = client.get(f"/campaigns/{setup.campaign}/draws/{setup.draw}/people.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.freeze_panes == "A2"
    for column in "ABCD":
        longest = max(display_width(str(cell.value)) for cell in sheet[column] if cell.value)
        assert sheet.column_dimensions[column].width >= longest, column
    assert sheet.column_dimensions["D"].width >= display_width("测评人类别")


def test_the_receipts_page_and_the_monitor_count_returned_tickets_in_the_same_words(
    app, client, runner
):
    from tests.support.demo import PASSWORD

    password = PASSWORD.search(runner.invoke(args=["demo"]).output).group(1)
    login(client, "organiser", password)
    with app.app_context():
        closed = db.session.scalars(sa.select(Campaign).where(
            Campaign.status == "closed").order_by(Campaign.id)).all()[-1]
        campaign_id, key = closed.id, closed.receipts_key
        ballots = db.session.scalar(sa.select(sa.func.count(Ballot.id)).where(
            Ballot.campaign_id == campaign_id))
    monitor = client.get(f"/campaigns/{campaign_id}/monitor").get_data(as_text=True)
    returned = re.search(r"已收回 ([\d,]+) / [\d,]+ 张测评票", monitor).group(1)
    receipts = app.test_client().get(f"/r/{key}").get_data(as_text=True)
    assert f"已计入 {ballots:,} 张选票，来自 {returned} 张已收回的测评票" in receipts


def test_one_term_for_individual_items_everywhere():
    from babel.messages.pofile import read_po

    catalog = Path(__file__).parents[1] / "evalapp/translations/zh_Hans_CN/LC_MESSAGES"
    with open(catalog / "messages.po", "rb") as handle:
        translations = [m.string for m in read_po(handle) if m.id]
    individual = [text for text in translations if "个性" in text]
    assert individual and all("个性化内容" in text for text in individual), individual
    common = [text for text in translations if "共性" in text]
    assert common and all("共性内容" in text for text in common), common


def test_on_a_two_subject_ballot_the_second_subject_announces_itself(
    app, browser, live_server, tmp_path
):
    with app.app_context():
        tickets = make_tickets()
        names = [db.session.get(Subject, i).person_name for i in tickets.subject_ids]
    context = browser.new_context(viewport={"width": 375, "height": 700}, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server}/t/{tickets.pair[0]}")
    bands = page.locator(".subject > h2")
    assert bands.nth(0).inner_text().startswith("被评对象 1 / 2")
    assert bands.nth(1).inner_text().startswith("被评对象 2 / 2")
    # halfway through the second subject's questions, its band is at the top of the screen
    page.locator("#subject-2 fieldset.item").nth(12).scroll_into_view_if_needed()
    top = page.evaluate("document.elementFromPoint(180, 10).closest('h2')?.innerText || ''")
    assert "被评对象 2 / 2" in top and names[1] in top
    page.screenshot(path=str(tmp_path / "second-subject.png"))
    context.close()

    single = app.test_client()
    single.get(f"/t/{tickets.single[0]}")
    assert "被评对象 1 /" not in single.get("/ballot").get_data(as_text=True)
