"""The pages of rounds, for the organisers of the unit a round is made at (or above it): the
list, a new round, its page (its design, the units to instantiate it over, its campaigns).
Organisers of a unit below see their campaign of the round in their campaign list and run it
as any campaign. A change of the design, saved with the campaign editors on the template,
reaches the campaigns not opened yet (`_template_changed`)."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from evalapp.audit.operations import record
from evalapp.auth.access import role_required
from evalapp.auth.models import Role, User
from evalapp.campaigns.models import Campaign
from evalapp.campaigns.operations import design_changed
from evalapp.confirm import confirmed
from evalapp.extensions import db
from evalapp.i18n import localized
from evalapp.rounds.models import Round
from evalapp.rounds.operations import (
    RoundData,
    UnitsRefused,
    create_round,
    instantiate,
    members,
    plan,
    propagate,
    rounds_of,
    save_round,
    units_below,
)
from evalapp.units.models import OrgUnit
from evalapp.units.operations import KIND_LABELS, offered, subtree_ids, tree_choices
from forms.rounds import InstantiateForm, RoundForm

bp = Blueprint("rounds", __name__, url_prefix="/rounds")


def round_for(user: User, round_id: int) -> Round:
    """The round, or 404 when it does not exist or was made outside the user's units (below
    their unit, organisers of a round's campaign run it, not the round); 403 for an
    administrator (三员分立), before anything is looked up."""
    if user.role.is_administrator:
        abort(403)
    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.unit_id not in subtree_ids(user.unit_id):
        abort(404)
    return round_


@bp.get("/")
@role_required(Role.ORGANISER)
def index() -> str:
    return render_template("rounds/index.html", rounds=rounds_of(current_user.unit_id))


def _data(form: RoundForm) -> RoundData:
    return RoundData(form.title.data.strip(), form.opens_on.data, form.closes_on.data)


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def new() -> Response | tuple[str, int]:
    form = RoundForm()
    form.unit.choices = tree_choices(offered(current_user.unit_id))
    if form.validate_on_submit():
        round_ = create_round(db.session.get_one(OrgUnit, form.unit.data), _data(form))
        record("round.create", user=current_user, campaign=round_.template,
               round=round_.id, title=round_.title)
        db.session.commit()
        return redirect(url_for("rounds.detail", round_id=round_.id), code=303)
    return render_template("rounds/new.html", form=form), 422 if form.errors else 200


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit(round_id: int) -> Response | tuple[str, int]:
    """The title and the schedule; the unit stays the one the round was made at."""
    round_ = round_for(current_user, round_id)
    form = RoundForm(obj=round_)
    del form.unit
    if form.validate_on_submit():
        save_round(round_, _data(form))
        record("round.edit", user=current_user, campaign=round_.template, round=round_.id,
               title=round_.title, opens_on=str(round_.opens_on or ""),
               closes_on=str(round_.closes_on or ""))
        db.session.commit()
        flash(_("Round saved."))
        return redirect(url_for("rounds.detail", round_id=round_.id), code=303)
    return render_template("rounds/edit.html", round=round_, form=form), (
        422 if form.errors else 200)


def _instantiate_form(round_: Round) -> InstantiateForm:
    form = InstantiateForm()
    kinds = dict.fromkeys(unit.kind for unit, _depth in units_below(round_))
    form.level.choices = [SelectChoice(kind.value, str(KIND_LABELS[kind])) for kind in kinds]
    return form


def _round_page(round_: Round, form: InstantiateForm, status: int = 200) -> tuple[str, int]:
    campaigns = members(round_)
    have = {member.campaign.unit_id for member in campaigns}
    return render_template(
        "rounds/detail.html", round=round_, form=form, units=units_below(round_), have=have,
        members=campaigns, statuses=Counter(member.campaign.status for member in campaigns)
    ), status


@bp.get("/<int:round_id>")
@role_required(Role.ORGANISER)
def detail(round_id: int) -> tuple[str, int]:
    round_ = round_for(current_user, round_id)
    return _round_page(round_, _instantiate_form(round_))


def _chosen(round_: Round, form: InstantiateForm) -> list[int] | None:
    """The units the form chose: None for every unit below the round's."""
    if form.scope.data == "level":
        return [unit.id for unit, _depth in units_below(round_)
                if unit.kind.value == form.level.data]
    return form.units.data if form.scope.data == "chosen" else None


@bp.post("/<int:round_id>/instantiate")
@role_required(Role.ORGANISER)
def instantiate_(round_id: int) -> Response | str | tuple[str, int]:
    """Make the round's campaigns for the units chosen, after a page that says how many:
    one a unit, each unit that has one already left as it is."""
    round_ = round_for(current_user, round_id)
    form = _instantiate_form(round_)
    if not form.validate():
        return _round_page(round_, form, 422)
    chosen = _chosen(round_, form)
    try:
        planned = plan(round_, chosen)
    except UnitsRefused:
        form.units.errors.append(_("Only units below the round's unit that are not retired "
                                   "can have a campaign of the round."))
        return _round_page(round_, form, 422)
    if not confirmed():
        return render_template("rounds/confirm.html", round=round_, form=form,
                               planned=planned)
    try:
        made = instantiate(round_, chosen)
    except IntegrityError:  # the same units' campaigns made meanwhile, in another window
        db.session.rollback()
        flash(_("Campaigns of the round were made meanwhile in another window: here they "
                "are. Choose the units again if some are still missing."), "error")
        return redirect(url_for("rounds.detail", round_id=round_id), code=303)
    record("round.instantiate", user=current_user, campaign=round_.template, round=round_.id,
           title=round_.title, campaigns_made=len(made.new), unchanged=made.existing)
    db.session.commit()
    flash(_("%(created)d campaigns made; %(existing)d units chosen had one already.",
            created=len(made.new), existing=made.existing))
    return redirect(url_for("rounds.detail", round_id=round_.id) + "#campaigns", code=303)


@design_changed.connect
def _template_changed(campaign: Campaign) -> str | None:
    """A change of a round's template, carried to the round's campaigns not opened yet
    (`propagate`) in the editor's transaction, and recorded once for all of them; what it
    reached, for the organiser."""
    if not campaign.is_template:
        return None
    round_ = db.session.get_one(Round, campaign.round_id)
    outcome = propagate(round_)
    if not outcome.updated:
        return None
    kept = outcome.groups_kept
    record("round.propagate", user=current_user, campaign=round_.template, round=round_.id,
           campaigns_updated=outcome.updated, groups_kept=[c.unit.name_zh for c in kept])
    said = _("The change reached the %(count)d campaigns of the round not opened yet.",
             count=outcome.updated)
    if kept:
        said += " " + _(
            "The rater groups of these campaigns were left as they are, because a sample "
            "draw covers them or people of their roster or tickets belong to a group to "
            "remove: %(units)s. Their organisers set the draw aside or import the roster "
            "again; then save the groups here again.",
            units="、".join(localized(c.unit, "name") for c in kept))
    return said
