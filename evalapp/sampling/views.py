"""Sample draws: preparing, drawing with a witness's value or setting aside (organisers);
reading, printing the commitment, verifying and exporting them (organisers, auditors); and
issuing one ticket per person drawn."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from sqlalchemy.orm import contains_eager
from werkzeug.wrappers import Response

from analysis.commitment import WitnessRefused, record_to_json
from evalapp.audit.models import AuditEntry
from evalapp.audit.operations import record
from evalapp.audit.present import present
from evalapp.auth.access import role_required
from evalapp.auth.models import Role
from evalapp.campaigns.access import campaign_for
from evalapp.campaigns.models import Campaign, CampaignStatus, RaterGroup
from evalapp.extensions import db
from evalapp.roster.models import DrawnPerson, RosterEntry, SampleDraw
from evalapp.sampling.operations import (
    ACKNOWLEDGERS,
    DrawPending,
    DrawRequest,
    RosterChanged,
    SecretLost,
    ThinReason,
    abandon_draw,
    acknowledge_draw,
    draw_record,
    earlier_draws,
    is_real_reason,
    iso_time,
    make_draw,
    prepare_draw,
    roster_of,
)
from evalapp.sampling.verification import publication, verification
from evalapp.spreadsheets import XLSX_MIMETYPE, append_row, fit_columns, workbook_bytes
from evalapp.tickets.download import Printing, sheet_response
from evalapp.tickets.operations import (
    BatchSummary,
    NotCurrentDraw,
    batch_summaries,
    draw_issuable,
    issue_tickets,
)
from forms.sampling import (
    AbandonDrawForm,
    AcknowledgeForm,
    DrawForm,
    IssueFromDrawForm,
    WitnessForm,
    witness_refusal,
)

bp = Blueprint("sampling", __name__, url_prefix="/campaigns/<int:campaign_id>/draws")
# Who reads a campaign's draws: the organiser, and the second accounts who acknowledge a
# commitment and check the draw.
READERS = (Role.ORGANISER, *sorted(ACKNOWLEDGERS))


@bp.app_template_filter("draw_parameters")
def draw_parameters_line(parameters: str) -> str:
    """The committed parameters (`analysis.commitment.draw_parameters`, e.g.
    "campaign=4;draw=1;fraction=0.4;minimum=3") as a reader says them: 测评活动编号 4，第 1 次
    抽样：抽样比例 40%，每类别至少 3 人. The text itself is shown beside it for checking."""
    fields = dict(part.partition("=")[::2] for part in parameters.split(";"))
    if "fraction" in fields:
        size = _("sampling fraction %(fraction)s",
                 fraction=format_percent(float(fields["fraction"]), "#,##0.##%"))
    else:
        size = _("%(total)s people in all", total=fields.get("total", "?"))
    line = _("campaign no. %(campaign)s, draw %(draw)s: %(size)s", size=size,
             campaign=fields.get("campaign", "?"), draw=fields.get("draw", "?"))
    minimum = int(fields.get("minimum") or 0)
    return _("%(first)s, %(then)s", first=line,
             then=_("at least %(count)d per group", count=minimum)) if minimum else line


def _thin_reason() -> str:
    return _("Give a real reason: at least 6 letters, Chinese characters or digits, at least "
             "4 of them different (punctuation, spaces and repeated characters do not "
             "count). It stays on the record with every draw.")


def _draws(campaign: Campaign) -> list[SampleDraw]:
    return list(db.session.scalars(
        sa.select(SampleDraw).where(SampleDraw.campaign_id == campaign.id)
        .order_by(SampleDraw.sequence)))


def _groups(campaign: Campaign) -> dict[str, RaterGroup]:
    return {str(group.id): group for group in campaign.rater_groups}


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.ORGANISER, Role.AUDITOR)
def index(campaign_id: int) -> Response | tuple[str, int]:
    """The campaign's draws, and (organisers) preparing the next one."""
    campaign = campaign_for(current_user, campaign_id)
    draws = _draws(campaign)
    form = DrawForm()
    if form.is_submitted():
        if current_user.role is not Role.ORGANISER:
            abort(403)
        if campaign.status is CampaignStatus.CLOSED:
            abort(409)
        if form.validate():
            if draws and not is_real_reason(form.reason.data):
                form.reason.errors.append(_("A second draw needs a written reason; the first "
                                            "stays on record.") + " " + _thin_reason())
            else:
                return _prepare(campaign, form)
    return render_template("sampling/index.html", campaign=campaign, draws=draws, form=form,
                           groups=_groups(campaign), by=_by(campaign, draws),
                           pending=next((d for d in draws if d.pending), None)
                           ), 422 if form.errors else 200


