"""Which column of a roster holds what: the header words the columns are known by, as offices
spell them. The mapping page pre-selects its choices with them and the API's import takes
them as they are, unless the caller names the columns."""

from __future__ import annotations

from collections.abc import Sequence

from evalapp.tabular import Row, column_of, from_header

# Header words per column, compared with every kind of space removed and full-width forms
# folded (姓　名 is 姓名).
GUESSES = {
    "name": ("姓名", "名字", "人员姓名", "干部姓名", "name"),
    "staff_number": ("工号", "人员编号", "编号", "职工号", "职工编号", "员工号", "员工编号",
                     "人事编号", "干部编号", "staff number", "staff no", "staff id",
                     "employee id"),
    "unit": ("单位", "部门", "所在部门", "所在单位", "工作单位", "单位名称", "部门名称",
             "所属部门", "所属单位", "工作部门", "所在处室", "处室", "科室", "单位/部门",
             "单位(部门)", "unit", "department", "dept"),
    "group": ("类别", "测评人类别", "人员类别", "测评类别", "group"),
    "office": ("机关/基层", "机关基层", "层级", "所属层级", "office"),
    "membership": ("政治面貌", "党员/群众", "membership"),
}
# The columns a roster may lack.
OPTIONAL_COLUMNS = ("unit", "group", "office", "membership")
# Other identifiers a roster may have instead of a staff number: taken for it when the file
# has no staff number column.
OTHER_IDENTIFIERS = ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码", "证件号",
                     "手机号", "手机号码", "手机", "联系电话", "电话", "ID number", "phone")


def rows_from_header(rows: list[Row]) -> list[Row]:
    """The rows from the header on, a header of several rows made one (`from_header`): the
    first row naming two of the columns we look for, or the first row when none does (titles
    above the header are skipped)."""
    return from_header(rows, [word for spellings in GUESSES.values() for word in spellings])


def guessed_column(header: Sequence[str], column: str) -> int | None:
    """The number (from 0) of the header's column that `column` (a key of GUESSES) is known
    by, a staff number's stand-in (`OTHER_IDENTIFIERS`) included; None when none is."""
    match = column_of(header, GUESSES[column])
    if match is None and column == "staff_number":
        match = column_of(header, OTHER_IDENTIFIERS)
    return match
