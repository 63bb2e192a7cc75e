"""Paper ballots (纸质测评票), for raters without a smartphone: the phone's questionnaire on paper,
one ballot per ticket, printed from the response that issues the tickets (their codes exist
nowhere else).

A ballot asks what the phone asks, in the same order and with the same numbers: for each
subject of the ticket, the common items by section and the four individual items with a box
per level, the satisfaction question with a box per answer, and lines for opinions. It is
printed in Chinese whatever language the organiser reads, like the ticket slips. Every page
carries the ticket's code in its top right corner, as the slip's QR code (the same address, so
a clerk's scanner or a phone reads it) and typed in groups of four, and "第 k / n 页" at its
foot, so that pages that come apart go back together under one ticket. The first page says
how to fill it in: one tick per item, what voids it (the campaign's own rules), that it is
anonymous and where to hand it in.

The pages are laid out once per set of subjects (every ticket of a batch has the same pages)
and drawn for each ticket with its code; a row never splits across pages, and a subject's
heading never ends a page without its first item. A4 by default: one subject fills two pages
(one sheet printed on both sides) with boxes of 4.5 mm and 9.5 pt text. A5 keeps both and
takes three to four pages a subject.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF

from analysis import allowed_blank
from evalapp.campaigns.labels import answer_choices, level_choices, satisfaction_choices
from evalapp.campaigns.models import Campaign, CommonItem, IndividualItem, Scale, Subject
from evalapp.i18n import DEFAULT_LOCALE, localized
from evalapp.pdf import new_pdf
from evalapp.tickets.models import TicketBatch
from evalapp.tickets.sheets import (
    TextSetter,
    TicketFace,
    code_lines,
    draw_qr,
    faces_for,
    fitted,
    qr_matrix,
)


@dataclass(frozen=True)
class Paper:
    """A paper size and what is sized by it, in millimetres."""

    name: str
    width: float
    height: float
    margin: float
    qr: float  # the side of the QR code in the corner
    level_column: float  # the column of one level's boxes
    opinion_lines: int


PAPERS = {
    "A4": Paper("A4", 210, 297, 12, 26, 16, 6),
    "A5": Paper("A5", 148, 210, 8, 22, 12, 4),
}

BOX = 4.5  # the side of a box to tick, millimetres: room for a pen's tick
NUMBER_COLUMN = 9.0
TEXT_SIZE, TEXT_LINE = 9.5, 4.4  # points; millimetres
PADDING = 1.4  # above and below the text of a row
INDENT = 1.0  # more room at the left of a cell's text than fpdf2's own margin
ITEM_ROW = 7.5  # the least height of an item's row
BAND_SIZE, HEADING_SIZE, TITLE_SIZE = 9.5, 11.0, 13.0
HEADING_GAP = 3.0  # above each subject's heading
OPINION_LINE = 8.0
FOOTER = 7.0
TITLE_LINES = 3  # a longer title is cut with "…"
SPARE_TAG = 25  # room at the end of the group's line for "备用票"
RULE, BOX_RULE = 0.2, 0.3  # line widths
FILL_HEADING, FILL_HEADER, FILL_BAND = 215, 230, 242  # grey levels


@dataclass(frozen=True)
class PaperItem:
    """An item as printed: its text, and its answers' names when the ballot names them
    (`paper_questionnaire`), each then printed over its box; none under the header's
    好/较好/一般/差."""

    text: str
    answers: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaperSection:
    title: str
    items: tuple[PaperItem, ...]


@dataclass(frozen=True)
class PaperSubject:
    heading: str  # unit · person, and post
    individual_items: tuple[PaperItem, ...]


@dataclass(frozen=True)
class Wording:
    """The printed words, in Chinese; `subject` has {number} and {count}, `page` {page} and
    {pages}."""

    instructions_title: str
    instructions: tuple[str, ...]
    group: str
    code: str
    spare: str
    subject: str
    continued: str
    number: str
    item: str
    individual: str
    overall: str
    satisfaction: str
    opinion: str
    page: str
    levels: tuple[str, ...]  # the header's columns; empty when every item names its answers
    rating: str  # the header over the answers when they are named on each item
    satisfactions: tuple[str, ...]  # empty when the campaign asks no overall satisfaction


@dataclass(frozen=True)
class PaperQuestionnaire:
    """What every paper ballot of one batch says but its code: the campaign's title, the
    batch's rater group, the questionnaire of its subjects (in the campaign's order) and the
    wording."""

    title: str
    group: str
    sections: tuple[PaperSection, ...]
    subjects: tuple[PaperSubject, ...]
    wording: Wording
    # of a nomination (民主推荐): one row per candidate (the subjects), with its one box, in
    # place of a block per subject; empty otherwise
    candidates: tuple[PaperItem, ...] = ()


@dataclass(frozen=True)
class PaperBallot:
    """One ticket's paper ballot: its face (code, address, spare or not) and questionnaire."""

    face: TicketFace
    questionnaire: PaperQuestionnaire


