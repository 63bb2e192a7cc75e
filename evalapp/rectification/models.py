from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalapp.database import str_enum
from evalapp.extensions import db


class ProblemSource(enum.StrEnum):
    PROBLEM_LIST = "problem_list"  # the subject's published problem list
    RATINGS = "ratings"  # the weakest items of the results
    LEADERSHIP = "leadership"  # leadership's comments at the debriefing


class MeasureStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class RectificationProblem(db.Model):
    __tablename__ = "rectification_problems"
    __table_args__ = (sa.CheckConstraint("length(text) > 0", name="text_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(
        sa.ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[ProblemSource] = mapped_column(str_enum(ProblemSource, "problem_source"))
    text: Mapped[str] = mapped_column(sa.Text)
    problem_entry_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("problem_entries.id", ondelete="SET NULL")
    )
    common_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("common_items.id", ondelete="SET NULL")
    )

    measures: Mapped[list[RectificationMeasure]] = relationship(
        back_populates="problem", cascade="all, delete-orphan",
        order_by="RectificationMeasure.id",
    )


class RectificationMeasure(db.Model):
    """A measure with its departments, deadline and status; done means done on a date.

    `deadline` is the last day the measure is due, NULL for a measure kept up without an end
    (长期坚持); `deadline_wording` is the deadline as the office wrote it when it is not a single
    day ("2026年6月底", "第三季度", "长期坚持"), "" for a day (see `deadlines`)."""

    __tablename__ = "rectification_measures"
    __table_args__ = (
        sa.CheckConstraint("length(text) > 0", name="text_not_empty"),
        sa.CheckConstraint(
            "(status = 'done') = (completed_on IS NOT NULL)", name="done_has_completion_date"
        ),
        sa.CheckConstraint(
            "deadline IS NOT NULL OR length(deadline_wording) > 0", name="open_deadline_worded"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rectification_problems.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    responsible_department: Mapped[str] = mapped_column(sa.String(100))
    cooperating_departments: Mapped[str] = mapped_column(sa.String(300), default="")
    deadline: Mapped[date | None]
    deadline_wording: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    status: Mapped[MeasureStatus] = mapped_column(
        str_enum(MeasureStatus, "measure_status"), default=MeasureStatus.PLANNED
    )
    completion_note: Mapped[str] = mapped_column(sa.Text, default="")
    completed_on: Mapped[date | None] = mapped_column()

    problem: Mapped[RectificationProblem] = relationship(back_populates="measures")
