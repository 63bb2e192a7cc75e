"""The questionnaire a rater answers, read once per open campaign and kept.

Once a campaign is open its questionnaire, subjects and void rules can no longer change
(editing needs a draft), so each server process reads them once, as plain frozen data, and
keeps them under the campaign's id and its opening time: a campaign opened anew (or a new one
given an old id) is read afresh. Every rater's GET and POST of the ballot used to load them
through some twenty ORM lazy loads and build the WTForms class again; now they cost a
dictionary look-up (`bench.ratio`). Kept with them: each ticket batch's subjects, each
ticket's form class, and the unanswered ballot page of each set of subjects and language,
with a placeholder for the CSRF token that each request fills in. The views still check the
ticket, the CSRF token and every answer on each request; only the questions are kept.

The objects carry the attribute names of the models the templates read (`title`, `sections`,
`items`, `text_zh`, `unit.name_zh`, ...), so the templates render them unchanged. A unit
renamed while its campaign is open shows its old name on ballots until the server restarts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from sqlalchemy.orm import joinedload, selectinload

from evalapp.ballots.models import COMMENT_MAX_LENGTH
from evalapp.campaigns.labels import answer_choices, satisfaction_choices
from evalapp.campaigns.models import (
    REPORT_MEDIA_TYPES,
    Campaign,
    CommonItem,
    IndividualItem,
    ReportFile,
    Scale,
    Section,
    Subject,
)
from evalapp.campaigns.word import WordUnreadable, word_html
from evalapp.extensions import db
from evalapp.tickets.models import batch_subjects
from forms.ballot import BallotFormBase, ItemLayout, SubjectLayout, ballot_form_class

CACHE = "evalapp.rating.questionnaires"


@dataclass(frozen=True)
class Item:
    id: int
    text_zh: str
    text_en: str
    scale: Scale
    dont_know: bool

    @property
    def layout(self) -> ItemLayout:
        return ItemLayout(self.id, self.scale.value, self.dont_know)


@dataclass(frozen=True)
class SectionView:
    title_zh: str
    title_en: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Unit:
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class ReportFileView:
    """An uploaded report as raters get it: a PDF by its link, a Word report as a page
    (`html`, clean HTML from evalapp.campaigns.word; "" when nothing could be read)."""

    filename: str
    html: str | None  # None for a PDF


@dataclass(frozen=True)
class Problem:
    text: str


@dataclass(frozen=True)
class SubjectView:
    id: int
    person_name: str
    post: str
    report_text: str
    unit: Unit
    report_file: ReportFileView | None
    problems: tuple[Problem, ...]
    individual_items: tuple[Item, ...]


@dataclass(frozen=True)
class Questionnaire:
    """An open (or closed) campaign as its raters see it."""

    id: int
    opened_at: datetime | None
    title: str
    receipts_key: str
    void_blank_fraction: float
    void_uniform: bool
    asks_satisfaction: bool
    max_marks: int | None  # of a nomination (民主推荐): candidates a ballot may mark
    sections: tuple[SectionView, ...]
    subjects: dict[int, SubjectView]  # in the campaign's order
    # WTForms classes by (subjects of a ticket, locale), built on first use
    _forms: dict[tuple[tuple[int, ...], str, bool], type[BallotFormBase]] = field(
        default_factory=dict, compare=False, repr=False)
    # the subjects of each ticket batch seen (a batch's subjects never change)
    _batches: dict[int, tuple[int, ...]] = field(default_factory=dict, compare=False,
                                                 repr=False)
    # fresh ballot pages by (subjects, locale), with CSRF_PLACE for the token
    _pages: dict[tuple[tuple[int, ...], str], str] = field(
        default_factory=dict, compare=False, repr=False)

    def common_items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    def satisfactions(self) -> list[tuple[str, str]]:
        """The answers of the overall satisfaction question; none when it is not asked."""
        return satisfaction_choices() if self.asks_satisfaction else []

    def subjects_of(self, subject_ids: Sequence[int]) -> list[SubjectView]:
        """A ticket's subjects in the campaign's order."""
        wanted = set(subject_ids)
        return [subject for subject in self.subjects.values() if subject.id in wanted]

    def layout(self, subject_ids: Sequence[int]) -> list[SubjectLayout]:
        common = tuple(item.layout for item in self.common_items())
        return [SubjectLayout(subject.id, common,
                              tuple(item.layout for item in subject.individual_items))
                for subject in self.subjects_of(subject_ids)]

    def form_class(self, subject_ids: Sequence[int], *,
                   keying: bool = False) -> type[BallotFormBase]:
        """The ballot form of a ticket's subjects, built once per subjects and language (its
        choices carry the labels of the reader's language). A clerk `keying` a paper ballot
        keys the marks the paper shows, however many: too many make it void."""
        key = (tuple(sorted(subject_ids)), str(get_locale()), keying)
        if key not in self._forms:
            self._forms[key] = ballot_form_class(
                self.layout(subject_ids), answers=answer_choices,
                satisfactions=self.satisfactions(), comment_max=COMMENT_MAX_LENGTH,
                max_marks=None if keying else self.max_marks,
                opinions=self.max_marks is None)
        return self._forms[key]


    def batch_subjects(self, batch_id: int) -> tuple[int, ...]:
        """The subjects a batch of this campaign's tickets covers, read once."""
        if batch_id not in self._batches:
            self._batches[batch_id] = batch_subject_ids(batch_id)
        return self._batches[batch_id]

    def fresh_page(self, subject_ids: Sequence[int], csrf_token: str,
                   render: Callable[[Callable[[], str]], str]) -> str:
        """The unanswered ballot page of a ticket's subjects with this request's CSRF token:
        every rater of the same subjects sees the same page but for the token, so it is
        rendered once per language, by `render` given the function that fills in the token
        (which here marks its place)."""
        key = (tuple(sorted(subject_ids)), str(get_locale()))
        if key not in self._pages:
            self._pages[key] = render(lambda: CSRF_PLACE)
        return self._pages[key].replace(CSRF_PLACE, csrf_token)


