"""Pages for clerks keying paper ballots, for the third person deciding where two keyings
differ, and the printable tally sheet (计票单).

The ticket code travels only in form bodies (never in an address, which logs keep), and no
page shows one clerk's keying to another: the second clerk starts from a blank ballot, and the
person deciding sees the disputed fields alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from evalapp.audit.operations import record
from evalapp.auth.access import role_required
from evalapp.auth.models import Role
from evalapp.ballots.models import COMMENT_MAX_LENGTH, decode_answer, encode_levels
from evalapp.campaigns.access import campaign_for
from evalapp.campaigns.labels import answer_choices, satisfaction_choices
from evalapp.campaigns.models import (
    Answer,
    Campaign,
    CampaignStatus,
    RaterGroup,
    Satisfaction,
    Scale,
)
from evalapp.database import start_writing, utcnow
from evalapp.extensions import db
from evalapp.paper.keying import Field, Value
from evalapp.paper.operations import (
    Hold,
    Keyed,
    Pending,
    Refused,
    Stage,
    Void,
    decide,
    key_ballot,
    pending,
    record_void,
    tally,
)
from evalapp.rating.operations import TicketState, contents_of
from evalapp.rating.questionnaire import Item, Questionnaire, SubjectView, questionnaire
from evalapp.tickets.models import Ticket
from evalapp.tickets.tokens import grouped, hash_token, normalize
from forms.ballot import utf16_length
from forms.paper import PaperCodeForm

bp = Blueprint("paper", __name__, url_prefix="/campaigns/<int:campaign_id>/paper")

KEYERS = (Role.ORGANISER, Role.CLERK)

KEYED = {
    Keyed.FIRST: _l("First keying saved. Hand the paper ballot to another clerk for the second "
                    "keying, without telling them what you keyed."),
    Keyed.RECHECK: _l("The two keyings agree. The system drew this ballot for a re-check: hand "
                      "it to a third clerk to key it once more."),
    Keyed.DIFFER: _l("The keyings differ. Hand the paper ballot to a person who has not keyed "
                     "it, to check the fields that differ against the paper."),
    Keyed.SEALED: _l("The two keyings agree: the ballot is in the ballot box and its ticket is "
                     "used."),
    Keyed.RECHECKED: _l("The third keying (the system's re-check) agrees with the first two: "
                        "the ballot is in the ballot box and its ticket is used."),
    Keyed.DECIDED: _l("Decided by a third person: the fields that differed are as decided, the "
                      "ballot is in the ballot box and its ticket is used."),
}
SEALED = (Keyed.SEALED, Keyed.RECHECKED, Keyed.DECIDED)
# (HTTP status, message) for each reason a paper ballot cannot be keyed now
REFUSED = {
    TicketState.UNKNOWN: (404, _l("No ticket has this code. Check the code on the paper "
                                  "ballot and type it again.")),
    TicketState.SPENT: (409, _l("This ticket was used on a phone: this paper ballot is void "
                                "and is not keyed. Record it as a void paper ballot.")),
    TicketState.VOIDED: (409, _l("This ticket was withdrawn: this paper ballot is void and is "
                                 "not keyed. Record it as a void paper ballot.")),
    TicketState.NOT_OPEN: (409, _l("The campaign is not open yet: paper ballots are keyed "
                                   "once it is.")),
    TicketState.CLOSED: (409, _l("The campaign is closed and its ballot box opened: no more "
                                 "paper ballots can be keyed.")),
    Hold.KEYED_BY_YOU: (409, _l("You have already keyed this paper ballot. The next keying "
                                "must be made by somebody else.")),
    Hold.AWAITS_DECISION: (409, _l("The keyings of this paper ballot differ. A person who has "
                                   "not keyed it must check them against the paper.")),
    Hold.NOTHING_TO_DECIDE: (409, _l("The keyings of this paper ballot do not differ: there "
                                     "is nothing to decide.")),
    Hold.UNREADABLE: (409, _l("This paper ballot cannot be keyed on this server: its "
                              "key-encryption key does not open the key that hides the "
                              "keyings (every server of the system must be configured with "
                              "the same EVALAPP_KEY_ENCRYPTION_KEY). Ask the administrator.")),
}
SEALED_ON_PAPER = (409, _l("This paper ballot has already been keyed and is in the ballot box."))
# Refusals after which the paper in hand is counted as a void paper ballot
VOID_ON_TALLY = (TicketState.SPENT, TicketState.VOIDED)


@bp.route("/", methods=["GET", "POST"])
@role_required(*KEYERS)
def index(campaign_id: int) -> str | tuple[str, int]:
    """Scan or type a paper ballot's code; then its keying form, or the decision page."""
    campaign = campaign_for(current_user, campaign_id)
    form = PaperCodeForm()
    if not form.validate_on_submit():
        return _index(campaign, form), (422 if form.errors else 200)
    token = normalize(_code_in(form.code.data or ""))
    found = _pending_here(campaign, token)
    if isinstance(found, Refused):
        return _refused(campaign, form, found, hash_token(token) if token else "")
    if found.stage is Stage.DECIDE:
        if current_user.id in found.keyed_by:
            return _refused(campaign, form, Refused(Hold.AWAITS_DECISION), "")
        return _decision_page(campaign, found, token or "")
    if current_user.id in found.keyed_by:
        return _refused(campaign, form, Refused(Hold.KEYED_BY_YOU), "")
    return _keying_page(campaign, found, token or "")


