from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import generate_csrf
from limits import parse
from werkzeug.wrappers import Response

from evalapp.ballotbox.sealing import SealedContent
from evalapp.ballots.models import COMMENT_MAX_LENGTH, Receipt
from evalapp.campaigns.labels import digest_lines
from evalapp.campaigns.models import Campaign, CampaignStatus
from evalapp.database import read_first, start_writing
from evalapp.extensions import db, limiter
from evalapp.rating import session as rater_session
from evalapp.rating.operations import (
    Refused,
    TicketCheck,
    TicketState,
    check_ticket,
    contents_of,
    spent_with,
    submit_ballots,
)
from evalapp.rating.questionnaire import Questionnaire, kept_questionnaire, questionnaire
from evalapp.rating.verdict import Verdict, verdict
from evalapp.tickets.models import Ticket, TicketBatch
from evalapp.tickets.tokens import canonical, hash_token, normalize
from forms.ballot import (
    BallotFormBase,
    comment_field,
    common_field,
    individual_field,
    satisfaction_field,
)

bp = Blueprint("rating", __name__)

# Each refusal has its own page and status: unknown codes are not found, a used ticket
# conflicts with the request, a voided ticket or a closed campaign is gone for good, and a
# campaign not yet open forbids rating for now.
STATE_PAGES = {
    TicketState.UNKNOWN: (404, _l("Ticket not recognised"), _l(
        "This code does not belong to any ticket. Please check that you scanned or typed the "
        "code printed on your ticket.")),
    TicketState.SPENT: (409, _l("This ticket has already been used"), _l(
        "A ballot has already been submitted with this ticket; each ticket counts once. If you "
        "did not submit it yourself, please tell the organisers at the meeting.")),
    TicketState.VOIDED: (410, _l("This ticket is no longer valid"), _l(
        "The organisers have withdrawn this ticket. Please ask them for a valid one.")),
    TicketState.ON_PAPER: (409, _l("This ticket has been used on paper"), _l(
        "A paper ballot with this ticket's code has been handed in and is being counted; each "
        "ticket counts once. If you did not hand it in yourself, please tell the organisers at "
        "the meeting.")),
    TicketState.NOT_OPEN: (403, _l("Rating has not started yet"), _l(
        "This evaluation is not open yet. Please scan the code again when the organisers "
        "announce the start of rating.")),
    TicketState.CLOSED: (410, _l("Rating has ended"), _l(
        "This evaluation is closed and no more ballots are accepted.")),
}
TOO_MANY_WRONG_CODES = (429, _l("Ticket not recognised"), _l(
    "This code does not belong to any ticket, and many wrong codes have come from this network "
    "in the last minute. Please check the code printed on your ticket: a correct code is always "
    "accepted."))
NO_TICKET = (403, _l("Please scan your ticket first"), _l(
    "This page opens after scanning the QR code on your ticket (or typing its code on the "
    "start page)."))


@bp.after_request
def private(response: Response) -> Response:
    """Ticket pages are never cached: a shared phone's back button must not show a ballot."""
    response.headers["Cache-Control"] = "no-store"
    return response


def state_page(status: int, title: str, message: str, *, retry: bool = False,
               typed: str = "") -> tuple[str, int]:
    """A refusal; `retry` adds the field to type the code again (holding `typed`)."""
    return render_template("rating/state.html", title=title, message=message, retry=retry,
                           typed=typed), status


def enter_with(code: str) -> Response | tuple[str, int]:
    token = normalize(code)
    token_hash = hash_token(token) if token else ""
    check = check_ticket(token_hash) if token else TicketCheck(TicketState.UNKNOWN)
    if check.state is TicketState.UNKNOWN:
        return state_page(*(TOO_MANY_WRONG_CODES if _too_many_wrong_codes()
                             else STATE_PAGES[TicketState.UNKNOWN]), retry=True, typed=code[:100])
    if check.state is TicketState.VALID:
        rater_session.start(token_hash, check.campaign_id, check.subject_ids, check.opened_at)
        return redirect(url_for("rating.ballot"), code=303)
    if check.state is TicketState.SPENT and (_own_ticket_spent(token_hash)
                                             or _stored_here(check)):
        return _to_receipt()
    return state_page(*STATE_PAGES[check.state])


def _stored_here(check: TicketCheck) -> bool:
    """A phone whose ballot is stored scans its spent ticket again: its session no longer
    names the ticket, so the subjects it holds receipts for stand in for it."""
    rater = rater_session.load()
    return (rater is not None and rater.stored and rater.campaign_id == check.campaign_id
            and set(rater.receipts) == set(check.subject_ids))