def paper_questionnaire(campaign: Campaign, group: str, subjects: Sequence[Subject],
                        hand_in: str = "") -> PaperQuestionnaire:
    """The paper questionnaire of `subjects` for raters of `group`, in Chinese (needs an app
    context). `hand_in` says where the ballots go ("会议工作人员"); empty, the ballot says "the
    ballot box or the staff of the meeting"."""
    ordered = sorted(subjects, key=lambda subject: subject.position)
    common = campaign.common_items()
    # items on other scales than the four levels, or offering 不了解, name their answers
    # over their boxes; then every item does, and the header names no level, which would
    # stand over another scale's answers
    named = any(item.scale is not Scale.LEVELS or item.dont_know for item in
                [*common, *(item for subject in ordered for item in subject.individual_items)])
    with force_locale(DEFAULT_LOCALE):
        return PaperQuestionnaire(
            title=campaign.title,
            group=group,
            sections=tuple(PaperSection(
                f"{number}. {localized(section, 'title')}",
                tuple(_paper_item(item, named) for item in section.items))
                for number, section in enumerate(campaign.sections, start=1)),
            subjects=tuple(PaperSubject(
                subject.label() + (f"　{subject.post}" if subject.post else ""),
                tuple(_paper_item(item, named) for item in subject.individual_items))
                for subject in ordered),
            wording=_wording(campaign, [len(common) + len(s.individual_items) for s in ordered],
                             hand_in.strip(), named),
            candidates=tuple(
                PaperItem(f"{subject.label()}{f'　{subject.post}' if subject.post else ''}",
                          _paper_item(common[0], named).answers)
                for subject in ordered) if campaign.nominated_item() is not None else (),
        )