def _pending_here(campaign: Campaign, token: str | None) -> Pending | Refused:
    """The paper ballot of `token` in this campaign (unknown when nothing could be a code)."""
    return pending(token, campaign.id) if token else Refused(TicketState.UNKNOWN)


_TICKET_PATH = re.compile("/t/", re.IGNORECASE)


def _code_in(scanned: str) -> str:
    """The code in what a scanner typed: a ticket's QR code holds the address /t/<code>,
    in any case (a scanner typing with Caps Lock on sends HTTP://…/T/<code in lower case>)."""
    return _TICKET_PATH.split(scanned)[-1].split("?", 1)[0].split("#", 1)[0]


def _index(campaign: Campaign, form: PaperCodeForm, message: str | None = None,
           void_code: str | None = None) -> str:
    return render_template("paper/index.html", campaign=campaign, form=form,
                           tally=tally(campaign), message=message, void_code=void_code)


def _refused(campaign: Campaign, form: PaperCodeForm, refused: Refused,
             token_hash: str) -> tuple[str, int]:
    status, message = REFUSED[refused.reason]
    if refused.reason is TicketState.SPENT and db.session.scalar(
            sa.select(Ticket.paper).where(Ticket.token_hash == token_hash)):
        status, message = SEALED_ON_PAPER
    elif refused.reason in VOID_ON_TALLY:
        return _index(campaign, form, str(message), void_code=form.code.data), status
    return _index(campaign, form, str(message)), status


def _questionnaire(found: Pending) -> Questionnaire:
    assert found.check.campaign_id is not None
    return questionnaire(found.check.campaign_id, found.check.opened_at)


def _ballot_in_hand(found: Pending, token: str) -> dict[str, object]:
    """What the keying and decision pages say of the paper in hand, for the clerk to check
    against it: the ticket's code as printed, and its rater group."""
    return {"token": token, "printed_code": grouped(token),
            "group": db.session.get(RaterGroup, found.check.rater_group_id)}


def _keying_page(campaign: Campaign, found: Pending, token: str,
                 form: object = None) -> str:
    sheet = _questionnaire(found)
    return render_template(
        "paper/key.html", campaign=campaign, sheet=sheet, stage=found.stage,
        **_ballot_in_hand(found, token),
        subjects=sheet.subjects_of(found.check.subject_ids),
        form=form or sheet.form_class(found.check.subject_ids, keying=True)(formdata=None),
        satisfactions=sheet.satisfactions(),
        comment_max=COMMENT_MAX_LENGTH)