def _by(campaign: Campaign, draws: list[SampleDraw]) -> dict[int, str]:
    """Who acted on each draw (by draw id): who drew it, and for one not drawn, who set it
    aside or prepared it, as the audit log records it (the draw's row keeps only who drew)."""
    acted: dict[int, str] = {}
    for action in ("sample.prepare", "sample.abandon"):  # the later action wins
        for entry in db.session.scalars(sa.select(AuditEntry).where(
                AuditEntry.campaign_id == campaign.id, AuditEntry.action == action)):
            acted[entry.detail.get("draw")] = present([entry])[0].user
    return {draw.id: draw.drawn_by.display_name if draw.drawn_by
            else acted.get(draw.sequence, "") for draw in draws}


def _prepare(campaign: Campaign, form: DrawForm) -> Response:
    back = redirect(url_for("sampling.index", campaign_id=campaign.id), code=303)
    if not db.session.scalar(sa.select(sa.func.count(RosterEntry.id)).where(
            RosterEntry.campaign_id == campaign.id)):
        flash(_("The roster is empty: import it before drawing a sample."), "error")
        return back
    try:
        draw = prepare_draw(campaign, DrawRequest(
            fraction=form.percent.data / 100 if form.percent.data is not None else None,
            total=form.total.data,
            minimum_per_group=form.minimum.data or 0,
            reason=(form.reason.data or "").strip() or None,
        ))
    except ThinReason:
        flash(_thin_reason(), "error")
        return back
    except DrawPending as pending:
        flash(_("Draw %(number)d is prepared and waits for its witness value: draw it or set "
                "it aside before preparing another.", number=pending.draw.sequence), "error")
        return back
    except ValueError as error:
        flash(_("This draw is impossible: %(reason)s", reason=str(error)), "error")
        return back
    record("sample.prepare", user=current_user, campaign=campaign, draw=draw.sequence,
           fraction=draw.fraction, total=draw.total, minimum=draw.minimum_per_group,
           allocation=draw.allocation, reason=draw.reason, roster=draw.roster_fingerprint,
           commitment=draw.commitment)
    db.session.commit()
    return _to_detail(draw)


def _to_detail(draw: SampleDraw) -> Response:
    return redirect(url_for("sampling.detail", campaign_id=draw.campaign_id, draw_id=draw.id),
                    code=303)


def _draw_of(campaign: Campaign, draw_id: int, *, lock: bool = False) -> SampleDraw:
    draw = db.session.get(SampleDraw, draw_id, with_for_update=lock or None)
    if draw is None or draw.campaign_id != campaign.id:
        abort(404)
    return draw


def _drawn_draw_of(campaign: Campaign, draw_id: int) -> SampleDraw:
    """The draw, when it was drawn: a prepared or set-aside draw has nobody to list or issue
    to (409)."""
    draw = _draw_of(campaign, draw_id)
    if draw.drawn_at is None:
        abort(409)
    return draw


def _drawn(draw: SampleDraw) -> list[RosterEntry]:
    """The people drawn, each with its rater group loaded by the same query (a lazy load a
    person, thousands from a system-wide roster, took seconds)."""
    return list(db.session.scalars(
        sa.select(RosterEntry).join(DrawnPerson, DrawnPerson.roster_entry_id == RosterEntry.id)
        .join(RaterGroup, RaterGroup.id == RosterEntry.rater_group_id)
        .options(contains_eager(RosterEntry.rater_group))
        .where(DrawnPerson.draw_id == draw.id)
        .order_by(RaterGroup.position, RosterEntry.unit_name, RosterEntry.staff_number)))