# A meeting room shares one address. Only wrong codes are counted, and only a wrong code is
# ever refused for it: a room whose typists made many typos still enters with every valid
# ticket, while guessing codes from one address stops after a few dozen a minute.
WRONG_CODES = parse("30/minute")


def _too_many_wrong_codes() -> bool:
    """Counts this wrong code against the address; whether the address is over its limit."""
    if not limiter.enabled:
        return False
    return not limiter.limiter.hit(WRONG_CODES, "wrong-ticket-codes", get_remote_address())


@bp.get("/t/<code>")
@bp.get("/T/<code>")  # a ticket's address typed or scanned with Caps Lock on
def enter(code: str) -> Response | tuple[str, int]:
    return enter_with(code)


@bp.post("/t")
def enter_typed() -> Response | tuple[str, int]:
    code = request.form.get("code", "")[:100]
    if not canonical(code):  # nothing typed: ask for the code rather than call it wrong
        return render_template("home/index.html", code_error=_l(
            "Please type the code printed on your ticket.")), 422
    return enter_with(code)


def _own_ticket_spent(token_hash: str) -> bool:
    """Whether this phone spent the ticket (a double tap, or a response lost on the way):
    the ticket was spent with the mark this phone's session chose."""
    rater = rater_session.load()
    return (rater is not None and rater.token_hash == token_hash and rater.mark is not None
            and spent_with(token_hash, rater.mark))


def _to_receipt() -> Response:
    """The ballot is stored: the session forgets the ticket, and the receipt is shown."""
    rater = rater_session.load()
    if rater is not None:
        rater_session.forget_ticket(rater)
    return redirect(url_for("rating.receipt"), code=303)


@bp.route("/ballot", methods=["GET", "POST"])
def ballot() -> Response | str | tuple[str, int]:
    rater = rater_session.load()
    if rater is None:
        return state_page(*NO_TICKET)
    if rater.token_hash is None:  # stored already: a back button or a reload
        return redirect(url_for("rating.receipt"), code=303)
    read_first()  # validating 30 answers must not hold up the room's other submits
    # A submit is checked where it spends the ticket, under the campaign's lock
    # (`submit_ballots`): checking it before as well, as the page's load does, cost a query.
    campaign = (kept_questionnaire(rater.campaign_id, rater.opened_at)
                if request.method == "POST" and rater.opened_at and rater.subject_ids
                else None)
    subject_ids = rater.subject_ids
    if campaign is None:
        check = check_ticket(rater.token_hash)
        if check.state is not TicketState.VALID:
            if check.state is TicketState.SPENT and _own_ticket_spent(rater.token_hash):
                return _to_receipt()
            return state_page(*STATE_PAGES[check.state])
        assert check.campaign_id is not None
        campaign = questionnaire(check.campaign_id, check.opened_at)
        subject_ids = check.subject_ids
    if request.method == "GET":
        if request.query_string:  # no page links here with one: not worth keeping
            return _ballot_page(campaign, subject_ids)
        return campaign.fresh_page(
            subject_ids, generate_csrf(),
            lambda csrf_token: _ballot_page(campaign, subject_ids, csrf_token=csrf_token))
    layout = campaign.layout(subject_ids)
    form = campaign.form_class(subject_ids)()
    if not form.validate():
        return _ballot_page(campaign, subject_ids, form), 422
    contents = contents_of(form, layout, rater.receipts)
    verdicts = {c.subject_id: verdict(campaign, c) for c in contents}
    blanks = {s.subject_id: form.unanswered(s) for s in layout if form.unanswered(s)}
    void = any(v.void for v in verdicts.values())
    # a nomination that ticks nobody counts, as nominating nobody: asked once, as blanks are
    unmarked = campaign.max_marks is not None and not form.marks()
    if not (blanks or void or unmarked) or form.confirm_blanks.data == "1":
        return _submit(rater, contents, verdicts.values())
    form.confirm_blanks.data = "1"
    return _ballot_page(campaign, subject_ids, form, blanks, verdicts)