@bp.post("/ballot")
@role_required(*KEYERS)
def key(campaign_id: int) -> Response | str | tuple[str, int]:
    campaign = campaign_for(current_user, campaign_id)
    token = normalize(request.form.get("code", "")[:100])
    found = _pending_here(campaign, token)
    if isinstance(found, Refused):
        return _refused(campaign, _code_form(token), found, hash_token(token) if token else "")
    sheet = _questionnaire(found)
    form = sheet.form_class(found.check.subject_ids, keying=True)()
    if not form.validate():
        return _keying_page(campaign, found, token or "", form), 422
    contents = contents_of(form, sheet.layout(found.check.subject_ids),
                           dict.fromkeys(found.check.subject_ids, ""))
    start_writing(db.session)
    outcome = key_ballot(token or "", current_user.id, contents)
    response = _after(campaign, outcome, token or "")
    if sheet.max_marks is not None and (marks := form.marks()) > sheet.max_marks:
        # keyed as the paper shows it; the clerk is told what the opening will make of it
        flash(str(_l("This paper ballot marks %(marks)d candidates, more than %(max)d: it "
                     "will be void when the box is opened.", marks=marks,
                     max=sheet.max_marks)), "info")
    return response


def _code_form(token: str | None) -> PaperCodeForm:
    """The code field holding the code of the ballot in hand (for the void button)."""
    return PaperCodeForm(formdata=None, data={"code": token or ""})


def _after(campaign: Campaign, outcome: Keyed | Refused,
           token: str) -> Response | tuple[str, int]:
    if isinstance(outcome, Refused):
        db.session.rollback()
        return _refused(campaign, _code_form(token), outcome, hash_token(token))
    db.session.commit()
    flash(str(KEYED[outcome]), "success" if outcome in SEALED else "info")
    return redirect(url_for("paper.index", campaign_id=campaign.id), code=303)


def _decision_page(campaign: Campaign, found: Pending, token: str,
                   error: str | None = None) -> str:
    sheet = _questionnaire(found)
    return render_template(
        "paper/decide.html", campaign=campaign, error=error, **_ballot_in_hand(found, token),
        disputes=[_dispute(sheet, number, field, values)
                  for number, (field, values) in enumerate(found.disputed)],
        satisfactions=satisfaction_choices(),
        comment_max=COMMENT_MAX_LENGTH)


@dataclass(frozen=True)
class Dispute:
    """A disputed field as the decision page shows it."""

    name: str  # of its radio group
    subject: SubjectView
    field: Field
    item: Item | None  # None for satisfaction and the opinion
    values: tuple[Answer | str | None, ...]  # the distinct values keyed, items' as answers


def _dispute(sheet: Questionnaire, number: int, field: Field,
             values: tuple[Value, ...]) -> Dispute:
    item = _item(sheet, field)
    return Dispute(f"field-{number}", sheet.subjects[field.subject_id], field, item,
                   tuple(decode_answer(item.scale, value) if item and value else value
                         for value in values))


def _item(sheet: Questionnaire, field: Field) -> Item | None:
    if field.index is None:
        return None
    items = [*sheet.common_items(), *sheet.subjects[field.subject_id].individual_items]
    return items[field.index]


@bp.post("/decide")
@role_required(*KEYERS)
def decide_(campaign_id: int) -> Response | str | tuple[str, int]:
    campaign = campaign_for(current_user, campaign_id)
    token = normalize(request.form.get("code", "")[:100])
    found = _pending_here(campaign, token)
    if isinstance(found, Refused):
        return _refused(campaign, _code_form(token), found, hash_token(token) if token else "")
    decisions = _decisions(found)
    if decisions is None:
        return _decision_page(campaign, found, token or "", error=str(_l(
            "Please choose a value for every field that differs (an opinion typed here has at "
            "most %(max)d characters).", max=COMMENT_MAX_LENGTH))), 422
    start_writing(db.session)
    outcome = decide(token or "", current_user.id, decisions)
    if not isinstance(outcome, Refused):
        record("paper.decide", user=current_user, campaign=campaign,
               fields=len(decisions))
    return _after(campaign, outcome, token or "")