CSRF_PLACE = "\x00csrf-token\x00"  # NUL characters: in no page


def batch_subject_ids(batch_id: int) -> tuple[int, ...]:
    return tuple(db.session.scalars(
        sa.select(batch_subjects.c.subject_id).where(batch_subjects.c.batch_id == batch_id)
        .order_by(batch_subjects.c.subject_id)))


def questionnaire(campaign_id: int, opened_at: datetime | None) -> Questionnaire:
    """The campaign's questionnaire, read from the database the first time this process
    needs this campaign as opened at `opened_at` (a draft's, which may still change, is read
    every time)."""
    if opened_at is None:
        return _read(campaign_id)
    cache: dict[tuple[int, datetime], Questionnaire] = (
        current_app.extensions.setdefault(CACHE, {}))
    key = (campaign_id, opened_at)
    found = cache.get(key)
    if found is None:
        found = _read(campaign_id)
        for stale in [k for k in cache if k[0] == campaign_id]:  # opened anew
            cache.pop(stale, None)
        cache[key] = found
    return found


def kept_questionnaire(campaign_id: int, opened_at: datetime) -> Questionnaire | None:
    """The open campaign's questionnaire if this process keeps it already, else None (the
    caller then checks the campaign in the database: it may have been deleted since)."""
    return current_app.extensions.get(CACHE, {}).get((campaign_id, opened_at))


def _read(campaign_id: int) -> Questionnaire:
    campaign = db.session.get(Campaign, campaign_id)
    assert campaign is not None
    sections = db.session.scalars(
        sa.select(Section).where(Section.campaign_id == campaign_id)
        .options(selectinload(Section.items)).order_by(Section.position)).all()
    subjects = db.session.scalars(
        sa.select(Subject).where(Subject.campaign_id == campaign_id)
        .options(joinedload(Subject.unit), selectinload(Subject.problems),
                 selectinload(Subject.individual_items))
        .order_by(Subject.position)).all()
    files = {row.subject_id: ReportFileView(row.filename, _page_of(row))
             for row in db.session.execute(  # the names and pages, not the files
                 sa.select(ReportFile.subject_id, ReportFile.filename, ReportFile.media_type,
                           ReportFile.html)
                 .where(ReportFile.subject_id.in_([s.id for s in subjects])))}
    return Questionnaire(
        id=campaign.id, opened_at=campaign.opened_at, title=campaign.title,
        receipts_key=campaign.receipts_key,
        void_blank_fraction=campaign.void_blank_fraction, void_uniform=campaign.void_uniform,
        asks_satisfaction=campaign.asks_satisfaction,
        max_marks=None if (nominated := campaign.nominated_item()) is None
        else nominated.rule.max_marks,
        sections=tuple(
            SectionView(section.title_zh, section.title_en, tuple(
                _item(item) for item in section.items))
            for section in sections),
        subjects={subject.id: SubjectView(
            id=subject.id, person_name=subject.person_name, post=subject.post,
            report_text=subject.report_text,
            unit=Unit(subject.unit.name_zh, subject.unit.name_en),
            report_file=files.get(subject.id),
            problems=tuple(Problem(problem.text) for problem in subject.problems),
            individual_items=tuple(_item(item) for item in subject.individual_items),
        ) for subject in subjects},
    )


def _item(item: CommonItem | IndividualItem) -> Item:
    return Item(item.id, item.text_zh, item.text_en, item.scale, item.dont_know)


def _page_of(row: sa.Row) -> str | None:
    """A Word report's page: kept at upload, or made now for one uploaded before pages were
    kept (a file mammoth cannot read shows as an empty page, its link still offered)."""
    if REPORT_MEDIA_TYPES[row.media_type] != "docx":
        return None
    if row.html is not None:
        return row.html
    content = db.session.scalar(sa.select(ReportFile.content)
                                .where(ReportFile.subject_id == row.subject_id))
    try:
        return word_html(content)
    except WordUnreadable:
        return ""