def _wording(campaign: Campaign, items: Sequence[int], hand_in: str,
             named: bool) -> Wording:
    """The words of the ballot in the current language; `items` counts each subject's items,
    for the void rule; `named`: every item names its answers over its boxes (no column of
    the header is one level)."""
    if len(set(items)) == 1 and items[0]:
        void = _("For each subject, if more than %(allowed)d of its %(items)d items are left "
                 "unanswered, the ballot for that subject is void and not counted.",
                 allowed=allowed_blank(items[0], campaign.void_blank_fraction), items=items[0])
    else:
        void = _("For each subject, if more than %(share)d%% of its items are left "
                 "unanswered, the ballot for that subject is void and not counted.",
                 share=round(campaign.void_blank_fraction * 100))
    uniform = ([_("A ballot that gives every item the same answer is also void.")]
               if campaign.void_uniform else [])
    item_word = _("Item")
    tick = _("For each item, tick (✓) one box, under the level you choose. An item with more "
             "than one box ticked, or a tick that cannot be read, counts as unanswered.")
    if (nominated := campaign.nominated_item()) is not None:
        most = nominated.rule.max_marks
        tick = _("Tick (✓) the box of each candidate you nominate, at most %(max)d; leave the "
                 "others empty.", max=most)
        void, uniform = _("A ballot that ticks more than %(max)d candidates is void and not "
                          "counted.", max=most), []
        item_word = _("Candidate")
    return Wording(
        instructions_title=_("How to fill in this ballot"),
        instructions=tuple(f"{number}. {text}" for number, text in enumerate((
            _("This ballot is anonymous: do not write your name or make any other mark on "
              "it. Results are counted by rater group only."),
            tick,
            void,
            *uniform,
            _("When you have finished, hand in every page of this ballot together: "
              "%(place)s.", place=hand_in or _("to the ballot box or the staff of the "
                                               "meeting")),
            _("The code in the corner also opens this ballot on a phone. Each code counts "
              "once: a ballot submitted on a phone makes this paper ballot void."),
        ), start=1)),
        group=_("Rater group: "),
        code=_("Code: "),
        spare=_("Spare ticket"),
        subject=_("Subject %(number)s of %(count)s: ", number="{number}", count="{count}"),
        continued=_(" (continued)"),
        number=_("No."),
        item=item_word,
        individual=_("Individual items"),
        overall=_("Overall"),
        satisfaction=_("How satisfied are you with this debriefing report?"),
        opinion=_("Opinions and suggestions (optional)"),
        page=_("Page %(page)s of %(pages)s · hand in every page of this ballot together",
               page="{page}", pages="{pages}"),
        levels=() if named else tuple(label for _value, label in level_choices()),
        rating=_("Your rating"),
        satisfactions=tuple(label for _value, label in satisfaction_choices())
        if campaign.asks_satisfaction else (),  # a round of grades asks none
    )


def _paper_item(item: CommonItem | IndividualItem, named: bool) -> PaperItem:
    """An item in the locale in force: its answers' names when `named`, else boxes alone
    under the header's levels. A nomination's item has one box, 推荐: left empty, the
    candidate is not nominated."""
    choices = answer_choices(item)
    if item.scale is Scale.NOMINATION:
        choices = choices[:1]
    return PaperItem(localized(item, "text"), tuple(
        label for _value, label in choices) if named else ())


def paper_ballots_for(campaign: Campaign, issued: Sequence[tuple[TicketBatch, Sequence[str]]],
                      address: str, hand_in: str = "") -> list[PaperBallot]:
    """The paper ballots of freshly issued tickets, in the order of `faces_for`: each batch's
    tickets with their plain codes and the batch's questionnaire."""
    ballots = []
    for batch, tokens in issued:
        questionnaire = paper_questionnaire(campaign, batch.rater_group.name_zh, batch.subjects,
                                            hand_in)
        ballots += [PaperBallot(face, questionnaire)
                    for face in faces_for(campaign, [(batch, tokens)], address)]
    return ballots


def paper_ballots_pdf(ballots: Sequence[PaperBallot], paper: Paper = PAPERS["A4"]) -> bytes:
    """A PDF of `ballots`, one after another, each on its own pages of `paper`."""
    pdf = new_pdf(ballots[0].questionnaire.title if ballots else "")
    add_paper_ballots(pdf, ballots, paper)
    return bytes(pdf.output())


def add_paper_ballots(pdf: FPDF, ballots: Sequence[PaperBallot], paper: Paper) -> None:
    """The pages of `ballots`, added to `pdf` (which may hold ticket slips before them)."""
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    sheet = TextSetter(pdf)
    layouts: dict[PaperQuestionnaire, _Layout] = {}
    for ballot in ballots:
        # a page first: fpdf2 measures lines (for the layout) on the current page
        pdf.add_page(format=(paper.width, paper.height))
        if ballot.questionnaire not in layouts:
            layouts[ballot.questionnaire] = _layout(sheet, ballot.questionnaire, paper)
        _ballot(sheet, ballot.face, layouts[ballot.questionnaire])


class _Kind(enum.Enum):
    INSTRUCTIONS = "instructions"
    SUBJECT = "subject"
    HEADER = "header"  # the levels above the boxes
    BAND = "band"  # a section's title, "个性化内容", "总体评价"
    ITEM = "item"
    SATISFACTION = "satisfaction"
    OPINION = "opinion"


