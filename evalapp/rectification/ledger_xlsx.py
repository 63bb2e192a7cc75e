"""The ledger (整改台账) in Excel, laid out as offices keep it: a row per measure, the problem's
cells merged over its measures. The same layout imports back, all or nothing, with every
problem of every row reported by its row number, so a ledger kept in Excel between meetings
can be brought back in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from evalapp.campaigns.models import Campaign, Subject
from evalapp.rectification.deadlines import (
    Deadline,
    DeadlineError,
    parse_day,
    parse_deadline,
)
from evalapp.rectification.labels import SOURCE_LABELS, STATUS_LABELS, not_a_deadline
from evalapp.rectification.models import MeasureStatus, ProblemSource, RectificationProblem
from evalapp.rectification.operations import (
    MeasureInput,
    add_problem,
    campaign_start,
    clear_ledger,
    measure_problems,
    missing_parts,
    save_measure,
)
from evalapp.spreadsheets import append_row, workbook_bytes
from evalapp.tabular import RowProblem, find_header
from evalapp.text import folded, squeezed

HEADER_ROW = 3
COLUMNS = (
    (_l("Subject"), 18), (_l("No."), 5), (_l("Source"), 10), (_l("Problem"), 36),
    (_l("Measure"), 40), (_l("Responsible department"), 14),
    (_l("Co-operating departments"), 16), (_l("Deadline"), 12), (_l("Status"), 9),
    (_l("Completion"), 24), (_l("Completed on"), 12),
)
PROBLEM_COLUMNS = 4  # subject, no., source, problem: merged over the problem's measures
# Words read back, in both languages, besides the labels above.
SOURCE_WORDS = {"问题清单": ProblemSource.PROBLEM_LIST, "测评": ProblemSource.RATINGS,
                "测评结果": ProblemSource.RATINGS, "领导点评": ProblemSource.LEADERSHIP,
                "problem list": ProblemSource.PROBLEM_LIST, "ratings": ProblemSource.RATINGS,
                "leadership": ProblemSource.LEADERSHIP}
# The status words offices write in their ledgers, as the three statuses they mean: a measure
# "基本完成" (mostly done), kept up (长期坚持) or on schedule (按序时推进) is still in progress; one
# closed (已销号: struck off the list) or done (整改到位) is done, and done needs its date.
STATUS_WORDS = {
    **dict.fromkeys(("未开始", "尚未开始", "未启动", "尚未启动", "未整改", "尚未整改", "未完成",
                     "待整改", "待启动", "计划", "计划中", "拟整改", "planned", "not started"),
                    MeasureStatus.PLANNED),
    **dict.fromkeys(("推进中", "进行中", "正在进行", "正在整改", "整改中", "正在推进", "持续推进",
                     "持续整改", "已启动", "部分完成", "基本完成", "长期坚持", "长期推进",
                     "按序时推进", "按时序推进", "序时推进", "按计划推进", "持续整改中",
                     "阶段性完成", "未销号", "in progress", "ongoing"), MeasureStatus.IN_PROGRESS),
    **dict.fromkeys(("已完成", "完成", "已整改", "整改完成", "已整改完成", "已完成整改",
                     "整改到位", "已整改到位", "已销号", "销号", "已办结", "办结", "已落实",
                     "done", "completed"), MeasureStatus.DONE),
}
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def ledger_xlsx(campaign: Campaign, problems: Sequence[RectificationProblem]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Rectification ledger")[:31]
    append_row(sheet, [_("%(title)s: rectification ledger", title=campaign.title)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A1"].font = Font(size=15)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([])
    append_row(sheet, [str(title) for title, _width in COLUMNS])
    subjects = {s.id: s for s in campaign.subjects}
    numbers: dict[int, int] = {}
    for problem in problems:
        number = numbers[problem.subject_id] = numbers.get(problem.subject_id, 0) + 1
        first = sheet.max_row + 1
        head = [subjects[problem.subject_id].label(), number,
                str(SOURCE_LABELS[problem.source]), problem.text]
        for measure in problem.measures or [None]:
            append_row(sheet, head + ([] if measure is None else [
                measure.text, measure.responsible_department, measure.cooperating_departments,
                measure.deadline_wording or measure.deadline,  # as written, read back the same
                str(STATUS_LABELS[measure.status]), measure.completion_note,
                measure.completed_on]))
        for column in range(1, PROBLEM_COLUMNS + 1):
            if sheet.max_row > first:
                sheet.merge_cells(start_row=first, start_column=column, end_row=sheet.max_row,
                                  end_column=column)
    _layout(sheet)
    return workbook_bytes(workbook)


def _layout(sheet) -> None:
    for column, (_title, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row in sheet.iter_rows(min_row=HEADER_ROW, max_col=len(COLUMNS)):
        for cell in row:
            cell.border = BOX
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    for cell in sheet[HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


@dataclass
class _ProblemRows:
    subject: Subject
    source: ProblemSource
    text: str
    measures: list[MeasureInput] = field(default_factory=list)


class LedgerImportError(ValueError):
    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} rows with problems")
        self.problems = problems


def import_ledger(campaign: Campaign, rows: Sequence[tuple[int, Sequence[str]]],
                  today: date) -> int:
    """Replace the campaign's ledger with the table's (numbered rows, as
    `read_numbered_table` gives them). Returns the measures stored; raises LedgerImportError,
    having stored nothing, when any row has a problem."""
    below = _below_header(rows)
    subjects = {}
    for subject in campaign.subjects:
        subjects[squeezed(subject.label())] = subject
        subjects[squeezed(f"{subject.unit.name_zh} · {subject.person_name}")] = subject
    problems: list[_ProblemRows] = []
    reported: list[RowProblem] = []
    current: _ProblemRows | None = None
    current_cells: list[str] | None = None
    for number, raw in rows[below:]:
        cells = [*raw, *[""] * len(COLUMNS)][: len(COLUMNS)]
        reasons: list[str] = []
        # A problem's cells are merged over its measures (read on each of their rows) or left
        # blank below its first row: either way the same problem goes on.
        if any(cells[:PROBLEM_COLUMNS]) and cells[:PROBLEM_COLUMNS] != current_cells:
            current_cells = cells[:PROBLEM_COLUMNS]
            current = _problem_of(cells, subjects, reasons)
            if current is not None:
                problems.append(current)
        elif current_cells is None:
            reasons.append(_("The first row needs its subject, source and problem."))
        if any(cells[PROBLEM_COLUMNS:]) and current is not None:
            measure = _measure_of(cells, reasons, campaign_start(campaign))
            if measure is not None:
                reasons += measure_problems(campaign, measure, today)
                current.measures.append(measure)
        if reasons:
            reported.append(RowProblem(number, tuple(reasons)))
    if reported:
        raise LedgerImportError(reported)
    clear_ledger(campaign)
    for rows_of_problem in problems:
        problem = add_problem(rows_of_problem.subject, rows_of_problem.source,
                              rows_of_problem.text)
        for measure in rows_of_problem.measures:
            save_measure(problem, measure, today)
    return sum(len(p.measures) for p in problems)


def _below_header(rows: Sequence[tuple[int, Sequence[str]]]) -> int:
    """The index of the first row below the header (of one row or several)."""
    names = [str(title) for title, _width in COLUMNS] + ["问题", "整改措施", "problem", "measure"]
    found = find_header([row for _number, row in rows], names)
    if found is None:
        raise LedgerImportError([RowProblem(1, (_("No header row with the ledger's columns."),))])
    return found.below


def _problem_of(cells: list[str], subjects: dict[str, Subject],
                reasons: list[str]) -> _ProblemRows | None:
    subject = subjects.get(squeezed(cells[0]))
    source = _word(cells[2], SOURCE_LABELS, SOURCE_WORDS)
    if subject is None:
        reasons.append(_("Unknown subject “%(name)s”.", name=cells[0]))
    if source is None:
        reasons.append(_("Unknown source “%(source)s”.", source=cells[2]))
    if not cells[3].strip():
        reasons.append(_("The problem needs a text."))
    if subject is None or source is None or not cells[3].strip():
        return None
    return _ProblemRows(subject, source, cells[3].strip())


def _measure_of(cells: list[str], reasons: list[str], start: date) -> MeasureInput | None:
    deadline = _deadline(cells[7], reasons, start)
    completed = _completion_date(cells[10], reasons)
    status = _word(cells[8], STATUS_LABELS, STATUS_WORDS)
    if status is None:
        reasons.append(_("Unknown status “%(status)s”.", status=cells[8]))
    if deadline is None or status is None:
        # The rules need a deadline and a status to judge; the other cells are judged anyway,
        # so that one pass over the file reports everything.
        reasons += missing_parts(cells[4], cells[5])
        return None
    return MeasureInput(cells[4], cells[5], cells[6], deadline.day, status, cells[9], completed,
                        deadline.wording)


def _deadline(text: str, reasons: list[str], start: date) -> Deadline | None:
    if not text.strip():
        reasons.append(_("The %(what)s is missing.", what=_("deadline")))
        return None
    try:
        return parse_deadline(text, start)
    except DeadlineError:
        reasons.append(not_a_deadline(text))
        return None


def _word(text: str, labels: dict, words: dict):
    typed = squeezed(text)
    for key, label in labels.items():
        if typed in (squeezed(str(label)), squeezed(key.value)):
            return key
    return {squeezed(word): key for word, key in words.items()}.get(typed)


def _completion_date(text: str, reasons: list[str]) -> date | None:
    if not folded(text):
        return None
    try:
        return parse_day(text)
    except DeadlineError:
        reasons.append(_("The %(what)s “%(value)s” is not a date.", what=_("completion date"),
                         value=folded(text)))
        return None
