"""The debriefing report as raters read it: paragraphs however the browser or the paste broke
the lines, and a Word report shown as a page rather than a download."""

from __future__ import annotations

import io
import re

import pytest

from evalapp.ballotbox.operations import open_campaign
from evalapp.campaigns.models import Campaign
from evalapp.campaigns.operations import attach_report
from evalapp.extensions import db
from evalapp.tickets.operations import issue_tickets
from tests.support.factories import groups_of, make_campaign, make_user, make_world
from tests.support.organiser import post_subject
from tests.support.rater import enter
from tests.support.spreadsheets import docx_bytes
from tests.support.web import login

REPORT_BLOCK = re.compile(r'<div class="report-text">(.*?)</div>\s*</details>', re.DOTALL)


@pytest.fixture
def draft(app):
    """A draft campaign with one subject, and its organiser."""
    with app.app_context():
        world = make_world()
        make_user("organiser", world.customs)
        campaign = make_campaign(world.customs, "2026年度测评")
        db.session.commit()
        return campaign.id, campaign.subjects[0].id


def open_with_a_ticket(app, campaign_id: int) -> str:
    """Issue one ticket for the campaign's subject and open the campaign; the ticket."""
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        _, tokens = issue_tickets(campaign, groups_of(campaign)[0], campaign.subjects, 1)
        open_campaign(campaign)
        db.session.commit()
        return tokens[0]


def shown_report(app, campaign_id: int) -> str:
    """The report block of the rater's ballot page."""
    page = enter(app.test_client(), open_with_a_ticket(app, campaign_id)).get_data(as_text=True)
    return REPORT_BLOCK.search(page).group(1)


@pytest.mark.parametrize("break_", ["\r\n", "\r", "\u2028", "\u2029", "\x85", "\n"])
def test_a_report_typed_in_the_subject_form_reaches_raters_in_its_paragraphs(
        app, client, draft, break_):
    campaign_id, subject_id = draft
    login(client)
    report = break_.join(["　　一、理论学习情况。", "", "　　二、存在的问题。",
                          "　　三、整改措施。", "　", "　　四、下一步打算。"])
    response = post_subject(client, campaign_id, subject_id, report_text=report)
    assert response.status_code == 303, response.get_data(as_text=True)[-500:]
    with app.app_context():
        stored = db.session.get(Campaign, campaign_id).subjects[0].report_text
    assert "\r" not in stored and stored.count("\n") == 5
    shown = re.findall(r"<p>(.*?)</p>", shown_report(app, campaign_id))
    assert shown == ["　　一、理论学习情况。", "　　二、存在的问题。", "　　三、整改措施。",
                     "　　四、下一步打算。"]


def test_a_report_stored_with_cr_lf_before_the_fix_is_shown_in_paragraphs(app, draft):
    campaign_id, _ = draft
    with app.app_context():
        subject = db.session.get(Campaign, campaign_id).subjects[0]
        subject.report_text = "第一段\r\n\r\n第二段\r\n第三段"
        db.session.commit()
    assert re.findall(r"<p>(.*?)</p>", shown_report(app, campaign_id)) == [
        "第一段", "第二段", "第三段"]


WORD_REPORT = (
    '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>一、履职情况</w:t></w:r></w:p>'
    "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>加强理论学习</w:t></w:r>"
    "<w:r><w:t>，全年开展 12 次。</w:t></w:r></w:p>"
    "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>问题</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:p><w:r><w:t>措施</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    '<w:p><w:hyperlink w:anchor="x"><w:r><w:t>链接文字</w:t></w:r></w:hyperlink></w:p>'
    "<w:p><w:r><w:t>&lt;script&gt;alert(1)&lt;/script&gt;"
    "&lt;img src=x onerror=alert(1)&gt;</w:t></w:r></w:p>"
)


def test_a_word_report_reaches_raters_as_a_page_and_organisers_keep_the_file(app, client, draft):
    campaign_id, subject_id = draft
    login(client)
    content = docx_bytes(WORD_REPORT)
    response = post_subject(client, campaign_id, subject_id, report_text="",
                            report_file=(io.BytesIO(content), "述职报告.docx"))
    assert response.status_code == 303, response.get_data(as_text=True)[-500:]
    shown = shown_report(app, campaign_id)
    assert re.sub(r"\s+", "", shown) == (
        '<divclass="report-document"><h4>一、履职情况</h4><p><strong>加强理论学习</strong>，全年开展12次。'
        "</p><table><tbody><tr><td><p>问题</p></td><td><p>措施</p></td></tr></tbody></table>"
        "<p>链接文字</p><p>&lt;script&gt;alert(1)&lt;/script&gt;&lt;imgsrc=xonerror=alert(1)&gt;"
        "</p></div>")  # Word's heading 1 below the page's own headings; no link, no markup
    assert "<a " not in shown and "report.docx" not in shown
    original = client.get(f"/campaigns/{campaign_id}/subjects/{subject_id}/report")
    assert original.data == content and original.headers["Content-Disposition"].startswith(
        "attachment;")


def test_a_word_file_mammoth_cannot_read_is_refused_with_a_message(app, client, draft):
    campaign_id, subject_id = draft
    login(client)
    broken = docx_bytes("<w:p><w:r><w:t>未闭合")
    response = post_subject(client, campaign_id, subject_id,
                            report_file=(io.BytesIO(broken), "述职报告.docx"))
    assert response.status_code == 422
    assert "无法读取该 Word 文档：请在 Word 中重新保存为 .docx，或上传 PDF。" in response.get_data(
        as_text=True)
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).subjects[0].report_file is None


def test_a_word_report_kept_before_pages_were_is_shown_as_a_page(app, draft):
    campaign_id, _ = draft
    with app.app_context():
        subject = db.session.get(Campaign, campaign_id).subjects[0]
        attach_report(subject, "述职报告.docx", docx_bytes())
        subject.report_file.html = None  # as the migration leaves an earlier upload
        db.session.commit()
    assert "<p>述职报告</p>" in shown_report(app, campaign_id)