@dataclass(frozen=True)
class _Row:
    kind: _Kind
    height: float
    lines: tuple[str, ...] = ()
    number: int = 0  # an item's
    answers: tuple[str, ...] = ()  # printed over their boxes (not the header's levels)


@dataclass(frozen=True)
class _Layout:
    """A ballot's pages: the rows of each, from `top` down; the title's lines in the header."""

    paper: Paper
    questionnaire: PaperQuestionnaire
    title: tuple[str, ...]
    top: float
    pages: tuple[tuple[_Row, ...], ...]


class _Columns:
    """Where the columns of the table are on `paper`, in millimetres from the left."""

    def __init__(self, paper: Paper) -> None:
        self.left = paper.margin
        self.width = paper.width - 2 * paper.margin
        self.levels = self.left + self.width - 4 * paper.level_column  # the first level's
        self.text = self.left + NUMBER_COLUMN
        self.text_width = self.levels - self.text
        self.question_width = self.levels - self.left


def _layout(sheet: TextSetter, questionnaire: PaperQuestionnaire, paper: Paper) -> _Layout:
    """The rows of the ballot in blocks that stay on one page, placed on pages."""
    pdf = sheet.pdf
    columns = _Columns(paper)
    words = questionnaire.wording
    pdf.set_font("sans", size=TITLE_SIZE)
    title_width = _header_text_width(paper)
    title = tuple(sheet.lines(title_width, _line(TITLE_SIZE), fitted(
        sheet, title_width, (questionnaire.title,), TITLE_LINES, _line(TITLE_SIZE)),
        title=True))
    # under the code, its quiet zone (at most 4.2 mm: a code of 25 modules) and the rule
    top = paper.margin + max(paper.qr + 4.5, len(title) * _line(TITLE_SIZE) + 2 * _line(10)) + 2
    bottom = paper.height - paper.margin - FOOTER

    def rows(kind: _Kind, size: float, width: float, text: str, least: float = 0,
             number: int = 0, extra: float = 0) -> _Row:
        pdf.set_font("sans", size=size)
        lines = tuple(sheet.lines(width - INDENT, _line(size), text))  # as _text sets them
        return _Row(kind, max(least, len(lines) * _line(size) + 2 * PADDING) + extra, lines,
                    number)

    def item(number: int, paper_item: PaperItem) -> _Row:
        row = rows(_Kind.ITEM, TEXT_SIZE, columns.text_width, paper_item.text,
                   2 * ITEM_ROW if paper_item.answers else ITEM_ROW, number)
        return replace(row, answers=paper_item.answers)

    header = _Row(_Kind.HEADER, ITEM_ROW)
    count = len(questionnaire.subjects)
    pages: list[list[_Row]] = [[rows(_Kind.INSTRUCTIONS, 9, columns.width - 4,
                                     "\n".join((words.instructions_title,
                                                *words.instructions)), extra=2)]]
    room = bottom - top - pages[0][0].height

    def place(block: list[_Row], continued: Callable[[list[_Row]], list[_Row]]) -> None:
        """`block` on the current page, or on a new one, after what `continued` puts above
        it there, when it does not fit (a block is never split)."""
        nonlocal room
        if sum(row.height for row in block) > room and pages[-1]:
            pages.append([])
            room = bottom - top
            block = continued(block)
        pages[-1].extend(block)
        room -= sum(row.height for row in block)

    if questionnaire.candidates:  # 民主推荐: one list of candidates, a box each
        blocks = [[item(number, candidate)]
                  for number, candidate in enumerate(questionnaire.candidates, start=1)]
        blocks[0] = [rows(_Kind.BAND, BAND_SIZE, columns.width, questionnaire.sections[0].title),
                     header, *blocks[0]]
        for block in blocks:
            place(block, lambda block: [header, *block])
        return _Layout(paper, questionnaire, title, top, tuple(tuple(page) for page in pages))
    for index, subject in enumerate(questionnaire.subjects, start=1):
        name = words.subject.format(number=index, count=count) if count > 1 else ""

        def heading(more: str, name: str = name, subject: PaperSubject = subject) -> _Row:
            return rows(_Kind.SUBJECT, HEADING_SIZE, columns.width, name + subject.heading
                        + more, extra=HEADING_GAP)

        number = 0
        blocks: list[list[_Row]] = []
        for section in questionnaire.sections:
            block = [rows(_Kind.BAND, BAND_SIZE, columns.width, section.title)]
            for paper_item in section.items:
                number += 1
                blocks.append([*block, item(number, paper_item)])
                block = []
        block = [rows(_Kind.BAND, BAND_SIZE, columns.width, words.individual)]
        for paper_item in subject.individual_items:
            number += 1
            blocks.append([*block, item(number, paper_item)])
            block = []
        if words.satisfactions:
            blocks.append([rows(_Kind.BAND, BAND_SIZE, columns.width, words.overall),
                           replace(rows(_Kind.SATISFACTION, TEXT_SIZE, columns.question_width,
                                        words.satisfaction, 2 * ITEM_ROW),
                                   answers=words.satisfactions)])
        blocks.append([_Row(_Kind.OPINION, _line(TEXT_SIZE) + 2 * PADDING
                            + paper.opinion_lines * OPINION_LINE + 2, (words.opinion,))])
        blocks[0] = [heading(""), header, *blocks[0]]

        def continued(block: list[_Row], heading: Callable[[str], _Row] = heading
                      ) -> list[_Row]:
            """A subject's block on a new page, under its name "(continued)" and, over
            items, the header."""
            if block[0].kind is _Kind.SUBJECT:
                return block
            return [heading(words.continued),
                    *([header] if any(r.kind is _Kind.ITEM for r in block) else []), *block]

        for block in blocks:
            place(block, continued)
    return _Layout(paper, questionnaire, title, top, tuple(tuple(page) for page in pages))