def _decisions(found: Pending) -> dict[Field, Value] | None:
    """The value chosen for each disputed field, or None when one is missing or not one of
    the offered values. Items and satisfaction offer every answer and "blank" (""), but for
    a candidate's box, which is ticked or not (never blank); an opinion offers each text
    keyed, by its position, or the text as the person deciding reads it on the paper
    ("typed", with the text beside it: both keyings may be wrong)."""
    decisions: dict[Field, Value] = {}
    for number, (field, values) in enumerate(found.disputed):
        chosen = request.form.get(f"field-{number}")
        if chosen is None:
            return None
        if field.comment:
            if chosen == TYPED:
                typed = (request.form.get(f"field-{number}-text") or "").strip()
                if utf16_length(typed) > COMMENT_MAX_LENGTH:
                    return None
                decisions[field] = typed or None
                continue
            # Compared as text: str.isdigit() passes "²", which int() refuses (and int()
            # refuses more than 4,300 digits), so parsing first would fail with a 500.
            offered = [str(position) for position in range(len(values))]
            if chosen not in offered:
                return None
            decisions[field] = values[offered.index(chosen)]
            continue
        item = _item(_questionnaire(found), field)
        offered = answer_choices(item) if item else satisfaction_choices()
        blank_offered = item is None or item.scale is not Scale.NOMINATION
        if (chosen or not blank_offered) and chosen not in {value for value, _ in offered}:
            return None
        if not chosen:
            decisions[field] = None
        elif item:
            decisions[field] = encode_levels([item.scale.answer(chosen)])
        else:
            decisions[field] = Satisfaction(chosen)
    return decisions


TYPED = "typed"  # an opinion decided as typed by the person deciding


@bp.post("/void")
@role_required(*KEYERS)
def void(campaign_id: int) -> Response:
    """Count the paper ballot in hand as void: its ticket was used on a phone or withdrawn."""
    campaign = campaign_for(current_user, campaign_id)
    if campaign.status is not CampaignStatus.OPEN:  # the tally is final once the box is open
        flash(str(REFUSED[TicketState.CLOSED][1]), "error")
        return redirect(url_for("paper.index", campaign_id=campaign.id), code=303)
    token = normalize(_code_in(request.form.get("code", "")[:300]))
    start_writing(db.session)
    outcome = record_void(campaign, hash_token(token)) if token else Void.REFUSED
    if outcome is Void.RECORDED:
        record("paper.void", user=current_user, campaign=campaign)
        db.session.commit()
        flash(str(_l("Recorded as a void paper ballot; it is counted on the tally and never "
                     "stored.")), "success")
    else:
        db.session.rollback()
        flash(str(_l("Nothing recorded: a void paper ballot of this ticket is already counted "
                     "on the tally, which counts one for each ticket. Keep this paper with "
                     "the void ones and note it on the tally sheet.")
                  if outcome is Void.ALREADY else
                  _l("Nothing recorded: this code is not of a used or withdrawn ticket.")),
              "error")
    return redirect(url_for("paper.index", campaign_id=campaign.id), code=303)


@bp.get("/tally")
@role_required(Role.ORGANISER, Role.CLERK, Role.AUDITOR, Role.LEADER, Role.SCRUTINEER)
def tally_sheet(campaign_id: int) -> str:
    """The tally sheet (计票单), printable, with lines for the scrutineers' signatures (who may
    read it: they sign it)."""
    campaign = campaign_for(current_user, campaign_id)
    return render_template("paper/tally.html", campaign=campaign, tally=tally(campaign),
                           as_of=utcnow())
