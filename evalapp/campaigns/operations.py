"""Creating and changing campaigns. Functions flush; the caller (a request or a command)
commits, so one user action is one transaction."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from blinker import Namespace

from evalapp.campaigns.default_questionnaire import (
    DEFAULT_SECTIONS,
    NOMINATION_SECTION,
    TemplateItem,
    TemplateSection,
)
from evalapp.campaigns.models import (
    REPORT_MEDIA_TYPES,
    Campaign,
    CampaignStatus,
    CommonItem,
    IndividualItem,
    Membership,
    Office,
    ProblemEntry,
    RaterGroup,
    ReportFile,
    Scale,
    Section,
    Subject,
)
from evalapp.campaigns.word import WordUnreadable, word_html
from evalapp.database import utcnow
from evalapp.extensions import db
from evalapp.units.models import OrgUnit
from forms.limits import ITEMS_MAX, RATER_GROUPS_MAX, REPORT_MAX_BYTES

# The four strata of seed 001: head office / grassroots × party members / non-members.
DEFAULT_RATER_GROUPS = (
    ("机关党员", "Head office, party members", Office.HEAD_OFFICE, Membership.MEMBER),
    ("机关群众", "Head office, non-members", Office.HEAD_OFFICE, Membership.NON_MEMBER),
    ("基层党员", "Grassroots, party members", Office.GRASSROOTS, Membership.MEMBER),
    ("基层群众", "Grassroots, non-members", Office.GRASSROOTS, Membership.NON_MEMBER),
)


def create_campaign(
    unit: OrgUnit,
    title: str,
    *,
    description: str = "",
    sections: Sequence[TemplateSection] = DEFAULT_SECTIONS,
    is_demo: bool = False,
) -> Campaign:
    """A draft campaign with its own copy of the questionnaire template and the four default
    rater groups; both stay editable while it is a draft."""
    campaign = Campaign(unit=unit, title=title, description=description, is_demo=is_demo)
    for section_position, template in enumerate(sections, start=1):
        section = Section(
            position=section_position, title_zh=template.title_zh, title_en=template.title_en
        )
        section.items = [
            CommonItem(position=position, text_zh=item.text_zh, text_en=item.text_en)
            for position, item in enumerate(template.items, start=1)
        ]
        campaign.sections.append(section)
    db.session.add(campaign)
    db.session.flush()
    for position, (name_zh, name_en, office, membership) in enumerate(
        DEFAULT_RATER_GROUPS, start=1
    ):
        db.session.add(
            RaterGroup(
                campaign_id=campaign.id,
                position=position,
                name_zh=name_zh,
                name_en=name_en,
                office=office,
                membership=membership,
            )
        )
    db.session.flush()
    return campaign


def delete_draft(campaign: Campaign) -> None:
    """Delete a campaign that never opened, with everything set up for it (questionnaire,
    subjects, roster, draws, tickets, ledger), through the database's cascades. Its audit
    entries stay, detached from it. An opened campaign is never deleted: ballots were cast."""
    if campaign.status is not CampaignStatus.DRAFT or campaign.is_template:
        raise ValueError("only a draft campaign is deleted, never a round's template")
    db.session.execute(sa.delete(Campaign).where(Campaign.id == campaign.id))
    db.session.expunge(campaign)


def mark_open(
    campaign: Campaign, box_public_key: bytes, *, threshold: int | None = None,
    shares: int | None = None,
) -> None:
    """The status change only; opening with a ballot box is `evalapp.ballotbox`'s."""
    campaign.status = CampaignStatus.OPEN
    campaign.opened_at = utcnow()
    campaign.box_public_key = box_public_key
    campaign.box_threshold = threshold
    campaign.box_shares = shares
    db.session.flush()


def mark_closed(campaign: Campaign) -> None:
    """The status change only; closing opens the ballot box (`evalapp.ballotbox`)."""
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = utcnow()
    db.session.flush()


@dataclass(frozen=True)
class IndividualItemData:
    text_zh: str
    text_en: str = ""
    problem_number: int | None = None  # a line of the problem list, counted from 1
    scale: Scale = Scale.LEVELS
    dont_know: bool = False


@dataclass(frozen=True)
class SubjectData:
    unit_id: int
    person_name: str
    post: str
    report_text: str
    problems: tuple[str, ...]
    items: tuple[IndividualItemData, ...]


