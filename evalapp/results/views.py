"""Results for leadership: the campaign overview, a page per subject, their charts and the
exports. Sealed until the campaign is closed, for everyone."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from analysis.grading import NotADecision, decided, grading_of
from analysis.scoring import VOTE_SCALES
from evalapp.audit.operations import record
from evalapp.auth.access import READERS, role_required
from evalapp.auth.models import Role
from evalapp.campaigns.access import campaign_for
from evalapp.campaigns.labels import answer_label, digest_lines
from evalapp.campaigns.models import Campaign, CampaignStatus, Grade, GradeDecision
from evalapp.charts import FORMATS
from evalapp.extensions import db
from evalapp.jobs import JobsUnavailable
from evalapp.results import store
from evalapp.results.charts import chart_name
from evalapp.results.compute import (
    CampaignResults,
    SubjectResults,
    campaign_results,
    shown_figures,
)
from evalapp.results.explain import (
    grade_label,
    group_difference_lines,
    group_note,
    other_label,
    place_headers,
    placed,
    settings_lines,
)
from evalapp.results.exports import EXPORTS
from evalapp.results.grading import graded_persons, group_votes, publicity_list, quota_lines
from evalapp.results.nomination import candidates, rule_lines
from evalapp.results.outputs import NoSuchOutput
from evalapp.results.published import export_digest

bp = Blueprint("results", __name__, url_prefix="/campaigns/<int:campaign_id>/results")
bp.add_app_template_global(grade_label)
bp.add_app_template_global(other_label)
bp.add_app_template_global(group_note)
bp.add_app_template_global(placed)
bp.add_app_template_global(place_headers)
BUILT_IN_BACKGROUND = frozenset({"pdf"})


class Sealed(Exception):
    """The campaign is not closed: no figure of it may be shown."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign


@bp.errorhandler(Sealed)
def sealed(error: Sealed) -> tuple[str, int]:
    return render_template("results/sealed.html", campaign=error.campaign), 403


def _closed(campaign_id: int) -> Campaign:
    campaign = campaign_for(current_user, campaign_id)
    if campaign.status is not CampaignStatus.CLOSED:
        raise Sealed(campaign)
    return campaign


def _results(campaign_id: int) -> CampaignResults:
    return campaign_results(_closed(campaign_id))


def _subject(results: CampaignResults, subject_id: int) -> SubjectResults:
    found = next((r for r in results.subjects if r.subject.id == subject_id), None)
    if found is None:
        abort(404)
    return found


def _page(template: str, results: CampaignResults, **context: object) -> str:
    return render_template(template, campaign=results.campaign, results=results,
                           settings=settings_lines(results.campaign, results.groups),
                           vote_scales=VOTE_SCALES, **context)


@bp.get("/")
@role_required(*READERS)
def overview(campaign_id: int) -> str:
    results = _results(campaign_id)
    return _page("results/overview.html", results, exports=EXPORTS,
                 digest=digest_lines(export_digest(results)), graded=graded_persons(results),
                 grading_lines=quota_lines(results),
                 grade_labels=[answer_label(grade) for grade in Grade],
                 candidates=candidates(results), nomination_lines=rule_lines(results))


@bp.post("/decision")
@role_required(Role.ORGANISER)
def decision(campaign_id: int) -> Response | tuple[str, int]:
    """The organisers' decision among persons tied at the 优秀 quota's edge: exactly as many
    of them as the places left (`analysis.grading.decided`), recorded for every tied person
    and audited; it may be recorded again. 409 for a campaign with no one tied."""
    results = _results(campaign_id)
    if results.graded is None:
        abort(404)
    undecided = grading_of(shown_figures(results.subjects), replace(results.graded, chosen=()))
    tied = [(n, r.subject) for n, (r, person) in
            enumerate(zip(results.subjects, undecided.persons, strict=True)) if person.tied]
    if not tied:
        abort(409)
    wanted = set(request.form.getlist("chosen"))
    chosen = [n for n, subject in tied if str(subject.id) in wanted]
    try:
        decided(undecided, chosen)
    except NotADecision:
        flash(_("Choose exactly %(count)d of the tied persons.",
                count=undecided.undecided_places), "error")
        return redirect(url_for("results.overview", campaign_id=campaign_id) + "#grading",
                        code=303)
    for n, subject in tied:
        db.session.merge(GradeDecision(subject_id=subject.id, chosen=n in chosen))
    record("results.grade_decision", user=current_user, campaign=results.campaign,
           chosen=[subject.id for n, subject in tied if n in chosen],
           tied=[subject.id for _n, subject in tied])
    db.session.commit()
    flash(_("Decision recorded: the 公示 list and the exports follow it."))
    return redirect(url_for("results.overview", campaign_id=campaign_id) + "#grading",
                    code=303)