def _line(size: float) -> float:
    """The height of a line of text of `size` points, in millimetres."""
    return size * 0.4637


def _header_text_width(paper: Paper) -> float:
    return paper.width - 2 * paper.margin - paper.qr - 6


def _ballot(sheet: TextSetter, face: TicketFace, layout: _Layout) -> None:
    """The ballot's pages, the first on the page just added."""
    matrix = qr_matrix(face.url)
    for number, rows in enumerate(layout.pages, start=1):
        if number > 1:
            sheet.pdf.add_page(format=(layout.paper.width, layout.paper.height))
        _header(sheet, face, layout, matrix)
        y = layout.top
        for row in rows:
            _DRAW[row.kind](sheet, layout, row, y)
            y += row.height
        _footer(sheet, layout, number)


def _header(sheet: TextSetter, face: TicketFace, layout: _Layout,
            matrix: list[list[bool]]) -> None:
    """The title, the rater group and the typed code at the left; the QR code in the corner,
    its quiet zone (4 modules, ISO/IEC 18004) clear of text; a rule under both."""
    pdf, paper, words = sheet.pdf, layout.paper, layout.questionnaire.wording
    width = _header_text_width(paper)
    qr_left = paper.width - paper.margin - paper.qr
    draw_qr(pdf, matrix, qr_left, paper.margin, paper.qr)
    pdf.set_text_color(0)
    pdf.set_font("sans", size=TITLE_SIZE)
    pdf.set_xy(paper.margin, paper.margin)
    for line in layout.title:
        sheet.line(width, _line(TITLE_SIZE), line)
    pdf.set_font("sans", size=10)
    group = words.group + layout.questionnaire.group
    sheet.line(width, _line(10), fitted(sheet, width - SPARE_TAG, (group,), 1, _line(10)))
    if face.spare:
        tag = pdf.get_string_width(words.spare) + 3
        pdf.set_xy(paper.margin + width - tag, pdf.get_y() - _line(10))
        pdf.set_line_width(RULE)
        pdf.cell(tag, _line(10), words.spare, border=1, align="C")
        pdf.set_xy(paper.margin, pdf.get_y() + _line(10))
    pdf.set_x(paper.margin)
    label = pdf.get_string_width(words.code) + 2 * pdf.c_margin
    sheet.line(label, _line(10), words.code)
    pdf.set_font("mono", size=10)
    pdf.set_xy(paper.margin + label - pdf.c_margin, pdf.get_y() - _line(10))
    sheet.line(width - label, _line(10), " ".join(code_lines(face.token)))
    pdf.set_line_width(0.4)
    pdf.set_draw_color(0)
    pdf.line(paper.margin, layout.top - 1, paper.width - paper.margin, layout.top - 1)