@bp.get("/<int:draw_id>")
@role_required(*READERS)
def detail(campaign_id: int, draw_id: int) -> str:
    campaign = campaign_for(current_user, campaign_id)
    return _detail_page(campaign, _draw_of(campaign, draw_id))


def _detail_page(campaign: Campaign, draw: SampleDraw, *,
                 form: IssueFromDrawForm | None = None, witness: WitnessForm | None = None,
                 abandon: AbandonDrawForm | None = None) -> str:
    return render_template("sampling/detail.html", campaign=campaign, draw=draw,
                           people=_drawn(draw), groups=_groups(campaign),
                           form=form or IssueFromDrawForm(formdata=None),
                           witness=witness or WitnessForm(formdata=None),
                           abandon=abandon or AbandonDrawForm(formdata=None),
                           acknowledge=AcknowledgeForm(formdata=None),
                           acknowledger=current_user.role in ACKNOWLEDGERS,
                           publication=publication(draw), issuable=draw_issuable(draw),
                           issued=_issued_from(campaign, draw))


@bp.get("/<int:draw_id>/notice")
@role_required(*READERS)
def notice(campaign_id: int, draw_id: int) -> str:
    """The commitment as printed for the meeting notice (print CSS: the page is the sheet)."""
    campaign = campaign_for(current_user, campaign_id)
    draw = _draw_of(campaign, draw_id)
    if not draw.committed:
        abort(404)
    return render_template("sampling/notice.html", campaign=campaign, draw=draw,
                           groups=_groups(campaign), roster=roster_of(campaign).members,
                           margin=publication(draw).margin)


def _pending_of(campaign_id: int, draw_id: int) -> tuple[Campaign, SampleDraw]:
    """The campaign and its prepared draw, for the two steps that end it; 409 when the draw
    was already drawn or set aside, or the campaign is closed."""
    campaign = campaign_for(current_user, campaign_id)
    # Locked (PostgreSQL) so that two organisers drawing at once cannot both draw it.
    draw = _draw_of(campaign, draw_id, lock=True)
    if campaign.status is CampaignStatus.CLOSED or not draw.committed or not draw.pending:
        abort(409)
    return campaign, draw


@bp.post("/<int:draw_id>/draw")
@role_required(Role.ORGANISER)
def draw_(campaign_id: int, draw_id: int) -> Response | tuple[str, int]:
    """Draw with the witness's value: the sample is decided, and the secret revealed."""
    campaign, draw = _pending_of(campaign_id, draw_id)
    form = WitnessForm()
    if form.validate():
        try:
            make_draw(draw, form.witness.data, user=current_user)
        except WitnessRefused as error:  # the form said so already; kept for a direct call
            form.witness.errors.append(witness_refusal(error))
        except RosterChanged:
            abort(409)
        except SecretLost:
            flash(_("The secret of this prepared draw cannot be read on this server (its "
                    "key-encryption key is not the one the secret was kept under, or the "
                    "secret is not the one committed to), so it cannot be drawn here: draw on "
                    "a server configured with the same EVALAPP_KEY_ENCRYPTION_KEY, or set it "
                    "aside, with that reason, and prepare a new draw."), "error")
            return _detail_page(campaign, draw), 409
        else:
            record("sample.draw", user=current_user, campaign=campaign, draw=draw.sequence,
                   witness=draw.witness_typed, seed=draw.seed, secret=draw.secret,
                   allocation=draw.allocation, roster=draw.roster_fingerprint)
            db.session.commit()
            return _to_detail(draw)
    return _detail_page(campaign, draw, witness=form), 422


