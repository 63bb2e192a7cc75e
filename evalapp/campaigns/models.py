from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from analysis.grading import GradedItem, GradingRule
from analysis.nomination import NominatedItem, NominationRule
from analysis.scoring import VOTE_SCALES
from evalapp.database import DefaultsAtInit, UTCDateTime, str_enum, utcnow
from evalapp.extensions import db
from evalapp.i18n import localized
from evalapp.units.models import OrgUnit
from forms.limits import (
    GROUP_NAME_LENGTH,
    ITEM_TEXT_LENGTH,
    ITEMS_MAX,
    MARKS_MAX,
    MIN_REPORT_SIZE_FLOOR,
    PERSON_NAME_LENGTH,
    POST_LENGTH,
    RATER_GROUPS_MAX,
    REPORT_MAX_BYTES,
    TITLE_LENGTH,
)


def random_receipts_key() -> str:
    return secrets.token_urlsafe(16)


class Office(enum.StrEnum):
    HEAD_OFFICE = "head_office"  # 机关
    GRASSROOTS = "grassroots"  # 基层


class Membership(enum.StrEnum):
    MEMBER = "member"  # 党员
    NON_MEMBER = "non_member"  # 群众


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Level(enum.StrEnum):
    """An item's answer: 好 / 较好 / 一般 / 差."""

    EXCELLENT = "excellent"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


class Satisfaction(enum.StrEnum):
    """The overall satisfaction with the report: 满意 / 基本满意 / 不满意."""

    SATISFIED = "satisfied"
    FAIRLY_SATISFIED = "fairly_satisfied"
    DISSATISFIED = "dissatisfied"


class Rounding(enum.StrEnum):
    """How the 优秀 quota is rounded (`analysis.grading.ROUNDINGS`)."""

    HALF_UP = "half_up"  # 四舍五入
    UP = "up"  # 进一法


class Grade(enum.StrEnum):
    """A cadre's grade (干部考核, `analysis.grading.GRADES`): 优秀 / 称职 / 基本称职 / 不称职."""

    EXCELLENT = "excellent"
    COMPETENT = "competent"
    BASICALLY_COMPETENT = "basically_competent"
    INCOMPETENT = "incompetent"


class Nomination(enum.StrEnum):
    """A candidate's mark on a nomination ballot (民主推荐, `analysis.nomination`): 推荐, or
    left unmarked (未推荐). Never blank: an unmarked box is an answer."""

    NOMINATED = "nominated"
    NOT_NOMINATED = "not_nominated"


class ThresholdRule(enum.StrEnum):
    """How a candidate's 得票率 meets the threshold (`analysis.nomination.THRESHOLD_RULES`)."""

    ABOVE = "above"  # 超过
    AT_LEAST = "at_least"  # 达到


class Scale(enum.StrEnum):
    """An item's answer scale; its values are `analysis.scoring.SCALE_POINTS`' keys."""

    LEVELS = "levels"  # 好 / 较好 / 一般 / 差
    SATISFACTION = "satisfaction"  # 满意 / 基本满意 / 不满意
    GRADES = "grades"  # 优秀 / 称职 / 基本称职 / 不称职: votes, in no score
    NOMINATION = "nomination"  # 推荐 / 未推荐: a candidate marked or not, in no score

    @property
    def votes(self) -> bool:
        """Whether the answers are votes with no points: they enter no score, mean or
        alpha, only counts."""
        return self.value in VOTE_SCALES

    @property
    def answers(self) -> tuple[Level | Satisfaction | Grade | Nomination, ...]:
        """The scale's answers, best first: an answer's place here is its code."""
        return tuple(_ANSWERS[self])

    def answer(self, value: str) -> Answer:
        """The answer of a form's value on this scale, or 不了解. Raises ValueError for
        a value that is neither."""
        if value == DontKnow.DONT_KNOW:
            return DontKnow.DONT_KNOW
        return _ANSWERS[self](value)


_ANSWERS: dict[Scale, type[Level] | type[Satisfaction] | type[Grade] | type[Nomination]] = {
    Scale.LEVELS: Level, Scale.SATISFACTION: Satisfaction, Scale.GRADES: Grade,
    Scale.NOMINATION: Nomination}


class DontKnow(enum.StrEnum):
    """不了解: offered on the items that allow it; an answer that enters no figure."""

    DONT_KNOW = "dont_know"


Answer = Level | Satisfaction | Grade | Nomination | DontKnow


class ScaledItem(DefaultsAtInit):
    """What common and individual items share: a scale, and whether 不了解 is offered."""

    scale: Mapped[Scale] = mapped_column(
        str_enum(Scale, "scale"), default=Scale.LEVELS, server_default=Scale.LEVELS.value)
    dont_know: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