def _footer(sheet: TextSetter, layout: _Layout, number: int) -> None:
    pdf, paper = sheet.pdf, layout.paper
    pdf.set_font("sans", size=8.5)
    pdf.set_text_color(60)
    pdf.set_xy(paper.margin, paper.height - paper.margin - _line(8.5))
    sheet.line(paper.width - 2 * paper.margin, _line(8.5), layout.questionnaire.wording.page
               .format(page=number, pages=len(layout.pages)), align="C")
    pdf.set_text_color(0)


def _text(sheet: TextSetter, row: _Row, left: float, width: float, top: float, size: float,
          height: float | None = None) -> None:
    """The row's lines, centred in the height (`height`, or the row's) from `top`."""
    pdf = sheet.pdf
    pdf.set_font("sans", size=size)
    lines = len(row.lines) * _line(size)
    pdf.set_xy(left + INDENT, top + ((row.height if height is None else height) - lines) / 2)
    for line in row.lines:
        sheet.line(width - INDENT, _line(size), line)


def _cells(pdf: FPDF, lefts: Sequence[float], right: float, top: float, height: float,
           fill: int | None = None) -> None:
    """A row of the table: cells from each of `lefts` to the next (the last to `right`)."""
    pdf.set_draw_color(0)
    pdf.set_line_width(RULE)
    if fill is not None:
        pdf.set_fill_color(fill)
    pdf.rect(lefts[0], top, right - lefts[0], height, style="DF" if fill is not None else "D")
    for left in lefts[1:]:
        pdf.line(left, top, left, top + height)


def _boxes(pdf: FPDF, lefts: Sequence[float], width: float, top: float) -> None:
    pdf.set_line_width(BOX_RULE)
    for left in lefts:
        pdf.rect(left + (width - BOX) / 2, top, BOX, BOX)


def _level_lefts(layout: _Layout) -> list[float]:
    columns = _Columns(layout.paper)
    return [columns.levels + index * layout.paper.level_column for index in range(4)]


def _draw_instructions(sheet: TextSetter, layout: _Layout, row: _Row, top: float) -> None:
    columns = _Columns(layout.paper)
    sheet.pdf.set_line_width(RULE)
    sheet.pdf.rect(columns.left, top, columns.width, row.height - 2)
    _text(sheet, row, columns.left + 2, columns.width - 4, top, 9, row.height - 2)


def _draw_subject(sheet: TextSetter, layout: _Layout, row: _Row, top: float) -> None:
    columns = _Columns(layout.paper)
    top += HEADING_GAP
    _cells(sheet.pdf, [columns.left], columns.left + columns.width, top,
           row.height - HEADING_GAP, FILL_HEADING)
    _text(sheet, row, columns.left, columns.width, top, HEADING_SIZE, row.height - HEADING_GAP)


def _draw_header(sheet: TextSetter, layout: _Layout, row: _Row, top: float) -> None:
    pdf, columns, words = sheet.pdf, _Columns(layout.paper), layout.questionnaire.wording
    levels = _level_lefts(layout)
    answers = (tuple(zip(levels, [layout.paper.level_column] * 4, words.levels, strict=True))
               if words.levels else ((levels[0], 4 * layout.paper.level_column, words.rating),))
    _cells(pdf, [columns.left, columns.text, *(left for left, _, _ in answers)],
           columns.left + columns.width, top, row.height, FILL_HEADER)
    pdf.set_font("sans", size=9)
    for left, width, text in ((columns.left, NUMBER_COLUMN, words.number),
                              (columns.text, columns.text_width, words.item), *answers):
        pdf.set_xy(left, top)
        sheet.line(width, row.height, text, align="C")