@bp.post("/<int:draw_id>/abandon")
@role_required(Role.ORGANISER)
def abandon(campaign_id: int, draw_id: int) -> Response | tuple[str, int]:
    """Set a prepared draw aside, with its reason: it stays on record, its secret shown."""
    campaign, draw = _pending_of(campaign_id, draw_id)
    form = AbandonDrawForm()
    if not form.validate() or not is_real_reason(form.reason.data):
        if not form.reason.errors:
            form.reason.errors.append(_("Say why this prepared draw is set aside.") + " "
                                      + _thin_reason())
        return _detail_page(campaign, draw, abandon=form), 422
    try:
        abandon_draw(draw, form.reason.data)
    except SecretLost:
        flash(_("This server cannot read the secret kept for this prepared draw (its "
                "key-encryption key is not the one the secret was kept under): set it aside "
                "on a server configured with the same EVALAPP_KEY_ENCRYPTION_KEY, so that the "
                "record can publish its secret."), "error")
        return _detail_page(campaign, draw), 409
    record("sample.abandon", user=current_user, campaign=campaign, draw=draw.sequence,
           reason=draw.abandon_reason, secret=draw.secret)
    db.session.commit()
    return _to_detail(draw)


@bp.post("/<int:draw_id>/acknowledge")
@role_required(*READERS)
def acknowledge(campaign_id: int, draw_id: int) -> Response:
    """A second account acknowledges the commitment as received, before the draw (its time
    is what lets the verification say "published beforehand"); never an organiser (403)."""
    campaign = campaign_for(current_user, campaign_id)
    if current_user.role not in ACKNOWLEDGERS:
        abort(403)
    draw = _draw_of(campaign, draw_id, lock=True)
    if not AcknowledgeForm().validate() or not draw.committed or not draw.pending:
        abort(409)
    first = draw.acknowledged_at is None
    acknowledge_draw(draw, current_user)
    if first:
        record("sample.acknowledge", user=current_user, campaign=campaign,
               draw=draw.sequence, commitment=draw.commitment)
    db.session.commit()
    return _to_detail(draw)


@bp.get("/<int:draw_id>/verify")
@role_required(*READERS)
def verify(campaign_id: int, draw_id: int) -> str:
    """Recompute the draw from the roster as stored and its record, check by check; say
    whether its commitment was published beforehand; list every earlier draw."""
    campaign = campaign_for(current_user, campaign_id)
    draw = _draw_of(campaign, draw_id)
    if draw.drawn_at is None:
        abort(409)
    return render_template("sampling/verify.html", campaign=campaign, draw=draw,
                           result=verification(draw), publication=publication(draw),
                           earlier=earlier_draws(draw))


def _issued_from(campaign: Campaign, draw: SampleDraw) -> list[BatchSummary]:
    return [b for b in batch_summaries(campaign) if b.batch.draw_id == draw.id]


