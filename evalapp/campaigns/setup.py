"""Setting up a campaign while it is a draft: the campaign, its scoring, questionnaire and
subjects. Opening freezes all of it (every change here answers 409 once it is open)."""

from __future__ import annotations

import itertools

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from evalapp.audit.operations import record
from evalapp.auth.access import role_required
from evalapp.auth.models import Role
from evalapp.campaigns.access import campaign_for, draft_for
from evalapp.campaigns.default_questionnaire import TemplateItem
from evalapp.campaigns.models import (
    SCORING_FIELDS,
    Campaign,
    CommonItem,
    GradingSettings,
    NominationSettings,
    Scale,
    Section,
    Subject,
)
from evalapp.campaigns.operations import (
    GroupData,
    GroupsFixed,
    GroupsInUse,
    IndividualItemData,
    LastItemOfSection,
    ReportRejected,
    SubjectData,
    TooManyItems,
    add_item,
    attach_report,
    create_campaign,
    design_changed,
    make_nomination_ballot,
    move_item,
    remove_item,
    rename_section,
    save_groups,
    save_subject,
)
from evalapp.confirm import confirm_page, confirmed
from evalapp.extensions import db
from evalapp.i18n import localized
from evalapp.tabular import (
    Row,
    TableError,
    column_of,
    find_header,
    hidden_left_out,
    read_rows,
    shown_rows,
)
from evalapp.units.models import OrgUnit
from evalapp.units.operations import offered, tree_choices
from forms.campaigns import (
    SCALE_CHOICES,
    TOO_MANY_GROUPS,
    CampaignForm,
    GradingForm,
    ItemForm,
    NominationForm,
    RaterGroupsForm,
    ScoringForm,
    SectionForm,
    SubjectForm,
)
from forms.limits import ITEMS_MAX, RATER_GROUPS_MAX

bp = Blueprint("setup", __name__, url_prefix="/campaigns")
MORE_ITEMS = "more_items"  # the subject form's button that adds a row for an individual item


def unit_choices(root_id: int, keep: int | None = None) -> list[SelectChoice]:
    """The units below `root_id` (the organiser's unit, or a subject's campaign's unit) that
    are offered for something new, retired ones left out (but `keep`, a unit already chosen)."""
    return tree_choices(offered(root_id, keep))


def commit_design(campaign: Campaign) -> None:
    """Commit a change of the campaign's design with what follows from it in the same
    transaction (`design_changed`: a round's template reaches the campaigns made from it),
    and say what that did."""
    said = [message for _receiver, message in design_changed.send(campaign) if message]
    db.session.commit()
    for message in said:
        flash(message)


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def new() -> Response | tuple[str, int]:
    form = CampaignForm()
    form.unit.choices = unit_choices(current_user.unit_id)
    if form.validate_on_submit():
        unit = db.session.get(OrgUnit, form.unit.data)
        campaign = create_campaign(unit, form.title.data.strip(),
                                   description=(form.description.data or "").strip())
        record("campaign.create", user=current_user, campaign=campaign, title=campaign.title)
        db.session.commit()
        return redirect(url_for("ballotbox.detail", campaign_id=campaign.id), code=303)
    return render_template("campaigns/new.html", form=form), 422 if form.errors else 200