@bp.get("/publicity")
@role_required(*READERS)
def publicity(campaign_id: int) -> str:
    """The 公示 list: those the campaign's rule proposes 优秀, to print and post; 404 for a
    campaign without an item of grades."""
    results = _results(campaign_id)
    if results.grading is None:
        abort(404)
    return _page("results/publicity.html", results, listed=publicity_list(results),
                 grading_lines=quota_lines(results),
                 tied=[g.result.subject.label() for g in graded_persons(results)
                       if g.undecided])


@bp.get("/<int:subject_id>")
@role_required(*READERS)
def subject(campaign_id: int, subject_id: int) -> str:
    results = _results(campaign_id)
    return subject_page(results, _subject(results, subject_id))


def subject_page(results: CampaignResults, result: SubjectResults) -> str:
    """A subject's page, as its readers get it (and the disclosure attack reads it)."""
    return _page("results/subject.html", results, result=result,
                 group_differences=group_difference_lines(result),
                 group_votes=(group_votes(result, voted.item)
                              if (voted := results.graded or results.nominated)
                              and result.has_figures else []),
                 grade_labels=[answer_label(grade) for grade in Grade])


def _image(figure_bytes: bytes, fmt: str) -> Response:
    return Response(figure_bytes, mimetype=FORMATS[fmt])  # never cached, as every results page


@bp.get("/subjects.<any(png, svg, pdf):fmt>")
@role_required(*READERS)
def subjects_chart(campaign_id: int, fmt: str) -> Response:
    return _image(_kept(_closed(campaign_id), chart_name(fmt=fmt)), fmt)


@bp.get("/<int:subject_id>/<any(items, heatmap):name>.<any(png, svg, pdf):fmt>")
@role_required(*READERS)
def subject_chart(campaign_id: int, subject_id: int, name: str, fmt: str) -> Response:
    return _image(_kept(_closed(campaign_id), chart_name(subject_id, name, fmt)), fmt)


def _kept(campaign: Campaign, name: str) -> bytes:
    try:
        return store.kept(campaign, name)
    except NoSuchOutput:
        abort(404)


@bp.get("/export.<any(pdf, xlsx, csv, json):fmt>")
@role_required(*READERS)
def export(campaign_id: int, fmt: str) -> Response | tuple[str, int]:
    """An export, built once (at close, unless it was asked for first). The PDF report
    takes seconds: when it is not made yet, a job builds it while the page says so and
    reloads itself until it is there."""
    campaign = _closed(campaign_id)
    made = EXPORTS[fmt]
    name = f"export.{fmt}"
    if fmt not in BUILT_IN_BACKGROUND:
        content = store.kept(campaign, name)
    elif (content := store.ready(campaign, name)) is None:
        if store.failed(campaign, name):
            return render_template("results/preparing.html", campaign=campaign,
                                   label=made.label, failed=True), 503
        try:
            store.build_in_background(campaign, name)
            return render_template("results/preparing.html", campaign=campaign,
                                   label=made.label, failed=False), 202
        except JobsUnavailable:  # no queue to build it: the leader waits for it here
            content = store.kept(campaign, name)
    record("results.export", user=current_user, campaign=campaign, format=fmt)
    db.session.commit()
    response = Response(content, mimetype=made.mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="results-{campaign_id}.{fmt}"')
    return response
