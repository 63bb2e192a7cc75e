"""The look-back page: two closed campaigns the reader may see, compared."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user
from wtforms import SelectChoice

from evalapp.auth.access import role_required
from evalapp.campaigns.access import campaign_for, visible_campaigns
from evalapp.campaigns.models import CampaignStatus
from evalapp.charts import FORMATS, render
from evalapp.rectification.charts import lookback_chart
from evalapp.rectification.lookback import Lookback, lookback, verdict
from evalapp.rectification.views import READERS
from evalapp.results.compute import campaign_results
from forms.rectification import LookbackForm

bp = Blueprint("lookback", __name__, url_prefix="/lookback")


def _form() -> LookbackForm:
    form = LookbackForm(request.args)
    choices = [SelectChoice(c.id, c.title) for c in visible_campaigns(current_user)
               if c.status is CampaignStatus.CLOSED]
    form.earlier.choices = form.later.choices = choices
    return form


def _compare(form: LookbackForm) -> Lookback:
    earlier = campaign_for(current_user, form.earlier.data)
    later = campaign_for(current_user, form.later.data)
    return lookback(campaign_results(earlier), campaign_results(later))


@bp.get("/")
@role_required(*READERS)
def index() -> tuple[str, int]:
    form = _form()
    if not request.args:
        return render_template("rectification/lookback.html", form=form, result=None), 200
    if not form.validate():
        return render_template("rectification/lookback.html", form=form, result=None), 400
    return render_template("rectification/lookback.html", form=form, result=_compare(form),
                           verdict=verdict), 200


@bp.get("/chart.<any(png, svg, pdf):fmt>")
@role_required(*READERS)
def chart(fmt: str) -> Response:
    form = _form()
    if not form.validate():
        abort(400)
    return Response(render(lookback_chart(_compare(form)), fmt), mimetype=FORMATS[fmt])