# The campaign's scoring settings, as the scoring page sets them (`campaigns.setup`) and a
# round's design carries them (`evalapp.rounds`).
SCORING_FIELDS = (
    "points_excellent", "points_good", "points_fair", "points_poor", "grade_excellent_min",
    "grade_good_min", "grade_fair_min", "min_report_size", "void_blank_fraction", "void_uniform",
    "trim_above", "paper_recheck_percent",
)


class Campaign(db.Model):
    """One evaluation round (测评活动) over a set of subjects, with its scoring settings.

    Every number of DOMAIN.md's default scoring is a column here with that default, checked by
    the database so that no route can store settings the analysis would misread. The status
    only moves forward (a trigger in the migrations enforces it) and the timestamps agree with
    it (a CHECK constraint).
    """

    __tablename__ = "campaigns"
    __table_args__ = (
        sa.CheckConstraint(
            "points_excellent > points_good AND points_good > points_fair"
            " AND points_fair > points_poor AND points_poor >= 0",
            name="points_descending",
        ),
        sa.CheckConstraint(
            "grade_excellent_min > grade_good_min AND grade_good_min > grade_fair_min"
            " AND grade_fair_min >= 0",
            name="grades_descending",
        ),
        sa.CheckConstraint(f"min_report_size >= {MIN_REPORT_SIZE_FLOOR}",
                           name=f"min_report_size_at_least_{MIN_REPORT_SIZE_FLOOR}"),
        sa.CheckConstraint(
            "void_blank_fraction >= 0 AND void_blank_fraction < 1", name="void_fraction_range"
        ),
        sa.CheckConstraint("trim_above IS NULL OR trim_above >= 2", name="trim_above_positive"),
        sa.CheckConstraint("paper_recheck_percent BETWEEN 0 AND 100",
                           name="paper_recheck_percent_range"),
        sa.CheckConstraint(
            "(status = 'draft' AND opened_at IS NULL AND closed_at IS NULL)"
            " OR (status = 'open' AND opened_at IS NOT NULL AND closed_at IS NULL)"
            " OR (status = 'closed' AND closed_at IS NOT NULL)",
            name="status_timestamps",
        ),
        sa.CheckConstraint(
            "status <> 'open' OR box_public_key IS NOT NULL", name="open_with_ballot_box"
        ),
        sa.CheckConstraint(
            "box_public_key IS NULL OR length(box_public_key) = 32", name="box_key_length"
        ),
        sa.CheckConstraint(
            "ballot_export_sha256 IS NULL OR length(ballot_export_sha256) = 64",
            name="ballot_export_sha256_length",
        ),
        sa.CheckConstraint(
            "(box_threshold IS NULL AND box_shares IS NULL) OR (box_threshold >= 2"
            " AND box_shares >= box_threshold AND box_shares <= 255)",
            name="box_shares_range",
        ),
        # A round's template holds its design and is never opened (evalapp.rounds).
        sa.CheckConstraint("NOT is_template OR (status = 'draft' AND round_id IS NOT NULL)",
                           name="template_is_draft_of_round"),
        # One campaign a unit in a round: instantiating a round twice adds none.
        sa.UniqueConstraint("round_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_units.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_LENGTH))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[CampaignStatus] = mapped_column(
        str_enum(CampaignStatus, "campaign_status"), default=CampaignStatus.DRAFT
    )
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The ballot box (evalapp.ballotbox): the public key ballots are sealed to, set when the
    # campaign opens; the private key is never stored here. With scrutineers (监票人), k of n
    # shares of the key open the box.
    box_public_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    box_threshold: Mapped[int | None] = mapped_column()
    box_shares: Mapped[int | None] = mapped_column()
    # The unguessable part of the public receipt list's address: knowing one campaign's
    # address does not let anyone list the others.
    receipts_key: Mapped[str] = mapped_column(
        sa.String(32), unique=True, default=random_receipts_key
    )
    # SHA-256 (hex) of the anonymised ballot export (analysis.recount), published when the box
    # is opened, so that anyone can check the file they recount is the one the figures came
    # from. Stored, never recomputed: a later export that differs shows as a difference.
    ballot_export_sha256: Mapped[str | None] = mapped_column(sa.String(64))

    # Scoring settings (DOMAIN.md, "Default scoring").
    points_excellent: Mapped[int] = mapped_column(default=100)
    points_good: Mapped[int] = mapped_column(default=80)
    points_fair: Mapped[int] = mapped_column(default=60)
    points_poor: Mapped[int] = mapped_column(default=40)
    grade_excellent_min: Mapped[int] = mapped_column(default=90)
    grade_good_min: Mapped[int] = mapped_column(default=80)
    grade_fair_min: Mapped[int] = mapped_column(default=60)
    min_report_size: Mapped[int] = mapped_column(default=5)
    void_blank_fraction: Mapped[float] = mapped_column(default=0.25)
    void_uniform: Mapped[bool] = mapped_column(default=False)
    trim_above: Mapped[int | None] = mapped_column()
    # The share of paper ballots the system draws to be keyed a third time (evalapp.paper).
    paper_recheck_percent: Mapped[int] = mapped_column(default=10, server_default="10")
    # Whether each subject's ballot asks the overall satisfaction with the report: a round of
    # 干部考核 grades persons and asks none.
    asks_satisfaction: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The round (测评轮次, evalapp.rounds) the campaign belongs to, if any: its template (the
    # design made once at the round's unit, in no campaign list, never opened) or one of the
    # campaigns instantiated from it, one a unit below, each run by its unit's organisers.
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rounds.id"))
    is_template: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    unit: Mapped[OrgUnit] = relationship()
    sections: Mapped[list[Section]] = relationship(
        back_populates="campaign", order_by="Section.position", cascade="all, delete-orphan"
    )
    subjects: Mapped[list[Subject]] = relationship(
        back_populates="campaign", order_by="Subject.position", cascade="all, delete-orphan"
    )
    # Read-only: groups are written as rows of their own (the database cascades deletes), and
    # this is the one place that says what "the campaign's groups, in order" means.
    rater_groups: Mapped[list[RaterGroup]] = relationship(
        order_by="RaterGroup.position", viewonly=True
    )
    grading: Mapped[GradingSettings | None] = relationship(
        cascade="all, delete-orphan", back_populates="campaign")
    nomination: Mapped[NominationSettings | None] = relationship(
        cascade="all, delete-orphan", back_populates="campaign")

    def common_items(self) -> list[CommonItem]:
        """The common items in questionnaire order: the order of every ballot's answers."""
        return [item for section in self.sections for item in section.items]

    def scores(self) -> bool:
        """Whether any item has points (the grades of 干部考核 and the marks of a nomination
        have none): a round of votes alone has no score, grade or weighted score to show."""
        individual = (item for subject in self.subjects for item in subject.individual_items)
        return any(not item.scale.votes for item in [*self.common_items(), *individual])

    def nominated_item(self) -> NominatedItem | None:
        """The common item of a nomination (民主推荐) with the campaign's rule, or None when
        the questionnaire has none (it then has that item alone: `campaigns.setup`)."""
        position = next((n for n, item in enumerate(self.common_items())
                         if item.scale is Scale.NOMINATION), None)
        if position is None:
            return None
        return NominatedItem(position, (self.nomination or NominationSettings()).rule())

    def graded_item(self) -> GradedItem | None:
        """The first common item on the grades scale (干部考核) with the campaign's rule, or
        None when the questionnaire has none: its votes propose each subject's grade."""
        items = self.common_items()
        position = next((n for n, item in enumerate(items) if item.scale is Scale.GRADES), None)
        if position is None:
            return None
        # one query, not one a subject: every kept output's edition asks (results.store)
        decided = set(db.session.scalars(
            sa.select(GradeDecision.subject_id).join(Subject)
            .where(Subject.campaign_id == self.id, GradeDecision.chosen)))
        chosen = tuple(n for n, subject in enumerate(self.subjects)
                       if subject.id in decided) if decided else ()
        return GradedItem(position, (self.grading or GradingSettings()).rule(), chosen)

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.status} {self.title}>"


class RaterGroup(db.Model):
    """A stratum of raters, e.g. 机关党员 or 中层干部. Tickets and ballots carry the group, never
    a person.

    The campaign's own: the organiser names 1 to 12 of them (issue 25). Positions run from 1 to
    `RATER_GROUPS_MAX` and are unique in the campaign, so the database itself holds a campaign
    to twelve groups. `office` and `membership` are set together on the groups of the default
    preset (机关/基层 × 党员/群众), which the roster import can fill from the 政治面貌 columns;
    on a group the organiser names they are both NULL."""

    __tablename__ = "rater_groups"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "name_zh"),
        sa.UniqueConstraint("campaign_id", "position"),
        sa.UniqueConstraint("campaign_id", "id"),
        sa.CheckConstraint("weight IS NULL OR (weight > 0 AND weight <= 1)", name="weight_range"),
        sa.CheckConstraint(f"position BETWEEN 1 AND {RATER_GROUPS_MAX}", name="position_range"),
        sa.CheckConstraint("length(name_zh) > 0", name="name_zh_not_empty"),
        sa.CheckConstraint("(office IS NULL) = (membership IS NULL)", name="preset_whole"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    position: Mapped[int]
    name_zh: Mapped[str] = mapped_column(sa.String(GROUP_NAME_LENGTH))
    name_en: Mapped[str] = mapped_column(sa.String(GROUP_NAME_LENGTH), default="")
    office: Mapped[Office | None] = mapped_column(str_enum(Office, "office"))
    membership: Mapped[Membership | None] = mapped_column(str_enum(Membership, "membership"))
    # Optional policy weight of this group in the composite score (e.g. head office 0.4).
    weight: Mapped[float | None] = mapped_column()

    campaign: Mapped[Campaign] = relationship()


DEFAULT_RULE = GradingRule()
DEFAULT_QUOTA_PERCENT = round(DEFAULT_RULE.quota_percent)
DEFAULT_EXCELLENT_MIN_PERCENT = round(DEFAULT_RULE.excellent_min_percent)


class GradingSettings(DefaultsAtInit, db.Model):
    """A campaign's rule of 干部考核 (`analysis.grading`): the 优秀 quota in percent of the
    persons graded with its rounding (四舍五入 or 进一法), and the share of 优秀 votes a person
    needs to be proposed 优秀 (percent). A campaign without a row has the defaults."""

    __tablename__ = "grading_settings"
    __table_args__ = (
        sa.CheckConstraint("quota_percent BETWEEN 0 AND 100", name="quota_percent_range"),
        sa.CheckConstraint("excellent_min_percent BETWEEN 1 AND 100",
                           name="excellent_min_percent_range"),
    )

    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    quota_percent: Mapped[int] = mapped_column(default=DEFAULT_QUOTA_PERCENT)
    rounding: Mapped[Rounding] = mapped_column(str_enum(Rounding, "rounding"),
                                               default=Rounding.HALF_UP)
    excellent_min_percent: Mapped[int] = mapped_column(default=DEFAULT_EXCELLENT_MIN_PERCENT)

    campaign: Mapped[Campaign] = relationship(back_populates="grading")

    @validates("rounding")
    def _rounding(self, _key: str, value: str) -> Rounding:
        return Rounding(value)  # a form's value, too

    def rule(self) -> GradingRule:
        return GradingRule(self.quota_percent, self.rounding.value,
                           self.excellent_min_percent)


DEFAULT_NOMINATION = NominationRule()


class NominationSettings(DefaultsAtInit, db.Model):
    """A campaign's rule of 民主推荐 (`analysis.nomination`): at most `max_marks` candidates
    on a ballot, and the threshold of 得票率 (percent of the valid ballots, above it or at
    least it). A campaign without a row has the defaults."""

    __tablename__ = "nomination_settings"
    __table_args__ = (
        sa.CheckConstraint(f"max_marks BETWEEN 1 AND {MARKS_MAX}", name="max_marks_range"),
        sa.CheckConstraint("threshold_percent BETWEEN 0 AND 100",
                           name="threshold_percent_range"),
    )

    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    max_marks: Mapped[int] = mapped_column(default=DEFAULT_NOMINATION.max_marks)
    threshold_percent: Mapped[int] = mapped_column(
        default=DEFAULT_NOMINATION.threshold_percent)
    threshold_rule: Mapped[ThresholdRule] = mapped_column(
        str_enum(ThresholdRule, "threshold_rule"), default=ThresholdRule.ABOVE)

    campaign: Mapped[Campaign] = relationship(back_populates="nomination")

    @validates("threshold_rule")
    def _threshold_rule(self, _key: str, value: str) -> ThresholdRule:
        return ThresholdRule(value)  # a form's value, too

    def rule(self) -> NominationRule:
        return NominationRule(self.max_marks, self.threshold_percent,
                              self.threshold_rule.value)


class GradeDecision(db.Model):
    """The organisers' decision on one person tied at the 优秀 quota's edge
    (`analysis.grading.decided`), recorded after the campaign is closed: chosen for one of
    the places left, or not. A row per tied person, so that the decision is whole."""

    __tablename__ = "grade_decisions"

    subject_id: Mapped[int] = mapped_column(
        sa.ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True)
    chosen: Mapped[bool]


class Section(db.Model):
    """A section of the common items (共性内容), e.g. 履行第一责任人职责."""

    __tablename__ = "sections"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    position: Mapped[int]
    title_zh: Mapped[str] = mapped_column(sa.String(TITLE_LENGTH))
    title_en: Mapped[str] = mapped_column(sa.String(TITLE_LENGTH), default="")

    campaign: Mapped[Campaign] = relationship(back_populates="sections")
    items: Mapped[list[CommonItem]] = relationship(
        back_populates="section", order_by="CommonItem.position", cascade="all, delete-orphan"
    )


class CommonItem(ScaledItem, db.Model):
    """One of the common items every subject of the campaign is rated on."""

    __tablename__ = "common_items"
    __table_args__ = (sa.UniqueConstraint("section_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sections.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    text_zh: Mapped[str] = mapped_column(sa.String(ITEM_TEXT_LENGTH))
    text_en: Mapped[str] = mapped_column(sa.String(ITEM_TEXT_LENGTH), default="")

    section: Mapped[Section] = relationship(back_populates="items")


class Subject(db.Model):
    """A person debriefing (述职人) for a unit, with the report and problem list published."""

    __tablename__ = "subjects"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "position"),
        # Lets ballots point at (campaign, subject) so a ballot cannot name another campaign's
        # subject.
        sa.UniqueConstraint("campaign_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_units.id"), index=True)
    position: Mapped[int]
    person_name: Mapped[str] = mapped_column(sa.String(PERSON_NAME_LENGTH))
    post: Mapped[str] = mapped_column(sa.String(POST_LENGTH), default="")
    report_text: Mapped[str] = mapped_column(sa.Text, default="")

    campaign: Mapped[Campaign] = relationship(back_populates="subjects")
    unit: Mapped[OrgUnit] = relationship()
    problems: Mapped[list[ProblemEntry]] = relationship(
        back_populates="subject", order_by="ProblemEntry.position", cascade="all, delete-orphan"
    )
    individual_items: Mapped[list[IndividualItem]] = relationship(
        back_populates="subject",
        order_by="IndividualItem.position",
        cascade="all, delete-orphan",
    )
    report_file: Mapped[ReportFile | None] = relationship(cascade="all, delete-orphan")

    def label(self) -> str:
        """How every page, chart and export names the subject: unit · person, the unit in the
        reader's language."""
        return f"{localized(self.unit, 'name')} · {self.person_name}"

    def label_zh(self) -> str:
        """The label in Chinese, as the anonymised ballot export names the subject whatever
        the reader's language (its bytes are published as a digest)."""
        return f"{self.unit.name_zh} · {self.person_name}"


class ProblemEntry(db.Model):
    """One line of a subject's published problem list (问题清单)."""

    __tablename__ = "problem_entries"
    __table_args__ = (sa.UniqueConstraint("subject_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subjects.id", ondelete="CASCADE"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)

    subject: Mapped[Subject] = relationship(back_populates="problems")



class IndividualItem(ScaledItem, db.Model):
    """One of a subject's individual items (个性化内容), optionally tied to a problem."""

    __tablename__ = "individual_items"
    __table_args__ = (
        sa.UniqueConstraint("subject_id", "position"),
        sa.CheckConstraint(f"position BETWEEN 1 AND {ITEMS_MAX}", name="at_most_40"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subjects.id", ondelete="CASCADE"))
    position: Mapped[int]
    text_zh: Mapped[str] = mapped_column(sa.String(ITEM_TEXT_LENGTH))
    text_en: Mapped[str] = mapped_column(sa.String(ITEM_TEXT_LENGTH), default="")
    problem_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("problem_entries.id", ondelete="SET NULL")
    )

    subject: Mapped[Subject] = relationship(back_populates="individual_items")
    problem: Mapped[ProblemEntry | None] = relationship()


REPORT_MEDIA_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}


class ReportFile(db.Model):
    """A debriefing report uploaded as a file (PDF or Word), for raters to read: a PDF opens
    in the browser, a Word report is shown as a page (`html`); organisers can download
    either as uploaded."""

    __tablename__ = "report_files"
    __table_args__ = (
        sa.CheckConstraint(
            "media_type IN ('" + "', '".join(REPORT_MEDIA_TYPES) + "')", name="media_type_known"
        ),
        sa.CheckConstraint(f"size > 0 AND size <= {REPORT_MAX_BYTES}", name="size_limit"),
    )

    subject_id: Mapped[int] = mapped_column(
        sa.ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )
    filename: Mapped[str] = mapped_column(sa.String(200))
    media_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # A Word report's text as clean HTML (evalapp.campaigns.word), made at upload, which the
    # ballot page shows instead of a download; None for a PDF, and for a Word report uploaded
    # before it was kept (converted when shown).
    html: Mapped[str | None] = mapped_column(sa.Text)
