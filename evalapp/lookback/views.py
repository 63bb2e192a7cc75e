"""The look-back page: two closed campaigns the reader may see, compared."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from evalapp.auth.access import READERS, role_required
from evalapp.campaigns.access import campaign_for, visible_campaigns
from evalapp.campaigns.models import CampaignStatus
from evalapp.charts import FORMATS, render
from evalapp.lookback.charts import lookback_chart
from evalapp.lookback.compare import Lookback, change_text, lookback, verdict
from evalapp.results.compute import campaign_results
from forms.lookback import LookbackForm

bp = Blueprint("lookback", __name__, url_prefix="/lookback")


def _form() -> LookbackForm:
    """The two selects offer the closed campaigns the reader may see, latest closed first;
    unasked, they propose the latest round and the one before it."""
    closed = sorted((c for c in visible_campaigns(current_user)
                     if c.status is CampaignStatus.CLOSED),
                    key=lambda c: (c.closed_at, c.id), reverse=True)
    form = LookbackForm(request.args)
    form.earlier.choices = form.later.choices = [SelectChoice(c.id, c.title) for c in closed]
    if not request.args and len(closed) >= 2:
        form.later.data, form.earlier.data = closed[0].id, closed[1].id
    return form


def _valid(form: LookbackForm) -> bool:
    """The form is valid and names the rounds in their order (refused with a message on the
    form otherwise: a reversed comparison would read every improvement as a decline)."""
    if not form.validate():
        return False
    earlier = campaign_for(current_user, form.earlier.data)
    later = campaign_for(current_user, form.later.data)
    if (earlier.closed_at, earlier.id) > (later.closed_at, later.id):
        form.later.errors.append(_(
            "“%(later)s” closed before “%(earlier)s”: choose the earlier round first.",
            later=later.title, earlier=earlier.title))
        return False
    for field, campaign in ((form.earlier, earlier), (form.later, later)):
        if not (campaign.scores() or campaign.asks_satisfaction):
            field.errors.append(_(
                "“%(title)s” is a round of votes alone (民主推荐 or 干部考核): it has no score "
                "or satisfaction rate to compare; its votes are on its results page.",
                title=campaign.title))
            return False
    return True


def _compare(form: LookbackForm) -> Lookback:
    earlier = campaign_for(current_user, form.earlier.data)
    later = campaign_for(current_user, form.later.data)
    return lookback(campaign_results(earlier), campaign_results(later))


@bp.get("/")
@role_required(*READERS)
def index() -> tuple[str, int]:
    form = _form()
    if not request.args:
        return _page(form, None), 200
    if not _valid(form):
        return _page(form, None), 400
    return _page(form, _compare(form)), 200


def _page(form: LookbackForm, result: Lookback | None) -> str:
    return render_template("lookback/index.html", form=form, result=result,
                           verdict=verdict, change_text=change_text)


@bp.get("/chart.<any(png, svg, pdf):fmt>")
@role_required(*READERS)
def chart(fmt: str) -> Response:
    form = _form()
    if not _valid(form):
        abort(400)
    return Response(render(lookback_chart(_compare(form)), fmt), mimetype=FORMATS[fmt])
