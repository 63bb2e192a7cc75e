"""The rectification ledger: organisers keep it, leaders and auditors read it. Every change
goes to the audit log."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from evalapp.audit.operations import record
from evalapp.auth.access import READERS, role_required
from evalapp.auth.models import Role
from evalapp.campaigns.access import campaign_for
from evalapp.campaigns.models import Campaign, CampaignStatus, Subject
from evalapp.charts import FORMATS, render
from evalapp.confirm import confirm_page, confirmed
from evalapp.extensions import db
from evalapp.i18n import today
from evalapp.rectification import operations as ledger
from evalapp.rectification.charts import progress_chart
from evalapp.rectification.deadlines import Deadline, DeadlineError, parse_deadline
from evalapp.rectification.figures import progress
from evalapp.rectification.labels import (
    measure_status_label,
    not_a_deadline,
    problem_source_label,
)
from evalapp.rectification.ledger_xlsx import LedgerImportError, import_ledger, ledger_xlsx
from evalapp.rectification.models import (
    MeasureStatus,
    ProblemSource,
    RectificationMeasure,
    RectificationProblem,
)
from evalapp.results.compute import campaign_results
from evalapp.spreadsheets import XLSX_MIMETYPE
from evalapp.tabular import TableError, hidden_left_out, read_rows, shown_rows
from forms.rectification import LedgerUploadForm, MeasureForm, ProblemForm

bp = Blueprint("rectification", __name__,
               url_prefix="/campaigns/<int:campaign_id>/rectification")
bp.add_app_template_global(problem_source_label)
bp.add_app_template_global(measure_status_label)


def _subject(campaign: Campaign, subject_id: int) -> Subject:
    subject = db.session.get(Subject, subject_id)
    if subject is None or subject.campaign_id != campaign.id:
        abort(404)
    return subject


def _problem(campaign: Campaign, problem_id: int) -> RectificationProblem:
    problem = db.session.get(RectificationProblem, problem_id)
    if problem is None:
        abort(404)
    _subject(campaign, problem.subject_id)
    return problem


def _measure(campaign: Campaign, measure_id: int) -> RectificationMeasure:
    measure = db.session.get(RectificationMeasure, measure_id)
    if measure is None:
        abort(404)
    _problem(campaign, measure.problem_id)
    return measure


def _overview(campaign: Campaign, upload: LedgerUploadForm, problems=None,
              status: int = 200) -> tuple[str, int]:
    ledger_problems = ledger.ledger_of([s.id for s in campaign.subjects])
    per_subject = [(subject, ledger.figures([p for p in ledger_problems
                                             if p.subject_id == subject.id], today()))
                   for subject in campaign.subjects]
    return render_template(
        "rectification/index.html", campaign=campaign, per_subject=per_subject,
        total=ledger.figures(ledger_problems, today()), upload=upload,
        import_problems=problems or [],
        organiser=current_user.role is Role.ORGANISER), status


@bp.get("/")
@role_required(*READERS)
def index(campaign_id: int) -> tuple[str, int]:
    return _overview(campaign_for(current_user, campaign_id), LedgerUploadForm())


@bp.get("/progress.<any(png, svg, pdf):fmt>")
@role_required(*READERS)
def progress_image(campaign_id: int, fmt: str) -> Response:
    campaign = campaign_for(current_user, campaign_id)
    problems = ledger.ledger_of([s.id for s in campaign.subjects])
    facts = ledger.facts(problems)
    return Response(render(progress_chart(progress(facts), len(facts)), fmt),
                    mimetype=FORMATS[fmt])


@bp.get("/ledger.xlsx")
@role_required(*READERS)
def export(campaign_id: int) -> Response:
    campaign = campaign_for(current_user, campaign_id)
    data = ledger_xlsx(campaign, ledger.ledger_of([s.id for s in campaign.subjects]))
    response = Response(data, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="rectification-{campaign.id}.xlsx"')
    return response


@bp.post("/import")
@role_required(Role.ORGANISER)
def import_(campaign_id: int) -> Response | tuple[str, int]:
    campaign = campaign_for(current_user, campaign_id)
    form = LedgerUploadForm()
    if not form.validate_on_submit():
        return _overview(campaign, form, status=422)
    try:
        rows, left_out = shown_rows(read_rows(form.file.data.filename, form.file.data.read()),
                                    form.include_hidden.data)
        measures = import_ledger(campaign, [(row.number, row.cells) for row in rows], today())
    except TableError as error:
        form.file.errors.append(error.message())
        return _overview(campaign, form, status=422)
    except LedgerImportError as error:
        db.session.rollback()
        return _overview(campaign, form, error.problems, status=422)
    record("rectification.import", user=current_user, campaign=campaign, measures=measures)
    db.session.commit()
    flash(_("Ledger imported: %(count)d measures.", count=measures))
    if left_out:
        flash(hidden_left_out(left_out))
    return redirect(url_for(".index", campaign_id=campaign.id), code=303)


def _ledger_page(campaign: Campaign, subject: Subject, form: ProblemForm | None = None,
                 status: int = 200) -> tuple[str, int]:
    problems = ledger.ledger_of([subject.id])
    return render_template(
        "rectification/subject.html", campaign=campaign, subject=subject, problems=problems,
        figures=ledger.figures(problems, today()), today=today(),
        form=form or ProblemForm(), organiser=current_user.role is Role.ORGANISER,
        closed=campaign.status is CampaignStatus.CLOSED), status


@bp.get("/<int:subject_id>")
@role_required(*READERS)
def subject(campaign_id: int, subject_id: int) -> tuple[str, int]:
    campaign = campaign_for(current_user, campaign_id)
    return _ledger_page(campaign, _subject(campaign, subject_id))


def _subject_url(campaign: Campaign, subject_id: int) -> str:
    return url_for(".subject", campaign_id=campaign.id, subject_id=subject_id)


def _to_subject(campaign: Campaign, subject_id: int) -> Response:
    return redirect(_subject_url(campaign, subject_id), code=303)


@bp.post("/<int:subject_id>/problems")
@role_required(Role.ORGANISER)
def add_problem(campaign_id: int, subject_id: int) -> Response | tuple[str, int]:
    campaign = campaign_for(current_user, campaign_id)
    subject = _subject(campaign, subject_id)
    form = ProblemForm()
    if not form.validate_on_submit():
        return _ledger_page(campaign, subject, form, status=422)
    problem = ledger.add_problem(subject, ProblemSource(form.source.data), form.text.data)
    record("rectification.problem.add", user=current_user, campaign=campaign,
           subject=subject.id, problem=problem.id, source=problem.source.value)
    db.session.commit()
    return _to_subject(campaign, subject.id)


@bp.post("/<int:subject_id>/from-problem-list")
@role_required(Role.ORGANISER)
def from_problem_list(campaign_id: int, subject_id: int) -> Response:
    campaign = campaign_for(current_user, campaign_id)
    subject = _subject(campaign, subject_id)
    added = ledger.add_from_problem_list(subject)
    record("rectification.problem.from_problem_list", user=current_user, campaign=campaign,
           subject=subject.id, added=added)
    db.session.commit()
    flash(_("%(count)d problems added from the published problem list.", count=added) if added
          else _("Nothing was added: every problem of the published list is already in the "
                 "ledger."))
    return _to_subject(campaign, subject.id)


@bp.post("/<int:subject_id>/from-results")
@role_required(Role.ORGANISER)
def from_results(campaign_id: int, subject_id: int) -> Response:
    """The items the results flag as weakest; only once the results exist."""
    campaign = campaign_for(current_user, campaign_id)
    subject = _subject(campaign, subject_id)
    if campaign.status is not CampaignStatus.CLOSED:
        abort(409)
    result = next(r for r in campaign_results(campaign).subjects if r.subject.id == subject.id)
    if not result.has_figures:
        flash(_("Too few ballots enter this subject's figures for item results; no item was "
                "added."), "error")
        return _to_subject(campaign, subject.id)
    common = campaign.common_items()
    weak = [ledger.WeakItem(item.label, common[index].id if index < len(common) else None)
            for index, item in enumerate(result.items) if item.weak]
    added = ledger.add_weakest_items(subject, weak)
    record("rectification.problem.from_results", user=current_user, campaign=campaign,
           subject=subject.id, added=added)
    db.session.commit()
    if added:
        flash(_("%(count)d weakest items added as problems.", count=added))
    else:
        flash(_("Nothing was added: the weakest items are already in the ledger.") if weak
              else _("No item is flagged as weak; nothing was added."))
    return _to_subject(campaign, subject.id)


@bp.route("/problems/<int:problem_id>/delete", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def delete_problem(campaign_id: int, problem_id: int) -> Response | str:
    campaign = campaign_for(current_user, campaign_id)
    problem = _problem(campaign, problem_id)
    subject_id = problem.subject_id
    if not confirmed():
        done = sum(m.status is MeasureStatus.DONE for m in problem.measures)
        return confirm_page(
            heading=_("Delete this problem and its measures?"), lines=[
                problem.text,
                _("Its %(count)d measures (%(done)d done) are deleted with it, and the "
                  "rectification figures are counted again without them.",
                  count=len(problem.measures), done=done)],
            button=_("Delete the problem and its measures"),
            back=_subject_url(campaign, subject_id), back_label=_("Rectification list"))
    record("rectification.problem.delete", user=current_user, campaign=campaign,
           subject=subject_id, problem=problem.id, text=problem.text[:200])
    db.session.delete(problem)
    db.session.commit()
    return _to_subject(campaign, subject_id)


def _measure_input(form: MeasureForm, deadline: Deadline) -> ledger.MeasureInput:
    return ledger.MeasureInput(
        form.text.data, form.responsible_department.data,
        form.cooperating_departments.data or "", deadline.day,
        MeasureStatus(form.status.data), form.completion_note.data or "",
        form.completed_on.data, deadline.wording)


def _measure_page(campaign: Campaign, problem: RectificationProblem, form: MeasureForm,
                  measure: RectificationMeasure | None, status: int = 200) -> tuple[str, int]:
    return render_template("rectification/measure.html", campaign=campaign, problem=problem,
                           subject=db.session.get(Subject, problem.subject_id), form=form,
                           measure=measure), status


def _save(campaign: Campaign, problem: RectificationProblem, form: MeasureForm,
          measure: RectificationMeasure | None) -> Response | tuple[str, int]:
    if not form.validate_on_submit():
        return _measure_page(campaign, problem, form, measure,
                             status=422 if form.is_submitted() else 200)
    try:
        deadline = parse_deadline(form.deadline.data, ledger.campaign_start(campaign))
    except DeadlineError:
        form.deadline.errors = [not_a_deadline(form.deadline.data)]
        return _measure_page(campaign, problem, form, measure, status=422)
    try:
        saved = ledger.save_measure(problem, _measure_input(form, deadline), today(), measure)
    except ledger.LedgerError as error:
        form.form_errors.extend(error.reasons)
        return _measure_page(campaign, problem, form, measure, status=422)
    record("rectification.measure." + ("update" if measure else "add"), user=current_user,
           campaign=campaign, problem=problem.id, measure=saved.id, status=saved.status.value)
    db.session.commit()
    return _to_subject(campaign, problem.subject_id)


@bp.route("/problems/<int:problem_id>/measures/new", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def new_measure(campaign_id: int, problem_id: int) -> Response | tuple[str, int]:
    campaign = campaign_for(current_user, campaign_id)
    return _save(campaign, _problem(campaign, problem_id), MeasureForm(), None)


@bp.route("/measures/<int:measure_id>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit_measure(campaign_id: int, measure_id: int) -> Response | tuple[str, int]:
    campaign = campaign_for(current_user, campaign_id)
    measure = _measure(campaign, measure_id)
    form = MeasureForm(obj=measure, status=measure.status.value)
    if not form.is_submitted():  # the deadline as written, not only the day it was read as
        form.deadline.data = measure.deadline_wording or measure.deadline.isoformat()
    return _save(campaign, measure.problem, form, measure)


@bp.route("/measures/<int:measure_id>/delete", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def delete_measure(campaign_id: int, measure_id: int) -> Response | str:
    campaign = campaign_for(current_user, campaign_id)
    measure = _measure(campaign, measure_id)
    subject_id = measure.problem.subject_id
    if not confirmed():
        return confirm_page(
            heading=_("Delete this measure?"), lines=[measure.problem.text, measure.text],
            button=_("Delete this measure"), back=_subject_url(campaign, subject_id),
            back_label=_("Rectification list"))
    record("rectification.measure.delete", user=current_user, campaign=campaign,
           problem=measure.problem_id, measure=measure.id, text=measure.text[:200])
    db.session.delete(measure)
    db.session.commit()
    return _to_subject(campaign, subject_id)