@bp.get("/<int:draw_id>/people.xlsx")
@role_required(Role.ORGANISER, Role.AUDITOR)
def export(campaign_id: int, draw_id: int) -> Response:
    campaign = campaign_for(current_user, campaign_id)
    draw = _drawn_draw_of(campaign, draw_id)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "抽样名单"
    append_row(sheet, ["姓名", "工号", "单位", "测评人类别"])
    for person in _drawn(draw):
        append_row(sheet, [person.name, person.staff_number, person.unit_name,
                           person.rater_group.name_zh])
    sheet.append([])
    seed = draw.seed or ""
    append_row(sheet, [f"第 {draw.sequence} 次抽样", f"种子 {seed[:16]}{'…' if seed[16:] else ''}",
                  f"名册指纹 {draw.roster_fingerprint[:16]}"])
    fit_columns(sheet)
    sheet.freeze_panes = "A2"  # the header stays in view while scrolling the names
    _record_sheet(workbook, draw)
    record("sample.export", user=current_user, campaign=campaign, draw=draw.sequence)
    db.session.commit()
    response = Response(workbook_bytes(workbook), mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="draw-{campaign.id}-{draw.sequence}.xlsx"')
    return response


@bp.get("/<int:draw_id>/record.json")
@role_required(Role.ORGANISER, Role.AUDITOR)
def record_file(campaign_id: int, draw_id: int) -> Response:
    """The draw's record with the roster's staff numbers per group, for anyone to check
    without the server: `evalapp verify-draw --record record.json`, or analysis.check_draw."""
    campaign = campaign_for(current_user, campaign_id)
    draw = _drawn_draw_of(campaign, draw_id)
    published = publication(draw)
    body = json.dumps({
        **record_to_json(draw_record(draw)),
        "prepared_at": iso_time(draw.prepared_at), "drawn_at": iso_time(draw.drawn_at),
        "reason": draw.reason, "acknowledged_by": published.by,
        "acknowledged_at": iso_time(published.at), "published_beforehand": published.beforehand,
        "notice_margin_minutes": published.margin,
    }, ensure_ascii=False, indent=1)
    record("sample.export", user=current_user, campaign=campaign, draw=draw.sequence,
           format="json")
    db.session.commit()
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="draw-{campaign.id}-{draw.sequence}-record.json"')
    return response


def _record_sheet(workbook: Workbook, draw: SampleDraw) -> None:
    """The draw's record in full, beside the names: what `evalapp verify-draw` checks."""
    sheet = workbook.create_sheet("抽样记录")
    rows = [("抽样", f"第 {draw.sequence} 次"), ("名册指纹", draw.roster_fingerprint),
            ("种子", draw.seed)]
    if draw.committed:
        rows += [("承诺的抽样参数", draw.parameters), ("承诺值", draw.commitment),
                 ("见证值（输入）", draw.witness_typed), ("见证值（规范化）", draw.witness),
                 ("秘密值", draw.secret)]
    else:
        rows.append(("说明", "旧式抽样：种子由系统或组织者选定，抽样前未公布承诺值"))
    rows += [(f"此前第 {other.sequence} 次抽样",
              "；".join(part for part in (
                  "已抽样" if other.drawn_at else "已作废" if other.abandoned_at else "已准备",
                  f"理由：{other.reason}" if other.reason else "",
                  f"作废理由：{other.abandon_reason}" if other.abandon_reason else "",
                  f"承诺值：{other.commitment}" if other.commitment else "",
                  f"种子：{other.seed}" if other.seed else "") if part))
             for other in earlier_draws(draw)]
    for row in rows:
        append_row(sheet, list(row))
    fit_columns(sheet, most=80)


@bp.post("/<int:draw_id>/issue")
@role_required(Role.ORGANISER)
def issue(campaign_id: int, draw_id: int) -> Response | tuple[str, int]:
    """One ticket per person drawn, per group, covering every subject; plus spares. The
    tickets are issued to groups: which person gets which ticket is never recorded.

    Issuing again from the same draw adds a second set of tickets (the response rate then
    counts both), so it needs a written reason, kept in the audit log."""
    campaign = campaign_for(current_user, campaign_id)
    draw = _drawn_draw_of(campaign, draw_id)
    form = IssueFromDrawForm()
    if campaign.status is CampaignStatus.CLOSED:
        abort(409)
    if not draw_issuable(draw):
        return _detail_page(campaign, draw, form=form), 409
    reason = (form.reason.data or "").strip()
    if form.validate() and _issued_from(campaign, draw) and not reason:
        form.reason.errors.append(_("Tickets were already issued from this draw. Issuing again "
                                    "adds as many again; say why (the first set stays valid "
                                    "unless you void it)."))
    if form.errors:
        return _detail_page(campaign, draw, form=form), 422
    spares = form.spares.data or 0
    issued = []
    for group_id, group in _groups(campaign).items():
        count = int(draw.allocation.get(group_id, 0))
        if count + spares:
            try:
                issued.append(issue_tickets(campaign, group, campaign.subjects, count,
                                            spares=spares, draw=draw, user=current_user))
            except NotCurrentDraw:  # a redraw prepared since the check above
                db.session.rollback()
                return _detail_page(campaign, _draw_of(campaign, draw_id), form=form), 409
    if not issued:
        abort(400)
    printing = Printing.chosen(form)
    record("tickets.issue_from_draw", user=current_user, campaign=campaign,
           draw=draw.sequence, batches=[batch.id for batch, _tokens in issued], spares=spares,
           reason=reason or None, **printing.audited())
    return sheet_response(campaign, issued, "pdf", printing)