def _draw_band(sheet: TextSetter, layout: _Layout, row: _Row, top: float) -> None:
    columns = _Columns(layout.paper)
    _cells(sheet.pdf, [columns.left], columns.left + columns.width, top, row.height, FILL_BAND)
    _text(sheet, row, columns.left, columns.width, top, BAND_SIZE)


def _draw_item(sheet: TextSetter, layout: _Layout, row: _Row, top: float) -> None:
    """The number, the text, and the boxes under the header's levels (or, for an item with
    answers of its own, each answer's name over its box)."""
    pdf, columns = sheet.pdf, _Columns(layout.paper)
    if row.answers:
        _labelled(sheet, layout, row, top, [columns.left, columns.text])
    else:
        levels = _level_lefts(layout)
        _cells(pdf, [columns.left, columns.text, *levels], columns.left + columns.width, top,
               row.height)
        _text(sheet, row, columns.text, columns.text_width, top, TEXT_SIZE)
        _boxes(pdf, levels, layout.paper.level_column, top + (row.height - BOX) / 2)
    pdf.set_font("sans", size=TEXT_SIZE)
    pdf.set_xy(columns.left, top)
    sheet.line(NUMBER_COLUMN, row.height, str(row.number), align="C")


def _draw_satisfaction(sheet: TextSetter, layout: _Layout, row: _Row, top: float) -> None:
    """The question across the number and text columns, then its answers over their boxes."""
    _labelled(sheet, layout, row, top, [_Columns(layout.paper).left])


def _labelled(sheet: TextSetter, layout: _Layout, row: _Row, top: float,
              text_lefts: list[float]) -> None:
    """A row whose answers are named: the text in the cell from the last of `text_lefts`;
    under the header's levels, a cell per answer, its name over a box."""
    pdf, columns = sheet.pdf, _Columns(layout.paper)
    width = 4 * layout.paper.level_column / len(row.answers)
    lefts = [columns.levels + index * width for index in range(len(row.answers))]
    _cells(pdf, [*text_lefts, *lefts], columns.left + columns.width, top, row.height)
    _text(sheet, row, text_lefts[-1], columns.levels - text_lefts[-1], top, TEXT_SIZE)
    pdf.set_font("sans", size=8.5)
    label_top = top + (row.height - _line(8.5) - 1 - BOX) / 2
    for left, label in zip(lefts, row.answers, strict=True):
        pdf.set_xy(left, label_top)
        sheet.line(width, _line(8.5), label, align="C")
    _boxes(pdf, lefts, width, label_top + _line(8.5) + 1)


def _draw_opinion(sheet: TextSetter, layout: _Layout, row: _Row, top: float) -> None:
    """The label and ruled lines to write on, in a frame."""
    pdf, columns = sheet.pdf, _Columns(layout.paper)
    _cells(pdf, [columns.left], columns.left + columns.width, top, row.height - 2)
    pdf.set_font("sans", size=TEXT_SIZE)
    pdf.set_xy(columns.left, top + PADDING)
    sheet.line(columns.width, _line(TEXT_SIZE), row.lines[0])
    pdf.set_draw_color(150)
    first = top + PADDING + _line(TEXT_SIZE)
    for index in range(1, layout.paper.opinion_lines + 1):
        y = first + index * OPINION_LINE
        pdf.line(columns.left + 3, y, columns.left + columns.width - 3, y)
    pdf.set_draw_color(0)


_DRAW = {
    _Kind.INSTRUCTIONS: _draw_instructions,
    _Kind.SUBJECT: _draw_subject,
    _Kind.HEADER: _draw_header,
    _Kind.BAND: _draw_band,
    _Kind.ITEM: _draw_item,
    _Kind.SATISFACTION: _draw_satisfaction,
    _Kind.OPINION: _draw_opinion,
}