@bp.route("/<int:campaign_id>/scoring", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def scoring(campaign_id: int) -> Response | tuple[str, int]:
    campaign = campaign_for(current_user, campaign_id)
    form = ScoringForm(obj=campaign)
    if form.is_submitted():
        draft_for(current_user, campaign_id)
        if form.validate():
            changed = {name: form[name].data for name in SCORING_FIELDS
                       if form[name].data != getattr(campaign, name)}
            form.populate_obj(campaign)
            record("campaign.scoring", user=current_user, campaign=campaign, **changed)
            commit_design(campaign)
            flash(_("Scoring settings saved."))
            return redirect(url_for("ballotbox.detail", campaign_id=campaign.id), code=303)
    return _scoring_page(campaign, form)


def _grading_rule(campaign: Campaign) -> GradingSettings:
    return campaign.grading or GradingSettings()


def _nomination_rule(campaign: Campaign) -> NominationSettings:
    return campaign.nomination or NominationSettings()


def _scoring_page(campaign: Campaign, form: ScoringForm, grading: GradingForm | None = None,
                  nomination: NominationForm | None = None) -> tuple[str, int]:
    """The scoring settings and, for a questionnaire with an item of grades, the rule of
    干部考核, or for a nomination its rule: forms each saved on its own (those not given
    stand with the campaign's values)."""
    grading = grading or GradingForm(obj=_grading_rule(campaign))
    nomination = nomination or NominationForm(obj=_nomination_rule(campaign))
    return render_template(
        "campaigns/scoring.html", campaign=campaign, form=form, grading=grading,
        graded=campaign.graded_item() is not None, nomination=nomination,
        nominated=campaign.nominated_item() is not None), (
        422 if form.errors or grading.errors or nomination.errors else 200)


@bp.post("/<int:campaign_id>/nomination")
@role_required(Role.ORGANISER)
def nomination(campaign_id: int) -> Response | tuple[str, int]:
    campaign = draft_for(current_user, campaign_id)
    if campaign.nominated_item() is None:
        abort(409)  # a rule for no nomination: the page offers none
    form = NominationForm()
    if not form.validate():
        return _scoring_page(campaign, ScoringForm(obj=campaign), nomination=form)
    return _saved_rule(campaign, form, _nomination_rule(campaign), "campaign.nomination",
                       _("Rule of the nomination saved."))


@bp.post("/<int:campaign_id>/grading")
@role_required(Role.ORGANISER)
def grading(campaign_id: int) -> Response | tuple[str, int]:
    campaign = draft_for(current_user, campaign_id)
    form = GradingForm()
    if not form.validate():
        return _scoring_page(campaign, ScoringForm(obj=campaign), grading=form)
    return _saved_rule(campaign, form, _grading_rule(campaign), "campaign.grading",
                       _("Rule of the grades saved."))


def _saved_rule(campaign: Campaign, form: GradingForm | NominationForm,
                rule: GradingSettings | NominationSettings, action: str,
                saved: str) -> Response:
    """Store a rule of the scoring page from its validated `form` (the campaign's row, or a
    new one), audited as `action` with every field's value, and say `saved`."""
    form.populate_obj(rule)
    rule.campaign = campaign
    db.session.add(rule)
    record(action, user=current_user, campaign=campaign,
           **{name: getattr(rule, name) for name in form.data if name != "csrf_token"})
    commit_design(campaign)
    flash(saved)
    return redirect(url_for("ballotbox.detail", campaign_id=campaign.id), code=303)


@bp.get("/<int:campaign_id>/questionnaire")
@role_required(Role.ORGANISER)
def questionnaire(campaign_id: int) -> str:
    campaign = campaign_for(current_user, campaign_id)
    return _questionnaire_page(campaign, saved=request.args.get("saved", ""))


def _questionnaire_page(campaign: Campaign, *, failed: str = "", failed_id: int | None = None,
                        form: ItemForm | SectionForm | None = None, saved: str = "") -> str:
    """The editor; after a refused change, `form` with its errors stands where it was sent
    from: `failed` is "item", "section" or "add" and `failed_id` that item's or section's id.
    `saved` names the element just saved (item-5, section-2), which says so beside it: the
    editor is long, and a message at its top would be out of sight."""
    return render_template("campaigns/questionnaire.html", campaign=campaign,
                           form=form or ItemForm(formdata=None), failed=failed,
                           failed_id=failed_id, saved=saved, scales=SCALE_CHOICES)


def _saved(campaign: Campaign, anchor: str, *, mark: bool = True) -> Response:
    """Back to the editor at what changed (`anchor`), marked as saved there unless not `mark`."""
    return redirect(url_for("setup.questionnaire", campaign_id=campaign.id,
                            saved=anchor if mark else None) + f"#{anchor}", code=303)


def one_line(text: str | None) -> str:
    """An item's or title's text as one line: the editor's boxes wrap long text, and a line
    break typed into one must not split the item on the ballot."""
    return " ".join((text or "").split())


def _scale_refused(campaign: Campaign, form: ItemForm, item: CommonItem | None = None) -> bool:
    """Whether `form` (for `item`, or a new item) would break the questionnaire's shape (the
    reason then said on the form): one item of grades grades every person, and its votes
    propose the grades; a nomination's item is its questionnaire's only item, for its marks
    are counted over the whole ballot (`operations.make_nomination_ballot`)."""
    others = [other for other in campaign.common_items() if other is not item]
    scale = Scale(form.scale.data)
    if any(other.scale is Scale.NOMINATION for other in others):
        form.text_zh.errors.append(_("This questionnaire is a nomination ballot: its one item "
                                     "stands alone."))
    elif scale is Scale.NOMINATION and (others or any(
            subject.individual_items for subject in campaign.subjects)):
        form.scale.errors.append(_("Only a questionnaire of this one item can be a nomination: "
                                   "use “Make it a nomination ballot” above."))
    elif scale is Scale.GRADES and any(other.scale is Scale.GRADES for other in others):
        form.scale.errors.append(_("The questionnaire has an item of grades already: one item "
                                   "grades every person."))
    else:
        return False
    return True


def _item(campaign: Campaign, item_id: int) -> CommonItem:
    item = db.session.get(CommonItem, item_id)
    if item is None or item.section.campaign_id != campaign.id:
        abort(404)
    return item


def _section(campaign: Campaign, section_id: int) -> Section:
    section = db.session.get(Section, section_id)
    if section is None or section.campaign_id != campaign.id:
        abort(404)
    return section


@bp.post("/<int:campaign_id>/questionnaire/<int:item_id>")
@role_required(Role.ORGANISER)
def edit_item(campaign_id: int, item_id: int) -> Response | tuple[str, int]:
    campaign = draft_for(current_user, campaign_id)
    item = _item(campaign, item_id)
    form = ItemForm()
    if not form.validate() or _scale_refused(campaign, form, item):
        return _questionnaire_page(campaign, failed="item", failed_id=item.id, form=form), 422
    before = item.text_zh
    item.text_zh, item.text_en = one_line(form.text_zh.data), one_line(form.text_en.data)
    item.scale = Scale(form.scale.data)
    # a candidate is marked or not: "don't know" is no answer of a nomination, nor is a
    # satisfaction with a report (`operations.make_nomination_ballot`)
    item.dont_know = form.dont_know.data and item.scale is not Scale.NOMINATION
    if item.scale is Scale.NOMINATION:
        campaign.asks_satisfaction = False
    record("questionnaire.edit", user=current_user, campaign=campaign, item=item.id,
           before=before, after=item.text_zh, scale=item.scale.value,
           dont_know=item.dont_know)
    commit_design(campaign)
    return _saved(campaign, f"item-{item.id}")


@bp.post("/<int:campaign_id>/questionnaire/satisfaction")
@role_required(Role.ORGANISER)
def satisfaction(campaign_id: int) -> Response:
    """Whether the ballot asks the overall satisfaction with each report: a checkbox, sent
    only when ticked."""
    campaign = draft_for(current_user, campaign_id)
    # a nomination asks none: its ballot is the candidates' marks alone
    campaign.asks_satisfaction = (request.form.get("asks") == "y"
                                  and campaign.nominated_item() is None)
    record("questionnaire.satisfaction", user=current_user, campaign=campaign,
           asks=campaign.asks_satisfaction)
    commit_design(campaign)
    return _saved(campaign, "satisfaction")


@bp.post("/<int:campaign_id>/questionnaire/nomination")
@role_required(Role.ORGANISER)
def nomination_ballot(campaign_id: int) -> Response | str:
    """Make the questionnaire a nomination ballot (民主推荐): its one item, on which each
    candidate (subject) is marked or not. Asked first: the items it replaces are gone."""
    campaign = draft_for(current_user, campaign_id)
    common = len(campaign.common_items())
    individual = sum(len(subject.individual_items) for subject in campaign.subjects)
    if not confirmed():
        return confirm_page(
            heading=_("Make the questionnaire a nomination ballot?"),
            lines=[_("Its %(common)d common items and the subjects' %(individual)d individual "
                     "items are removed, and the satisfaction question is no longer asked. "
                     "The subjects stay: they are the candidates.", common=common,
                     individual=individual)],
            button=_("Make it a nomination ballot"),
            back=url_for("setup.questionnaire", campaign_id=campaign.id),
            back_label=_("Questionnaire"))
    item = make_nomination_ballot(campaign)
    record("questionnaire.nomination", user=current_user, campaign=campaign, item=item.id,
           removed_common=common, removed_individual=individual)
    commit_design(campaign)
    flash(_("The questionnaire is now a nomination ballot: set how many candidates a ballot "
            "may mark on the scoring page."))
    return _saved(campaign, f"item-{item.id}", mark=False)


@bp.post("/<int:campaign_id>/questionnaire/<int:item_id>/move")
@role_required(Role.ORGANISER)
def move(campaign_id: int, item_id: int) -> Response:
    campaign = draft_for(current_user, campaign_id)
    item = _item(campaign, item_id)
    offset = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if offset is None:
        abort(400)
    move_item(item, offset)
    record("questionnaire.move", user=current_user, campaign=campaign, item=item.id,
           direction=request.form["direction"])
    commit_design(campaign)
    return _saved(campaign, f"item-{item.id}", mark=False)


@bp.post("/<int:campaign_id>/questionnaire/sections/<int:section_id>")
@role_required(Role.ORGANISER)
def rename(campaign_id: int, section_id: int) -> Response | tuple[str, int]:
    campaign = draft_for(current_user, campaign_id)
    section = _section(campaign, section_id)
    form = SectionForm()
    if not form.validate():
        return _questionnaire_page(campaign, failed="section", failed_id=section.id,
                                   form=form), 422
    before = section.title_zh
    rename_section(section, one_line(form.title_zh.data), one_line(form.title_en.data))
    record("questionnaire.rename_section", user=current_user, campaign=campaign,
           before=before, after=section.title_zh)
    commit_design(campaign)
    return _saved(campaign, f"section-{section.id}")


@bp.post("/<int:campaign_id>/questionnaire/sections/<int:section_id>/items")
@role_required(Role.ORGANISER)
def add(campaign_id: int, section_id: int) -> Response | tuple[str, int]:
    campaign = draft_for(current_user, campaign_id)
    section = _section(campaign, section_id)
    form = ItemForm()
    if not form.validate() or _scale_refused(campaign, form):
        return _questionnaire_page(campaign, failed="add", failed_id=section.id, form=form), 422
    try:
        item = add_item(section, TemplateItem(one_line(form.text_zh.data),
                                              one_line(form.text_en.data)),
                        Scale(form.scale.data), form.dont_know.data)
    except TooManyItems:
        form.text_zh.errors.append(_("A questionnaire has at most %(count)d common items.",
                                     count=ITEMS_MAX))
        return _questionnaire_page(campaign, failed="add", failed_id=section.id, form=form), 422
    record("questionnaire.add", user=current_user, campaign=campaign, item=item.id,
           text=item.text_zh)
    commit_design(campaign)
    return _saved(campaign, f"item-{item.id}")


@bp.route("/<int:campaign_id>/questionnaire/<int:item_id>/remove", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def remove(campaign_id: int, item_id: int) -> Response | str | tuple[str, int]:
    campaign = draft_for(current_user, campaign_id)
    item = _item(campaign, item_id)
    page = url_for("setup.questionnaire", campaign_id=campaign.id)
    if not confirmed() and len(item.section.items) > 1:
        return confirm_page(
            heading=_("Remove this item from the questionnaire?"),
            lines=[localized(item, "text"),
                   _("The items after it in “%(section)s” move up one place.",
                     section=localized(item.section, "title"))],
            button=_("Remove the item"), back=page + f"#item-{item.id}",
            back_label=_("Questionnaire"))
    text, section = item.text_zh, item.section.title_zh
    try:
        remove_item(item)
    except LastItemOfSection:
        flash(_("A section keeps at least one item: change the text of its last item "
                "instead."), "error")
        return redirect(page, code=303)
    record("questionnaire.remove", user=current_user, campaign=campaign, text=text,
           section=section)
    commit_design(campaign)
    flash(_("Item removed: %(text)s", text=text))
    return redirect(page, code=303)


def _subject_form(campaign: Campaign, subject: Subject | None) -> SubjectForm:
    # Filled from the subject to show it; a post is read from what was sent alone (a field
    # missing from it must not fall back to the subject's problem entries or items).
    form = SubjectForm(obj=subject) if subject and request.method == "GET" else SubjectForm()
    if not isinstance(form.report_file.data, FileStorage):
        form.report_file.data = None  # obj= put the stored file there; the field is for uploads
    # A unit of the campaign's, not retired (unless it is already the subject's): any other
    # posted is refused by `_unit_offered` with its reason rather than WTForms' generic one.
    form.unit.choices = unit_choices(campaign.unit_id, subject.unit_id if subject else None)
    form.unit.validate_choice = False
    form.individual_items_allowed = campaign.nominated_item() is None
    if request.method == "GET":  # a new subject is most often of the campaign's own unit
        form.unit.data = subject.unit_id if subject else campaign.unit_id
    if subject and request.method == "GET":
        form.problems.data = "\n".join(problem.text for problem in subject.problems)
        while len(form.items.entries) < len(subject.individual_items):
            form.items.append_entry()
        for entry, item in zip(form.items.entries, subject.individual_items, strict=False):
            entry.form.text_zh.data = item.text_zh
            entry.form.text_en.data = item.text_en
            entry.form.problem.data = item.problem.position if item.problem else None
            entry.form.scale.data = item.scale.value
            entry.form.dont_know.data = item.dont_know
    return form


@bp.route("/<int:campaign_id>/subjects/new", methods=["GET", "POST"])
@bp.route("/<int:campaign_id>/subjects/<int:subject_id>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def subject(campaign_id: int, subject_id: int | None = None) -> Response | tuple[str, int]:
    campaign = campaign_for(current_user, campaign_id)
    if campaign.is_template:
        abort(409)  # a round's subjects are each unit's own, in its campaign of the round
    existing = None
    if subject_id is not None:
        existing = db.session.get(Subject, subject_id)
        if existing is None or existing.campaign_id != campaign.id:
            abort(404)
    form = _subject_form(campaign, existing)
    if form.is_submitted() and MORE_ITEMS in request.form:  # another row, nothing saved
        if len(form.items.entries) < ITEMS_MAX:
            form.items.append_entry()
    elif form.is_submitted():
        draft_for(current_user, campaign_id)
        if form.validate() and _unit_offered(form):
            saved = _save_subject(campaign, existing, form)
            if saved is not None:
                return redirect(url_for("ballotbox.detail", campaign_id=campaign.id), code=303)
    status = 409 if form.unit.errors else 422 if form.errors else 200
    return render_template("campaigns/subject.html", campaign=campaign, subject=existing,
                           form=form, items_max=ITEMS_MAX), status


def _unit_offered(form: SubjectForm) -> bool:
    """Whether the posted unit is one the form offers; if not, the reason is on the field."""
    if form.unit.data in {choice.value for choice in form.unit.choices}:
        return True
    form.unit.errors.append(_("This unit is not one of the campaign's units, or it has been "
                              "retired."))
    return False


def _save_subject(
    campaign: Campaign, existing: Subject | None, form: SubjectForm
) -> Subject | None:
    """Save, or put the reasons on the form and return None."""
    problems = [line.strip() for line in (form.problems.data or "").splitlines() if line.strip()]
    upload = form.problems_file.data
    left_out: list[Row] = []
    if upload:
        try:
            problems, left_out = problem_list(read_rows(upload.filename, upload.read()),
                                              form.problems_hidden.data)
        except TableError as error:
            form.problems_file.errors.append(error.message())
            return None
    items = []
    for entry in form.items.entries:
        number = entry.form.problem.data
        if number and number > len(problems):
            entry.form.problem.errors.append(
                _("The problem list has only %(count)d lines.", count=len(problems)))
            return None
        items.append(IndividualItemData(
            (entry.form.text_zh.data or "").strip(), (entry.form.text_en.data or "").strip(),
            number, Scale(entry.form.scale.data), entry.form.dont_know.data))
    subject = save_subject(campaign, SubjectData(
        unit_id=form.unit.data, person_name=form.person_name.data.strip(),
        post=(form.post.data or "").strip(), report_text=_report_text(form.report_text.data),
        problems=tuple(problems), items=tuple(items)), existing)
    report = form.report_file.data
    if report:
        try:
            attach_report(subject, report.filename, report.read())
        except ReportRejected as error:
            db.session.rollback()
            form.report_file.errors.append(str(REPORT_REFUSALS[str(error)]))
            return None
    record("subject.save", user=current_user, campaign=campaign, subject=subject.id,
           person=subject.person_name, problems=len(problems),
           report_file=subject.report_file.filename if subject.report_file else None)
    db.session.commit()
    flash(_("Subject saved."))
    if left_out:
        flash(hidden_left_out(left_out))
    return subject


REPORT_REFUSALS = {
    "type": _l("The file is not a PDF or Word document."),
    "size": _l("The file is larger than 10 MB."),
    "unreadable": _l("The Word document could not be read: save it again in Word as .docx, "
                     "or upload a PDF."),
}


def _report_text(typed: str | None) -> str:
    """The report as typed, without the blank lines and spaces around it, but with its first
    paragraph's indent (首行缩进, full-width spaces), as every other paragraph keeps its own."""
    lines = (typed or "").rstrip().split("\n")
    return "\n".join(itertools.dropwhile(lambda line: not line.strip(), lines))


# Header words of a problem list's column of problems; a row naming one of them (below any
# title) is the header, never problem 1.
PROBLEM_HEADERS = ("问题", "问题清单", "存在问题", "存在的问题", "主要问题", "问题描述",
                   "问题表现", "具体问题", "problem", "problems", "description")


def problem_list(rows: list[Row], include_hidden: bool) -> tuple[list[str], list[Row]]:
    """(problems, hidden rows left out) of an uploaded problem list: the column headed 问题
    (or a like word) below its header, or the first column of every row when no row names
    it."""
    header = find_header([row.cells for row in rows], PROBLEM_HEADERS, minimum=1)
    column = 0 if header is None else column_of(header.cells, PROBLEM_HEADERS) or 0
    used, left_out = shown_rows(rows[0 if header is None else header.below:], include_hidden)
    cells = [row.cells[column].strip() for row in used if column < len(row.cells)]
    return [cell for cell in cells if cell], left_out


def _group_rows(campaign: Campaign) -> RaterGroupsForm:
    """The groups page's form as the campaign's groups stand, whatever was posted."""
    return RaterGroupsForm(formdata=None, data={"groups": [
        {"group": g.id, "name_zh": g.name_zh, "name_en": g.name_en,
         "weight": g.weight * 100 if g.weight is not None else None}
        for g in campaign.rater_groups]})


def _groups_page(campaign: Campaign, form: RaterGroupsForm, status: int = 200,
                 refusal: str = "") -> tuple[str, int]:
    return render_template("campaigns/groups.html", campaign=campaign, form=form,
                           refusal=refusal, max_groups=RATER_GROUPS_MAX), status


@bp.route("/<int:campaign_id>/groups", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def groups(campaign_id: int) -> Response | tuple[str, int]:
    """The organiser names the campaign's 1 to 12 rater groups, with their weights: rows
    are renamed, marked removed, or added ("add" shows one more empty row, nothing saved) and
    all of it is saved at once, so that the weights are checked against the groups kept."""
    campaign = campaign_for(current_user, campaign_id)
    if request.method == "GET":
        return _groups_page(campaign, _group_rows(campaign))
    draft_for(current_user, campaign_id)
    form = RaterGroupsForm()
    posted = [entry.form.group.data for entry in form.groups.entries
              if entry.form.group.data is not None]
    if sorted(posted) != sorted(g.id for g in campaign.rater_groups):
        return _groups_page(campaign, _group_rows(campaign), 409, _(
            "The rater groups were changed in another window meanwhile; here they are as they "
            "stand now. Make your changes again."))
    if "add" in request.form:
        if len(form.kept()) >= RATER_GROUPS_MAX:
            return _groups_page(campaign, form, 422, str(TOO_MANY_GROUPS))
        form.groups.append_entry()
        return _groups_page(campaign, form)
    if not form.validate():
        return _groups_page(campaign, form, 422)
    try:
        save_groups(campaign, [GroupData(
            row.group.data, row.name_zh.data or "", row.name_en.data or "",
            row.weight.data / 100 if row.weight.data is not None else None)
            for row in form.kept()])
    except GroupsFixed:
        return _groups_page(campaign, form, 409, _(
            "A sample draw is prepared or drawn from the roster with these groups: set it "
            "aside on the sample page before adding or removing a group. Names and weights "
            "can still be changed."))
    except GroupsInUse as refused:
        in_use = {group.id for group in refused.groups}
        for entry in form.groups.entries:
            if entry.form.group.data in in_use:
                entry.form.remove.errors = [_(
                    "People of the roster, tickets or ballots belong to this group, so it "
                    "cannot be removed: import a roster without it first.")]
        return _groups_page(campaign, form, 422)
    record("groups.edit", user=current_user, campaign=campaign,
           groups={g.name_zh: g.weight for g in campaign.rater_groups})
    commit_design(campaign)
    flash(_("Rater groups saved."))
    return redirect(url_for("ballotbox.detail", campaign_id=campaign.id), code=303)