def _ballot_page(campaign: Questionnaire, subject_ids: Sequence[int],
                 form: BallotFormBase | None = None, blanks: dict[int, list[str]] | None = None,
                 verdicts: dict[int, Verdict] | None = None,
                 csrf_token: Callable[[], str] = generate_csrf) -> str:
    """The ballot of a ticket's subjects: fresh (no `form`), or as submitted, with its
    errors, its blank questions and whether it would be void."""
    return render_template(
        "rating/ballot.html",
        csrf_token=csrf_token,
        campaign=campaign,
        subjects=campaign.subjects_of(subject_ids),
        form=form or campaign.form_class(subject_ids)(formdata=None),
        blanks=blanks or {},
        verdicts=verdicts or {},
        fields=_FieldNames,
        satisfactions=campaign.satisfactions(),
        comment_max=COMMENT_MAX_LENGTH,
        draft_key=draft_key(campaign.id, subject_ids),
    )


def draft_key(campaign_id: int, subject_ids: Iterable[int]) -> str:
    """Where the browser keeps the unsent answers: by campaign and subjects, never by ticket."""
    return f"evalapp-draft-{campaign_id}-{'-'.join(map(str, sorted(subject_ids)))}"


class _FieldNames:
    """Field names for the template, the same functions the form is built with."""

    common = staticmethod(common_field)
    individual = staticmethod(individual_field)
    satisfaction = staticmethod(satisfaction_field)
    comment = staticmethod(comment_field)


def _submit(
    rater: rater_session.RaterSession, contents: list[SealedContent],
    verdicts: Iterable[Verdict],
) -> Response | tuple[str, int]:
    assert rater.token_hash is not None and rater.mark is not None
    start_writing(db.session)
    outcome = submit_ballots(rater.token_hash, rater.mark, contents)
    if isinstance(outcome, Refused):
        db.session.rollback()
        return state_page(*STATE_PAGES[outcome.state])
    db.session.commit()
    rater_session.record_void({v.subject_id: v.void for v in verdicts if v.void})
    return _to_receipt()


@bp.get("/ballot/receipt")
def receipt() -> Response | str | tuple[str, int]:
    rater = rater_session.load()
    if rater is None:
        return state_page(*NO_TICKET)
    if not rater.stored:
        # Never say "submitted" without the ballot in the database: a session that still
        # holds its ticket shows the receipt only once that ticket is spent with its mark.
        if not _own_ticket_spent(rater.token_hash or ""):
            return redirect(url_for("rating.ballot"), code=303)
        rater = rater_session.forget_ticket(rater)
    campaign = (kept_questionnaire(rater.campaign_id, rater.opened_at)
                if rater.opened_at else None)
    if campaign is None:
        opened = db.session.execute(
            sa.select(Campaign.opened_at).where(Campaign.id == rater.campaign_id)).first()
        if opened is None:  # the campaign has been deleted since
            return state_page(*NO_TICKET)
        campaign = questionnaire(rater.campaign_id, opened.opened_at)
    subjects = campaign.subjects_of(list(rater.receipts))
    if not subjects:  # a session from another database (a rebuilt demo, a shared key)
        return state_page(*NO_TICKET)
    return render_template(
        "rating/receipt.html",
        campaign=campaign,
        receipts=[(subject, rater.receipts[subject.id], rater.void.get(subject.id))
                  for subject in subjects],
        draft_key=draft_key(rater.campaign_id, rater.receipts),
    )


@bp.get("/r/<key>")
def receipts(key: str) -> str:
    """The public list of receipts, at an address that cannot be guessed from another
    campaign's. Empty while the box is sealed: a list growing during the meeting would time
    each rater's vote."""
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.receipts_key == key[:32]))
    if campaign is None or campaign.status is CampaignStatus.DRAFT:
        abort(404)
    # Counted or void is all a receipt says (evalapp.ballots.models.Receipt).
    receipts: dict[str, bool] = dict(db.session.execute(
        sa.select(Receipt.code, Receipt.void).where(Receipt.campaign_id == campaign.id)
        .order_by(Receipt.code)).all())
    looked_up = canonical(request.args.get("code") or "")[:32]
    # The tickets they came from, counted as the monitor counts them ("returned"): a ticket
    # holds one ballot, with its receipt, per subject it covers. Once closed only, as the list.
    returned = db.session.scalar(sa.select(sa.func.count(Ticket.id)).join(TicketBatch).where(
        TicketBatch.campaign_id == campaign.id, Ticket.spent)) if receipts else 0
    return render_template(
        "rating/receipts.html",
        campaign=campaign,
        digest=digest_lines(campaign.ballot_export_sha256)
        if campaign.ballot_export_sha256 else [],
        receipts=receipts,
        void=sum(receipts.values()),
        returned=returned,
        looked_up=looked_up,
        found=receipts.get(looked_up, "missing") if looked_up else None,
    )
