"""Print that says what was written and ticket sheets that scan (issue 15, kinds 7–8): every
case of tests/cases/ with its expected value, and more inputs of each kind."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest

from evalapp.extensions import db
from evalapp.pdf import new_pdf, stand_ins
from evalapp.tickets.sheets import TicketFace, ticket_sheet_pdf
from evalapp.tickets.tokens import new_token
from tests.support.ballots import closed_campaign
from tests.support.organiser import download
from tests.support.sheets import decoded, text_in_quiet_zones
from tests.support.web import login

pytestmark = pytest.mark.one_database


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


# --- kind 7: print that says what was written ----------------------------------------------


def test_case_emoji_in_an_opinion_are_printed_not_dropped(app, client):
    opinion = "👍 支持工作，希望继续加强基层调研😊"
    campaign_id = closed_campaign(app, [opinion, "👍👍", "好", "好", "好"])
    login(client, "leader")
    response = download(client, f"/campaigns/{campaign_id}/results/export.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    # 😊 is in the fallback font (DejaVu Sans, embedded); 👍 is in neither font: a stand-in
    assert "[表情] 支持工作，希望继续加强基层调研😊" in text
    assert "[表情][表情]" in text  # an opinion made only of emoji is not an empty line
    assert b"DejaVuSans" in response.data


@pytest.mark.parametrize(("text", "expected"), [
    ("赞👍", "赞[表情]"),
    ("👨\u200d💻加油", "[表情]加油"),  # a joined emoji is one stand-in
    ("🇨🇳🇨🇳", "[表情][表情]"),  # two flags, of two letters each
    ("👍🏽❤\ufe0f", "[表情]❤\ufe0f"),  # a skin tone goes with its stand-in; ❤ is drawn
    ("\U0001d11e乐", "[表情]乐"),  # a musical symbol
    ("ᠮᠣᠩᠭᠣᠯ", "□□□□□□"),  # a script neither font has: marked, never dropped
    ("换行\n保留", "换行\n保留"),
])
def test_characters_no_font_has_get_visible_stand_ins(app, text, expected):
    covered = {ord(char) for char in "赞加油❤乐换行保留"}
    with app.test_request_context():
        assert stand_ins(text, covered) == expected


def test_a_dollar_in_names_prints_as_typed_in_charts_and_the_pdf(app, client):
    """matplotlib reads $…$ as a formula (mathtext) and refuses most: a 500 before."""
    person, group, item = r"述职人$\x$", "机关$党员$", r"廉洁$\frac{自律"
    campaign_id = closed_campaign(app, ["好"] * 5, person=person, group=group, item=item)
    login(client, "leader")
    base = f"/campaigns/{campaign_id}/results"
    with app.app_context():
        from evalapp.campaigns.models import Campaign

        subject = db.session.get(Campaign, campaign_id).subjects[0].id
    for path in ("/subjects.png", "/subjects.svg", f"/{subject}/items.png",
                 f"/{subject}/heatmap.svg", "/export.xlsx"):
        assert client.get(base + path).status_code == 200, path
    response = download(client, base + "/export.pdf")
    assert response.status_code == 200
    assert person in pdf_text(response.data)
    svg = client.get(f"{base}/{subject}/heatmap.svg").get_data(as_text=True)
    assert "<!-- 机关$党员$ -->" in svg  # matplotlib names each text in a comment


# --- kind 8: ticket sheets that scan --------------------------------------------------------

CASE_UNIT = "中华人民共和国某某海关缉私局某某分局机关第二党支部"
CASE_TITLE = f"2025年度{CASE_UNIT}书记抓基层党建工作述职评议考核民主测评"
ADDRESS = "http://evalapp.test"


def sheet(app, title: str, group: str, subjects: tuple[str, ...], address: str = ADDRESS,
          count: int = 8) -> tuple[bytes, set[str]]:
    """A rendered sheet of `count` tickets, and the addresses its codes must hold."""
    faces = []
    for _ in range(count):
        token = new_token()
        faces.append(TicketFace(title, group, subjects, token, f"{address}/t/{token}"))
    with app.test_request_context():
        return ticket_sheet_pdf(faces, address), {face.url for face in faces}


@pytest.mark.parametrize(("title", "group", "subjects"), [
    # the case: a long title, a long unit name, three subjects
    (CASE_TITLE, "机关党员", tuple(f"{CASE_UNIT} · {person}" for person in
                                  ("𠮷明远", "阿依古丽·买买提", "王䶮"))),
    # the one-subject control
    (CASE_TITLE, "机关党员", (f"{CASE_UNIT} · 𠮷明远",)),
    # longer still: a 200-character title, a 50-character group, twelve subjects
    ("测评" * 100, "机" * 50, tuple(f"{CASE_UNIT}{n} · 述职人{n}" for n in range(12))),
    # short everything
    ("测评", "群众", ("办公室 · 王",)),
])
def test_case_every_code_on_a_ticket_sheet_scans_whatever_the_text(app, title, group,
                                                                    subjects):
    data, urls = sheet(app, title, group, subjects)
    assert text_in_quiet_zones(data) == (8, [])
    assert sorted(decoded(data, 150, 1.5)) == sorted(urls)


def test_a_long_subjects_line_is_shortened_to_the_first_subjects_and_a_count(app):
    subjects = tuple(f"{CASE_UNIT} · {person}" for person in ("𠮷明远", "阿依古丽·买买提", "王䶮"))
    data, _urls = sheet(app, CASE_TITLE, "机关党员", subjects, count=1)
    text = pdf_text(data).replace("\r", "").replace("\n", "")
    assert f"被评对象：{CASE_UNIT} · 𠮷明远等3人" in text
    assert CASE_TITLE in text
    data, _urls = sheet(app, "测评", "机关党员", subjects[:2], count=1)  # room for both
    assert "、".join(subjects[:2]) in pdf_text(data).replace("\r", "").replace("\n", "")


SLIP_TITLE = "中华人民共和国宁波海关2026年度机关党委书记抓党建述职评议考核测评"


def test_a_title_on_a_ticket_slip_breaks_where_a_reader_would(app):
    """Filled line by line, the slip's title broke "述职 | 评议考核测评"; as a title it breaks
    where the Chinese name meets the year, on two lines of nearly equal length."""
    token = new_token()
    faces = [TicketFace(SLIP_TITLE, "机关党员", ("宁波海关 · 王明",), token,
                        f"{ADDRESS}/t/{token}")]
    with app.test_request_context():
        text = pdf_text(ticket_sheet_pdf(faces, ADDRESS))
    lines = text.replace("\r\n", "\n").split("\n")
    assert lines[:2] == ["中华人民共和国宁波海关", "2026年度机关党委书记抓党建述职评议考核测评"]


def test_the_report_covers_title_breaks_into_lines_of_nearly_equal_length(app):
    """Line by line, the cover's title filled 30 characters and left 14; as a title, where
    no natural break fits (the name before the year is too long), the lines are balanced."""
    title = "海关总署机关党委2026年度直属海关党委书记抓基层党建工作述职评议考核民主测评结果报告"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}), new_pdf(title) as pdf:
        pdf.add_page()
        pdf.set_font("sans", size=18)
        lines = pdf.multi_cell(0, 10, title, wrapmode="CHAR", title=True, dry_run=True,
                               output="LINES")
    assert lines == ["海关总署机关党委2026年度直属海关党委书记",
                     "抓基层党建工作述职评议考核民主测评结果报告"]


def test_no_paragraph_ends_on_a_line_of_one_character_and_its_full_stop(app):
    with app.test_request_context(), new_pdf("t") as pdf:
        pdf.add_page()
        pdf.set_font("sans", size=10)
        width = pdf.get_string_width("测" * 20)
        for text in ("本次测评共发放测评票四十张，实际回收三十八张。",
                     "一二三四五六七八九十一二三四五六七八九十张。"):
            lines = pdf.multi_cell(width + 2 * pdf.c_margin, 5, text, wrapmode="CHAR",
                                   dry_run=True, output="LINES")
            assert len(lines) == 2 and len(lines[-1].rstrip("。")) >= 2, lines
            assert "".join(lines) == text