def save_subject(campaign: Campaign, data: SubjectData, subject: Subject | None = None) -> Subject:
    """Create or replace a subject's details, problem list and individual items (a draft's)."""
    if subject is None:
        subject = Subject(campaign=campaign, position=len(campaign.subjects) + 1)
        db.session.add(subject)
    subject.unit_id = data.unit_id
    subject.person_name = data.person_name
    subject.post = data.post
    subject.report_text = data.report_text
    subject.individual_items = []
    subject.problems = []
    db.session.flush()
    subject.problems = [
        ProblemEntry(position=index, text=text) for index, text in enumerate(data.problems, 1)
    ]
    db.session.flush()
    subject.individual_items = [
        IndividualItem(
            position=index,
            text_zh=item.text_zh,
            text_en=item.text_en,
            problem=subject.problems[item.problem_number - 1] if item.problem_number else None,
            scale=item.scale,
            dont_know=item.dont_know,
        )
        for index, item in enumerate((i for i in data.items if i.text_zh), 1)
    ]
    db.session.flush()
    return subject


class ReportRejected(ValueError):
    pass


def report_media_type(content: bytes) -> str | None:
    """The media type by content, not by the name the uploader gave: a PDF starts with %PDF-,
    a Word document is a zip holding word/document.xml."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if "word/document.xml" in archive.namelist():
                    return ("application/vnd.openxmlformats-officedocument"
                            ".wordprocessingml.document")
        except zipfile.BadZipFile:
            return None
    return None


def attach_report(subject: Subject, filename: str, content: bytes) -> None:
    """Keep the uploaded report, a Word one with its text as a page (`word_html`). Raises
    ReportRejected: "type" (neither PDF nor Word by content), "size" (over REPORT_MAX_BYTES),
    "unreadable" (a Word file mammoth cannot read)."""
    media_type = report_media_type(content)
    if media_type is None:
        raise ReportRejected("type")
    if len(content) > REPORT_MAX_BYTES:
        raise ReportRejected("size")
    extension = REPORT_MEDIA_TYPES[media_type]
    try:
        html = word_html(content) if extension == "docx" else None
    except WordUnreadable as error:
        raise ReportRejected("unreadable") from error
    stem = filename.rsplit(".", 1)[0][:150] or "report"
    subject.report_file = ReportFile(
        filename=f"{stem}.{extension}", media_type=media_type, size=len(content),
        content=content, html=html)
    db.session.flush()


def move_item(item: CommonItem, offset: int) -> None:
    """Swap an item with its neighbour within its section."""
    siblings = item.section.items
    index = siblings.index(item)
    if not 0 <= index + offset < len(siblings):
        return
    other = siblings[index + offset]
    mine, theirs = item.position, other.position
    item.position = -1  # out of the way of the unique (section, position) meanwhile
    db.session.flush()
    other.position = mine
    db.session.flush()
    item.position = theirs
    db.session.flush()
    db.session.expire(item.section, ["items"])


def rename_section(section: Section, title_zh: str, title_en: str) -> None:
    section.title_zh, section.title_en = title_zh, title_en
    db.session.flush()


class TooManyItems(ValueError):
    """A questionnaire has at most `ITEMS_MAX` common items (and a ballot its codes' room)."""


def add_item(section: Section, text: TemplateItem, scale: Scale = Scale.LEVELS,
             dont_know: bool = False) -> CommonItem:
    """A new common item at the end of its section. Raises TooManyItems past `ITEMS_MAX`."""
    if len(section.campaign.common_items()) >= ITEMS_MAX:
        raise TooManyItems
    item = CommonItem(position=max((i.position for i in section.items), default=0) + 1,
                      text_zh=text.text_zh, text_en=text.text_en, scale=scale,
                      dont_know=dont_know)
    section.items.append(item)
    db.session.flush()
    return item


@dataclass(frozen=True)
class GroupData:
    """A rater group as the organiser sets it: `id` is None for a group to add; `weight` is
    a share of 1 (the form's percent / 100), or None."""

    id: int | None
    name_zh: str
    name_en: str = ""
    weight: float | None = None


class GroupsInUse(ValueError):
    """Groups to remove that rows of the campaign belong to (`groups`): removing them would
    take their roster, tickets or ballots with them (the database cascades)."""

    def __init__(self, groups: Sequence[RaterGroup]) -> None:
        super().__init__(", ".join(group.name_zh for group in groups))
        self.groups = list(groups)


class GroupsFixed(ValueError):
    """A feature above this package fixes the set of groups (`groups_fixed` said so): a
    sample draw prepared or drawn covers the groups as they stand (its allocation has one
    entry a group), so none is added or removed until it is set aside. Renaming and weighting
    stay open."""


# Sent with the campaign before groups are added or removed; a receiver returns True when
# the set of groups is fixed. The draws that fix it are the roster's, above this package.
groups_fixed = Namespace().signal("rater-groups-fixed")

# Sent with a draft campaign whose design (questionnaire, scoring, rules, rater groups) an
# editor of `campaigns.setup` has just changed, before the change is committed with whatever
# the receivers write; a receiver returns a message for the organiser, or None. A round's
# template carries its change to the campaigns made from it (`evalapp.rounds`, above).
design_changed = Namespace().signal("design-changed")


def groups_in_use(groups: Sequence[RaterGroup]) -> list[RaterGroup]:
    """Those of `groups` that a row of another table belongs to: a person of the roster, a
    batch of tickets, a ballot. Found through the schema's foreign keys to rater_groups.id,
    because those tables are the packages' above this one, which it does not import; a table
    that comes to refer to groups is covered by declaring its key."""
    wanted = {group.id for group in groups}
    used: set[int] = set()
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column is RaterGroup.__table__.c.id and wanted - used:
                used.update(db.session.scalars(
                    sa.select(key.parent).where(key.parent.in_(wanted - used)).distinct()))
    return [group for group in groups if group.id in used]


def save_groups(campaign: Campaign, wanted: Sequence[GroupData]) -> None:
    """Make the draft campaign's rater groups `wanted`: its groups with an id there are
    renamed and reweighted, the others removed (`GroupsInUse` when rows belong to any of
    them, `GroupsFixed` when a draw covers the set), and those without an id added after
    them, named by the organiser (office and membership NULL: not the preset's).

    Positions stay 1..n in the order the groups had, the new ones last. Each change is
    flushed on its own, in an order that never holds two rows at one (campaign, position) or
    (campaign, name_zh) meanwhile, which the unique constraints would refuse: a flush of all
    of them issues its UPDATEs in primary-key order."""
    current = {group.id: group for group in campaign.rater_groups}
    kept = {data.id: data for data in wanted if data.id is not None}
    if campaign.status is not CampaignStatus.DRAFT or not set(kept) <= set(current) or not (
            1 <= len(wanted) <= RATER_GROUPS_MAX):
        raise ValueError("1 to 12 groups of a draft campaign, its own")
    removed = [group for group in current.values() if group.id not in kept]
    if (removed or len(kept) < len(wanted)) and any(
            answer for _receiver, answer in groups_fixed.send(campaign)):
        raise GroupsFixed
    if in_use := groups_in_use(removed):
        raise GroupsInUse(in_use)
    for group in removed:
        db.session.delete(group)
    db.session.flush()
    staying = [group for group in current.values() if group.id in kept]
    renamed = [group for group in staying if group.name_zh != kept[group.id].name_zh.strip()]
    for group in renamed:  # a name no one types (names are stripped), out of the way
        group.name_zh = f" {group.id}"
    db.session.flush()
    for position, group in enumerate(staying, start=1):
        data = kept[group.id]
        group.position = position
        group.name_zh, group.name_en = data.name_zh.strip(), data.name_en.strip()
        group.weight = data.weight
        db.session.flush()
    db.session.add_all(
        RaterGroup(campaign_id=campaign.id, position=position, name_zh=data.name_zh.strip(),
                   name_en=data.name_en.strip(), weight=data.weight)
        for position, data in enumerate(
            (data for data in wanted if data.id is None), start=len(staying) + 1))
    db.session.flush()
    db.session.expire(campaign, ["rater_groups"])


class LastItemOfSection(ValueError):
    """A section keeps at least one item: an empty section would stand as a bare heading on
    every ballot."""


def remove_item(item: CommonItem) -> None:
    """Remove a common item; the items after it move up, so the section stays numbered 1..n."""
    section = item.section
    if len(section.items) == 1:
        raise LastItemOfSection
    later = [other for other in section.items if other.position > item.position]
    section.items.remove(item)  # delete-orphan deletes it
    db.session.flush()
    for other in later:  # one at a time, each into the place just freed (unique positions)
        other.position -= 1
        db.session.flush()



def make_nomination_ballot(campaign: Campaign) -> CommonItem:
    """Make the questionnaire a nomination ballot (民主推荐): one section with its one item
    on the nomination scale (`NOMINATION_SECTION`), no individual items, no satisfaction question. A
    nomination's marks are counted over the whole ticket (at most k candidates), which only
    works when the marks are the ballot's only answers: any other answer would be voided
    with them. The subjects stay: they are the candidates."""
    for section in campaign.sections:
        db.session.delete(section)
    for subject in campaign.subjects:
        subject.individual_items = []
    db.session.flush()
    template = NOMINATION_SECTION
    section = Section(position=1, title_zh=template.title_zh, title_en=template.title_en)
    campaign.sections.append(section)
    item = CommonItem(position=1, text_zh=template.items[0].text_zh,
                      text_en=template.items[0].text_en, scale=Scale.NOMINATION)
    section.items.append(item)
    campaign.asks_satisfaction = False
    db.session.flush()
    return item
